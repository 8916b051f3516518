import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { ServiceResources } from '@smartscale/aws';
import { type ServiceName, ServiceNames } from '../../../../stacks/topology.ts';
import type { AppliedTopology } from '../aws/bootstrap.ts';
import { REPO_ROOT } from '../env.ts';
import type { WorkerNetwork } from './worker-network.ts';

export const SERVICES = ServiceNames;
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
    parameters: {
      joinToken: applied.parameters.joinToken,
      slackWebhook: applied.parameters.slackWebhook,
    },
  };
}

export interface ServicesOptions {
  readonly resources: ServiceResources;
  readonly awsEndpoint: string;
  readonly kubeconfigPath: string;
  readonly prometheusUrl: string;
  readonly network: WorkerNetwork;
  /** Policy configuration (JSON-able), validated by each service at start. */
  readonly config: unknown;
  readonly sampleIntervalMs: number;
  readonly watchGraceMs: number;
  readonly logDir: string;
  /** Each structured log line of every service. */
  readonly onLog?: (service: LocalServiceName, line: string) => void;
  readonly only?: readonly LocalServiceName[];
}

/** Running local services; `stop()` ends exactly the processes it started. */
export interface LocalServices {
  readonly pids: Record<string, number>;
  stop(): Promise<void>;
  /** Kills one service abruptly (SIGKILL), as a crash would. */
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
  await mkdir(options.logDir, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    SMARTSCALE_RESOURCES: JSON.stringify(options.resources),
    SMARTSCALE_AWS_ENDPOINT: options.awsEndpoint,
    AWS_REGION: 'us-east-1',
    SMARTSCALE_KUBECONFIG: options.kubeconfigPath,
    SMARTSCALE_PROMETHEUS_URL: options.prometheusUrl,
    SMARTSCALE_CONFIG: JSON.stringify(options.config),
    SMARTSCALE_LAUNCH_TEMPLATE_ID: options.network.launchTemplateId,
    SMARTSCALE_SUBNETS: options.network.subnets.map((s) => `${s.zone}=${s.subnetId}`).join(','),
    SMARTSCALE_SAMPLE_INTERVAL_MS: String(options.sampleIntervalMs),
    SMARTSCALE_WATCH_GRACE_MS: String(options.watchGraceMs),
    POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'INFO',
    SMARTSCALE_PROMQL_RATE_WINDOW: '5s',
    SMARTSCALE_PROMQL_STEP: '1s',
  };
  const children = new Map<LocalServiceName, ChildProcess>();
  const entry = join(REPO_ROOT, 'packages', 'local', 'src', 'services', 'service-process.ts');

  const launch = (service: LocalServiceName) => {
    const log = createWriteStream(join(options.logDir, `${service}.log`), { flags: 'a' });
    // The SDK's Node-version notice would repeat in every service's output.
    const child = spawn(
      process.execPath,
      ['--disable-warning=NodeVersionSupportWarning', '--import', 'tsx', entry, service],
      {
        cwd: REPO_ROOT,
        env: { ...env, POWERTOOLS_SERVICE_NAME: `smartscale-${service}` },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        log.write(`${line}\n`);
        options.onLog?.(service, line);
      });
    }
    child.on('exit', () => log.end());
    children.set(service, child);
  };

  for (const service of options.only ?? SERVICES) launch(service);

  const stopOne = (child: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
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
      return Object.fromEntries([...children].map(([s, c]) => [s, c.pid ?? -1]));
    },
    async stop() {
      await Promise.all([...children.values()].map((c) => stopOne(c, 'SIGTERM')));
    },
    async kill(service) {
      const child = children.get(service);
      if (child) await stopOne(child, 'SIGKILL');
    },
    restart(service) {
      launch(service);
    },
  };
}
