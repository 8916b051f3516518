// `smartscale doctor`: what the AWS account must allow before SmartScale can
// work, none of which `sst deploy` creates (issue #22): the Spot
// service-linked role, the EC2 vCPU quotas, Lambda concurrency, the pinned
// launch template version and each function's environment size. Each check
// returns findings; none changes anything.

import { DescribeLaunchTemplateVersionsCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetAccountSettingsCommand,
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
} from '@aws-sdk/client-lambda';
import {
  GetAWSDefaultServiceQuotaCommand,
  GetServiceQuotaCommand,
  ServiceQuotasClient,
} from '@aws-sdk/client-service-quotas';
import { clientConfig, resolveInstanceTypes } from '@smartscale/aws';
import type { Config } from '@smartscale/core';
import {
  deploymentPlan,
  environmentBytes,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  type ServiceName,
  SST_ENVIRONMENT_ALLOWANCE_BYTES,
} from '@smartscale/stacks';
import { type DoctorFinding, ok, problem, warning } from './doctor-finding.js';

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'Error');
// The first line only: an SDK deserialization error carries a second line
// of advice that would break the report's table.
const errorText = (error: unknown): string =>
  (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).split('\n')[0] ?? '';

/** The clients of the account-level checks, configured as the deployment's others are. */
export interface AccountClients {
  readonly iam: IAMClient;
  readonly quotas: ServiceQuotasClient;
  readonly lambda: LambdaClient;
  destroy(): void;
}

export function createAccountClients(options: Parameters<typeof clientConfig>[0]): AccountClients {
  const config = { ...clientConfig(options), maxAttempts: 2 };
  const iam = new IAMClient(config);
  const quotas = new ServiceQuotasClient(config);
  const lambda = new LambdaClient(config);
  return {
    iam,
    quotas,
    lambda,
    destroy() {
      iam.destroy();
      quotas.destroy();
      lambda.destroy();
    },
  };
}

/** The role EC2 needs to launch Spot Instances for the account. */
export const SPOT_SERVICE_LINKED_ROLE = 'AWSServiceRoleForEC2Spot';

/** Whether the policy can buy Spot: some share, and room above the on-demand base. */
export function policyUsesSpot(config: Config): boolean {
  return config.purchase.spotShare > 0 && config.workers.max > config.purchase.onDemandBase;
}

/** The Spot service-linked role exists when the policy buys Spot. */
export async function checkSpotServiceLinkedRole(
  iam: IAMClient,
  config: Config,
): Promise<DoctorFinding[]> {
  const check = 'spot service-linked role';
  if (!policyUsesSpot(config))
    return [
      ok(
        check,
        `not needed: the policy buys no Spot (purchase.spotShare ${config.purchase.spotShare}, onDemandBase ${config.purchase.onDemandBase}, workers.max ${config.workers.max})`,
      ),
    ];
  try {
    await iam.send(new GetRoleCommand({ RoleName: SPOT_SERVICE_LINKED_ROLE }));
    return [ok(check, `${SPOT_SERVICE_LINKED_ROLE} exists`)];
  } catch (error) {
    if (errorName(error) === 'NoSuchEntityException' || errorName(error) === 'NoSuchEntity')
      return [
        problem(
          check,
          `${SPOT_SERVICE_LINKED_ROLE} is missing and the policy buys Spot (purchase.spotShare ${config.purchase.spotShare}): every Spot launch fails with a permission error, which is not a capacity error, so there is no On-Demand fallback and the ScaleUp ends in the DLQ`,
          'aws iam create-service-linked-role --aws-service-name spot.amazonaws.com',
        ),
      ];
    return [
      warning(
        check,
        `could not read the role: ${errorText(error)}`,
        `check it yourself: aws iam get-role --role-name ${SPOT_SERVICE_LINKED_ROLE} (doctor needs iam:GetRole)`,
      ),
    ];
  }
}

/** The EC2 vCPU quotas SmartScale's launches count against. */
export const VCPU_QUOTAS = {
  onDemand: {
    code: 'L-1216C47A',
    name: 'Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances',
  },
  spot: {
    code: 'L-34B43A08',
    name: 'All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests',
  },
} as const;

/**
 * Whether a type counts against the Standard quotas: families starting A, C,
 * D, H, I, M, R, T or Z, except the ones with their own quota (Inf, DL, HPC,
 * Trn, High Memory u-).
 */
export function isStandardType(instanceType: string): boolean {
  if (/^(inf|dl|hpc|trn|u-)/.test(instanceType)) return false;
  return /^[acdhimrtz]/.test(instanceType);
}

/** A quota's value, or why it could not be read. */
export type QuotaReading = { readonly value: number } | { readonly error: string };

/**
 * One quota compared with what the policy may launch: `maxWorkers` of the
 * largest resolved type. The quota is the account's, shared with every other
 * instance in the region (the K3s server among them).
 */
