import {
  type AnyEnvelope,
  type ClusterSnapshot,
  type Decision,
  ENVELOPE_VERSION,
  type Envelope,
  type NodeInfo,
  type PodInfo,
  ReasonCode,
} from '@smartscale/contracts';
import { type Config, podAllocatable } from '@smartscale/core';
import type { SimCluster, SimNode } from '../cluster.js';
import { DemandHistory } from '../demand-history.js';
import { simCatalog } from '../instance-catalogue.js';
import { nodesFor } from '../model.js';
import { SimulatedDecider } from '../simulated-decider.js';
import type { Policy, PolicyContext } from '../simulator.js';

/** How the SmartScale policy is driven in the simulator. */
export interface SmartScaleDriver {
  /** The sampler's schedule. */
  readonly intervalSeconds: number;
  /** Model the sampler's watch mode: evaluate as soon as a new pod has waited out the grace. */
  readonly watchPending: boolean;
}

export const defaultDriver: SmartScaleDriver = { intervalSeconds: 60, watchPending: true };

/** `scaleDown.headroom`: room requests-based consolidation keeps free. */
export type Headroom = Config['scaleDown']['headroom'];

/**
 * Requests-based consolidation keeping room for one more pod plus 10 % of
 * what stays: in the bench's sweep (headroom 0 to 3 pods, 0 or 10 %) the
 * lightest setting never worse than plain smartscale on pending pod-seconds,
 * and so what `scaleDown.profile: "consolidation"` keeps unless told.
 */
export const consolidationWithHeadroom: Headroom = { pods: 1, share: 0.1 };

/** The configuration with the consolidation profile and `headroom` (none unless given). */
export function withConsolidation(
  config: Config,
  headroom: Headroom = { pods: 0, share: 0 },
): Config {
  return { ...config, scaleDown: { ...config.scaleDown, profile: 'consolidation', headroom } };
}

/** What predictive pre-scaling did over a run (all zero when it is off). */
export interface PredictionReport {
  /** Scale-ups a forecast asked for (alone or with another trigger). */
  preScales: number;
  firstPreScaleAt: string | null;
  /** Scale-downs held because the pattern expects the node to be needed soon. */
  keptForForecast: number;
  /** Evaluations where no forecast could be made (too little history), and why at first. */
  offEvaluations: number;
  offReason: string | null;
  /** The last evaluation it was off. */
  lastOffAt: string | null;
}

