import {
  type ClusterSnapshot,
  type ClusterState,
  type Decision,
  type Reason,
  ReasonCode,
} from '@smartscale/contracts';
import { recentFailedVictims } from './action-ledger.js';
import type { Config } from './config.js';
import { countFleet, scaleDownGates } from './decide.js';
import { pickVictim } from './victim-selection.js';

/** Resource requests (or room for them) on the fleet. */
export interface RequestTotals {
  readonly cpuMillis: number;
  readonly memoryBytes: number;
}

/**
 * The knobs of requests-based consolidation. Not yet part of `Config`
 * (issue #18: the simulator runs it as a variant before decide() uses it).
 */
export interface ConsolidationOptions {
  /**
   * The fleet's peak requests over this window must fit on one node fewer:
   * the CPU rule's 10-minute window, so a dip shorter than a drain plus a
   * boot does not cost a node that is needed again at once.
   */
  readonly sustainSeconds: number;
  /** Room kept free after a removal, in pods of the largest shape on the fleet (0 = none). */
  readonly headroomPods: number;
  /** Share of the remaining allocatable kept free after a removal (0 to 1). */
  readonly headroomShare: number;
}

export const defaultConsolidation: ConsolidationOptions = {
  sustainSeconds: 600,
  headroomPods: 0,
  headroomShare: 0,
};

/** What the caller measured that a snapshot alone does not hold. */
export interface ConsolidationInput {
  /** Highest total requests of running and pending pods over `sustainSeconds`. */
  readonly requestsWindowMax: RequestTotals;
}

function reason(code: ReasonCode, message: string, data?: Reason['data']): Reason {
  return data ? { code, message, data } : { code, message };
}

function secondsSince(iso: string | null, now: Date): number {
  return iso === null ? Number.POSITIVE_INFINITY : (now.getTime() - Date.parse(iso)) / 1000;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Requests-based consolidation: remove a node when the fleet's peak
 * requests over the window, plus the headroom, fit on the Ready nodes that
 * stay, and the node's pods fit on the others now (core's `pickVictim`, so
 * the same blockers: do-not-disrupt, local storage, PDBs, StatefulSets,
 * kube-system, too young, recently failed drain). The same budgets as the
 * CPU rule: nothing pending, above min, at most `scaleDown.maxStep` drains
 * at once, nothing joining or not Ready, both cooldowns (the scale-down one
 * skipped while the peak would still fit with two nodes fewer, a clear
 * surplus), and no removal that would put CPU above the scale-up target.
 * Unlike the CPU rule it keeps a node whose pods are busy but
 * few (CPU above 30 % on a half-empty fleet) from holding the fleet up, and
 * never removes one whose pods have nowhere to go. Pure.
 *
 * @example
 * const decision = planConsolidation(snapshot, state, config, now, { requestsWindowMax });
 * if (decision.kind === 'scale-down') drain(decision.victim.nodeName);
 */