export function compareVcpuQuota(
  kind: keyof typeof VCPU_QUOTAS,
  reading: QuotaReading,
  maxWorkers: number,
  largest: { readonly instanceType: string; readonly vcpu: number },
  region: string,
): DoctorFinding {
  const quota = VCPU_QUOTAS[kind];
  const check = `ec2 vCPU quota ${kind === 'onDemand' ? 'On-Demand' : 'Spot'} (${quota.code})`;
  const needed = maxWorkers * largest.vcpu;
  const need = `workers.max ${maxWorkers} x ${largest.vcpu} vCPU of ${largest.instanceType} = ${needed} vCPU`;
  if ('error' in reading)
    return warning(
      check,
      `could not read the quota: ${reading.error}`,
      `compare it with ${need} yourself: aws service-quotas get-service-quota --service-code ec2 --quota-code ${quota.code} --region ${region}`,
    );
  if (reading.value < needed)
    return problem(
      check,
      `${quota.name} is ${reading.value} vCPU in ${region}, below ${need}: launches past it fail with VcpuLimitExceeded`,
      `aws service-quotas request-service-quota-increase --service-code ec2 --quota-code ${quota.code} --desired-value ${needed} --region ${region} (add what other instances in the account use), or lower workers.max`,
    );
  return ok(
    check,
    `${reading.value} vCPU in ${region}, enough for ${need} (other instances in the account share it)`,
  );
}

/** The quota as applied to the account, else AWS's default for it. */
async function readQuota(quotas: ServiceQuotasClient, code: string): Promise<QuotaReading> {
  try {
    const res = await quotas.send(
      new GetServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: code }),
    );
    const value = res.Quota?.Value;
    if (typeof value === 'number') return { value };
    return { error: 'the answer has no value' };
  } catch (error) {
    // A quota the account never changed may only have AWS's default.
    if (errorName(error) === 'NoSuchResourceException') {
      try {
        const res = await quotas.send(
          new GetAWSDefaultServiceQuotaCommand({ ServiceCode: 'ec2', QuotaCode: code }),
        );
        if (typeof res.Quota?.Value === 'number') return { value: res.Quota.Value };
      } catch {
        // Report the first error: it is about the account's own quota.
      }
    }
    return { error: errorText(error) };
  }
}

/**
 * The On-Demand Standard vCPU quota (and the Spot one when the policy buys
 * Spot) hold workers.max of the largest type the policy resolves to; a
 * Spot launch may fall back to On-Demand, so On-Demand must hold them all.
 */
export async function checkVcpuQuotas(
  ec2: EC2Client,
  quotas: ServiceQuotasClient,
  config: Config,
  region: string,
): Promise<DoctorFinding[]> {
  let types: { instanceType: string; vcpu: number }[];
  try {
    types = await resolveInstanceTypes(ec2, region, config);
  } catch (error) {
    return [
      problem(
        'ec2 vCPU quotas',
        `not checked: the policy's instance types do not resolve (${errorText(error)})`,
        'fix instance.type, instance.types or instance.requirements in the policy',
      ),
    ];
  }
  const findings: DoctorFinding[] = [];
  const other = types.filter((t) => !isStandardType(t.instanceType));
  if (other.length > 0)
    findings.push(
      warning(
        'ec2 vCPU quotas',
        `not checked for ${other.map((t) => t.instanceType).join(', ')}: they count against other quotas than the Standard ones`,
        'compare their quotas (aws service-quotas list-service-quotas --service-code ec2) with workers.max x their vCPUs',
      ),
    );
  const standard = types.filter((t) => isStandardType(t.instanceType));
  const largest = standard.reduce<{ instanceType: string; vcpu: number } | undefined>(
    (a, t) => (a === undefined || t.vcpu > a.vcpu ? t : a),
    undefined,
  );
  if (!largest) return findings;
  const max = config.workers.max;
  findings.push(
    compareVcpuQuota(
      'onDemand',
      await readQuota(quotas, VCPU_QUOTAS.onDemand.code),
      max,
      largest,
      region,
    ),
  );
  if (policyUsesSpot(config))
    findings.push(
      compareVcpuQuota(
        'spot',
        await readQuota(quotas, VCPU_QUOTAS.spot.code),
        max,
        largest,
        region,
      ),
    );
  return findings;
}

/** AWS keeps this much of an account's Lambda concurrency unreserved. */
export const LAMBDA_MINIMUM_UNRESERVED = 10;
/**
 * What stacks/functions.ts deploys (`sizing`): the services that take
 * SMARTSCALE_RESERVED_CONCURRENCY, and the decider's event source mapping's
 * MaximumConcurrency; a unit test holds these to it.
 */
