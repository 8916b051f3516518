import type { PendingPod } from '@smartscale/contracts';
import { type Bin, fits } from './binpack.js';
import type { Config } from './config.js';
import { type ResolvedInstanceType, typeAllocatable } from './instance-types.js';
import { typeHostsPod } from './pending-pods.js';
import type { PriceBook } from './prices.js';

/** One instance type the planner may launch, at the hourly price of one new worker of it. */
export interface TypeOffer {
  readonly type: ResolvedInstanceType;
  /**
   * USD per hour of one new worker of this type at this scale-up's purchase
   * mix (see blendedHourlyUsd): the price the choice minimises per pod.
   */
  readonly hourlyUsd: number;
}

/**
 * Room already there or coming: free room of a Ready node, or a worker
 * launching. `instanceType` known (and among the offers) means its labels
 * are known; unknown, any pod that fits is given the benefit of the doubt.
 */
export interface TypedBin extends Bin {
  readonly instanceType?: string;
}

export interface InstanceMixInput {
  /** Pending pods past the grace that a new worker of some offered type could host. */
  readonly pendingPods: readonly PendingPod[];
  /** The resolved types, in order of preference (ties go to the earlier one). */
  readonly offers: readonly TypeOffer[];
  /** Workers that exist or are being launched (counts toward max). */
  readonly currentWorkers: number;
  /** Free room on Ready nodes and room of workers launching: used before anything new. */
  readonly existingFree?: readonly TypedBin[];
}

/** New workers of one type, and what they are for. */
export interface TypeLaunch {
  readonly instanceType: string;
  readonly architecture: ResolvedInstanceType['architecture'];
  readonly count: number;
  /** Pending pods these workers host. */
  readonly pods: number;
  /** The owners (or bare pods) of those pods, most pods first. */
  readonly owners: readonly string[];
  readonly hourlyUsd: number;
  /** hourlyUsd x count / pods. */
  readonly perPodHourlyUsd: number;
  /**
   * Other offered types of the same architecture that host every one of
   * these workers' pods (by room, pod limit and the pods' selectors) at a
   * cost per pod within `instance.spotFlexibility` of this type's: what a
   * Spot launch may take instead, cheapest per pod first.
   */
  readonly alternatives: readonly string[];
}

/** What planInstanceMix chose. */
export interface InstanceMixPlan {
  /** Nodes needed so every placeable pod fits (before caps). */
  readonly nodesNeeded: number;
  /** Nodes to launch after the step limit and max. */
  readonly nodesToAdd: number;
  /** Pods that land on free room of Ready nodes or on workers launching. */
  readonly podsOnIncoming: number;
  /** Pods no offered type can host. */
  readonly tooLarge: number;
  readonly cappedBy: 'step' | 'max' | null;
  /** The `nodesToAdd` workers by type, in the order chosen (best value first). */
  readonly launches: readonly TypeLaunch[];
}

/** Pods alike for packing: same requests, same types that host them, same owner. */
interface PodGroup {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
  readonly owner: string;
  /** Indices into the offers that can host these pods. */
  readonly hosts: ReadonlySet<number>;
  remaining: number;
}

/** One new worker's fill: how many pods of each group it takes. */
interface Fill {
  readonly offer: number;
  readonly take: ReadonlyMap<PodGroup, number>;
  readonly pods: number;
}

const ownerOf = (p: PendingPod) => `${p.namespace}/${p.owner ?? `Pod/${p.name}`}`;

/** Most pods of `g` that fit into `room` (and under `podsLeft`). */
function howMany(g: PodGroup, room: Bin, podsLeft: number): number {
  const byCpu = g.cpuMillis > 0 ? Math.floor(room.cpuMillis / g.cpuMillis) : podsLeft;
  const byMemory = g.memoryBytes > 0 ? Math.floor(room.memoryBytes / g.memoryBytes) : podsLeft;
  return Math.max(0, Math.min(g.remaining, byCpu, byMemory, podsLeft));
}

/** An empty worker of `offers[o]` filled first-fit with the groups it can host, largest first. */
function fillOne(o: number, offer: TypeOffer, groups: readonly PodGroup[], config: Config): Fill {
  const room = { ...typeAllocatable(offer.type, config) };
  let podsLeft = offer.type.maxPods;
  const take = new Map<PodGroup, number>();
  let pods = 0;
  for (const g of groups) {
    if (g.remaining === 0 || !g.hosts.has(o)) continue;
    const k = howMany(g, room, podsLeft);
    if (k === 0) continue;
    take.set(g, k);
    room.cpuMillis -= k * g.cpuMillis;
    room.memoryBytes -= k * g.memoryBytes;
    podsLeft -= k;
    pods += k;
  }
  return { offer: o, take, pods };
}

