// The account-level doctor checks of issue #22 against moto 5.2.5: IAM, EC2
// launch templates, Lambda functions and Service Quotas are moto's. moto
// answers Service Quotas only for vpc codes and has no Lambda
// GetAccountSettings (both verified below); the checks then warn, and their
// comparisons are unit-tested in tests/unit/doctor-account.test.ts.
import {
  CreateLaunchTemplateCommand,
  CreateLaunchTemplateVersionCommand,
  DescribeImagesCommand,
} from '@aws-sdk/client-ec2';
import { CreateRoleCommand, DeleteRoleCommand } from '@aws-sdk/client-iam';
import {
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  PutFunctionConcurrencyCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { GetServiceQuotaCommand } from '@aws-sdk/client-service-quotas';
import { localAwsOptions } from '@smartscale/aws';
import { motoClients } from '@smartscale/aws/test-support';
import { parseConfig } from '@smartscale/core';
import { deploymentPlan } from '@smartscale/stacks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DoctorReport } from '../../src/commands/doctor.js';
import {
  type AccountClients,
  checkFunctionEnvironments,
  checkLambdaConcurrency,
  checkPinnedLaunchTemplateVersion,
  checkSpotServiceLinkedRole,
  checkVcpuQuotas,
  createAccountClients,
  SPOT_SERVICE_LINKED_ROLE,
} from '../../src/doctor-account.js';
import { createSpotServiceLinkedRole } from '../support/spot-role.ts';
import { deployForTest, smartscale, type TestDeployment } from './support.ts';

const clients = motoClients();
const endpoint = inject('motoEndpoint');
let account: AccountClients;
let deployment: TestDeployment;
const spotPolicy = parseConfig({ purchase: { spotShare: 0.5, onDemandBase: 1 } });
const onDemandPolicy = parseConfig({ purchase: { spotShare: 0 } });

beforeAll(async () => {
  account = createAccountClients(localAwsOptions(endpoint));
  deployment = await deployForTest(clients, 'doctor-acct', { queueVisibilitySeconds: 30 });
});

afterAll(() => {
  account?.destroy();
  clients.destroy();
});

/** Runs `smartscale doctor --json` on the test deployment with `extra` options. */
async function doctor(...extra: string[]): Promise<{ code: number; report: DoctorReport }> {
  const run = await smartscale(
    'doctor',
    '--json',
    '--resources',
    deployment.resourcesFile,
    ...extra,
  );
  if (!run.stdout) throw new Error(`doctor printed nothing (exit ${run.code}): ${run.stderr}`);
  return { code: run.code, report: JSON.parse(run.stdout) as DoctorReport };
}

describe('the Spot service-linked role (IAM GetRole)', () => {
  it('is a problem with the create command while missing, ok once it exists', async () => {
    const [missing] = await checkSpotServiceLinkedRole(account.iam, spotPolicy);
    expect(missing?.status).toBe('problem');
    expect(missing?.detail).toContain(`${SPOT_SERVICE_LINKED_ROLE} is missing`);
    expect(missing?.fix).toBe(
      'aws iam create-service-linked-role --aws-service-name spot.amazonaws.com',
    );
    // A policy that buys no Spot does not need it.
    const [notNeeded] = await checkSpotServiceLinkedRole(account.iam, onDemandPolicy);
    expect(notNeeded?.status).toBe('ok');
    expect(notNeeded?.detail).toMatch(/^not needed/);

    await createSpotServiceLinkedRole(endpoint);
    try {
      const [found] = await checkSpotServiceLinkedRole(account.iam, spotPolicy);
      expect(found).toEqual({
        check: 'spot service-linked role',
        status: 'ok',
        detail: `${SPOT_SERVICE_LINKED_ROLE} exists`,
      });
    } finally {
      await account.iam.send(new DeleteRoleCommand({ RoleName: SPOT_SERVICE_LINKED_ROLE }));
    }
  });
});

describe('EC2 vCPU quotas (Service Quotas GetServiceQuota)', () => {
  it('moto answers a vpc quota but not the ec2 ones: the check warns that it could not read them', async () => {
    const vpc = await account.quotas.send(
      new GetServiceQuotaCommand({ ServiceCode: 'vpc', QuotaCode: 'L-F678F1CE' }),
    );
    expect(typeof vpc.Quota?.Value).toBe('number');

    const findings = await checkVcpuQuotas(clients.ec2, account.quotas, spotPolicy, 'us-east-1');
    expect(findings.map((f) => [f.check, f.status])).toEqual([
      ['ec2 vCPU quota On-Demand (L-1216C47A)', 'warning'],
      ['ec2 vCPU quota Spot (L-34B43A08)', 'warning'],
    ]);
    for (const f of findings) {
      expect(f.detail).toMatch(/^could not read the quota: NoSuchResourceException/);
      // What it would compare with: workers.max (10) x t3.medium's 2 vCPU.
      expect(f.fix).toContain('workers.max 10 x 2 vCPU of t3.medium = 20 vCPU');
    }
    // On-Demand only: no Spot quota line.
    const onDemand = await checkVcpuQuotas(
      clients.ec2,
      account.quotas,
      onDemandPolicy,
      'us-east-1',
    );
    expect(onDemand.map((f) => f.check)).toEqual(['ec2 vCPU quota On-Demand (L-1216C47A)']);
  });

  it('is a problem naming the setting when the policy names a type EC2 does not offer', async () => {
    const findings = await checkVcpuQuotas(
      clients.ec2,
      account.quotas,
      parseConfig({ instance: { type: 'zz9.huge' } }),
      'us-east-1',
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]?.status).toBe('problem');
    expect(findings[0]?.detail).toContain('instance.type');
    expect(findings[0]?.detail).toContain('zz9.huge');
  });
});

