// The soak's invariants as pure checks over facts read from the real
// systems (EC2 on moto, the API server, the ledger, the DLQs, the lock), so
// each verdict carries the evidence it was made on.
import type { ClusterState } from '@smartscale/contracts';
import { actionDeadline, type Config } from '@smartscale/core';

/** An EC2 worker of the cluster as the soak read it. */
export interface InstanceFact {
  readonly instanceId: string;
  /** pending, running, stopping, stopped, shutting-down, terminated. */
  readonly state: string;
  readonly actionId: string | null;
}

/** A Node as the soak read it. */
export interface NodeFact {
  readonly name: string;
  readonly instanceId: string | null;
  readonly ready: boolean;
  readonly managed: boolean;
  readonly unschedulable: boolean;
  /** `smartscale.io/cordoned-by`: the action that cordoned it. */
  readonly cordonedBy: string | null;
}

export interface LockFact {
  readonly owner: string | null;
  readonly fence: number;
  readonly live: boolean;
}

/** Everything the end checks look at, read once after the settle window. */
export interface ClusterFacts {
  readonly at: Date;
  readonly instances: readonly InstanceFact[];
  readonly nodes: readonly NodeFact[];
  readonly state: ClusterState;
  /** Messages left in each DLQ after the replay, with the reason a handler gave (null: redrive). */
  readonly deadLetters: Readonly<
    Record<string, readonly { type: string | null; reason: string | null }[]>
  >;
  /** The lock read at the start and at the end of the settle window. */
  readonly lockBefore: LockFact | null;
  readonly lockAfter: LockFact | null;
  /** Milliseconds between the two lock reads. */
  readonly lockGapMs: number;
}

/** The most live workers seen at once during the run, and when. */
export interface PeakFact {
  readonly count: number;
  readonly at: string;
  readonly instances: readonly InstanceFact[];
}

export interface Verdict {
  readonly invariant: string;
  readonly held: boolean;
  readonly evidence: string[];
}

const LIVE = new Set(['pending', 'running']);

export function liveOf(instances: readonly InstanceFact[]): InstanceFact[] {
  return instances.filter((i) => LIVE.has(i.state));
}

/** (1) No orphans, no ghosts. */
export function everyInstanceHasANode(facts: ClusterFacts): Verdict {
  const evidence: string[] = [];
  const byInstance = new Map(facts.nodes.flatMap((n) => (n.instanceId ? [[n.instanceId, n]] : [])));
  for (const i of liveOf(facts.instances)) {
    const node = byInstance.get(i.instanceId);
    if (!node)
      evidence.push(`orphan: ${i.instanceId} (${i.state}, action ${i.actionId}) has no Node`);
    else if (!node.ready)
      evidence.push(`${i.instanceId} (${i.state}) has Node ${node.name} not Ready`);
  }
  const live = new Set(liveOf(facts.instances).map((i) => i.instanceId));
  for (const n of facts.nodes) {
    if (!n.managed) continue;
    if (!n.instanceId || !live.has(n.instanceId)) {
      const state = facts.instances.find((i) => i.instanceId === n.instanceId)?.state ?? 'gone';
      evidence.push(
        `ghost: managed Node ${n.name} (Ready ${n.ready}) has no live instance (${state})`,
      );
    }
  }
  return { invariant: '1 instances <-> Ready Nodes', held: evidence.length === 0, evidence };
}

/** (2) No cordon by SmartScale outlives its action. */
export function noStaleCordon(facts: ClusterFacts): Verdict {
  const inFlight = new Set(facts.state.inFlight.map((a) => a.actionId));
  const evidence = facts.nodes
    .filter((n) => n.cordonedBy !== null && !inFlight.has(n.cordonedBy))
    .map(
      (n) =>
        `Node ${n.name} cordoned by ${n.cordonedBy} (unschedulable ${n.unschedulable}), which is not in flight`,
    );
  return { invariant: '2 no stale SmartScale cordon', held: evidence.length === 0, evidence };
}

/** (3) Nothing in flight past its deadline. */
export function noOverdueAction(facts: ClusterFacts, config: Config): Verdict {
  const evidence = facts.state.inFlight
    .filter((a) => actionDeadline(a, config).getTime() < facts.at.getTime())
    .map(
      (a) =>
        `${a.kind} ${a.actionId} started ${a.startedAt}, deadline ${actionDeadline(a, config).toISOString()}, still in flight (pendingJoins ${a.pendingJoins}, instances ${a.instanceIds.join(' ') || '-'})`,
    );
  return { invariant: '3 no action past its deadline', held: evidence.length === 0, evidence };
}

/** (4) Workers within [min, max] at the end, and never above max during the run. */
export function workersWithinBounds(facts: ClusterFacts, config: Config, peak: PeakFact): Verdict {
  const live = liveOf(facts.instances).length;
  const evidence: string[] = [];
  const { min, max } = config.workers;
  if (live < min || live > max)
    evidence.push(`${live} live workers at the end, outside [${min}, ${max}]`);
  if (peak.count > max)
    evidence.push(
      `${peak.count} live workers at ${peak.at}, above max ${max}: ${peak.instances.map((i) => `${i.instanceId}(${i.state}, ${i.actionId ?? 'no action'})`).join(' ')}`,
    );
  return {
    invariant: `4 workers within [${min}, ${max}] (end ${live}, peak ${peak.count})`,
    held: evidence.length === 0,
    evidence,
  };
}

/** (5) Every DLQ empty after the replay, or each message left there explained by its reason. */
export function deadLettersExplained(facts: ClusterFacts): Verdict {
  const evidence: string[] = [];
  let explained = 0;
  for (const [queue, letters] of Object.entries(facts.deadLetters)) {
    for (const l of letters) {
      if (l.reason) explained += 1;
      else evidence.push(`${queue}: ${l.type ?? 'a message'} left with no reason`);
    }
  }
  return {
    invariant: `5 DLQs empty or explained (${explained} explained)`,
    held: evidence.length === 0,
    evidence,
  };
}

/** (6) The lock free, or held by an owner that is renewing it (not the same lease across a whole lease). */
export function lockFreeOrLive(facts: ClusterFacts, leaseMs: number): Verdict {
  const { lockBefore: before, lockAfter: after } = facts;
  const stuck =
    after?.live === true &&
    before?.live === true &&
    before.owner === after.owner &&
    before.fence === after.fence &&
    facts.lockGapMs >= leaseMs;
  return {
    invariant: '6 lock free or held live',
    held: !stuck,
    evidence: stuck
      ? [
          `${after.owner} (fence ${after.fence}) held the lock for over ${facts.lockGapMs} ms without a new lease`,
        ]
      : [],
  };
}

/** Every invariant over the facts, in the issue's order. */
export function checkInvariants(
  facts: ClusterFacts,
  config: Config,
  peak: PeakFact,
  leaseMs: number,
): Verdict[] {
  return [
    everyInstanceHasANode(facts),
    noStaleCordon(facts),
    noOverdueAction(facts, config),
    workersWithinBounds(facts, config, peak),
    deadLettersExplained(facts),
    lockFreeOrLive(facts, leaseMs),
  ];
}
