import type { CapacityType, LaunchChoice } from '@smartscale/contracts';
import {
  type ExistingWorker,
  type HostingType,
  launchOfSlot,
  launchOrder,
  type PriceBook,
  planPurchase,
  podAllocatable,
  priceBook,
  typeAllocatable,
} from '@smartscale/core';
import { podsPerType } from './instance-catalogue.js';
import { podsPerNode, type SimOptions } from './model.js';
import { SpotPools } from './spot-pools.js';

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
  readonly instanceType: string;
  /** Web pods it holds empty, and what it offers pods (its type's, after reserved and DaemonSets). */
  readonly podCapacity: number;
  readonly allocatable: { readonly cpuMillis: number; readonly memoryBytes: number };
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
  /** Workers launched elsewhere than first planned (another type, zone or capacity type) after insufficient capacity. */
  iceFallbacks: number;
  /** Launch attempts a dry Spot pool refused. */
  iceRefusals: number;
  /** Capacity crunches in pools (with a per-pool Spot model). */
  poolCrunches: number;
  /** Workers launched, by instance type. */
  launchedByType: Record<string, number>;
}

/** What one type offers a node of the simulated cluster. */
interface TypeShape {
  readonly podCapacity: number;
  readonly allocatable: { readonly cpuMillis: number; readonly memoryBytes: number };
  readonly architecture?: string;
  readonly vcpu?: number;
  readonly memoryMiB?: number;
}