export function planConsolidation(
  snapshot: ClusterSnapshot,
  state: ClusterState,
  config: Config,
  now: Date,
  input: ConsolidationInput,
  options: ConsolidationOptions = defaultConsolidation,
): Decision {
  const fleet = countFleet(snapshot, state);
  const holds: Reason[] = [];
  holds.push(...scaleDownGates(snapshot, state, fleet, config, now));

  const hosts = snapshot.nodes.filter((n) => n.ready && !n.unschedulable);
  const perNode: RequestTotals = hosts[0]?.allocatable ?? { cpuMillis: 0, memoryBytes: 0 };
  let largest: RequestTotals = { cpuMillis: 0, memoryBytes: 0 };
  for (const n of hosts)
    for (const p of n.pods)
      largest = {
        cpuMillis: Math.max(largest.cpuMillis, p.cpuMillis),
        memoryBytes: Math.max(largest.memoryBytes, p.memoryBytes),
      };
  /** Share of `nodes` nodes' allocatable the peak plus headroom would take, CPU or memory. */
  const share = (nodes: number) => {
    const keep = 1 - options.headroomShare;
    const room = (per: number) => nodes * per * keep;
    const cpu = input.requestsWindowMax.cpuMillis + options.headroomPods * largest.cpuMillis;
    const mem = input.requestsWindowMax.memoryBytes + options.headroomPods * largest.memoryBytes;
    if (nodes <= 0) return Number.POSITIVE_INFINITY;
    return Math.max(cpu / room(perNode.cpuMillis), mem / room(perNode.memoryBytes));
  };
  const withOneFewer = share(hosts.length - 1);
  if (withOneFewer > 1)
    holds.push(
      reason(
        ReasonCode.CpuNotLow,
        `requests peaked at ${pct(share(hosts.length))} of the fleet in the last ${options.sustainSeconds}s${options.headroomPods > 0 || options.headroomShare > 0 ? ' with headroom' : ''}; one node fewer would need ${pct(withOneFewer)}`,
        { basis: 'requests', projected: withOneFewer },
      ),
    );
  // Requests may fit while usage would not: a removal that the CPU rule would undo at once is churn.
  const u = snapshot.utilization;
  if (u.available && hosts.length > 1) {
    const projectedCpu = (u.cpu.downWindowMax * hosts.length) / (hosts.length - 1);
    if (projectedCpu >= config.scaleUp.targetCpuUtilization)
      holds.push(
        reason(
          ReasonCode.ProjectedCpuTooHigh,
          `one node fewer would put CPU at ${pct(projectedCpu)}, above the ${pct(config.scaleUp.targetCpuUtilization)} target`,
          { projectedCpu },
        ),
      );
  }
  const sinceDown = secondsSince(state.lastScaleDownAt, now);
  const clearSurplus = config.scaleDown.skipCooldownWhenSurplus && share(hosts.length - 2) <= 1;
  if (sinceDown < config.scaleDown.cooldownSeconds && !clearSurplus)
    holds.push(
      reason(
        ReasonCode.CooldownAfterScaleDown,
        `last scale-down ${Math.round(sinceDown)}s ago; cooldown is ${config.scaleDown.cooldownSeconds}s`,
        { secondsLeft: Math.ceil(config.scaleDown.cooldownSeconds - sinceDown) },
      ),
    );
  if (holds.length > 0) return { kind: 'hold', reasons: holds };

  const low = reason(
    ReasonCode.CpuLow,
    `requests peaked at ${pct(share(hosts.length))} of the fleet in the last ${options.sustainSeconds}s; one node fewer holds them at ${pct(withOneFewer)}`,
    { basis: 'requests', projected: withOneFewer },
  );
  const choice = pickVictim(
    snapshot.nodes,
    config,
    now,
    recentFailedVictims(state, config.scaleDown.failedVictimBackoffSeconds, now),
  );
  if (!choice.ok)
    return {
      kind: 'hold',
      reasons: [
        low,
        {
          ...reason(
            choice.reason === 'no-eligible-victim'
              ? ReasonCode.NoEligibleVictim
              : ReasonCode.VictimPodsWouldNotFit,
            `no node can be removed safely (${choice.rejected.map((r) => `${r.nodeName}: ${r.code}`).join(', ')})`,
            { rejected: choice.rejected.length },
          ),
          refusals: [...choice.rejected],
        },
      ],
    };
  return {
    kind: 'scale-down',
    victim: { nodeName: choice.node.name, instanceId: choice.node.instanceId },
    reasons: [
      low,
      {
        ...reason(
          ReasonCode.VictimChosen,
          `removing ${choice.node.name}: its ${choice.podsToMove} pod(s) fit on the other nodes by requests`,
          { podsToMove: choice.podsToMove },
        ),
        ...(choice.rejected.length > 0 ? { refusals: [...choice.rejected] } : {}),
      },
    ],
  };
}
