import type { Utilization } from '@smartscale/contracts';
import { costUsd, podAllocatable } from '@smartscale/core';
import { SimCluster, type SimNode } from './cluster.js';
import type { SimOptions } from './model.js';
import { seededRandom } from './prng.js';
import type { PoolCrunch } from './spot-pools.js';
import { TRACE_STEP_SECONDS, type Trace, type TracePoint } from './trace.js';

/** What a policy sees and may act on at one step of virtual time. */
export interface PolicyContext {
  /** Seconds since the start of the trace. */
  readonly now: number;
  readonly cluster: SimCluster;
  readonly options: SimOptions;
  readonly point: TracePoint;
  /** Wall-clock time of `now`. */
  at(seconds?: number): Date;
  /** Average CPU and memory of Ready nodes, now and over the policy windows. */
  utilization(): Utilization;
  /** Average CPU of Ready nodes now (0 to 1). */
  cpuNow(): number;
  memoryNow(): number;
}

/** What a policy does when AWS warns that a Spot node will be reclaimed. */
export type SpotResponse = 'drain-now' | 'ride-out';

/** A scaling policy under test. It acts on the cluster through `ctx.cluster`. */
export interface Policy {
  readonly name: string;
  /** Workers at t=0 (already Ready). */
  initialNodes(trace: Trace, options: SimOptions): { count: number; onDemandOnly?: boolean };
  /** Called every step after pods were scheduled. */
  step(ctx: PolicyContext): void;
  onNodeReady?(node: SimNode, ctx: PolicyContext): void;
  onNodeTerminated?(node: SimNode, ctx: PolicyContext): void;
  onSpotWarning?(node: SimNode, ctx: PolicyContext): SpotResponse;
  /** Policy-specific facts about the run (e.g. what prediction did), for reports. */
  report?(): PolicyReport;
}

export type PolicyReport = Readonly<Record<string, number | string | null>>;

/** The six numbers every run reports (the keys of `smartscale sim --json`). */
export interface SimMetrics {
  node_hours: number;
  cost_usd: number;
  pending_pod_seconds: number;
  max_pending_seconds: number;
  scale_ups: number;
  scale_downs: number;
}

/** One row a minute for charts. */
export interface TimelinePoint {
  readonly t: number;
  readonly replicas: number;
  /** Billed workers: booting, Ready and draining. */
  readonly nodes: number;
  readonly readyNodes: number;
  readonly pendingPods: number;
}

export interface SimResult {
  readonly policy: string;
  readonly trace: string;
  readonly metrics: SimMetrics;
  readonly details: {
    /** Cost if bought with the purchase mix actually simulated (Spot share, on-demand base). */
    readonly costWithSpotUsd: number;
    readonly spotSavingsUsd: number;
    readonly nodesAdded: number;
    readonly replacements: number;
    readonly spotInterruptions: number;
    readonly flaps: number;
    readonly durationSeconds: number;
    /** With several instance types or Spot pools (options.instanceTypes): what was launched where. */
    readonly instanceMix?: InstanceMixDetails;
  };
  readonly timeline: readonly TimelinePoint[];
  /** What the policy reports about itself; empty when it has nothing to say. */
  readonly policyReport: PolicyReport;
}

