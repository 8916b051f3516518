// Deployment settings read from the environment at `sst deploy` time, so a
// missing or malformed one stops the deploy with a readable message.
import { readFileSync } from 'node:fs';
import { InvalidConfigError } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { kubeIdentities, kubeIdentityOf, names, type ServiceName } from './topology.ts';

export interface DeploySettings {
  readonly clusterId: string;
  readonly prometheusUrl: string;
  readonly kubeApiUrl: string;
  readonly launchTemplateId: string;
  /**
   * The launch template version every launch uses, by number: whoever may
   * set the template's default version cannot change the AMI or user data
   * of future workers (issue #21 item 6).
   */
  readonly launchTemplateVersion: string;
  readonly workerRoleName: string;
  readonly subnetIds: string[];
  readonly securityGroupIds: string[];
  readonly zones: string[];
  /**
   * The policy (packages/core/src/config.ts) as JSON, validated here and
   * handed to every function as SMARTSCALE_CONFIG; `{}` means the defaults.
   */
  readonly policyJson: string;
  /**
   * Reserved concurrency for the provisioner and drainer, or null (the
   * default): a new account's concurrency quota is often 10, and reserving
   * any of it then fails CreateFunction (finding 1 of issue #22).
   */
  readonly reservedConcurrency: number | null;
  /**
   * The K3s server's instance role, when the sampler's watch mode runs there:
   * the samples topic and its key then admit it (resource-policies.ts).
   * Unset, nothing outside the functions may publish.
   */
  readonly serverRoleArn?: string;
  /**
   * The customer-managed KMS key of the SecureString parameters; unset for
   * the AWS managed key aws/ssm. Functions may decrypt with this key only.
   */
  readonly parameterKeyArn?: string;
}

/** Optional settings: unset is a valid choice, a malformed value is not. */
const OPTIONAL_ARNS = {
  SMARTSCALE_SERVER_ROLE_ARN: {
    pattern: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/,
    what: "the K3s server's instance role ARN, e.g. arn:aws:iam::123456789012:role/k3s-server (only with the sampler's watch mode)",
  },
  SMARTSCALE_PARAMETER_KEY_ARN: {
    pattern: /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/(mrk-[0-9a-f]{32}|[0-9a-f-]{36})$/,
    what: 'the key ARN (not an alias) of the customer-managed KMS key of the SecureString parameters, e.g. arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (unset for aws/ssm)',
  },
} as const;

const REQUIRED = {
  SMARTSCALE_CLUSTER_ID: 'the cluster id (letters, digits, -), e.g. prod-eu',
  SMARTSCALE_PROMETHEUS_URL:
    'the Prometheus URL reachable from the VPC, e.g. http://10.0.1.10:30090',
  SMARTSCALE_KUBE_API_URL: 'the K3s API server URL, e.g. https://10.0.1.10:6443',
  SMARTSCALE_LAUNCH_TEMPLATE_ID: 'the worker launch template id, e.g. lt-0abc123',
  SMARTSCALE_LAUNCH_TEMPLATE_VERSION:
    "the number of the launch template version workers are launched from, e.g. 1 (never $Latest or $Default: a new default would change every future worker's AMI and user data)",
  SMARTSCALE_WORKER_ROLE_NAME:
    "the IAM role name of the launch template's instance profile, e.g. smartscale-worker (the provisioner may pass only this role)",
  SMARTSCALE_SUBNET_IDS: 'comma-separated private subnet ids for workers and functions',
  SMARTSCALE_SECURITY_GROUP_IDS:
    'comma-separated security group ids allowed to reach the K3s API and Prometheus',
  SMARTSCALE_ZONES:
    'comma-separated availability zones matching the subnets, e.g. eu-west-1a,eu-west-1b',
} as const;

const list = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/**
 * Reads and checks the deploy settings; throws one error naming every
 * missing or malformed variable and what it should hold.
 */