/** How many identical workers of this fill the remaining pods allow. */
function repeats(fill: Fill): number {
  let n = Number.POSITIVE_INFINITY;
  for (const [g, k] of fill.take) n = Math.min(n, Math.floor(g.remaining / k));
  return Number.isFinite(n) ? Math.max(1, n) : 1;
}

/**
 * Chooses instance types and counts for pending pods, cheapest per fitted
 * pod first: pods first take free room of Ready nodes and workers already
 * launching (first-fit, largest first); the rest go, worker by worker, to
 * the offered type whose one new worker, filled first-fit, costs the least
 * per pod it hosts (ties: more pods, then the earlier offer). A pod goes
 * only to a type that fits it and whose labels meet its node selector and
 * required node affinity, so a pod selecting `kubernetes.io/arch: arm64`
 * gets a Graviton type and one selecting `node.kubernetes.io/instance-type`
 * that type. The step limit and max cap the count; the capped workers are
 * the first chosen (the best value). Pure: prices and types are inputs.
 *
 * @example
 * const plan = planInstanceMix(
 *   { pendingPods, offers: [{ type: m7gLarge, hourlyUsd: 0.05 }, { type: t3Large, hourlyUsd: 0.06 }], currentWorkers: 3 },
 *   config,
 * );
 * plan.launches // [{ instanceType: 'm7g.large', count: 2, pods: 6, ... }]
 */
export function planInstanceMix(input: InstanceMixInput, config: Config): InstanceMixPlan {
  const { offers } = input;
  if (offers.length === 0)
    throw new RangeError('planInstanceMix: expected at least one instance type offer, got none');
  const byName = new Map(offers.map((o, i) => [o.type.instanceType, i]));
  // Pods of one owner share requests and selectors: each distinct spec is checked once.
  const hostsOfSpec = new Map<string, Set<number>>();
  const hosts = input.pendingPods.map((pod) => {
    const spec = JSON.stringify([
      pod.cpuMillis,
      pod.memoryBytes,
      pod.nodeSelector ?? null,
      pod.nodeAffinityTerms ?? null,
    ]);
    let h = hostsOfSpec.get(spec);
    if (h === undefined) {
      h = new Set(offers.flatMap((o, i) => (typeHostsPod(pod, o.type, config) ? [i] : [])));
      hostsOfSpec.set(spec, h);
    }
    return h;
  });
  const placeable = input.pendingPods.flatMap((pod, i) =>
    (hosts[i]?.size ?? 0) > 0 ? [{ pod, hosts: hosts[i] as Set<number> }] : [],
  );
  const tooLarge = input.pendingPods.length - placeable.length;

  // Largest first, by the dominant share of the largest offer.
  const big = offers.reduce(
    (a, o) => {
      const r = typeAllocatable(o.type, config);
      return {
        cpuMillis: Math.max(a.cpuMillis, r.cpuMillis),
        memoryBytes: Math.max(a.memoryBytes, r.memoryBytes),
      };
    },
    { cpuMillis: 1, memoryBytes: 1 },
  );
  const size = (p: PendingPod) =>
    Math.max(p.cpuMillis / big.cpuMillis, p.memoryBytes / big.memoryBytes);
  placeable.sort((a, b) => size(b.pod) - size(a.pod));

  // Room there or coming: a pod goes there when it fits and the node's type,
  // when known, hosts it.
  const bins = (input.existingFree ?? []).map((b) => ({ ...b }));
  const leftover: typeof placeable = [];
  for (const entry of placeable) {
    const bin = bins.find((b) => {
      if (!fits(entry.pod, b)) return false;
      const o = b.instanceType === undefined ? undefined : byName.get(b.instanceType);
      return o === undefined || entry.hosts.has(o);
    });
    if (!bin) {
      leftover.push(entry);
      continue;
    }
    bin.cpuMillis -= entry.pod.cpuMillis;
    bin.memoryBytes -= entry.pod.memoryBytes;
  }
  const podsOnIncoming = placeable.length - leftover.length;

  const grouped = new Map<string, PodGroup>();
  for (const { pod, hosts: h } of leftover) {
    const key = `${pod.cpuMillis}/${pod.memoryBytes}/${[...h].join(',')}/${ownerOf(pod)}`;
    const g = grouped.get(key);
    if (g) g.remaining++;
    else
      grouped.set(key, {
        cpuMillis: pod.cpuMillis,
        memoryBytes: pod.memoryBytes,
        owner: ownerOf(pod),
        hosts: h,
        remaining: 1,
      });
  }
  let groups = [...grouped.values()]; // already largest first: leftover was sorted

  const chosen: { fill: Fill; count: number }[] = [];
  let left = leftover.length;
  while (left > 0) {
    let best: Fill | null = null;
    for (const [o, offer] of offers.entries()) {
      const fill = fillOne(o, offer, groups, config);
      if (fill.pods === 0) continue;
      if (best === null) {
        best = fill;
        continue;
      }
      const perPod = offer.hourlyUsd / fill.pods;
      const bestPerPod = (offers[best.offer] as TypeOffer).hourlyUsd / best.pods;
      if (
        perPod < bestPerPod - 1e-12 ||
        (Math.abs(perPod - bestPerPod) <= 1e-12 && fill.pods > best.pods)
      )
        best = fill;
    }
    // Every leftover pod has a host type that fits it empty: cannot happen.
    if (best === null) break;
    // Identical workers at once: a thousand pods of one shape cost one pass, not a thousand.
    const count = repeats(best);
    for (const [g, k] of best.take) g.remaining -= k * count;
    left -= best.pods * count;
    chosen.push({ fill: best, count });
    // Packed groups leave the list: many pod shapes would otherwise be scanned per worker.
    if (best.take.size > 0 && [...best.take.keys()].some((g) => g.remaining === 0))
      groups = groups.filter((g) => g.remaining > 0);
  }
  const nodesNeeded = chosen.reduce((n, c) => n + c.count, 0);

  const room = Math.max(0, config.workers.max - input.currentWorkers);
  const step = config.scaleUp.maxStep;
  const nodesToAdd = Math.min(nodesNeeded, step, room);
  const cappedBy = nodesToAdd >= nodesNeeded ? null : room <= step ? 'max' : 'step';
  return {
    nodesNeeded,
    nodesToAdd,
    podsOnIncoming,
    tooLarge,
    cappedBy,
    launches: launchesOf(chosen, nodesToAdd, offers, config),
  };
}

