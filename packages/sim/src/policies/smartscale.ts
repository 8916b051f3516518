import {
  type ClusterSnapshot,
  type ClusterState,
  type Decision,
  emptyClusterState,
  type NodeInfo,
  type PodInfo,
} from '@smartscale/contracts';
import {
  applyOutcome,
  decide,
  expireStaleActions,
  podAllocatable,
  startAction,
} from '@smartscale/core';
import type { SimCluster, SimNode } from '../cluster.js';
import { nodesFor } from '../model.js';
import type { Policy, PolicyContext } from '../simulator.js';

/** How the SmartScale policy is driven in the simulator. */
export interface SmartScaleDriver {
  /** The sampler's schedule. */
  readonly intervalSeconds: number;
  /** Model the sampler's watch mode: evaluate as soon as a new pod has waited out the grace. */
  readonly watchPending: boolean;
}

export const defaultDriver: SmartScaleDriver = { intervalSeconds: 60, watchPending: true };

/** The snapshot the sampler would take of the simulated cluster. */
export function snapshotOf(ctx: PolicyContext): ClusterSnapshot {
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
    instanceType: options.config.instance.type,
    capacityType: n.capacityType,
    managed: true,
    ready: true,
    unschedulable: n.cordoned,
    createdAt: iso(n.readyAt),
    allocatable,
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
  };
}

/**
 * SmartScale's policy: `core.decide` on a snapshot of the simulated cluster,
 * with the ledger kept by core's `startAction` / `applyOutcome` /
 * `expireStaleActions` exactly as the decider, provisioner, join-verifier,
 * drainer and spot-listener move it. Evaluated every minute and, like the
 * sampler's watch mode, as soon as a new pod has been Pending for the grace.
 *
 * @example
 * simulate(trace, smartScalePolicy(), options);
 */
export function smartScalePolicy(driver: SmartScaleDriver = defaultDriver): Policy {
  let state: ClusterState = emptyClusterState('sim');
  let nextSample = 0;
  let seq = 0;
  const seen = new Set<number>();
  const joinAction = new Map<number, string>();
  const removeAction = new Map<number, string>();

  const act = (decision: Decision, ctx: PolicyContext, cluster: SimCluster) => {
    const now = ctx.at();
    if (decision.kind === 'hold') return;
    const actionId = `act-${++seq}`;
    state = startAction(state, decision, actionId, now);
    if (decision.kind === 'scale-up') {
      const launched = cluster.scaleUp(decision.count, ctx.now);
      for (const n of launched) joinAction.set(n.id, actionId);
      state = applyOutcome(
        state,
        { type: 'InstancesLaunched', actionId, instanceIds: launched.map((n) => n.instanceId) },
        now,
      );
      return;
    }
    const victim = cluster.nodes.find((n) => n.name === decision.victim.nodeName);
    if (!victim)
      throw new Error(`core chose ${decision.victim.nodeName}, unknown to the simulator`);
    removeAction.set(victim.id, actionId);
    cluster.scaleDown(victim, ctx.now);
  };

  return {
    name: 'smartscale',
    initialNodes: (trace, options) => ({
      count: Math.min(
        options.config.workers.max,
        Math.max(options.config.workers.min, nodesFor(trace.points[0]?.replicas ?? 0, options)),
      ),
    }),
    step(ctx) {
      const { cluster, options } = ctx;
      let evaluate = false;
      if (ctx.now >= nextSample) {
        nextSample += driver.intervalSeconds;
        evaluate = true;
      }
      if (driver.watchPending && cluster.pending.length > 0) {
        const grace = options.config.scaleUp.pendingGraceSeconds;
        for (const p of cluster.pending) {
          if (seen.has(p.id) || ctx.now - (p.pendingSince ?? ctx.now) < grace) continue;
          seen.add(p.id);
          evaluate = true;
        }
      }
      if (seen.size > 256) {
        const live = new Set(cluster.pending.map((p) => p.id));
        for (const id of seen) if (!live.has(id)) seen.delete(id);
      }
      if (!evaluate) return;
      const now = ctx.at();
      state = expireStaleActions(state, options.config, now).state;
      const decision = decide(snapshotOf(ctx), state, options.config, now);
      act(decision, ctx, cluster);
    },
    onNodeReady(node, ctx) {
      const actionId = joinAction.get(node.id);
      if (actionId === undefined) return;
      joinAction.delete(node.id);
      state = applyOutcome(
        state,
        { type: 'NodeJoined', actionId, instanceId: node.instanceId },
        ctx.at(),
      );
    },
    onNodeTerminated(node, ctx) {
      const actionId = removeAction.get(node.id);
      if (actionId === undefined) return;
      removeAction.delete(node.id);
      state = applyOutcome(state, { type: 'NodeRemoved', actionId }, ctx.at());
    },
    onSpotWarning(node, ctx) {
      // spot-listener: ReplaceCapacity at once, then DrainNode with the deadline.
      const actionId = `spot-${node.instanceId}`;
      const replacement = ctx.cluster.replace(node, ctx.now);
      joinAction.set(replacement.id, actionId);
      state = applyOutcome(
        state,
        { type: 'InstancesLaunched', actionId, instanceIds: [replacement.instanceId] },
        ctx.at(),
      );
      return 'drain-now';
    },
  };
}
