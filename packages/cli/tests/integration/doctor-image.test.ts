// The doctor's worker image check (issue #22) against moto 5.2.5's stock
// AMIs (Amazon Linux 2023 standard and minimal, Canonical's Ubuntu, published
// under their owners' accounts) and images registered here, each behind a
// launch template as k3s/create-launch-template.sh makes it. moto's
// RegisterImage keeps no architecture, so the registered images have none.
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DeregisterImageCommand,
  DescribeImagesCommand,
  RegisterImageCommand,
} from '@aws-sdk/client-ec2';
import { motoClients } from '@smartscale/aws/test-support';
import { parseConfig } from '@smartscale/core';
import { afterAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/commands/doctor.js';
import { AMAZON_LINUX_OWNER, CANONICAL_OWNER, checkWorkerImage } from '../../src/doctor-image.js';
import { deployForTest, smartscale } from './support.ts';

const clients = motoClients();
const region = 'us-east-1';
const x86Policy = parseConfig({ instance: { type: 't3.medium' } });

afterAll(() => clients.destroy());

/** The newest stock image of `owner` whose name matches `pattern` (EC2 name filter). */
async function stockImage(owner: string, pattern: string): Promise<string> {
  const images =
    (
      await clients.ec2.send(
        new DescribeImagesCommand({
          Owners: [owner],
          Filters: [{ Name: 'name', Values: [pattern] }],
        }),
      )
    ).Images ?? [];
  const id = images.sort((a, b) => (b.Name ?? '').localeCompare(a.Name ?? ''))[0]?.ImageId;
  if (!id) throw new Error(`moto has no image of ${owner} named ${pattern}`);
  return id;
}

let templates = 0;
/** A launch template whose version 1 launches `imageId`, IMDSv2 required; returns its id. */
async function templateWith(imageId: string): Promise<string> {
  templates += 1;
  const lt = await clients.ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `doctor-image-${templates}-${Math.random().toString(36).slice(2, 6)}`,
      LaunchTemplateData: {
        ImageId: imageId,
        InstanceType: 't3.medium',
        MetadataOptions: { HttpTokens: 'required' },
      },
    }),
  );
  return lt.LaunchTemplate?.LaunchTemplateId ?? '';
}

async function registered(name: string): Promise<string> {
  const res = await clients.ec2.send(
    new RegisterImageCommand({
      Name: name,
      Architecture: 'x86_64',
      RootDeviceName: '/dev/xvda',
      VirtualizationType: 'hvm',
    }),
  );
  return res.ImageId ?? '';
}