export const RESERVING_SERVICES: readonly ServiceName[] = ['provisioner', 'drainer'];
export const DECIDER_MAXIMUM_CONCURRENCY = 2;

/** What the account has and what the stage's functions already reserve. */
export interface LambdaConcurrency {
  /** The account's concurrency (ConcurrentExecutions). */
  readonly limit: number;
  /** UnreservedConcurrentExecutions. */
  readonly unreserved: number;
  /** What this stage's functions reserve now (0 before `sst deploy`). */
  readonly reservedByStage: number;
}

/**
 * Whether the stage's reservations leave AWS's minimum of 10 unreserved:
 * SMARTSCALE_RESERVED_CONCURRENCY for each of the provisioner and drainer.
 * The decider reserves nothing; it takes up to its MaximumConcurrency from
 * the unreserved pool.
 */
export function compareLambdaConcurrency(
  found: LambdaConcurrency,
  reservedConcurrency: number | null,
  region: string,
): DoctorFinding {
  const check = 'lambda concurrency';
  const reserves = (reservedConcurrency ?? 0) * RESERVING_SERVICES.length;
  const left = found.unreserved + found.reservedByStage - reserves;
  const what =
    reservedConcurrency === null
      ? 'the stage reserves none (SMARTSCALE_RESERVED_CONCURRENCY unset)'
      : `the stage reserves ${reserves} (SMARTSCALE_RESERVED_CONCURRENCY ${reservedConcurrency} for each of ${RESERVING_SERVICES.join(', ')})`;
  const decider = `the decider polls its queue with up to ${DECIDER_MAXIMUM_CONCURRENCY} (MaximumConcurrency) from the unreserved pool`;
  if (left < LAMBDA_MINIMUM_UNRESERVED)
    return problem(
      check,
      `the account allows ${found.limit} in ${region}, ${found.unreserved} unreserved; ${what}, leaving ${left}, below the ${LAMBDA_MINIMUM_UNRESERVED} AWS keeps unreserved: CreateFunction fails with "decreases account's UnreservedConcurrentExecution below its minimum value of [10]"`,
      `unset or lower SMARTSCALE_RESERVED_CONCURRENCY and deploy again, or ask for more: aws service-quotas request-service-quota-increase --service-code lambda --quota-code L-B99A9384 --desired-value ${found.limit + LAMBDA_MINIMUM_UNRESERVED - left} --region ${region}`,
    );
  return ok(
    check,
    `the account allows ${found.limit} in ${region}; ${what}, leaving ${left} unreserved; ${decider}`,
  );
}

/** The account's Lambda concurrency against what the stage reserves. */
export async function checkLambdaConcurrency(
  lambda: LambdaClient,
  prefix: string,
  reservedConcurrency: number | null,
  region: string,
): Promise<DoctorFinding[]> {
  let limit: number | undefined;
  let unreserved: number | undefined;
  try {
    const res = await lambda.send(new GetAccountSettingsCommand({}));
    limit = res.AccountLimit?.ConcurrentExecutions;
    unreserved = res.AccountLimit?.UnreservedConcurrentExecutions;
  } catch (error) {
    return [
      warning(
        'lambda concurrency',
        `could not read the account's concurrency: ${errorText(error)}`,
        `compare it yourself: aws lambda get-account-settings --region ${region} (keep ${LAMBDA_MINIMUM_UNRESERVED} unreserved after what SMARTSCALE_RESERVED_CONCURRENCY reserves)`,
      ),
    ];
  }
  if (limit === undefined || unreserved === undefined)
    return [
      warning(
        'lambda concurrency',
        'could not read the account concurrency: GetAccountSettings gave no AccountLimit',
        `aws lambda get-account-settings --region ${region}`,
      ),
    ];
  // Reservations the stage already made are counted in `unreserved`; added back, they are not counted twice.
  let reservedByStage = 0;
  for (const f of deploymentPlan(prefix).functions) {
    if (!RESERVING_SERVICES.includes(f.service)) continue;
    try {
      const res = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: f.name }));
      reservedByStage += res.ReservedConcurrentExecutions ?? 0;
    } catch {
      // Not deployed yet: it reserves nothing.
    }
  }
  return [
    compareLambdaConcurrency({ limit, unreserved, reservedByStage }, reservedConcurrency, region),
  ];
}

/**
 * The launch template version the provisioner launches
 * (SMARTSCALE_LAUNCH_TEMPLATE_VERSION) exists, names an AMI and requires
 * IMDSv2: the default version may differ from it.
 */