export function readDeploySettings(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): DeploySettings {
  const problems: string[] = [];
  const policyJson = readPolicy(env.SMARTSCALE_CONFIG_FILE?.trim(), readFile, problems);
  for (const [name, what] of Object.entries(REQUIRED)) {
    if (!env[name]?.trim()) problems.push(`${name} is not set: expected ${what}`);
  }
  const get = (name: keyof typeof REQUIRED) => env[name]?.trim() ?? '';
  if (get('SMARTSCALE_CLUSTER_ID') && !/^[A-Za-z0-9-]{1,40}$/.test(get('SMARTSCALE_CLUSTER_ID'))) {
    problems.push(
      `SMARTSCALE_CLUSTER_ID '${get('SMARTSCALE_CLUSTER_ID')}' is invalid: expected 1-40 letters, digits or '-'`,
    );
  }
  for (const name of ['SMARTSCALE_PROMETHEUS_URL', 'SMARTSCALE_KUBE_API_URL'] as const) {
    const v = get(name);
    if (v && !/^https?:\/\/\S+$/.test(v))
      problems.push(`${name} '${v}' is invalid: expected ${REQUIRED[name]}`);
  }
  if (get('SMARTSCALE_KUBE_API_URL').startsWith('http://')) {
    problems.push(
      'SMARTSCALE_KUBE_API_URL must use https: the autoscaler verifies the API server certificate',
    );
  }
  const subnets = list(get('SMARTSCALE_SUBNET_IDS'));
  const zones = list(get('SMARTSCALE_ZONES'));
  if (subnets.length > 0 && zones.length > 0 && subnets.length !== zones.length) {
    problems.push(
      `SMARTSCALE_SUBNET_IDS has ${subnets.length} subnet(s) and SMARTSCALE_ZONES ${zones.length} zone(s): expected one private subnet per zone, in the same order`,
    );
  }
  const version = get('SMARTSCALE_LAUNCH_TEMPLATE_VERSION');
  if (version && !/^[1-9][0-9]{0,5}$/.test(version))
    problems.push(
      `SMARTSCALE_LAUNCH_TEMPLATE_VERSION '${version}' is invalid: expected ${REQUIRED.SMARTSCALE_LAUNCH_TEMPLATE_VERSION}`,
    );
  const reservedRaw = env.SMARTSCALE_RESERVED_CONCURRENCY?.trim();
  const reserved = reservedRaw ? Number(reservedRaw) : null;
  if (reserved !== null && !(Number.isInteger(reserved) && reserved >= 1 && reserved <= 100))
    problems.push(
      `SMARTSCALE_RESERVED_CONCURRENCY '${reservedRaw}' is invalid: expected a whole number 1-100 (or unset for none); the account must keep 10 unreserved, so check 'aws lambda get-account-settings' first`,
    );
  const optional: Partial<Record<keyof typeof OPTIONAL_ARNS, string>> = {};
  for (const [name, { pattern, what }] of Object.entries(OPTIONAL_ARNS)) {
    const v = env[name]?.trim();
    if (!v) continue;
    if (pattern.test(v)) optional[name as keyof typeof OPTIONAL_ARNS] = v;
    else problems.push(`${name} '${v}' is invalid: expected ${what}`);
  }
  if (problems.length > 0)
    throw new InvalidConfigError(
      // Each problem starts with the variable it is about.
      problems.map((p) => p.split(' ')[0]).join(', '),
      `SmartScale deploy settings are incomplete:\n  - ${problems.join('\n  - ')}`,
    );
  return {
    clusterId: get('SMARTSCALE_CLUSTER_ID'),
    prometheusUrl: get('SMARTSCALE_PROMETHEUS_URL'),
    kubeApiUrl: get('SMARTSCALE_KUBE_API_URL'),
    launchTemplateId: get('SMARTSCALE_LAUNCH_TEMPLATE_ID'),
    launchTemplateVersion: version,
    workerRoleName: get('SMARTSCALE_WORKER_ROLE_NAME'),
    subnetIds: list(get('SMARTSCALE_SUBNET_IDS')),
    securityGroupIds: list(get('SMARTSCALE_SECURITY_GROUP_IDS')),
    zones: list(get('SMARTSCALE_ZONES')),
    policyJson,
    reservedConcurrency: reserved,
    ...(optional.SMARTSCALE_SERVER_ROLE_ARN
      ? { serverRoleArn: optional.SMARTSCALE_SERVER_ROLE_ARN }
      : {}),
    ...(optional.SMARTSCALE_PARAMETER_KEY_ARN
      ? { parameterKeyArn: optional.SMARTSCALE_PARAMETER_KEY_ARN }
      : {}),
  };
}

