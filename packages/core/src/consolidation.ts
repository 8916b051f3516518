import type { ClusterSnapshot, ClusterState, Decision, Reason } from '@smartscale/contracts';
import type { Config } from './config.js';
import { cooldownAfterScaleDown } from './decide/cooldowns.js';
import { countFleet } from './decide/fleet.js';
import { reasons } from './decide/reasons.js';
import { scaleDownGates } from './decide/scale-down-gates.js';
import { removeOneNode } from './decide/victim.js';

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
      reasons.CpuNotLow({
        basis: 'requests',
        peak: share(hosts.length),
        projected: withOneFewer,
        sustainSeconds: options.sustainSeconds,
        withHeadroom: options.headroomPods > 0 || options.headroomShare > 0,
      }),
    );
  // Requests may fit while usage would not: a removal that the CPU rule would undo at once is churn.
  const u = snapshot.utilization;
  if (u.available && hosts.length > 1) {
    const projectedCpu = (u.cpu.downWindowMax * hosts.length) / (hosts.length - 1);
    if (projectedCpu >= config.scaleUp.targetCpuUtilization)
      holds.push(
        reasons.ProjectedCpuTooHigh({ projectedCpu, target: config.scaleUp.targetCpuUtilization }),
      );
  }
  const clearSurplus = config.scaleDown.skipCooldownWhenSurplus && share(hosts.length - 2) <= 1;
  const cooldown = cooldownAfterScaleDown({ snapshot, state, config, now }, clearSurplus);
  if (cooldown) holds.push(cooldown);
  if (holds.length > 0) return { kind: 'hold', reasons: holds };

  const low = reasons.CpuLow({
    basis: 'requests',
    peak: share(hosts.length),
    projected: withOneFewer,
    sustainSeconds: options.sustainSeconds,
  });
  return removeOneNode({ snapshot, state, config, now }, [low], 'requests');
}