/** Where one worker lands: its type, zone and capacity type. */
interface Placement {
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
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
    iceFallbacks: 0,
    iceRefusals: 0,
    poolCrunches: 0,
    launchedByType: {},
  };
  /** Pods a worker of the configured (or first listed) type holds. */
  readonly podCapacity: number;
  /** Spot pools that crunch and run dry (options.spotPools), else null. */
  readonly pools: SpotPools | null;
  /** The launchable types in order of preference, and what each offers. */
  readonly #types: ReadonlyMap<string, TypeShape>;
  readonly #prices: PriceBook;
  #nextNode = 0;
  #nextPod = 0;
  #running = 0;

  constructor(readonly options: SimOptions) {
    const { config, workload, instanceTypes } = options;
    this.#types = new Map<string, TypeShape>(
      instanceTypes
        ? instanceTypes.map((t) => [
            t.instanceType,
            {
              podCapacity: podsPerType(t, workload, config),
              allocatable: typeAllocatable(t, config),
              architecture: t.architecture,
              vcpu: t.vcpu,
              memoryMiB: t.memoryMiB,
            },
          ])
        : [
            [
              config.instance.type,
              { podCapacity: podsPerNode(options), allocatable: podAllocatable(config) },
            ],
          ],
    );
    this.podCapacity = ([...this.#types.values()][0] as TypeShape).podCapacity;
    this.#prices = priceBook(config);
    this.pools = options.spotPools
      ? new SpotPools(options.spotPools, [...this.#types.keys()], options.zones, options.seed)
      : null;
  }

  /** USD per hour of one worker of `instanceType` bought as `capacityType`. */
  hourlyUsd(instanceType: string, capacityType: CapacityType): number {
    return this.#prices.hourlyUsd(instanceType, capacityType);
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
   * Capacity types and zones follow core's purchase plan unless given;
   * types follow `launches` (a ScaleUp's), else the cheapest type. With
   * Spot pools, a slot whose pool is dry falls back as the provisioner
   * does (see #place).
   */
  launch(
    count: number,
    now: number,
    opts: {
      capacityType?: CapacityType;
      initial?: boolean;
      launches?: readonly LaunchChoice[];
      zone?: string;
      /** A replacement's: the replaced worker (its type is tried first, its pods ranked by). */
      replaces?: SimNode;
    } = {},
  ): SimNode[] {
    const existing: ExistingWorker[] = this.live().map((n) => ({
      zone: n.zone,
      capacityType: n.capacityType,
    }));
    const slots = planPurchase(count, existing, this.options.zones, this.options.config);
    // Initial workers have run for a day already: Ready, and old enough to remove.
    const readyAt = opts.initial ? now - 86_400 : now + this.options.config.instance.bootSeconds;
    const launched = slots.map((slot, i) => {
      const id = this.#nextNode++;
      const launch = launchOfSlot(opts.launches, i);
      const chosen = launch?.instanceType;
      const first = {
        zone: opts.zone ?? slot.zone,
        capacityType: opts.capacityType ?? slot.capacityType,
      };
      const placed: Placement = opts.initial
        ? {
            ...first,
            instanceType: chosen ?? this.#cheapest([...this.#types.keys()], first.capacityType),
          }
        : this.#place(chosen, launch?.alternatives ?? [], first, now, opts.replaces);
      const shape = this.#types.get(placed.instanceType) as TypeShape;
      this.counters.launchedByType[placed.instanceType] =
        (this.counters.launchedByType[placed.instanceType] ?? 0) + 1;
      const node: SimNode = {
        id,
        name: `ip-10-0-${id >> 8}-${id & 255}`,
        instanceId: `i-${id.toString(16).padStart(17, '0')}`,
        zone: placed.zone,
        capacityType: placed.capacityType,
        instanceType: placed.instanceType,
        podCapacity: shape.podCapacity,
        allocatable: shape.allocatable,
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

  /** The cheapest of `types` as `capacityType` (ties: the earlier, the preferred). */
  #cheapest(types: readonly string[], capacityType: CapacityType): string {
    let best = types[0] as string;
    for (const t of types)
      if (this.hourlyUsd(t, capacityType) < this.hourlyUsd(best, capacityType) - 1e-12) best = t;
    return best;
  }

  /**
   * The type a fleet takes among the open `types` it was offered, by cost
   * per pod: of the pods planned for the slot when it has a chosen type
   * (`plannedPods`, which fit every type offered, so the hourly price
   * decides), else (a replacement, its pods unknown to the provisioner) of
   * the pods a worker of the type holds, the price of its capacity. Spot models
   * price-capacity-optimized minimally: among the types within
   * `instance.spotFlexibility` of the cheapest per pod, the pool least
   * likely to crunch (the lowest crunch rate in the zone), then the cheaper;
   * on-demand (lowest-price) the cheapest per pod.
   */
  #pick(
    types: readonly string[],
    zone: string,
    capacityType: CapacityType,
    plannedPods: number | undefined,
  ): string {
    // The planned pods fit every offered type (the tiers see to it): their
    // cost per pod is then the hourly price over that same count.
    const perPod = (t: string) =>
      this.hourlyUsd(t, capacityType) /
      Math.max(1, plannedPods ?? (this.#types.get(t) as TypeShape).podCapacity);
    const byPerPod = [...types].sort((a, b) => perPod(a) - perPod(b));
    const best = byPerPod[0] as string;
    const pools = this.pools;
    if (capacityType !== 'spot' || pools === null) return best;
    const limit = perPod(best) * (1 + this.options.config.instance.spotFlexibility) + 1e-12;
    let pick = best;
    for (const t of byPerPod) {
      if (perPod(t) > limit) break;
      if (pools.ratePerHour(t, zone) < pools.ratePerHour(pick, zone) - 1e-12) pick = t;
    }
    return pick;
  }

  /**
   * The types that host a replaced worker's pods (its architecture, room
   * for as many pods as it held), by the cost per pod of those pods: the
   * `others` of core's launchOrder.
   */
  #hosting(replaced: SimNode): HostingType[] {
    const own = this.#types.get(replaced.instanceType);
    const pods = Math.max(1, replaced.podCapacity);
    return [...this.#types.entries()].flatMap(([name, t]) =>
      name === replaced.instanceType ||
      t.architecture !== own?.architecture ||
      t.podCapacity < replaced.podCapacity
        ? []
        : [
            {
              instanceType: name,
              cost: {
                spot: this.hourlyUsd(name, 'spot') / pods,
                'on-demand': this.hourlyUsd(name, 'on-demand') / pods,
              },
            },
          ],
    );
  }

  /**
   * Where one slot lands, tried as the provisioner tries it (core's
   * launchOrder): a replacement its replaced type first, in its zone then
   * the others, then the types hosting its pods by cost per pod; any other
   * slot in the planned zone and capacity type, then its fallbacks; in
   * each, unless the attempt names its types, the chosen type
   * (for Spot with the planner's alternatives), then the other types of
   * its architecture at least as large (a slot with no chosen type offers
   * every type at once). A Spot pool that is dry refuses; among the types a
   * launch offers, the fleet takes one as #pick says. On-demand never runs
   * dry here.
   */
  #place(
    chosen: string | undefined,
    alternatives: readonly string[],
    first: { zone: string; capacityType: CapacityType },
    now: number,
    replaced?: SimNode,
  ): Placement {
    const all = [...this.#types.keys()];
    const own = chosen === undefined ? undefined : this.#types.get(chosen);
    const tiersFor = (capacityType: CapacityType): string[][] => {
      if (chosen === undefined || own === undefined) return [all];
      const head = [
        chosen,
        ...(capacityType === 'spot'
          ? alternatives.filter((t) => t !== chosen && this.#types.has(t))
          : []),
      ];
      return [
        head,
        all.filter((name) => {
          const t = this.#types.get(name) as TypeShape;
          return (
            !head.includes(name) &&
            t.architecture === own.architecture &&
            (t.vcpu ?? 0) >= (own.vcpu ?? 0) &&
            (t.memoryMiB ?? 0) >= (own.memoryMiB ?? 0)
          );
        }),
      ].filter((tier) => tier.length > 0);
    };
    const pools = this.pools;
    const known = replaced !== undefined && this.#types.has(replaced.instanceType);
    const options = launchOrder({
      ...first,
      zones: this.options.zones,
      ...(known
        ? { replaced: { instanceType: replaced.instanceType }, others: this.#hosting(replaced) }
        : {}),
    });
    for (const [k, option] of options.entries()) {
      const tiers = option.instanceTypes
        ? [[...option.instanceTypes]]
        : tiersFor(option.capacityType);
      for (const [j, tier] of tiers.entries()) {
        const open =
          pools && option.capacityType === 'spot'
            ? tier.filter((t) => !pools.isDry(t, option.zone, now))
            : tier;
        if (open.length === 0) {
          this.counters.iceRefusals += 1;
          continue;
        }
        if (k > 0 || j > 0) this.counters.iceFallbacks += 1;
        return {
          ...option,
          instanceType: this.#pick(
            open,
            option.zone,
            option.capacityType,
            known ? replaced.podCapacity : own?.podCapacity,
          ),
        };
      }
    }
    // On-demand is never dry, and the fallbacks always include it.
    throw new Error('simulator: no pool took the launch');
  }

  /** A scale-up action of `count` workers (counted once, however many nodes). */
  scaleUp(count: number, now: number, launches?: readonly LaunchChoice[]): SimNode[] {
    this.counters.scaleUps += 1;
    this.counters.nodesAdded += count;
    return this.launch(count, now, launches ? { launches } : {});
  }

  /**
   * A replacement for an interrupted Spot worker, of the same capacity
   * type; with Spot pools, in its zone first (the provisioner's
   * ReplaceCapacity, which names the worker's type): its type there, then
   * in the other zones, then the types hosting its pods by cost per pod.
   */
  replace(node: SimNode, now: number): SimNode {
    this.counters.replacements += 1;
    return this.launch(1, now, {
      capacityType: node.capacityType,
      replaces: node,
      ...(this.pools ? { zone: node.zone } : {}),
    })[0] as SimNode;
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
    const hosts = this.registered().filter((n) => !n.cordoned && n.pods.size < n.podCapacity);
    if (hosts.length === 0) return;
    const still: SimPod[] = [];
    for (const pod of this.pending) {
      let best: SimNode | null = null;
      for (const n of hosts)
        if (
          n.pods.size < n.podCapacity &&
          // Least allocated by share (exact for workers of different sizes).
          (!best || n.pods.size * best.podCapacity < best.pods.size * n.podCapacity)
        )
          best = n;
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

  /**
   * What the workers cost up to `end`, each at its type's price: as bought
   * (Spot or on-demand) and as if every hour were on-demand.
   */
  costByType(end: number): { purchasedUsd: number; onDemandUsd: number } {
    let purchasedUsd = 0;
    let onDemandUsd = 0;
    for (const n of this.nodes) {
      const hours = Math.max(0, (n.terminatedAt ?? end) - n.launchedAt) / 3600;
      purchasedUsd += hours * this.hourlyUsd(n.instanceType, n.capacityType);
      onDemandUsd += hours * this.hourlyUsd(n.instanceType, 'on-demand');
    }
    return { purchasedUsd, onDemandUsd };
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
