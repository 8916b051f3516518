import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateSecurityGroupCommand,
  DescribeImagesCommand,
  DescribeLaunchTemplatesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeSubnetsCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { type AwsClients, createAwsClients, localAwsOptions } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../../../packages/local/src/aws/moto-server.js';
import { awsCliBinDir } from '../../../packages/local/src/aws/venv.js';

const k3s = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'k3s');
const script = join(k3s, 'create-launch-template.sh');

let moto: MotoServer;
let clients: AwsClients;
let ami: string;
let securityGroup: string;

/** Runs the script as a user would, with the real AWS CLI pointed at moto. */
function createLaunchTemplate(args: string[]) {
  return spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: `${awsCliBinDir()}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
  });
}

// Stand-in digests: the script checks their form; fetch-k3s.test.ts checks their use.
const K3S_SHA256 = 'a'.repeat(64);
const INSTALLER_SHA256 = 'b'.repeat(64);

const args = (overrides: Partial<Record<number, string>> = {}) =>
  [
    'smartscale-ci-workers',
    ami,
    't3.medium',
    'smartscale-worker',
    securityGroup,
    'prod-eu',
    'https://10.0.1.10:6443',
    '/smartscale-ci/k3s/join-token',
    'v1.35.4+k3s1',
    K3S_SHA256,
    INSTALLER_SHA256,
  ].map((v, i) => overrides[i] ?? v);

beforeAll(async () => {
  moto = await startMoto();
  clients = createAwsClients(localAwsOptions(moto.endpoint));
  const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  ami = images.Images?.find((i) => i.RootDeviceName)?.ImageId ?? '';
  const sg = await clients.ec2.send(
    new CreateSecurityGroupCommand({ GroupName: 'workers', Description: 'SmartScale workers' }),
  );
  securityGroup = sg.GroupId ?? '';
}, 180_000);

afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

// k3s/create-launch-template.sh with the real AWS CLI against moto: the
// launch template users create has the settings the issue asks for.
describe('k3s/create-launch-template.sh', () => {
  it('creates the workers’ template: IMDSv2 only, encrypted root volume, no network interface, the user data with the cluster’s values', async () => {
    const run = createLaunchTemplate(args());
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^lt-/);

    const versions = await clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: id }),
    );
    const data = versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    expect(data?.ImageId).toBe(ami);
    expect(data?.InstanceType).toBe('t3.medium');
    expect(data?.IamInstanceProfile?.Name).toBe('smartscale-worker');
    expect(data?.SecurityGroupIds).toEqual([securityGroup]);
    expect(data?.MetadataOptions).toMatchObject({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
    });
    expect(data?.BlockDeviceMappings).toHaveLength(1);
    expect(data?.BlockDeviceMappings?.[0]?.Ebs).toMatchObject({
      Encrypted: true,
      VolumeType: 'gp3',
      DeleteOnTermination: true,
    });
    // The subnet is the provisioner's per launch; an interface here would clash with it.
    expect(data?.NetworkInterfaces ?? []).toEqual([]);

    const userData = Buffer.from(data?.UserData ?? '', 'base64').toString('utf8');
    const original = readFileSync(join(k3s, 'worker-user-data.sh'), 'utf8').split('\n');
    const fetchK3s = readFileSync(join(k3s, 'fetch-k3s.sh'), 'utf8').split('\n').slice(1);
    const lines = userData.split('\n');
    expect(lines[0]).toBe('#!/bin/bash');
    expect(lines.slice(1, 7)).toEqual([
      "export SMARTSCALE_CLUSTER_ID='prod-eu'",
      "export SMARTSCALE_SERVER_URL='https://10.0.1.10:6443'",
      "export SMARTSCALE_JOIN_TOKEN_PARAMETER='/smartscale-ci/k3s/join-token'",
      "export SMARTSCALE_K3S_VERSION='v1.35.4+k3s1'",
      `export SMARTSCALE_K3S_SHA256='${K3S_SHA256}'`,
      `export SMARTSCALE_K3S_INSTALL_SHA256='${INSTALLER_SHA256}'`,
    ]);
    // Then the verified download (fetch_k3s), then the join script; no get.k3s.io.
    expect(lines.slice(7, 7 + fetchK3s.length - 1)).toEqual(fetchK3s.slice(0, -1));
    expect([lines[0], ...lines.slice(7 + fetchK3s.length - 1)]).toEqual(original);
    expect(userData).not.toContain('get.k3s.io');
    // EC2 takes at most 16 KB of user data.
    expect(userData.length).toBeLessThan(16 * 1024);

    const templates = await clients.ec2.send(
      new DescribeLaunchTemplatesCommand({ LaunchTemplateIds: [id] }),
    );
    expect(templates.LaunchTemplates?.[0]?.Tags).toContainEqual({
      Key: 'smartscale:cluster',
      Value: 'prod-eu',
    });

    // The provisioner's launch shape: the template plus a subnet per launch.
    const subnets = await clients.ec2.send(new DescribeSubnetsCommand({}));
    const launched = await clients.ec2.send(
      new RunInstancesCommand({
        MinCount: 1,
        MaxCount: 1,
        SubnetId: subnets.Subnets?.[0]?.SubnetId,
        LaunchTemplate: { LaunchTemplateId: id, Version: '$Default' },
      }),
    );
    expect(launched.Instances?.[0]?.ImageId).toBe(ami);
  });

  it.each([
    [1, 'ami-XYZ', /ami-id 'ami-XYZ' is invalid: expected an AMI id/],
    [6, 'http://10.0.1.10:6443', /server-url '.*' is invalid: expected the K3s API URL/],
    [5, "prod eu'; rm -rf /", /cluster-id '.*' is invalid: expected 1-40 letters/],
    [8, '1.35', /k3s-version '1.35' is invalid: expected a K3s release/],
    [
      9,
      'latest',
      /k3s-sha256 'latest' is invalid: expected the SHA-256 of the release's k3s binary/,
    ],
    [10, 'A'.repeat(64), /installer-sha256 '.*' is invalid: expected the SHA-256 of install.sh/],
  ])('refuses argument %i = %s before calling AWS, naming it', (index, value, message) => {
    const run = createLaunchTemplate(args({ [index]: value }));
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('writes the policy’s worker taints into the user data when given, and refuses a malformed one (issue #16)', async () => {
    const taints = 'dedicated=batch:NoSchedule,spot:NoExecute';
    const run = createLaunchTemplate([...args({ 0: 'smartscale-ci-tainted' }), taints]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const versions = await clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: run.stdout.trim() }),
    );
    const userData = Buffer.from(
      versions.LaunchTemplateVersions?.[0]?.LaunchTemplateData?.UserData ?? '',
      'base64',
    ).toString('utf8');
    expect(userData.split('\n')[7]).toBe(`export SMARTSCALE_NODE_TAINTS='${taints}'`);
    expect(userData).toContain('TAINT_ARGS+=(--node-taint "$taint")');

    const bad = createLaunchTemplate([...args({ 0: 'smartscale-ci-bad' }), 'dedicated=batch']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(
      /node-taints 'dedicated=batch' is invalid: expected key=value:Effect/,
    );
  });

  it('names an image the region does not have', () => {
    const run = createLaunchTemplate(args({ 1: 'ami-0123456789abcdef0' }));
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/image ami-0123456789abcdef0/);
  });

  it('says how to call it when the arguments are missing', () => {
    const run = createLaunchTemplate([]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/expected 11 arguments, got 0\nusage: create-launch-template.sh/);
  });
});