/** A role Lambda accepts in moto, and a small zip (moto stores it; nothing runs it). */
async function functionRole(): Promise<string> {
  const name = `doctor-fn-${Math.random().toString(36).slice(2, 8)}`;
  const role = await account.iam.send(
    new CreateRoleCommand({
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'lambda.amazonaws.com' },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }),
  );
  return role.Role?.Arn ?? '';
}

/** A zip archive holding one empty file, stored (no compression), built by hand. */
function emptyZip(): Uint8Array {
  const name = Buffer.from('index.js');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(20, 4);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(20, 6);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + name.length, 12);
  end.writeUInt32LE(30 + name.length, 16);
  return Buffer.concat([local, name, central, name, end]);
}

describe('Lambda: concurrency and each function environment (GetFunctionConfiguration)', () => {
  it('warns that moto has no GetAccountSettings; with the account settings injected, counts what the stage already reserves once', async () => {
    await expect(account.lambda.send(new GetAccountSettingsCommand({}))).rejects.toThrow();
    const [unread] = await checkLambdaConcurrency(
      account.lambda,
      'smartscale-none',
      5,
      'us-east-1',
    );
    expect(unread?.status).toBe('warning');
    expect(unread?.detail).toMatch(/^could not read the account's concurrency: /);
    expect(unread?.fix).toContain('aws lambda get-account-settings');

    // moto lacks the call: its answer comes from SDK middleware; the
    // function reservations (GetFunctionConcurrency) are moto's.
    const prefix = deployment.resources.prefix;
    const provisioner = deploymentPlan(prefix).functions.find((f) => f.service === 'provisioner');
    const role = await functionRole();
    await account.lambda.send(
      new CreateFunctionCommand({
        FunctionName: provisioner?.name,
        Runtime: 'nodejs20.x',
        Role: role,
        Handler: 'index.handler',
        Code: { ZipFile: emptyZip() },
      }),
    );
    try {
      await account.lambda.send(
        new PutFunctionConcurrencyCommand({
          FunctionName: provisioner?.name,
          ReservedConcurrentExecutions: 5,
        }),
      );
      const settings = createAccountClients(localAwsOptions(endpoint));
      settings.lambda.middlewareStack.add(
        (next, context) => async (args) =>
          context.commandName === 'GetAccountSettingsCommand'
            ? {
                output: {
                  $metadata: {},
                  // 20 in all, 5 of them reserved by the deployed provisioner.
                  AccountLimit: { ConcurrentExecutions: 20, UnreservedConcurrentExecutions: 15 },
                },
                response: {},
              }
            : next(args),
        { step: 'initialize', name: 'motoHasNoGetAccountSettings' },
      );
      try {
        // 5 each for provisioner and drainer: 15 + 5 (already the provisioner's) - 10 = 10 left.
        const [fits] = await checkLambdaConcurrency(settings.lambda, prefix, 5, 'us-east-1');
        expect(fits?.status).toBe('ok');
        expect(fits?.detail).toContain('leaving 10 unreserved');
        const [tooMuch] = await checkLambdaConcurrency(settings.lambda, prefix, 6, 'us-east-1');
        expect(tooMuch?.status).toBe('problem');
        expect(tooMuch?.detail).toContain('leaving 8, below the 10 AWS keeps unreserved');
      } finally {
        settings.destroy();
      }
    } finally {
      await account.lambda.send(new DeleteFunctionCommand({ FunctionName: provisioner?.name }));
    }
  });

  it('warns before sst deploy, then names each function over or near 4 KB and each one missing', async () => {
    const prefix = deployment.resources.prefix;
    const [before] = await checkFunctionEnvironments(account.lambda, prefix);
    expect(before).toMatchObject({ check: `functions of ${prefix}`, status: 'warning' });

    const role = await functionRole();
    const names = deploymentPlan(prefix).functions.map((f) => f.name);
    for (const name of names)
      await account.lambda.send(
        new CreateFunctionCommand({
          FunctionName: name,
          Runtime: 'nodejs20.x',
          Role: role,
          Handler: 'index.handler',
          Code: { ZipFile: emptyZip() },
          Environment: { Variables: { SMARTSCALE_PREFIX: prefix } },
        }),
      );
    const [big, near, gone] = names;
    try {
      const healthy = await checkFunctionEnvironments(account.lambda, prefix);
      expect(healthy.map((f) => f.status)).toEqual(names.map(() => 'ok'));
      // Lambda refuses over 4 KB; moto stores it, so the doctor's limit is what is tested.
      await account.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: big,
          Environment: { Variables: { SMARTSCALE_CONFIG: 'x'.repeat(5000) } },
        }),
      );
      await account.lambda.send(
        new UpdateFunctionConfigurationCommand({
          FunctionName: near,
          Environment: { Variables: { SMARTSCALE_CONFIG: 'x'.repeat(3700) } },
        }),
      );
      await account.lambda.send(new DeleteFunctionCommand({ FunctionName: gone }));
      const found = Object.fromEntries(
        (await checkFunctionEnvironments(account.lambda, prefix)).map((f) => [f.check, f]),
      );
      expect(found[`function ${big} environment`]?.status).toBe('problem');
      expect(found[`function ${big} environment`]?.detail).toMatch(
        /^5017 bytes, over Lambda's 4096/,
      );
      expect(found[`function ${near} environment`]?.status).toBe('warning');
      expect(found[`function ${near} environment`]?.detail).toMatch(/^3717 bytes, within 379 /);
      expect(found[`function ${gone}`]?.status).toBe('problem');
      expect(found[`function ${gone}`]?.detail).toContain('not found');
      expect(found[`function ${names[3]} environment`]?.status).toBe('ok');
    } finally {
      for (const name of names.filter((n) => n !== gone))
        await account.lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
    }
  });
});

