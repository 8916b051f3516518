import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  createAwsClients,
  localAwsOptions,
  resolveConfig,
  type ServiceResources,
} from '@smartscale/aws';
import { parseConfig } from '@smartscale/core';
import {
  type KubeIdentity,
  kubeIdentityOf,
  type ServiceName,
  ServiceNames,
} from '@smartscale/stacks';
import type { AppliedTopology } from '../aws/bootstrap.ts';
import { REPO_ROOT } from '../env.ts';
import { spawnServer } from '../own-session.ts';
import type { WorkerNetwork } from './worker-network.ts';

export const SERVICES = ServiceNames;
/** Crashes of one service the runtime recovers from before it gives up. */
const MAX_RESTARTS = 5;
export type LocalServiceName = ServiceName;

/** The addresses services need, from what the bootstrap applied to moto. */
export function toServiceResources(applied: AppliedTopology, clusterId: string): ServiceResources {
  const queues = Object.fromEntries(
    Object.entries(applied.queues).map(([name, q]) => [
      name,
      { url: q.url, arn: q.arn, dlqUrl: q.dlqUrl },
    ]),
  ) as ServiceResources['queues'];
  return {
    prefix: applied.prefix,
    clusterId,
    topics: {
      samples: applied.topics.samples.arn,
      commands: applied.topics.commands.arn,
      events: applied.topics.events.arn,
    },
    queues,
    tables: { state: applied.tables.state.name, audit: applied.tables.audit.name },
    buckets: { samples: applied.buckets.samples.name },
    parameters: {
      joinToken: applied.parameters.joinToken,
      slackWebhook: applied.parameters.slackWebhook,
    },
  };
}

export interface ServicesOptions {
  readonly resources: ServiceResources;
  readonly awsEndpoint: string;
  /**
   * A kubeconfig per Kubernetes identity (LocalCluster.kubeconfigs): each
   * service gets its own identity's, as each function reads its own token.
   */
  readonly kubeconfigs: Readonly<Record<KubeIdentity, string>>;
  readonly prometheusUrl: string;
  readonly network: WorkerNetwork;
  /** Policy configuration (JSON-able), validated by each service at start. */
  readonly config: unknown;
  readonly sampleIntervalMs: number;
  /** The reconciler's period (its schedule is every 2 minutes in AWS). */
  readonly reconcileIntervalMs?: number;
  readonly watchGraceMs: number;
  /** The sampler's pending-pod watch; false samples on the schedule only. Default true. */
  readonly sampleWatch?: boolean;
  readonly logDir: string;
  /** Each structured log line of every service (`replica` counts from 0). */
  readonly onLog?: (service: LocalServiceName, line: string, replica: number) => void;
  readonly only?: readonly LocalServiceName[];
  /** Processes per service (default 1): concurrent consumers of one queue, as Lambda scales out. */
  readonly replicas?: Partial<Record<LocalServiceName, number>>;
  /**
   * A fault each service's first process injects (SMARTSCALE_FAULT, e.g.
   * `crash-after-launch`); the process restarted after the crash runs without it.
   */
  readonly faults?: Partial<Record<LocalServiceName, string>>;
  /** The queues' visibility timeout when time is compressed (the runners extend by it). */
  readonly visibilityTimeoutSeconds?: number;
}

/** Running local services; `stop()` ends exactly the processes it started. */
export interface LocalServices {
  /** Process id of each service's first replica. */
  readonly pids: Record<string, number>;
  /** Times a service process exited on its own and was started again. */
  readonly restarts: Record<string, number>;
  stop(): Promise<void>;
  /** Kills one service abruptly (SIGKILL), as a crash would; it stays down. */
  kill(service: LocalServiceName): Promise<void>;
  /** Starts a service again after `kill`. */
  restart(service: LocalServiceName): void;
}

/**
 * Starts every service as its own process running its Lambda handler, the
 * consumers fed by queue runners and the sampler by its timer and watch.
 *
 * @example
 * const services = await startServices({ resources, awsEndpoint, ... });
 * await services.stop();
 */
