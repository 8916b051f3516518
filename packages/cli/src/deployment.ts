import { existsSync, readFileSync } from 'node:fs';
import {
  AuditLog,
  type AwsClients,
  awsOptionsFromEnv,
  ClusterLock,
  ClusterStateStore,
  configFromEnv,
  createAwsClients,
  localAwsOptions,
  ReconciliationLog,
  resourcesFromEnv,
  type ServiceResources,
  ServiceResourcesSchema,
} from '@smartscale/aws';
import { InvalidConfigError } from '@smartscale/contracts';
import { type Config, parseConfig } from '@smartscale/core';
import { type EnvState, isAlive, STATE_FILE } from '@smartscale/local/env';
import { readJsonArg } from './args.js';
import { UsageError } from './command.js';

/** Where the command looks for the deployment, first match wins. */
export interface DeploymentOptions {
  /** `--resources FILE`: the resources JSON (the shape of `SMARTSCALE_RESOURCES`). */
  readonly resourcesFile?: string;
  /** `--kubeconfig FILE`: Kubernetes access for worker counts from the API. */
  readonly kubeconfig?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** The state file `npm start` (or `npm run local:up`) writes; this checkout's by default. */
  readonly localStateFile?: string;
}

/** The AWS resources of one SmartScale deployment and clients to read and change them. */
export interface Deployment {
  readonly resources: ServiceResources;
  readonly clusterId: string;
  /** Where the resources came from, for people (e.g. `--resources prod.json`). */
  readonly source: string;
  /** The AWS endpoint called, named in errors. */
  readonly endpoint: string;
  /** How `clients` were configured, for clients of other services (doctor's IAM, Lambda, Service Quotas). */
  readonly awsOptions: NonNullable<Parameters<typeof createAwsClients>[0]>;
  readonly clients: AwsClients;
  readonly state: ClusterStateStore;
  readonly lock: ClusterLock;
  readonly audit: AuditLog;
  /** The reconciler's last pass per cluster. */
  readonly reconciliations: ReconciliationLog;
  /**
   * The policy the deployment runs with (cooldowns in status): the one the
   * local environment recorded, else SMARTSCALE_CONFIG, else the defaults.
   */
  readonly config: Config;
  /** A kubeconfig for the cluster's API, when one was given or the local environment has one. */
  readonly kubeconfig?: string;
  close(): void;
}

/** An AWS (or Kubernetes) endpoint that did not answer: exit 1 with its address. */
export class EndpointUnreachableError extends Error {
  override readonly name = 'EndpointUnreachableError';
}

const NETWORK_ERRORS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'TimeoutError',
]);

/** The network error code of a failed call (ECONNREFUSED, ...), or null for any other error. */
export function networkErrorCode(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_ERRORS.has(code)) return code;
  if (NETWORK_ERRORS.has(error.name)) return error.name;
  const cause = (error as { cause?: unknown }).cause;
  return cause && cause !== error ? networkErrorCode(cause) : null;
}

/**
 * `--resources FILE` read and checked against the services' resource schema;
 * problems are UsageErrors naming the option and every bad field.
 */
export function readResourcesFile(path: string): ServiceResources {
  const value = readJsonArg('resources', path);
  const parsed = ServiceResourcesSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new UsageError(
      `--resources: ${path} is not a SmartScale resources file (${problems.join('; ')})`,
    );
  }
  return parsed.data;
}

interface LocalDeployment {
  readonly resources: ServiceResources;
  readonly endpoint: string;
  readonly region: string;
  readonly kubeconfig?: string;
  /** The policy `npm start` runs the services with, when it recorded one. */
  readonly config?: Config;
  readonly running: boolean;
}

/** The policy in the state file's `smartscale` part; an unreadable one names the file and field. */
function recordedConfig(state: EnvState, file: string): Config | undefined {
  const recorded = state.parts.find((p) => p.name === 'smartscale')?.details.config;
  if (recorded === undefined) return undefined;
  try {
    return parseConfig(recorded);
  } catch (error) {
    throw new InvalidConfigError(
      file,
      `${file}: the recorded policy (parts[name=smartscale].details.config) is not a SmartScale config: ${(error as Error).message}`,
    );
  }
}

/** The deployment `npm run local:up` recorded, or null when there is none (or it predates `resources`). */
export function readLocalDeployment(file: string = STATE_FILE): LocalDeployment | null {
  if (!existsSync(file)) return null;
  const state = JSON.parse(readFileSync(file, 'utf8')) as EnvState;
  const aws = state.parts.find((p) => p.name === 'aws')?.details;
  const parsed = ServiceResourcesSchema.safeParse(aws?.resources);
  if (!aws || !parsed.success || typeof aws.endpoint !== 'string') return null;
  const cluster = state.parts.find((p) => p.name === 'cluster')?.details;
  const kubeconfig = cluster?.autoscalerKubeconfig;
  const config = recordedConfig(state, file);
  return {
    resources: parsed.data,
    endpoint: aws.endpoint,
    region: typeof aws.region === 'string' ? aws.region : 'us-east-1',
    ...(typeof kubeconfig === 'string' ? { kubeconfig } : {}),
    ...(config ? { config } : {}),
    running: isAlive(state.pid),
  };
}

type Next = (args: unknown) => Promise<unknown>;
type Stack = { add(middleware: (next: Next) => Next, options: object): void };