describe('the launch template version the provisioner launches', () => {
  let templateId: string;
  beforeAll(async () => {
    const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const imageId = images.Images?.[0]?.ImageId;
    const lt = await clients.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `${deployment.resources.prefix}-pinned`,
        LaunchTemplateData: {
          ImageId: imageId,
          InstanceType: 't3.medium',
          MetadataOptions: { HttpTokens: 'required' },
        },
      }),
    );
    templateId = lt.LaunchTemplate?.LaunchTemplateId ?? '';
    // Version 2 drops IMDSv2; the default stays version 1.
    await clients.ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        LaunchTemplateData: {
          ImageId: imageId,
          InstanceType: 't3.medium',
          MetadataOptions: { HttpTokens: 'optional' },
        },
      }),
    );
  });

  it('is ok for a version requiring IMDSv2 and a problem for one that does not, or does not exist', async () => {
    const [pinned] = await checkPinnedLaunchTemplateVersion(clients.ec2, templateId, '1');
    expect(pinned).toEqual({
      check: `launch template ${templateId} version 1`,
      status: 'ok',
      detail: 'the version the provisioner launches requires IMDSv2',
    });
    const [v1] = await checkPinnedLaunchTemplateVersion(clients.ec2, templateId, '2');
    expect(v1?.status).toBe('problem');
    expect(v1?.detail).toContain('HttpTokens=optional');
    expect(v1?.fix).toContain('SMARTSCALE_LAUNCH_TEMPLATE_VERSION');
    const [missing] = await checkPinnedLaunchTemplateVersion(clients.ec2, templateId, '9');
    expect(missing?.status).toBe('problem');
    expect(missing?.detail).toMatch(/^not found/);
  });

  it('is checked by smartscale doctor for --launch-template-version, and bad input is named', async () => {
    const { report } = await doctor(
      '--launch-template',
      templateId,
      '--launch-template-version',
      '2',
    );
    const byCheck = Object.fromEntries(report.findings.map((f) => [f.check, f]));
    // The default version (1) is fine; the pinned one (2) is not.
    expect(byCheck[`launch template ${templateId}`]?.status).toBe('ok');
    expect(byCheck[`launch template ${templateId} version 2`]?.status).toBe('problem');
    // The account checks are on every report.
    expect(byCheck['spot service-linked role']?.status).toBe('problem');
    expect(byCheck['ec2 vCPU quota On-Demand (L-1216C47A)']?.status).toBe('warning');
    expect(byCheck['lambda concurrency']?.status).toBe('warning');
    expect(byCheck[`functions of ${deployment.resources.prefix}`]?.status).toBe('warning');
    expect(byCheck['node-exporter on workers']?.detail).toBe('not checked');

    for (const [args, message] of [
      [
        ['--launch-template-version', '$Latest'],
        /--launch-template-version: expected .*'\$Latest'/,
      ],
      [
        ['--reserved-concurrency', '0'],
        /--reserved-concurrency: expected a whole number 1-100.*'0'/,
      ],
      [['--promql-node-label', 'node-name'], /--promql-node-label: expected .*'node-name'/],
    ] as const) {
      const run = await smartscale('doctor', '--resources', deployment.resourcesFile, ...args);
      expect(run.code, args.join(' ')).not.toBe(0);
      expect(run.stderr).toMatch(message);
    }
  });
});