/** Reads and validates the optional policy file; problems are collected, not thrown. */
function readPolicy(
  path: string | undefined,
  readFile: (path: string) => string,
  problems: string[],
): string {
  if (!path) return '{}';
  let text: string;
  try {
    text = readFile(path);
  } catch (err) {
    problems.push(`SMARTSCALE_CONFIG_FILE '${path}' cannot be read: ${(err as Error).message}`);
    return '{}';
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    problems.push(
      `SMARTSCALE_CONFIG_FILE '${path}' is not JSON: ${(err as Error).message}; expected the policy as a JSON object`,
    );
    return '{}';
  }
  try {
    parseConfig(value);
  } catch (err) {
    problems.push(`SMARTSCALE_CONFIG_FILE '${path}': ${(err as Error).message}`);
    return '{}';
  }
  // Compact, so it fits Lambda's 4 KB of environment with room to spare.
  const json = JSON.stringify(value);
  if (json.length > 2048)
    problems.push(
      `SMARTSCALE_CONFIG_FILE '${path}' is ${json.length} characters of JSON: expected at most 2048 (Lambda environment limit)`,
    );
  return json;
}

/** What `sst deploy` looks up about each worker subnet. */
export interface SubnetFacts {
  readonly id: string;
  readonly availabilityZone: string;
  readonly mapPublicIpOnLaunch: boolean;
}

/**
 * Checks the looked-up subnets against the settings: each in the zone given
 * for it, and none handing out public IPs (the launch template names no
 * network interface, so the subnet decides; workers must stay private).
 * Returns the problems, empty when all is well.
 */
export function workerSubnetProblems(
  settings: Pick<DeploySettings, 'zones'>,
  subnets: readonly SubnetFacts[],
): string[] {
  const problems: string[] = [];
  for (const [i, subnet] of subnets.entries()) {
    const zone = settings.zones[i];
    if (subnet.availabilityZone !== zone)
      problems.push(
        `SMARTSCALE_SUBNET_IDS: ${subnet.id} is in ${subnet.availabilityZone}, but SMARTSCALE_ZONES gives ${zone ?? 'no zone'} at that position`,
      );
    if (subnet.mapPublicIpOnLaunch)
      problems.push(
        `SMARTSCALE_SUBNET_IDS: ${subnet.id} gives new instances a public IP (MapPublicIpOnLaunch): expected a private subnet, workers get no public address`,
      );
  }
  return problems;
}

/** Lambda refuses a function whose environment variables total more than 4 KB. */
export const LAMBDA_ENVIRONMENT_LIMIT_BYTES = 4096;
/**
 * Room kept for the variables SST adds to every function (its app and
 * resource links, e.g. SST_RESOURCE_App): they are not ours to count.
 */
export const SST_ENVIRONMENT_ALLOWANCE_BYTES = 512;

/** The size Lambda counts: every name and value in UTF-8 bytes. */
export function environmentBytes(environment: Readonly<Record<string, string>>): number {
  return Object.entries(environment).reduce(
    (sum, [k, v]) => sum + Buffer.byteLength(k, 'utf8') + Buffer.byteLength(v, 'utf8'),
    0,
  );
}