export async function checkPinnedLaunchTemplateVersion(
  ec2: EC2Client,
  launchTemplateId: string,
  version: string,
): Promise<DoctorFinding[]> {
  const check = `launch template ${launchTemplateId} version ${version}`;
  const list = `aws ec2 describe-launch-template-versions --launch-template-id ${launchTemplateId}`;
  let data:
    | {
        ImageId?: string | undefined;
        MetadataOptions?: { HttpTokens?: string | undefined } | undefined;
      }
    | undefined;
  let found = false;
  try {
    const res = await ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: [version],
      }),
    );
    const v = res.LaunchTemplateVersions?.find((x) => String(x.VersionNumber) === version);
    found = v !== undefined;
    data = v?.LaunchTemplateData;
  } catch (error) {
    return [
      problem(
        check,
        `not found (${errorName(error)}): the provisioner launches this version (SMARTSCALE_LAUNCH_TEMPLATE_VERSION), so every launch fails`,
        `set SMARTSCALE_LAUNCH_TEMPLATE_VERSION to a version ${list} lists (the default one) and run 'npx sst deploy' again`,
      ),
    ];
  }
  if (!found)
    return [
      problem(
        check,
        'not found: the provisioner launches this version (SMARTSCALE_LAUNCH_TEMPLATE_VERSION), so every launch fails',
        `set SMARTSCALE_LAUNCH_TEMPLATE_VERSION to a version ${list} lists (the default one) and run 'npx sst deploy' again`,
      ),
    ];
  const findings: DoctorFinding[] = [];
  const tokens = data?.MetadataOptions?.HttpTokens ?? 'optional';
  findings.push(
    tokens === 'required'
      ? ok(check, 'the version the provisioner launches requires IMDSv2')
      : problem(
          check,
          `the version the provisioner launches has HttpTokens=${tokens}: workers would answer IMDSv1`,
          `create a version with MetadataOptions HttpTokens=required (k3s/create-launch-template.sh does), make it the default (aws ec2 modify-launch-template --launch-template-id ${launchTemplateId} --default-version <n>), set SMARTSCALE_LAUNCH_TEMPLATE_VERSION to <n> and run 'npx sst deploy' again`,
        ),
  );
  if (!data?.ImageId)
    findings.push(problem(check, 'names no AMI', 'recreate it with k3s/create-launch-template.sh'));
  return findings;
}

/** Bytes over which an environment is close enough to Lambda's limit to warn. */
const ENVIRONMENT_WARNING_BYTES = LAMBDA_ENVIRONMENT_LIMIT_BYTES - SST_ENVIRONMENT_ALLOWANCE_BYTES;

/** One deployed function's environment size against Lambda's 4 KB. */
export function compareEnvironmentSize(
  functionName: string,
  environment: Readonly<Record<string, string>>,
): DoctorFinding {
  const check = `function ${functionName} environment`;
  const bytes = environmentBytes(environment);
  const largest = Object.entries(environment)
    .map(([k, v]) => [k, Buffer.byteLength(k) + Buffer.byteLength(v)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 2)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const fix =
    'shorten the policy in SMARTSCALE_CONFIG_FILE (drop settings equal to their defaults) or the stage name, then deploy again';
  if (bytes > LAMBDA_ENVIRONMENT_LIMIT_BYTES)
    return problem(
      check,
      `${bytes} bytes, over Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}: UpdateFunctionConfiguration fails (largest: ${largest})`,
      fix,
    );
  if (bytes > ENVIRONMENT_WARNING_BYTES)
    return warning(
      check,
      `${bytes} bytes, within ${LAMBDA_ENVIRONMENT_LIMIT_BYTES - bytes} of Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}: a longer policy will not deploy (largest: ${largest})`,
      fix,
    );
  return ok(check, `${bytes} bytes of Lambda's ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}`);
}

/**
 * Each function of the stage's plan, as deployed, has an environment under
 * Lambda's 4 KB. Before `sst deploy` none exists: one warning, not a
 * problem per function.
 */
export async function checkFunctionEnvironments(
  lambda: LambdaClient,
  prefix: string,
): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  const missing: string[] = [];
  const functions = deploymentPlan(prefix).functions;
  for (const { name } of functions) {
    try {
      const res = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
      findings.push(compareEnvironmentSize(name, res.Environment?.Variables ?? {}));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException')
        findings.push(
          warning(
            `function ${name} environment`,
            `could not read the function: ${errorText(error)}`,
            `aws lambda get-function-configuration --function-name ${name} (doctor needs lambda:GetFunctionConfiguration)`,
          ),
        );
      else missing.push(name);
    }
  }
  if (missing.length === functions.length)
    return [
      warning(
        `functions of ${prefix}`,
        'none deployed yet, so no environment size was checked (sst deploy checks them before it creates any)',
        'run doctor again after sst deploy',
      ),
    ];
  for (const name of missing)
    findings.push(
      problem(
        `function ${name}`,
        'not found, while other functions of the stage are deployed',
        `run 'npx sst deploy --stage ${prefix.replace(/^smartscale-/, '')}' again`,
      ),
    );
  return findings;
}
