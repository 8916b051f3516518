// The whole local environment in one call: moto with the topology, a real
// control plane with kwok workers, Prometheus fed by the load exporter, the
// join agent, and the seven services as processes. Used by `npm run demo`
// and the end-to-end tests; stop() undoes exactly what start did.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { type AwsClients, createAwsClients, localAwsOptions, Parameters } from '@smartscale/aws';
import type { PodInfo } from '@smartscale/contracts';
import { parseConfig } from '@smartscale/core';
import { ClusterClient } from '@smartscale/k8s';
import type { KubeIdentity } from '@smartscale/stacks';
import { type AppliedTopology, applyTopology } from './aws/bootstrap.ts';
import { type MotoServer, startMoto } from './aws/moto-server.ts';
import { type LocalCluster, startLocalCluster } from './cluster/start.ts';
import { type JoinAgent, startJoinAgent } from './join-agent.ts';
import { type ClusterLoadExporter, startClusterLoadExporter } from './prometheus/pod-load.ts';
import { type LocalPrometheus, startPrometheus } from './prometheus/start.ts';
import {
  type LocalServiceName,
  type LocalServices,
  startServices,
  toServiceResources,
} from './services/run-services.ts';
import { createWorkerNetwork, type WorkerNetwork } from './services/worker-network.ts';

export interface StackOptions {
  /** Resource prefix and cluster id; unique per test run. */
  readonly name: string;
  /** Policy configuration handed to every service. */
  readonly config: unknown;
  /** Seconds from "running" to the Node registering (the worker's boot). */
  readonly bootSeconds: number;
  readonly neverJoinShare?: number;
  /** Share of each pod's CPU request in use, over time (the workload trace). */
  readonly cpuUsage: (pod: PodInfo, now: Date) => number;
  readonly sampleIntervalMs: number;
  /** The reconciler's period; 2 minutes (its AWS schedule) when absent. */
  readonly reconcileIntervalMs?: number;
  /** moto forgets a terminated instance after this many seconds (EC2: about an hour); absent: never. */
  readonly terminatedTtlSeconds?: number;
  readonly watchGraceMs: number;
  /** The sampler's pending-pod watch; false samples on the schedule only. Default true. */
  readonly sampleWatch?: boolean;
  readonly zones?: readonly string[];
  readonly services?: readonly LocalServiceName[];
  /** Processes per service (default 1), e.g. ten deciders racing for one cluster. */
  readonly replicas?: Partial<Record<LocalServiceName, number>>;
  /** Faults the services' first processes inject once (SMARTSCALE_FAULT). */
  readonly faults?: Partial<Record<LocalServiceName, string>>;
  /** Written to the Slack webhook SecureString before the notifier starts. */
  readonly slackWebhookUrl?: string;
  readonly log?: (line: string) => void;
  readonly onServiceLog?: (service: LocalServiceName, line: string, replica: number) => void;
  /** An existing moto to use instead of starting one (tests share one). */
  readonly moto?: MotoServer;
  /** An existing control plane to use instead of starting one. */
  readonly cluster?: LocalCluster;
  /** Queue visibility timeouts in seconds (compressed time); the topology's when absent. */
  readonly visibilityTimeoutSeconds?: number;
  /**
   * Puts something (the soak's fault proxies) between the services and the
   * real moto, Prometheus and API server: given the direct addresses, the
   * ones the services get instead; `close` runs when the stack stops.
   */
  readonly servicesVia?: (direct: ServiceEndpoints) => Promise<ServiceEndpoints & Closable>;
  /** Instances the join agent never registers (a worker that never joins), asked each time it would. */
  readonly neverJoin?: (instanceId: string) => boolean;
}

/** Where the services reach AWS, Prometheus and the API server. */
export interface ServiceEndpoints {
  readonly aws: string;
  readonly prometheus: string;
  /** Kubeconfig files by identity (their server and CA). */
  readonly kubeconfigs: Readonly<Record<KubeIdentity, string>>;
}

interface Closable {
  close(): Promise<void>;
}

export interface LocalStack {
  readonly moto: MotoServer;
  readonly aws: AwsClients;
  readonly applied: AppliedTopology;
  readonly cluster: LocalCluster;
  readonly admin: KubeConfig;
  readonly prometheus: LocalPrometheus;
  readonly exporter: ClusterLoadExporter;
  readonly joinAgent: JoinAgent;
  readonly network: WorkerNetwork;
  readonly services: LocalServices;
  readonly clusterId: string;
  readonly logDir: string;
  stop(): Promise<void>;
}