/** The first `limit` chosen workers, merged by type in the order first chosen. */
function launchesOf(
  chosen: readonly { fill: Fill; count: number }[],
  limit: number,
  offers: readonly TypeOffer[],
  config: Config,
): TypeLaunch[] {
  const byType = new Map<
    number,
    { count: number; pods: number; owners: Map<string, number>; fills: Fill[] }
  >();
  let budget = limit;
  for (const { fill, count } of chosen) {
    if (budget === 0) break;
    const n = Math.min(count, budget);
    budget -= n;
    const entry = byType.get(fill.offer) ?? {
      count: 0,
      pods: 0,
      owners: new Map(),
      fills: [] as Fill[],
    };
    entry.count += n;
    entry.fills.push(fill);
    entry.pods += fill.pods * n;
    for (const [g, k] of fill.take)
      entry.owners.set(g.owner, (entry.owners.get(g.owner) ?? 0) + k * n);
    byType.set(fill.offer, entry);
  }
  return [...byType.entries()].map(([o, e]) => {
    const offer = offers[o] as TypeOffer;
    return {
      instanceType: offer.type.instanceType,
      architecture: offer.type.architecture,
      count: e.count,
      pods: e.pods,
      owners: [...e.owners.entries()].sort((a, b) => b[1] - a[1]).map(([owner]) => owner),
      hourlyUsd: offer.hourlyUsd,
      perPodHourlyUsd: (offer.hourlyUsd * e.count) / Math.max(1, e.pods),
      alternatives: alternativesOf(o, e.fills, offers, config),
    };
  });
}

/**
 * Offers that could stand in for `offers[o]` on every one of `fills`: same
 * architecture, every pod group hosted (selectors, fit), the fill's pods
 * within the type's room and pod limit, and a cost per pod of those pods at
 * most `instance.spotFlexibility` above the chosen type's. The pods are the
 * same, so this is the hourly price against the chosen one's for the
 * fullest fill, cheapest first (ties: the earlier offer).
 */
