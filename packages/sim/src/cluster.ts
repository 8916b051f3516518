import type { CapacityType } from '@smartscale/contracts';
import { type ExistingWorker, planPurchase } from '@smartscale/core';
import { podsPerNode, type SimOptions } from './model.js';

/** A web pod of the simulated deployment. */
export interface SimPod {
  readonly id: number;
  /** When it last became Pending (creation or eviction); null while running. */
  pendingSince: number | null;
  node: SimNode | null;
}

/** A worker from launch request to termination. */
export interface SimNode {
  readonly id: number;
  readonly name: string;
  readonly instanceId: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  readonly launchedAt: number;
  readonly readyAt: number;
  ready: boolean;
  cordoned: boolean;
  /** Set when a drain or interruption is under way. */
  terminateAt: number | null;
  terminatedAt: number | null;
  /** A scale-down (not an interruption) started at this time. */
  scaleDownAt: number | null;
  /** Spot interruption warning received at this time. */
  interruptedAt: number | null;
  readonly pods: Set<SimPod>;
}

/** Counters a run reports. */
export interface ClusterCounters {
  scaleUps: number;
  scaleDowns: number;
  nodesAdded: number;
  replacements: number;
  spotInterruptions: number;
  /** Nodes a scale-down removed within 10 minutes of joining. */
  flaps: number;
  pendingPodSeconds: number;
  maxPendingSeconds: number;
}

/** Ten minutes: a node removed sooner after joining counts as a flap. */
export const FLAP_SECONDS = 600;

/**
 * The simulated cluster: nodes, pods, a scheduler that places Pending pods
 * by requests (least allocated first, like kube-scheduler's default), and the
 * bookkeeping of pending time and node-seconds.
 */
export class SimCluster {
  readonly nodes: SimNode[] = [];
  readonly pending: SimPod[] = [];
  readonly counters: ClusterCounters = {
    scaleUps: 0,
    scaleDowns: 0,
    nodesAdded: 0,
    replacements: 0,
    spotInterruptions: 0,
    flaps: 0,
    pendingPodSeconds: 0,
    maxPendingSeconds: 0,
  };
  readonly podCapacity: number;
  #nextNode = 0;
  #nextPod = 0;
  #running = 0;

  constructor(readonly options: SimOptions) {
    this.podCapacity = podsPerNode(options);
  }

  /** Nodes not yet terminated (billed now). */
  live(): SimNode[] {
    return this.nodes.filter((n) => n.terminatedAt === null);
  }

  /** Ready nodes not terminated: what Prometheus and the sampler see. */
  registered(): SimNode[] {
    return this.nodes.filter((n) => n.ready && n.terminatedAt === null);
  }

  /** Live nodes not on their way out: launched or running, neither draining nor interrupted. */
  active(): SimNode[] {
    return this.nodes.filter((n) => n.terminatedAt === null && n.terminateAt === null);
  }

  /** Pods currently running. */
  get running(): number {
    return this.#running;
  }

  /**
   * Launches `count` workers now; they become Ready after the boot time.
   * Capacity types follow core's purchase plan unless `capacityType` is given.
   */
  launch(
    count: number,
    now: number,
    opts: { capacityType?: CapacityType; initial?: boolean } = {},
  ): SimNode[] {
    const existing: ExistingWorker[] = this.live().map((n) => ({
      zone: n.zone,
      capacityType: n.capacityType,
    }));
    const slots = planPurchase(count, existing, this.options.zones, this.options.config);
    // Initial workers have run for a day already: Ready, and old enough to remove.
    const readyAt = opts.initial ? now - 86_400 : now + this.options.config.instance.bootSeconds;
    const launched = slots.map((slot) => {
      const id = this.#nextNode++;
      const node: SimNode = {
        id,
        name: `ip-10-0-${id >> 8}-${id & 255}`,
        instanceId: `i-${id.toString(16).padStart(17, '0')}`,
        zone: slot.zone,
        capacityType: opts.capacityType ?? slot.capacityType,
        launchedAt: now,
        readyAt,
        ready: readyAt <= now,
        cordoned: false,
        terminateAt: null,
        terminatedAt: null,
        scaleDownAt: null,
        interruptedAt: null,
        pods: new Set(),
      };
      this.nodes.push(node);
      return node;
    });
    return launched;
  }

  /** A scale-up action of `count` workers (counted once, however many nodes). */
  scaleUp(count: number, now: number): SimNode[] {
    this.counters.scaleUps += 1;
    this.counters.nodesAdded += count;
    return this.launch(count, now);
  }