export async function startLocalStack(options: StackOptions): Promise<LocalStack> {
  const log = options.log ?? ((line: string) => console.error(`[smartscale/local] ${line}`));
  const undo: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const step of undo.reverse())
      await step().catch((err: Error) => log(`stop: ${err.message}`));
    undo.length = 0;
  };
  try {
    const moto =
      options.moto ??
      (await startMoto(
        options.terminatedTtlSeconds !== undefined
          ? { terminatedTtlSeconds: options.terminatedTtlSeconds }
          : {},
      ));
    if (!options.moto) undo.push(() => moto.stop());
    const aws = createAwsClients(localAwsOptions(moto.endpoint));
    undo.push(async () => aws.destroy());
    const applied = await applyTopology(aws, options.name, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds,
    });
    const network = await createWorkerNetwork(
      aws.ec2,
      options.name,
      options.zones ?? ['us-east-1a', 'us-east-1b'],
    );

    const cluster = options.cluster ?? (await startLocalCluster({}));
    if (!options.cluster) undo.push(() => cluster.stop());
    const admin = new KubeConfig();
    admin.loadFromFile(cluster.adminKubeconfig);
    const autoscaler = new KubeConfig();
    autoscaler.loadFromFile(cluster.autoscalerKubeconfig);

    const exporter = await startClusterLoadExporter({
      cluster: new ClusterClient(autoscaler),
      trace: (pod, now) => ({ cpu: options.cpuUsage(pod, now), memory: 1 }),
      refreshMs: 1000,
    });
    undo.push(() => exporter.close());
    const prometheus = await startPrometheus({
      jobs: [{ job: 'node-exporter', targets: [exporter.target], honorLabels: true }],
      intervalSeconds: 1,
    });
    undo.push(() => prometheus.stop());

    const joinAgent = startJoinAgent({
      ec2: aws.ec2,
      kubeConfig: admin,
      clusterId: options.name,
      bootSeconds: options.bootSeconds,
      neverJoinShare: options.neverJoinShare ?? 0,
      ...(options.neverJoin ? { neverJoin: options.neverJoin } : {}),
      taints: parseConfig(options.config).instance.taints,
      reserved: parseConfig(options.config).instance.reserved,
      pollMs: 500,
      log,
    });
    undo.push(() => joinAgent.stop());

    if (options.slackWebhookUrl !== undefined) {
      await new Parameters({ ssm: aws.ssm }).putSecure(
        applied.parameters.slackWebhook,
        options.slackWebhookUrl,
      );
    }

    const logDir = mkdtempSync(join(tmpdir(), `smartscale-${options.name}-logs-`));
    const direct: ServiceEndpoints = {
      aws: moto.endpoint,
      prometheus: prometheus.url,
      kubeconfigs: cluster.kubeconfigs,
    };
    const via = options.servicesVia ? await options.servicesVia(direct) : direct;
    if ('close' in via) undo.push(() => (via as Closable).close());
    const services = await startServices({
      resources: toServiceResources(applied, options.name),
      awsEndpoint: via.aws,
      kubeconfigs: via.kubeconfigs,
      prometheusUrl: via.prometheus,
      network,
      config: options.config,
      sampleIntervalMs: options.sampleIntervalMs,
      ...(options.reconcileIntervalMs !== undefined
        ? { reconcileIntervalMs: options.reconcileIntervalMs }
        : {}),
      watchGraceMs: options.watchGraceMs,
      ...(options.sampleWatch === false ? { sampleWatch: false } : {}),
      logDir,
      ...(options.onServiceLog ? { onLog: options.onServiceLog } : {}),
      ...(options.services ? { only: options.services } : {}),
      ...(options.replicas ? { replicas: options.replicas } : {}),
      ...(options.faults ? { faults: options.faults } : {}),
      ...(options.visibilityTimeoutSeconds !== undefined
        ? { visibilityTimeoutSeconds: options.visibilityTimeoutSeconds }
        : {}),
    });
    undo.push(() => services.stop());
    log(
      `local stack '${options.name}' up: moto ${moto.endpoint}, API ${cluster.server}, Prometheus ${prometheus.url}, logs ${logDir}`,
    );
    return {
      moto,
      aws,
      applied,
      cluster,
      admin,
      prometheus,
      exporter,
      joinAgent,
      network,
      services,
      clusterId: options.name,
      logDir,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