function alternativesOf(
  o: number,
  fills: readonly Fill[],
  offers: readonly TypeOffer[],
  config: Config,
): string[] {
  const own = offers[o] as TypeOffer;
  const tolerance = config.instance.spotFlexibility;
  if (tolerance <= 0) return [];
  const limit = own.hourlyUsd * (1 + tolerance) + 1e-12;
  const hostsAll = (a: number, offer: TypeOffer) =>
    fills.every((fill) => {
      const room = typeAllocatable(offer.type, config);
      let cpu = 0;
      let memory = 0;
      for (const [g, k] of fill.take) {
        if (!g.hosts.has(a)) return false;
        cpu += k * g.cpuMillis;
        memory += k * g.memoryBytes;
      }
      return cpu <= room.cpuMillis && memory <= room.memoryBytes && fill.pods <= offer.type.maxPods;
    });
  return offers
    .flatMap((offer, a) =>
      a !== o &&
      offer.type.architecture === own.type.architecture &&
      offer.hourlyUsd <= limit &&
      hostsAll(a, offer)
        ? [{ a, offer }]
        : [],
    )
    .sort((x, y) => x.offer.hourlyUsd - y.offer.hourlyUsd || x.a - y.a)
    .map((x) => x.offer.type.instanceType);
}

/**
 * The hourly price of one new worker of `instanceType` when `spotShare` of
 * the new workers are Spot: what the planner compares types on, so the
 * purchase mix (purchase.spotShare, onDemandBase) weighs Spot and on-demand
 * prices as the launch will buy them.
 *
 * @example
 * blendedHourlyUsd(book, 'm7g.large', 0.5) // (on-demand + spot) / 2
 */
export function blendedHourlyUsd(
  prices: PriceBook,
  instanceType: string,
  spotShare: number,
): number {
  return (
    spotShare * prices.hourlyUsd(instanceType, 'spot') +
    (1 - spotShare) * prices.hourlyUsd(instanceType, 'on-demand')
  );
}

/**
 * The decision's sentence for its chosen types, e.g.
 * `2 x m7g.large (arm64; 6 pod(s) of shop/ReplicaSet/web-5f7c; $0.0134/h per pod) + 1 x t3.large (...)`.
 *
 * @example
 * describeLaunches(plan.launches)
 */
export function describeLaunches(launches: readonly TypeLaunch[]): string {
  return launches
    .map((l) => {
      const owners =
        l.owners.length <= 2
          ? l.owners.join(', ')
          : `${l.owners.slice(0, 2).join(', ')} and ${l.owners.length - 2} more`;
      return `${l.count} x ${l.instanceType} (${l.architecture}; ${l.pods} pod(s) of ${owners}; $${l.perPodHourlyUsd.toFixed(4)}/h per pod)`;
    })
    .join(' + ');
}

/** The types and prices a decision chooses among. */
export interface InstanceCatalog {
  /** The resolved instance types, in order of preference. */
  readonly types: readonly ResolvedInstanceType[];
  /** Prices per type and capacity type (on-demand table, current Spot prices). */
  readonly prices: PriceBook;
}

/** How many new workers of one type a scale-up launches (the ScaleUp's `launches`). */
export type { LaunchChoice } from '@smartscale/contracts';

/**
 * A scale-up's headline with its chosen types, for the audit summary, Slack
 * and `smartscale explain`: "scale up by 3 (2 x m7g.large + 1 x t3.large)",
 * or "scale up by 3" with one configured type.
 *
 * @example
 * scaleUpHeadline({ count: 3, launches: [{ instanceType: 'm7g.large', count: 3 }] }) // 'scale up by 3 (3 x m7g.large)'
 */
export function scaleUpHeadline(decision: {
  readonly count: number;
  readonly launches?: readonly { readonly instanceType: string; readonly count: number }[];
}): string {
  const types = launchesSummary(decision.launches);
  return `scale up by ${decision.count}${types ? ` (${types})` : ''}`;
}

/**
 * "2 x m7g.large + 1 x t3.large"; empty without launches.
 *
 * @example
 * launchesSummary([{ instanceType: 't3.large', count: 1 }]) // '1 x t3.large'
 */
export function launchesSummary(
  launches: readonly { readonly instanceType: string; readonly count: number }[] | undefined,
): string {
  return (launches ?? []).map((l) => `${l.count} x ${l.instanceType}`).join(' + ');
}