  /** A replacement for an interrupted Spot worker, of the same capacity type. */
  replace(node: SimNode, now: number): SimNode {
    this.counters.replacements += 1;
    return this.launch(1, now, { capacityType: node.capacityType })[0] as SimNode;
  }

  /** Evicts a node's pods: each is replaced by a new Pending pod, as a ReplicaSet does. */
  evict(node: SimNode, now: number): void {
    for (const pod of node.pods) {
      pod.node = null;
      this.#running -= 1;
      this.#addPending(now);
    }
    node.pods.clear();
  }

  /** Cordons and drains a node; it is terminated (and billing stops) `drainSeconds` later. */
  drain(node: SimNode, now: number, drainSeconds: number): void {
    node.cordoned = true;
    node.terminateAt = now + drainSeconds;
    this.evict(node, now);
  }

  /** Marks a scale-down (for counters and the flap check) and drains the node. */
  scaleDown(node: SimNode, now: number): void {
    this.counters.scaleDowns += 1;
    node.scaleDownAt = now;
    if (node.ready && now - node.readyAt < FLAP_SECONDS) this.counters.flaps += 1;
    this.drain(node, now, this.options.drainSeconds);
  }

  terminate(node: SimNode, now: number): void {
    this.evict(node, now);
    node.ready = false;
    node.terminatedAt = now;
  }

  #addPending(now: number): void {
    this.pending.push({ id: this.#nextPod++, pendingSince: now, node: null });
  }

  #closePending(pod: SimPod, now: number): void {
    const waited = now - (pod.pendingSince ?? now);
    this.counters.pendingPodSeconds += waited;
    if (waited > this.counters.maxPendingSeconds) this.counters.maxPendingSeconds = waited;
    pod.pendingSince = null;
  }

  /**
   * Brings the pod count to `replicas`: new pods start Pending; removals
   * take Pending pods first (newest first), then a pod from the fullest
   * node, as a ReplicaSet scales down.
   */
  reconcile(replicas: number, now: number): void {
    let total = this.#running + this.pending.length;
    while (total < replicas) {
      this.#addPending(now);
      total += 1;
    }
    while (total > replicas && this.pending.length > 0) {
      this.#closePending(this.pending.pop() as SimPod, now);
      total -= 1;
    }
    if (total <= replicas) return;
    const hosts = this.registered().filter((n) => n.pods.size > 0);
    while (total > replicas) {
      let fullest: SimNode | null = null;
      for (const n of hosts)
        if (
          n.pods.size > 0 &&
          (!fullest ||
            n.pods.size > fullest.pods.size ||
            (n.pods.size === fullest.pods.size && n.id > fullest.id))
        )
          fullest = n;
      if (!fullest) break;
      const pod = [...fullest.pods].pop() as SimPod;
      fullest.pods.delete(pod);
      pod.node = null;
      this.#running -= 1;
      total -= 1;
    }
  }

  /**
   * Places Pending pods, oldest first, on the least allocated node with
   * room: kube-scheduler's spreading, which the pods per node that victim
   * selection and consolidation see depend on. Core's first-fit packing
   * answers another question (how many new nodes pending pods need) and
   * fills nodes one by one, which the scheduler does not.
   */
  schedule(now: number): void {
    if (this.pending.length === 0) return;
    const hosts = this.registered().filter((n) => !n.cordoned && n.pods.size < this.podCapacity);
    if (hosts.length === 0) return;
    const still: SimPod[] = [];
    for (const pod of this.pending) {
      let best: SimNode | null = null;
      for (const n of hosts)
        if (n.pods.size < this.podCapacity && (!best || n.pods.size < best.pods.size)) best = n;
      if (!best) {
        still.push(pod);
        continue;
      }
      this.#closePending(pod, now);
      pod.node = best;
      best.pods.add(pod);
      this.#running += 1;
    }
    this.pending.length = 0;
    this.pending.push(...still);
  }

  /** Closes the books at the end of the trace: pods still Pending count until `end`. */
  finish(end: number): void {
    for (const pod of this.pending) this.#closePending(pod, end);
    this.pending.length = 0;
  }

  /** Node-seconds by capacity type up to `end`. */
  usage(end: number): { onDemandSeconds: number; spotSeconds: number } {
    let onDemandSeconds = 0;
    let spotSeconds = 0;
    for (const n of this.nodes) {
      const seconds = Math.max(0, (n.terminatedAt ?? end) - n.launchedAt);
      if (n.capacityType === 'spot') spotSeconds += seconds;
      else onDemandSeconds += seconds;
    }
    return { onDemandSeconds, spotSeconds };
  }
}