/** The configuration with the single predictive switch turned on. */
export function withPrediction(config: Config): Config {
  return { ...config, predictive: { ...config.predictive, enabled: true } };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The action id of the simulator's `seq`th action: a ULID, as the envelope
 * requires, counted up from zero so every run names its actions alike.
 */
export function simActionId(seq: number): string {
  let id = '';
  for (let n = seq; n > 0; n = Math.floor(n / 32)) id = `${CROCKFORD[n % 32]}${id}`;
  return id.padStart(26, '0');
}

/**
 * The snapshot the sampler would take of the simulated cluster; with
 * `requestsPeakPods`, the peak of pods (running and pending) over the
 * scale-down window, as the sampler reads it from kube-state-metrics for
 * the consolidation profile.
 */
export function snapshotOf(
  ctx: PolicyContext,
  history?: DemandHistory,
  requestsPeakPods?: number,
): ClusterSnapshot {
  const { cluster, options } = ctx;
  const { workload } = options;
  const allocatable = podAllocatable(options.config);
  const replicas = cluster.running + cluster.pending.length;
  const iso = (seconds: number) => ctx.at(seconds).toISOString();
  const podInfo = (node: SimNode, index: number): PodInfo => ({
    namespace: workload.namespace,
    name: `${workload.deployment}-${node.id}-${index}`,
    cpuMillis: workload.podCpuMillis,
    memoryBytes: workload.podMemoryBytes,
    ownerKind: 'ReplicaSet',
    ownerName: workload.deployment,
    ownerReplicas: replicas,
    hasPdb: true,
    doNotDisrupt: false,
    localStorage: false,
  });
  const nodes: NodeInfo[] = cluster.registered().map((n) => ({
    name: n.name,
    instanceId: n.instanceId,
    zone: n.zone,
    instanceType: n.instanceType,
    capacityType: n.capacityType,
    managed: true,
    // Every simulated worker was launched by the simulated SmartScale.
    smartscaleInstance: true,
    ready: true,
    unschedulable: n.cordoned,
    createdAt: iso(n.readyAt),
    allocatable: options.instanceTypes ? n.allocatable : allocatable,
    pods: Array.from({ length: n.pods.size }, (_, k) => podInfo(n, k)),
  }));
  return {
    takenAt: iso(ctx.now),
    nodes,
    pendingPods: cluster.pending.map((p) => ({
      namespace: workload.namespace,
      name: `${workload.deployment}-pending-${p.id}`,
      cpuMillis: workload.podCpuMillis,
      memoryBytes: workload.podMemoryBytes,
      pendingSince: iso(p.pendingSince ?? ctx.now),
    })),
    utilization: ctx.utilization(),
    ...(history ? { demandHistory: [...history.points()] } : {}),
    ...(requestsPeakPods !== undefined
      ? {
          requestsWindowMax: {
            cpuMillis: requestsPeakPods * workload.podCpuMillis,
            memoryBytes: requestsPeakPods * workload.podMemoryBytes,
            windowSeconds: options.config.scaleDown.sustainSeconds,
          },
        }
      : {}),
  };
}

/**
 * SmartScale's policy: a SimulatedDecider (core's `evaluate`, the decider's own evaluation:
 * expiry, `decide`, the ledger, the commands) on a sample of the simulated
 * cluster, the commands carried out on the cluster and the ledger moved by
 * core's `applyOutcome` as the provisioner, join-verifier, drainer and
 * spot-listener move it. Evaluated every minute and, like the
 * sampler's watch mode, as soon as a new pod has been Pending for the grace.
 * When the configuration enables `predictive` (or `predictive` is passed),
 * every snapshot carries the demand history of the simulated past, as the
 * sampler gathers it from Prometheus.
 *
 * @example
 * simulate(trace, smartScalePolicy(), options);
 * simulate(trace, smartScalePolicy(defaultDriver, { predictive: true }), options);
 */
export function smartScalePolicy(
  driver: SmartScaleDriver = defaultDriver,
  variant: {
    predictive?: boolean;
    /**
     * The consolidation profile (`scaleDown.profile: "consolidation"`) with
     * this headroom (`true`: none), whatever the options' config says.
     */
    consolidation?: Headroom | true;
    /** Report name; defaults from the variant. */
    name?: string;
  } = {},
): Policy & { prediction(): PredictionReport } {
  const consolidation =
    variant.consolidation === true ? { pods: 0, share: 0 } : (variant.consolidation ?? null);
  /** Pods (running and pending) at each step, for the peak over the consolidation window. */
  const podsSeen: { t: number; pods: number }[] = [];
  // The decider's ledger, moved as the deployed decider moves it (created with the config).
  let decider: SimulatedDecider | null = null;
  let config: Config | null = null;
  let history: DemandHistory | undefined;
  const prediction: PredictionReport = {
    preScales: 0,
    firstPreScaleAt: null,
    keptForForecast: 0,
    offEvaluations: 0,
    offReason: null,
    lastOffAt: null,
  };
  const tally = (decision: Decision, now: Date) => {
    const has = (code: ReasonCode) => decision.reasons.some((r) => r.code === code);
    const off = decision.reasons.find((r) => r.code === ReasonCode.PredictionUnavailable);
    if (off) {
      prediction.offEvaluations += 1;
      prediction.offReason ??= off.message;
      prediction.lastOffAt = now.toISOString();
    }
    if (decision.kind === 'scale-up' && has(ReasonCode.PredictedRise)) {
      prediction.preScales += 1;
      prediction.firstPreScaleAt ??= now.toISOString();
    }
    if (has(ReasonCode.PredictedRiseAhead)) prediction.keptForForecast += 1;
  };
  let nextSample = 0;
  let seq = 0;
  let samples = 0;
  const seen = new Set<number>();
  const joinAction = new Map<number, string>();
  const removeAction = new Map<number, string>();

  /**
   * Carries out what the decider published, as the provisioner and drainer
   * would: a ScaleUp launches its count, a DrainNode drains its node.
   */
  const act = (commands: readonly AnyEnvelope[], ctx: PolicyContext, cluster: SimCluster) => {
    for (const command of commands) {
      if (command.type === 'ScaleUp') {
        const launched = cluster.scaleUp(command.payload.count, ctx.now, command.payload.launches);
        for (const n of launched) joinAction.set(n.id, command.actionId);
        decider?.outcome(
          {
            type: 'InstancesLaunched',
            actionId: command.actionId,
            instanceIds: launched.map((n) => n.instanceId),
          },
          ctx.at(),
        );
      } else if (command.type === 'DrainNode') {
        const { nodeName } = command.payload;
        const victim = cluster.nodes.find((n) => n.name === nodeName);
        if (!victim) throw new Error(`core chose ${nodeName}, unknown to the simulator`);
        removeAction.set(victim.id, command.actionId);
        cluster.scaleDown(victim, ctx.now);
      }
    }
  };

  return {
    name:
      variant.name ??
      (variant.predictive
        ? 'smartscale+predictive'
        : consolidation
          ? 'smartscale+consolidation'
          : 'smartscale'),
    prediction: () => ({ ...prediction }),
    report: () => (config?.predictive.enabled ? { ...prediction } : {}),
    initialNodes: (trace, options) => ({
      count: Math.min(
        options.config.workers.max,
        Math.max(options.config.workers.min, nodesFor(trace.points[0]?.replicas ?? 0, options)),
      ),
    }),
    step(ctx) {
      const { cluster, options } = ctx;
      if (config === null) {
        config = variant.predictive ? withPrediction(options.config) : options.config;
        if (consolidation) config = withConsolidation(config, consolidation);
        decider = new SimulatedDecider(
          config,
          'sim',
          options.instanceTypes ? simCatalog(options.instanceTypes, config) : undefined,
        );
        if (config.predictive.enabled)
          history = new DemandHistory(config.predictive.slotSeconds, ctx.at(0));
      }
      if (history) {
        const pods = cluster.running + cluster.pending.length;
        history.record(
          ctx.now,
          pods * options.workload.podCpuMillis,
          pods * options.workload.podMemoryBytes,
        );
      }
      const consolidating = config.scaleDown.profile === 'consolidation';
      if (consolidating) {
        podsSeen.push({ t: ctx.now, pods: cluster.running + cluster.pending.length });
        while ((podsSeen[0]?.t ?? ctx.now) < ctx.now - config.scaleDown.sustainSeconds)
          podsSeen.shift();
      }
      let sampleDue = false;
      if (ctx.now >= nextSample) {
        nextSample += driver.intervalSeconds;
        sampleDue = true;
      }
      if (driver.watchPending && cluster.pending.length > 0) {
        const grace = options.config.scaleUp.pendingGraceSeconds;
        for (const p of cluster.pending) {
          if (seen.has(p.id) || ctx.now - (p.pendingSince ?? ctx.now) < grace) continue;
          seen.add(p.id);
          sampleDue = true;
        }
      }
      if (seen.size > 256) {
        const live = new Set(cluster.pending.map((p) => p.id));
        for (const id of seen) if (!live.has(id)) seen.delete(id);
      }
      if (!sampleDue) return;
      const now = ctx.at();
      const peak = consolidating ? podsSeen.reduce((m, x) => Math.max(m, x.pods), 0) : undefined;
      const snapshot = snapshotOf(ctx, history, peak);
      // The sample as the decider receives it; its actionId names the action
      // it may start. Built directly: the snapshot is the simulator's own,
      // and validating a week of samples would cost more than deciding them.
      samples += 1;
      const sample: Envelope<'MetricsSampled'> = {
        id: simActionId(samples),
        type: 'MetricsSampled',
        version: ENVELOPE_VERSION,
        clusterId: 'sim',
        actionId: simActionId(seq + 1),
        causationId: null,
        occurredAt: now.toISOString(),
        payload: snapshot,
      };
      // The decider's own evaluation: expiry, decision, ledger and commands.
      const evaluation = (decider as SimulatedDecider).sample(sample, now);
      if (evaluation.status !== 'decided') return;
      if (config.predictive.enabled) tally(evaluation.decision, now);
      // A hold publishes only DecisionMade, for people: nothing to carry out.
      if (evaluation.decision.kind === 'hold') return;
      seq += 1;
      act(evaluation.commands, ctx, cluster);
    },
    onNodeReady(node, ctx) {
      const actionId = joinAction.get(node.id);
      if (actionId === undefined) return;
      joinAction.delete(node.id);
      decider?.outcome({ type: 'NodeJoined', actionId, instanceId: node.instanceId }, ctx.at());
    },
    onNodeTerminated(node, ctx) {
      const actionId = removeAction.get(node.id);
      if (actionId === undefined) return;
      removeAction.delete(node.id);
      decider?.outcome({ type: 'NodeRemoved', actionId }, ctx.at());
    },
    onSpotWarning(node, ctx) {
      // spot-listener: ReplaceCapacity at once, then DrainNode with the deadline.
      const actionId = `spot-${node.instanceId}`;
      const replacement = ctx.cluster.replace(node, ctx.now);
      joinAction.set(replacement.id, actionId);
      decider?.outcome(
        { type: 'InstancesLaunched', actionId, instanceIds: [replacement.instanceId] },
        ctx.at(),
      );
      return 'drain-now';
    },
  };
}