describe('the worker image of the launch template', () => {
  it('is ok for Amazon Linux 2023 of the instance types architecture', async () => {
    const image = await stockImage(AMAZON_LINUX_OWNER, 'al2023-ami-2023.*-x86_64');
    const findings = await checkWorkerImage(
      clients.ec2,
      await templateWith(image),
      '1',
      x86Policy,
      region,
    );
    expect(findings).toEqual([
      expect.objectContaining({ check: `worker image ${image}`, status: 'ok' }),
    ]);
    expect(findings[0]?.detail).toMatch(
      /^al2023-ami-2023\.\S+-x86_64, owner 137112412989: Amazon Linux 2023, which ships what the user data calls \(bash, curl, aws \(AWS CLI\), sha256sum, systemctl\); x86_64, available$/,
    );
  });

  it('names the missing AWS CLI on stock Ubuntu and on Amazon Linux 2023 minimal', async () => {
    for (const [owner, pattern, lacks] of [
      [CANONICAL_OWNER, 'ubuntu/images/*', 'Ubuntu (Canonical) lacks the AWS CLI'],
      [AMAZON_LINUX_OWNER, 'al2023-ami-minimal-*-x86_64', 'Amazon Linux 2023 minimal lacks'],
    ] as const) {
      const image = await stockImage(owner, pattern);
      const [found] = await checkWorkerImage(
        clients.ec2,
        await templateWith(image),
        undefined,
        x86Policy,
        region,
      );
      expect(found?.status, pattern).toBe('problem');
      expect(found?.detail).toContain(lacks);
      expect(found?.detail).toContain('every worker ends in JoinFailed');
      expect(found?.fix).toContain('al2023-ami-2023.*');
    }
  });

  it('refuses an arm64 image for x86_64 instance types', async () => {
    const image = await stockImage(AMAZON_LINUX_OWNER, 'al2023-ami-2023.*-arm64');
    const findings = await checkWorkerImage(
      clients.ec2,
      await templateWith(image),
      '1',
      x86Policy,
      region,
    );
    const found = findings.find((f) => f.status === 'problem');
    expect(found?.detail).toContain(
      "is arm64, but the policy's instance types (t3.medium) are x86_64",
    );
    // The family itself is fine: only the architecture is named.
    expect(findings.filter((f) => f.status === 'problem')).toHaveLength(1);
  });

  it('judges the instance.imageIds image of the other architecture, and names a wrong one', async () => {
    const x86 = await stockImage(AMAZON_LINUX_OWNER, 'al2023-ami-2023.*-x86_64');
    const arm = await stockImage(AMAZON_LINUX_OWNER, 'al2023-ami-2023.*-arm64');
    const template = await templateWith(x86);
    const bothWith = (arm64: string) =>
      parseConfig({ instance: { types: ['t3.large', 'm7g.large'], imageIds: { arm64 } } });

    const good = await checkWorkerImage(clients.ec2, template, '1', bothWith(arm), region);
    expect(good.map((f) => [f.check, f.status])).toEqual([
      [`worker image ${x86}`, 'ok'],
      [`worker image ${arm}`, 'ok'],
    ]);

    // An x86_64 image named for arm64: the template's image still serves t3.large.
    const wrong = await checkWorkerImage(clients.ec2, template, '1', bothWith(x86), region);
    const problems = wrong.filter((f) => f.status === 'problem');
    expect(problems).toHaveLength(1);
    expect(problems[0]?.detail).toBe(
      'instance.imageIds.arm64 names an image of x86_64: RunInstances refuses every arm64 launch',
    );

    const gone = await checkWorkerImage(
      clients.ec2,
      template,
      '1',
      bothWith('ami-0123456789abcdef0'),
      region,
    );
    expect(gone.find((f) => f.status === 'problem')?.detail).toContain(
      "not found in us-east-1 (deregistered, or another region's): every arm64 launch fails",
    );
  });

  it('does not trust an image of this account by its name, and says what to verify', async () => {
    const image = await registered('al2023-ami-2023.9.20260101.0-kernel-6.1-x86_64');
    const [found] = await checkWorkerImage(
      clients.ec2,
      await templateWith(image),
      '1',
      x86Policy,
      region,
    );
    expect(found?.status, found?.detail).toBe('warning');
    expect(found?.detail).toContain('not an image family doctor knows');
    expect(found?.fix).toContain('command -v bash curl aws sha256sum systemctl');
  });

  it('reports a deregistered image, on the pinned version, not the default', async () => {
    const good = await stockImage(AMAZON_LINUX_OWNER, 'al2023-ami-2023.*-x86_64');
    const gone = await registered('smartscale-worker-deregistered');
    const id = await templateWith(good);
    await clients.ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: id,
        LaunchTemplateData: { ImageId: gone, MetadataOptions: { HttpTokens: 'required' } },
      }),
    );
    await clients.ec2.send(new DeregisterImageCommand({ ImageId: gone }));
    const [pinned] = await checkWorkerImage(clients.ec2, id, '2', x86Policy, region);
    expect(pinned).toMatchObject({ check: `worker image ${gone}`, status: 'problem' });
    expect(pinned?.detail).toContain(`not found in ${region}`);
    expect(pinned?.detail).toContain(`launch template ${id} version 2 fails`);
    // The default version (1) still launches the good image.
    const [byDefault] = await checkWorkerImage(clients.ec2, id, undefined, x86Policy, region);
    expect(byDefault).toMatchObject({ check: `worker image ${good}`, status: 'ok' });
  });

  it('is a line of smartscale doctor for the pinned version', async () => {
    const deployment = await deployForTest(clients, 'doctor-image', {
      queueVisibilitySeconds: 30,
    });
    const image = await stockImage(CANONICAL_OWNER, 'ubuntu/images/*');
    const id = await templateWith(image);
    const run = await smartscale(
      'doctor',
      '--json',
      '--resources',
      deployment.resourcesFile,
      '--launch-template',
      id,
      '--launch-template-version',
      '1',
    );
    const report = JSON.parse(run.stdout) as DoctorReport;
    expect(run.code).toBe(1);
    expect(report.findings.find((f) => f.check === `worker image ${image}`)?.status).toBe(
      'problem',
    );
  });
});