/** Turns connection failures of every call of `clients` into EndpointUnreachableError. */
function reportUnreachable(clients: AwsClients, endpoint: string, hint: string): void {
  const translate =
    (next: Next): Next =>
    async (args) => {
      try {
        return await next(args);
      } catch (error) {
        const code = networkErrorCode(error);
        if (!code) throw error;
        throw new EndpointUnreachableError(
          `cannot reach the AWS endpoint ${endpoint} (${code})${hint}`,
          { cause: error },
        );
      }
    };
  // s3: explain reads snapshots too big for the audit log from the samples bucket.
  for (const client of [
    clients.sqs,
    clients.sns,
    clients.dynamodb,
    clients.ssm,
    clients.ec2,
    clients.s3,
  ]) {
    // Outside the retry step: report once the SDK has given up.
    (client.middlewareStack as unknown as Stack).add(translate, {
      step: 'initialize',
      name: 'smartscaleUnreachableEndpoint',
    });
  }
}

/**
 * Finds the deployment the operator means: `--resources FILE`, else
 * `SMARTSCALE_RESOURCES` (with the AWS SDK's usual environment, and
 * `SMARTSCALE_AWS_ENDPOINT` or `AWS_ENDPOINT_URL` for a local endpoint),
 * else the local environment of `npm run local:up`. Nothing is called yet.
 *
 * @example
 * const deployment = resolveDeployment({ resourcesFile: values.resources });
 * try { await deployment.state.load(deployment.clusterId); } finally { deployment.close(); }
 */
export function resolveDeployment(options: DeploymentOptions = {}): Deployment {
  const env = options.env ?? process.env;
  let resources: ServiceResources;
  let source: string;
  let awsOptions = awsOptionsFromEnv(env);
  let hint = '';
  let kubeconfig = options.kubeconfig ?? env.SMARTSCALE_KUBECONFIG;
  let config: Config | undefined;
  if (options.resourcesFile) {
    resources = readResourcesFile(options.resourcesFile);
    source = `--resources ${options.resourcesFile}`;
  } else if (env.SMARTSCALE_RESOURCES) {
    resources = resourcesFromEnv(env);
    source = 'SMARTSCALE_RESOURCES';
  } else {
    const stateFile = options.localStateFile ?? STATE_FILE;
    const local = readLocalDeployment(stateFile);
    if (!local) {
      throw new InvalidConfigError(
        'SMARTSCALE_RESOURCES',
        `no deployment to talk to: pass --resources FILE, set SMARTSCALE_RESOURCES (the services' resources JSON), or start the local environment with 'npm start' (no usable ${stateFile})`,
      );
    }
    resources = local.resources;
    source = `local environment (${stateFile})`;
    awsOptions = localAwsOptions(local.endpoint, local.region);
    kubeconfig ??= local.kubeconfig;
    // The services run with what `npm start` recorded, not the defaults.
    config = local.config;
    hint = local.running
      ? '; is the local environment still up?'
      : `; the local environment that wrote ${stateFile} is not running: start it with 'npm start'`;
  }
  const clients = createAwsClients({ ...awsOptions, maxAttempts: 2, connectionTimeoutMs: 3000 });
  const endpoint =
    awsOptions.endpoint ??
    env.AWS_ENDPOINT_URL ??
    `of AWS in ${awsOptions.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'the default region'}`;
  reportUnreachable(clients, endpoint, hint);
  const tableName = resources.tables.state;
  return {
    resources,
    clusterId: resources.clusterId,
    source,
    endpoint,
    awsOptions,
    clients,
    state: new ClusterStateStore({ documents: clients.documents, tableName }),
    // The decider's lease length: an operator holds the lock just as briefly.
    lock: new ClusterLock({ documents: clients.documents, tableName, leaseMs: 30_000 }),
    audit: new AuditLog({ documents: clients.documents, tableName: resources.tables.audit }),
    reconciliations: new ReconciliationLog({ documents: clients.documents, tableName }),
    // Read when asked: a command that needs no policy never fails on SMARTSCALE_CONFIG.
    get config() {
      return config ?? configFromEnv(env);
    },
    ...(kubeconfig ? { kubeconfig } : {}),
    close: () => clients.destroy(),
  };
}

/** Options every command that talks to a deployment takes, for `parseCommandArgs`. */
export const deploymentArgs = {
  resources: { type: 'string' },
  kubeconfig: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Usage lines of `deploymentArgs`. */
export const deploymentUsage = `  --resources FILE      the deployment's resources JSON (as in SMARTSCALE_RESOURCES);
                        default: SMARTSCALE_RESOURCES, else the 'npm start' environment
  --json                print JSON instead of tables`;

/**
 * Resolves the deployment, runs `work` with it and closes its clients.
 *
 * @example
 * return withDeployment(values, async (d) => { ... });
 */
export async function withDeployment<T>(
  values: { resources?: string | undefined; kubeconfig?: string | undefined },
  work: (deployment: Deployment) => Promise<T>,
): Promise<T> {
  const deployment = resolveDeployment({
    ...(values.resources ? { resourcesFile: values.resources } : {}),
    ...(values.kubeconfig ? { kubeconfig: values.kubeconfig } : {}),
  });
  try {
    return await work(deployment);
  } finally {
    deployment.close();
  }
}