/** A run's instance types and Spot pools, priced per type. */
export interface InstanceMixDetails {
  /** Workers launched (initial ones included), by instance type. */
  readonly launchedByType: Readonly<Record<string, number>>;
  /** Spot workers whose pool crunched (each gets a two-minute warning). */
  readonly spotInterruptions: number;
  readonly poolCrunches: number;
  readonly iceFallbacks: number;
  readonly iceRefusals: number;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

function windowExtreme(
  history: Float64Array,
  i: number,
  samples: number,
  pick: (a: number, b: number) => number,
): number {
  let value = history[i] as number;
  for (let j = Math.max(0, i - samples + 1); j < i; j++) value = pick(value, history[j] as number);
  return value;
}

/** The workers a pool's crunch reclaims: its Ready Spot workers not already leaving. */
export function inCrunch(nodes: readonly SimNode[], crunch: PoolCrunch): SimNode[] {
  return nodes.filter(
    (n) =>
      n.capacityType === 'spot' &&
      n.instanceType === crunch.instanceType &&
      n.zone === crunch.zone &&
      n.ready &&
      n.terminateAt === null &&
      n.terminatedAt === null,
  );
}

/**
 * Runs `policy` over `trace` in virtual time. Each step: nodes finish
 * booting or draining, the deployment is brought to the trace's replicas,
 * Pending pods are scheduled, metrics are recorded, the policy acts, and
 * Spot interruptions are drawn from a seeded PRNG. Deterministic for a given
 * trace, policy and options.
 *
 * @example
 * const result = simulate(loadTrace('day.csv'), createPolicy('smartscale', trace, options), options);
 */
export function simulate(trace: Trace, policy: Policy, options: SimOptions): SimResult {
  const { stepSeconds, config } = options;
  const cluster = new SimCluster(options);
  const random = seededRandom(options.seed);
  const end = trace.points.length * TRACE_STEP_SECONDS;
  const steps = end / stepSeconds;
  const cpu = new Float64Array(steps);
  const memory = new Float64Array(steps);
  const room = podAllocatable(config);
  // Pod room of the Ready workers: one size unless options.instanceTypes.
  const readyRoom = (nodes: readonly SimNode[]) => {
    if (!options.instanceTypes)
      return {
        cpuMillis: nodes.length * room.cpuMillis,
        memoryBytes: nodes.length * room.memoryBytes,
      };
    let cpuMillis = 0;
    let memoryBytes = 0;
    for (const n of nodes) {
      cpuMillis += n.allocatable.cpuMillis;
      memoryBytes += n.allocatable.memoryBytes;
    }
    return { cpuMillis, memoryBytes };
  };
  const { podCpuMillis, podMemoryBytes } = options.workload;
  const upSamples = Math.max(1, Math.round(config.scaleUp.cpuSustainSeconds / stepSeconds));
  const downSamples = Math.max(1, Math.round(config.scaleDown.sustainSeconds / stepSeconds));
  const interruptChance = (options.spot.interruptionsPerNodeHour * stepSeconds) / 3600;
  const startMs = options.startAt.getTime();
  const timeline: TimelinePoint[] = [];

  let i = 0;
  let point = trace.points[0] as TracePoint;
  const ctx: PolicyContext = {
    get now() {
      return i * stepSeconds;
    },
    cluster,
    options,
    get point() {
      return point;
    },
    at: (seconds = i * stepSeconds) => new Date(startMs + seconds * 1000),
    cpuNow: () => cpu[i] as number,
    memoryNow: () => memory[i] as number,
    utilization: () => ({
      available: true,
      cpu: {
        now: cpu[i] as number,
        upWindowMin: windowExtreme(cpu, i, upSamples, Math.min),
        downWindowMax: windowExtreme(cpu, i, downSamples, Math.max),
      },
      memory: {
        now: memory[i] as number,
        downWindowMax: windowExtreme(memory, i, downSamples, Math.max),
      },
    }),
  };

  const initial = policy.initialNodes(trace, options);
  cluster.launch(initial.count, 0, {
    initial: true,
    ...(initial.onDemandOnly ? { capacityType: 'on-demand' as const } : {}),
  });

  for (i = 0; i < steps; i++) {
    const t = i * stepSeconds;
    point = trace.points[Math.floor(t / TRACE_STEP_SECONDS)] as TracePoint;
    for (const node of cluster.nodes) {
      if (node.terminatedAt !== null) continue;
      if (!node.ready && node.terminateAt === null && t >= node.readyAt) {
        node.ready = true;
        policy.onNodeReady?.(node, ctx);
      }
      if (node.terminateAt !== null && t >= node.terminateAt) {
        cluster.terminate(node, t);
        policy.onNodeTerminated?.(node, ctx);
      }
    }
    cluster.reconcile(point.replicas, t);
    cluster.schedule(t);

    const registered = cluster.registered();
    const ready = registered.length;
    const readyAllocatable = readyRoom(registered);
    const demand = point.replicas * point.cpuUtil * podCpuMillis;
    cpu[i] = ready > 0 ? Math.min(1, demand / readyAllocatable.cpuMillis) : demand > 0 ? 1 : 0;
    memory[i] =
      ready > 0
        ? Math.min(1, (cluster.running * podMemoryBytes) / readyAllocatable.memoryBytes)
        : 0;

    policy.step(ctx);
    cluster.schedule(t);

    const warn = (node: SimNode) => {
      cluster.counters.spotInterruptions += 1;
      node.interruptedAt = t;
      const response = policy.onSpotWarning?.(node, ctx) ?? 'ride-out';
      if (response === 'drain-now') cluster.drain(node, t, options.spot.warningSeconds);
      else node.terminateAt = t + options.spot.warningSeconds;
    };
    const pools = cluster.pools;
    if (pools) {
      // A crunch reclaims the Spot workers of its own pool, and no others.
      for (const crunch of pools.crunches(t)) {
        cluster.counters.poolCrunches += 1;
        for (const node of inCrunch(cluster.nodes, crunch)) warn(node);
      }
      cluster.schedule(t);
    } else if (interruptChance > 0) {
      for (const node of cluster.nodes) {
        if (node.capacityType !== 'spot' || !node.ready || node.terminateAt !== null) continue;
        if (node.terminatedAt !== null || random() >= interruptChance) continue;
        warn(node);
      }
      cluster.schedule(t);
    }

    if (t % TRACE_STEP_SECONDS === 0) {
      timeline.push({
        t,
        replicas: point.replicas,
        nodes: cluster.live().length,
        readyNodes: ready,
        pendingPods: cluster.pending.length,
      });
    }
  }
  cluster.finish(end);

  const usage = cluster.usage(end);
  const nodeSeconds = usage.onDemandSeconds + usage.spotSeconds;
  // Several types: each worker at its own type's price (core's price book).
  const byType = options.instanceTypes ? cluster.costByType(end) : null;
  const costUsdOnDemand =
    byType?.onDemandUsd ?? costUsd({ onDemandSeconds: nodeSeconds, spotSeconds: 0 }, config);
  const costWithSpotUsd = byType?.purchasedUsd ?? costUsd(usage, config);
  const c = cluster.counters;
  return {
    policy: policy.name,
    trace: trace.name,
    metrics: {
      node_hours: round(nodeSeconds / 3600, 3),
      cost_usd: round(costUsdOnDemand, 4),
      pending_pod_seconds: c.pendingPodSeconds,
      max_pending_seconds: c.maxPendingSeconds,
      scale_ups: c.scaleUps,
      scale_downs: c.scaleDowns,
    },
    details: {
      costWithSpotUsd: round(costWithSpotUsd, 4),
      spotSavingsUsd: round(costUsdOnDemand - costWithSpotUsd, 4),
      nodesAdded: c.nodesAdded,
      replacements: c.replacements,
      spotInterruptions: c.spotInterruptions,
      flaps: c.flaps,
      durationSeconds: end,
      ...(options.instanceTypes
        ? {
            instanceMix: {
              launchedByType: { ...c.launchedByType },
              spotInterruptions: c.spotInterruptions,
              poolCrunches: c.poolCrunches,
              iceFallbacks: c.iceFallbacks,
              iceRefusals: c.iceRefusals,
            },
          }
        : {}),
    },
    timeline,
    policyReport: policy.report?.() ?? {},
  };
}
