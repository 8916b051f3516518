// The ports each service's workflow is written against, over the in-memory
// parts, answering as the services' handlers answer over EC2, Kubernetes
// and DynamoDB. Types only come from the services: nothing of theirs runs here.
import type { Config } from '@smartscale/core';
import type { DeciderPorts } from '@smartscale/service-decider/decide-action';
import type { DrainerPorts } from '@smartscale/service-drainer/drain-node';
import type { JoinVerifierPorts } from '@smartscale/service-join-verifier/verify-join';
import type { ProvisionerPorts } from '@smartscale/service-provisioner/launch-workers';
import type { ReconcilerPorts } from '@smartscale/service-reconciler/reconcile-cluster';
import type {
  RebalancePolicy,
  SpotListenerPorts,
} from '@smartscale/service-spot-listener/handle-interruption';
import type { MovableClock } from './clock.js';
import type { InMemoryCluster } from './in-memory-cluster.js';
import type { FleetInstance, InMemoryFleet } from './in-memory-fleet.js';
import type { InMemoryLedger, LedgerLease } from './in-memory-ledger.js';
import type { OnceStore } from './once-store.js';
import type { RecordingPublisher } from './recording-publisher.js';

/** What every workflow's ports are built from. */
export interface World {
  readonly clock: MovableClock;
  readonly cluster: InMemoryCluster;
  readonly fleet: InMemoryFleet;
  readonly publisher: RecordingPublisher;
  readonly dedup: OnceStore;
}

/**
 * The drainer's ports. `joinWindowSeconds` is instance.bootSeconds +
 * join.timeoutSeconds (690 by default), `drainTimeoutSeconds` is
 * scaleDown.drainTimeoutSeconds (600).
 */
export function drainerPorts(
  world: World,
  options: { joinWindowSeconds?: number; drainTimeoutSeconds?: number } = {},
): DrainerPorts {
  const { clock, cluster, fleet, publisher, dedup } = world;
  return {
    now: clock.now,
    joinWindowSeconds: options.joinWindowSeconds ?? 690,
    drainTimeoutSeconds: options.drainTimeoutSeconds ?? 600,
    async getNode(nodeName, instanceId) {
      const node = cluster.findByInstance(instanceId);
      if (!node) return null;
      if (node.name !== nodeName) return { otherNode: node.name };
      return { unschedulable: node.unschedulable, cordonedBy: node.cordonedBy ?? null };
    },
    async findWorker(instanceId) {
      const worker = fleet.ours(instanceId);
      return worker ? { state: worker.state, launchedAt: worker.launchedAt } : null;
    },
    async findReplacements(actionId, doomedInstanceId) {
      return fleet
        .live(actionId, doomedInstanceId)
        .map((w) => ({ instanceId: w.instanceId, launchedAt: w.launchedAt }));
    },
    hasReadyNode: async (instanceId) => cluster.findByInstance(instanceId)?.ready === true,
    cordon: (nodeName, actionId, deadline) => cluster.cordon(nodeName, actionId, deadline),
    uncordon: (nodeName) => cluster.uncordon(nodeName),
    podsToEvict: async (nodeName) =>
      cluster
        .podsOn(nodeName)
        .map(({ namespace, name, blocker }) =>
          blocker ? { namespace, name, blocker } : { namespace, name },
        ),
    evict: (pod) => cluster.evict(pod),
    async terminate(instanceId) {
      await fleet.terminate([instanceId]);
    },
    deleteNode: (nodeName) => cluster.deleteNode(nodeName),
    once: dedup.once,
    publish: publisher.publish,
    publishDelayed: publisher.publishDelayed,
  };
}