export async function startServices(options: ServicesOptions): Promise<LocalServices> {
  await assertInstanceTypesResolve(options.awsEndpoint, options.config);
  await mkdir(options.logDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SMARTSCALE_RESOURCES: JSON.stringify(options.resources),
    SMARTSCALE_AWS_ENDPOINT: options.awsEndpoint,
    AWS_REGION: 'us-east-1',
    SMARTSCALE_PROMETHEUS_URL: options.prometheusUrl,
    SMARTSCALE_CONFIG: JSON.stringify(options.config),
    SMARTSCALE_LAUNCH_TEMPLATE_ID: options.network.launchTemplateId,
    SMARTSCALE_SUBNETS: options.network.subnets.map((s) => `${s.zone}=${s.subnetId}`).join(','),
    SMARTSCALE_SAMPLE_INTERVAL_MS: String(options.sampleIntervalMs),
    SMARTSCALE_RECONCILE_INTERVAL_MS: String(options.reconcileIntervalMs ?? 120_000),
    SMARTSCALE_WATCH_GRACE_MS: String(options.watchGraceMs),
    SMARTSCALE_SAMPLER_WATCH: options.sampleWatch === false ? 'off' : 'on',
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    SMARTSCALE_PROMQL_RATE_WINDOW: '5s',
    SMARTSCALE_PROMQL_STEP: '1s',
    // The load exporter names each node in `instance` (no relabelling locally).
    SMARTSCALE_PROMQL_NODE_LABEL: 'instance',
    // Fault hooks are honoured only in processes this runtime starts.
    SMARTSCALE_LOCAL_PROCESS: '1',
    ...(options.visibilityTimeoutSeconds !== undefined
      ? { SMARTSCALE_VISIBILITY_TIMEOUT_SECONDS: String(options.visibilityTimeoutSeconds) }
      : {}),
  };
  delete env.SMARTSCALE_FAULT;
  delete env.SMARTSCALE_KUBECONFIG;
  // A service without an identity gets no kubeconfig, as its function gets no token.
  const kubeEnv = (service: LocalServiceName): NodeJS.ProcessEnv => {
    const id = kubeIdentityOf(service);
    return id ? { SMARTSCALE_KUBECONFIG: options.kubeconfigs[id] } : {};
  };
  const children = new Map<LocalServiceName, ChildProcess[]>();
  const restarts: Record<string, number> = {};
  // Processes ended on purpose (stop, kill) are not restarted.
  const ending = new Set<ChildProcess>();
  let stopping = false;
  const entry = join(REPO_ROOT, 'packages', 'local', 'src', 'services', 'service-process.ts');

  const launch = (service: LocalServiceName, replica: number, fault: string | undefined) => {
    const log = createWriteStream(
      join(options.logDir, replica === 0 ? `${service}.log` : `${service}-${replica}.log`),
      { flags: 'a' },
    );
    // The SDK's Node-version notice would repeat in every service's output.
    const child = spawnServer(
      process.execPath,
      ['--disable-warning=NodeVersionSupportWarning', '--import', 'tsx', entry, service],
      {
        cwd: REPO_ROOT,
        env: {
          ...env,
          ...kubeEnv(service),
          POWERTOOLS_SERVICE_NAME: `smartscale-${service}`,
          ...(fault ? { SMARTSCALE_FAULT: fault } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        options.onLog?.(service, line, replica);
      });
    }
    child.on('exit', (code, signal) => {
      log.end();
      if (stopping || ending.has(child)) return;
      // A crash, as Lambda would see one: the next invocation gets a fresh
      // process, and the messages it held come back after their visibility timeout.
      const how = signal ?? `code ${code}`;
      if ((restarts[service] ?? 0) >= MAX_RESTARTS) {
        // A service that keeps dying (bad configuration) would only spin.
        const line = `local runtime: ${service} exited (${how}) after ${MAX_RESTARTS} restarts; leaving it down (see ${service}.log)`;
        console.error(`[smartscale/local] ${line}`);
        options.onLog?.(service, line, replica);
        return;
      }
      restarts[service] = (restarts[service] ?? 0) + 1;
      options.onLog?.(
        service,
        `local runtime: ${service} exited (${how}); starting it again`,
        replica,
      );
      setTimeout(() => {
        if (!stopping && !ending.has(child))
          replace(service, child, launch(service, replica, undefined));
      }, 500);
    });
    return child;
  };
  const replace = (service: LocalServiceName, old: ChildProcess, next: ChildProcess) => {
    const list = children.get(service) ?? [];
    children.set(
      service,
      list.map((c) => (c === old ? next : c)),
    );
  };

  for (const service of options.only ?? SERVICES) {
    const count = options.replicas?.[service] ?? 1;
    children.set(
      service,
      Array.from({ length: count }, (_, replica) =>
        launch(service, replica, replica === 0 ? options.faults?.[service] : undefined),
      ),
    );
  }

  const stopOne = (child: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      ending.add(child);
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });

  return {
    get pids() {
      return Object.fromEntries([...children].map(([s, c]) => [s, c[0]?.pid ?? -1]));
    },
    restarts,
    async stop() {
      stopping = true;
      await Promise.all([...children.values()].flat().map((c) => stopOne(c, 'SIGTERM')));
    },
    async kill(service) {
      await Promise.all((children.get(service) ?? []).map((c) => stopOne(c, 'SIGKILL')));
    },
    restart(service) {
      const count = options.replicas?.[service] ?? 1;
      children.set(
        service,
        Array.from({ length: count }, (_, replica) => launch(service, replica, undefined)),
      );
    },
  };
}

/**
 * Resolves the config's instance types against the local EC2 (moto) before
 * any service starts, as the decider and the provisioner do at start-up: an
 * unknown type or requirements nothing matches stop the local stack here,
 * naming the setting, rather than in two services' logs.
 */
async function assertInstanceTypesResolve(awsEndpoint: string, config: unknown): Promise<void> {
  const aws = createAwsClients(localAwsOptions(awsEndpoint));
  try {
    await resolveConfig(aws.ec2, 'us-east-1', parseConfig(config));
  } finally {
    aws.destroy();
  }
}