/**
 * Null when `environment` fits Lambda's limit with SST's allowance, else the
 * problem with the numbers and the largest variables, so `sst deploy` stops
 * before CreateFunction does.
 */
export function environmentProblem(
  functionName: string,
  environment: Readonly<Record<string, string>>,
): string | null {
  const bytes = environmentBytes(environment);
  const budget = LAMBDA_ENVIRONMENT_LIMIT_BYTES - SST_ENVIRONMENT_ALLOWANCE_BYTES;
  if (bytes <= budget) return null;
  const largest = Object.entries(environment)
    .map(([k, v]) => [k, Buffer.byteLength(k) + Buffer.byteLength(v)] as const)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([k, n]) => `${k} ${n} bytes`)
    .join(', ');
  return `${functionName}: its environment is ${bytes} bytes, over the ${budget} bytes SmartScale may use (Lambda allows ${LAMBDA_ENVIRONMENT_LIMIT_BYTES}, ${SST_ENVIRONMENT_ALLOWANCE_BYTES} kept for SST's own variables); largest: ${largest}. Shorten the policy in SMARTSCALE_CONFIG_FILE (drop settings equal to their defaults) or the stage name.`;
}

/**
 * The environment every function gets, as deployed: `resourcesJson` is
 * SMARTSCALE_RESOURCES (the topic, queue and table references).
 */
export function functionEnvironment(
  prefix: string,
  settings: DeploySettings,
  resourcesJson: string,
  service: ServiceName,
): Record<string, string> {
  // Only the services that call the Kubernetes API get its parameters, each
  // the token of its own identity (the one its IAM policy may read).
  const identity = kubeIdentityOf(service);
  return {
    SMARTSCALE_PREFIX: prefix,
    SMARTSCALE_CLUSTER_ID: settings.clusterId,
    SMARTSCALE_PROMETHEUS_URL: settings.prometheusUrl,
    SMARTSCALE_KUBE_API_URL: settings.kubeApiUrl,
    SMARTSCALE_LAUNCH_TEMPLATE_ID: settings.launchTemplateId,
    SMARTSCALE_LAUNCH_TEMPLATE_VERSION: settings.launchTemplateVersion,
    SMARTSCALE_CONFIG: settings.policyJson,
    SMARTSCALE_RESOURCES: resourcesJson,
    SMARTSCALE_SUBNETS: settings.zones
      .map((z, i) => `${z}=${settings.subnetIds[i] ?? ''}`)
      .join(','),
    ...(identity
      ? {
          SMARTSCALE_KUBE_CA_PARAMETER: names.parameter(prefix, 'kubeCa'),
          SMARTSCALE_KUBE_TOKEN_PARAMETER: names.parameter(
            prefix,
            kubeIdentities[identity].parameter,
          ),
        }
      : {}),
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: `smartscale-${service}`,
  };
}

/**
 * Why the pinned launch template version cannot be deployed, or null. The
 * deploy reads the AMI and security groups the provisioner may launch
 * (stacks/iam.ts) from the template's default version, so the pinned
 * version must be that one; after the deploy a new default changes nothing.
 *
 * @example
 * launchTemplateVersionProblem({ launchTemplateId: 'lt-0abc', launchTemplateVersion: '3' }, 5);
 */
export function launchTemplateVersionProblem(
  settings: Pick<DeploySettings, 'launchTemplateId' | 'launchTemplateVersion'>,
  defaultVersion: number,
): string | null {
  if (String(defaultVersion) === settings.launchTemplateVersion) return null;
  return `SMARTSCALE_LAUNCH_TEMPLATE_VERSION is ${settings.launchTemplateVersion}, but the default version of ${settings.launchTemplateId} is ${defaultVersion}: the deploy scopes the provisioner's launches to the default version's AMI and security groups, so pin that one, or make version ${settings.launchTemplateVersion} the default first (aws ec2 modify-launch-template --launch-template-id ${settings.launchTemplateId} --default-version ${settings.launchTemplateVersion})`;
}