/** The provisioner's ports: launches land in the fleet, tagged with their action and slot. */
export function provisionerPorts(
  world: World,
  options: { config: Config; zones?: readonly string[] },
): ProvisionerPorts {
  const { clock, fleet, publisher } = world;
  const asWorker = (i: FleetInstance) => ({
    instanceId: i.instanceId,
    zone: i.zone,
    capacityType: i.capacityType,
    instanceType: i.instanceType,
    ...(i.slot !== undefined ? { slot: i.slot } : {}),
  });
  return {
    config: options.config,
    zones: options.zones ?? ['us-east-1a', 'us-east-1b'],
    now: clock.now,
    findByAction: async (actionId) => fleet.live(actionId, '').map(asWorker),
    describeWorkers: async () =>
      [...fleet.instances.values()]
        .filter((i) => fleet.ours(i.instanceId) && ['pending', 'running'].includes(i.state))
        .map(asWorker),
    launch: async (actionId, group) =>
      fleet.launch(actionId, group, clock.now().toISOString()).map(asWorker),
    publish: publisher.publish,
    publishDelayed: publisher.publishDelayed,
  };
}

/** The join verifier's ports. */
export function joinVerifierPorts(world: World): JoinVerifierPorts {
  const { clock, cluster, fleet, publisher, dedup } = world;
  return {
    now: clock.now,
    async findNodeByInstanceId(instanceId) {
      const node = world.cluster.findByInstance(instanceId);
      return node ? { name: node.name, ready: node.ready } : null;
    },
    podsPlacedOn: async (nodeName) =>
      cluster.podsOn(nodeName).map((p) => `${p.namespace}/${p.name}`),
    terminate: (instanceIds) => fleet.terminate(instanceIds),
    deleteNode: (nodeName) => cluster.deleteNode(nodeName),
    once: dedup.once,
    publish: publisher.publish,
    publishDelayed: publisher.publishDelayed,
  };
}

/** The spot listener's ports. */
export function spotListenerPorts(
  world: World,
  options: { rebalance?: RebalancePolicy; drainTimeoutSeconds?: number } = {},
): SpotListenerPorts {
  const { clock, cluster, fleet, publisher } = world;
  return {
    clusterId: fleet.clusterId,
    rebalance: options.rebalance ?? 'replace-then-drain',
    drainTimeoutSeconds: options.drainTimeoutSeconds ?? 600,
    now: clock.now,
    async findManagedWorker(instanceId) {
      const worker = fleet.ours(instanceId);
      if (!worker) return null;
      const { zone, capacityType, state, launchedAt } = worker;
      return { instanceId, zone, capacityType, state, launchedAt };
    },
    findNodeName: async (instanceId) => cluster.findByInstance(instanceId)?.name ?? null,
    publish: publisher.publish,
  };
}

/** The reconciler's ports, its ledger the in-memory one; `passes` keeps what recordPass got. */
export function reconcilerPorts(
  world: World & { readonly ledger: InMemoryLedger; readonly config: Config },
): ReconcilerPorts<LedgerLease> & { readonly passes: unknown[] } {
  const { clock, cluster, fleet, publisher, dedup, ledger, config } = world;
  const passes: unknown[] = [];
  return {
    clusterId: fleet.clusterId,
    config,
    now: clock.now,
    describeInstances: () => fleet.describe(),
    listNodes: () => cluster.listNodes(),
    async terminate(instanceId) {
      const { refused } = await fleet.terminate([instanceId]);
      if (refused.length > 0) throw new Error(`${instanceId} is not a worker of this cluster`);
    },
    deleteNode: (nodeName) => cluster.deleteNode(nodeName),
    uncordon: (nodeName) => cluster.uncordon(nodeName),
    ...ledger.ports(),
    async recordPass(summary) {
      passes.push(summary);
    },
    publish: publisher.publish,
    once: dedup.once,
    passes,
  };
}

/** The decider's ports over the in-memory ledger and a recording publisher. */
export function deciderPorts(options: {
  readonly clock: MovableClock;
  readonly ledger: InMemoryLedger;
  readonly publisher: RecordingPublisher;
  readonly config: Config;
  /** The fleet whose live instances of this cluster are ours (EC2's tags). */
  readonly fleet: InMemoryFleet;
}): DeciderPorts<LedgerLease> {
  const { fleet } = options;
  return {
    config: options.config,
    now: options.clock.now,
    ...options.ledger.ports(),
    smartscaleInstances: async () =>
      new Set(
        [...fleet.instances.values()]
          .filter((i) => fleet.ours(i.instanceId) && ['pending', 'running'].includes(i.state))
          .map((i) => i.instanceId),
      ),
    publish: options.publisher.publish,
  };
}
