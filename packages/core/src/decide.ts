import {
  type ClusterSnapshot,
  type ClusterState,
  type Decision,
  type NodeRefusal,
  type Reason,
  ReasonCode,
  type UnhostablePod,
} from '@smartscale/contracts';
import {
  incomingWorkers,
  joinedSince,
  joiningInstanceIds,
  recentFailedVictims,
} from './action-ledger.js';
import { freeRoom } from './binpack.js';
import { planScaleUp } from './capacity-planner.js';
import { type Config, podAllocatable } from './config.js';
import { type DemandPattern, demandPattern, nodesForForecast } from './forecast.js';
import { classifyPendingPods } from './pending-pods.js';
import { pickVictim } from './victim-selection.js';

const pct = (x: number) => `${Math.round(x * 100)}%`;

function reason(code: ReasonCode, message: string, data?: Reason['data']): Reason {
  return data ? { code, message, data } : { code, message };
}

function secondsSince(iso: string | null, now: Date): number {
  return iso === null ? Number.POSITIVE_INFINITY : (now.getTime() - Date.parse(iso)) / 1000;
}

/**
 * A hold for a sample older than `samples.maxAgeSeconds`: a backlog or a
 * replay must not act on a cluster that has moved on. Null when fresh (a
 * takenAt ahead of `now`, clock skew, counts as fresh).
 */
export function staleSampleHold(
  snapshot: ClusterSnapshot,
  config: Config,
  now: Date,
): Decision | null {
  const age = secondsSince(snapshot.takenAt, now);
  const limit = config.samples.maxAgeSeconds;
  if (!(age > limit)) return null;
  const ageSeconds = Math.round(age);
  return {
    kind: 'hold',
    reasons: [
      reason(
        ReasonCode.SampleStale,
        `sample taken ${ageSeconds}s ago (at ${snapshot.takenAt}), older than the ${limit}s limit; waiting for a fresh one`,
        { ageSeconds, maxAgeSeconds: limit, takenAt: snapshot.takenAt },
      ),
    ],
  };
}

/** "node: code (pod, PDB)" for the hold's sentence; the typed refusals travel beside it. */
function describeRefusal(r: NodeRefusal): string {
  const subject = [r.pod, r.pdb && `PDB ${r.pdb}`, r.until && `until ${r.until}`]
    .filter(Boolean)
    .join(', ');
  return subject ? `${r.nodeName}: ${r.code} (${subject})` : `${r.nodeName}: ${r.code}`;
}

/** Worker counts the policy reasons about. */
export interface Fleet {
  /** Registered workers plus those launched and not yet joined. */
  readonly workers: number;
  readonly ready: number;
  readonly incoming: number;
  /** Registered, not Ready, and not one of ours still joining. */
  readonly notReady: number;
}

/** Counts the fleet without counting a joining instance twice. */
export function countFleet(snapshot: ClusterSnapshot, state: ClusterState): Fleet {
  const joining = joiningInstanceIds(state);
  const settled = snapshot.nodes.filter((n) => !(n.instanceId && joining.has(n.instanceId)));
  // A worker whose join the ledger recorded after the sample was taken is in
  // neither the sample nor the in-flight actions: count it as incoming.
  const seen = new Set([
    ...joining,
    ...snapshot.nodes.flatMap((n) => (n.instanceId ? [n.instanceId] : [])),
  ]);
  const incoming = incomingWorkers(state) + joinedSince(state, snapshot.takenAt, seen);
  return {
    workers: settled.length + incoming,
    ready: settled.filter((n) => n.ready).length,
    incoming,
    notReady: settled.filter((n) => !n.ready).length,
  };
}

interface Proposal {
  readonly count: number;
  readonly reasons: Reason[];
}

function capReasons(count: number, needed: number, fleet: Fleet, config: Config): Reason[] {
  if (count >= needed) return [];
  const room = config.workers.max - fleet.workers;
  return room <= config.scaleUp.maxStep
    ? [
        reason(ReasonCode.CappedByMax, `capped at max ${config.workers.max} workers`, {
          needed,
          max: config.workers.max,
        }),
      ]
    : [
        reason(ReasonCode.CappedByStep, `capped by the step limit of ${config.scaleUp.maxStep}`, {
          needed,
          step: config.scaleUp.maxStep,
        }),
      ];
}

/** Scale-up for pods the scheduler cannot place; not subject to cooldown. */
function proposeForPendingPods(
  snapshot: ClusterSnapshot,
  fleet: Fleet,
  config: Config,
  now: Date,
  notes: Reason[],
): Proposal | null {
  if (snapshot.pendingPods.length === 0) return null;
  const graceMs = config.scaleUp.pendingGraceSeconds * 1000;
  const due = snapshot.pendingPods.filter(
    (p) => now.getTime() - Date.parse(p.pendingSince) >= graceMs,
  );
  if (due.length < snapshot.pendingPods.length) {
    notes.push(
      reason(
        ReasonCode.PendingWithinGrace,
        `${snapshot.pendingPods.length - due.length} pod(s) pending for less than ${config.scaleUp.pendingGraceSeconds}s`,
        {
          pods: snapshot.pendingPods.length - due.length,
        },
      ),
    );
  }
  if (due.length === 0) return null;
  const existingFree = snapshot.nodes.filter((n) => n.ready && !n.unschedulable).map(freeRoom);
  const plan = planScaleUp(
    {
      pendingPods: due,
      currentWorkers: fleet.workers,
      incomingWorkers: fleet.incoming,
      existingFree,
    },
    config,
  );
  if (plan.podsOnIncoming > 0 && plan.nodesNeeded === 0) {
    notes.push(
      reason(
        ReasonCode.PendingCoveredByInFlight,
        `${plan.podsOnIncoming} pending pod(s) fit on free room of Ready nodes or on ${fleet.incoming} node(s) already launching`,
        {
          pods: plan.podsOnIncoming,
          incoming: fleet.incoming,
        },
      ),
    );
  }
  if (plan.nodesNeeded === 0) return null;
  if (plan.nodesToAdd === 0) {
    notes.push(
      reason(
        ReasonCode.AtMax,
        `${due.length} pod(s) pending but already at max ${config.workers.max} workers`,
        { pods: due.length, max: config.workers.max },
      ),
    );
    return null;
  }
  return {
    count: plan.nodesToAdd,
    reasons: [
      reason(
        ReasonCode.PendingPods,
        `${due.length} pod(s) unschedulable; ${plan.nodesNeeded} ${config.instance.type} node(s) fit them`,
        {
          pods: due.length,
          nodesNeeded: plan.nodesNeeded,
          podsOnIncoming: plan.podsOnIncoming,
        },
      ),
      ...capReasons(plan.nodesToAdd, plan.nodesNeeded, fleet, config),
    ],
  };
}

/** Scale-up for sustained CPU or memory pressure. */
function proposeForPressure(
  snapshot: ClusterSnapshot,
  state: ClusterState,
  fleet: Fleet,
  config: Config,
  now: Date,
  notes: Reason[],
): Proposal | null {
  const u = snapshot.utilization;
  const triggers: Reason[] = [];
  let wanted = 0;
  const base = Math.max(fleet.ready, 1);
  if (u.available && u.cpu.upWindowMin > config.scaleUp.cpuThreshold) {
    triggers.push(
      reason(
        ReasonCode.CpuHigh,
        `CPU above ${pct(config.scaleUp.cpuThreshold)} for ${config.scaleUp.cpuSustainSeconds}s (lowest ${pct(u.cpu.upWindowMin)})`,
        {
          cpu: u.cpu.now,
          windowMin: u.cpu.upWindowMin,
          threshold: config.scaleUp.cpuThreshold,
        },
      ),
    );
    wanted = Math.max(
      wanted,
      Math.ceil((base * u.cpu.now) / config.scaleUp.targetCpuUtilization) - base,
    );
  }
  if (u.available && u.memory.now > config.scaleUp.memoryThreshold) {
    triggers.push(
      reason(
        ReasonCode.MemoryHigh,
        `memory at ${pct(u.memory.now)}, above ${pct(config.scaleUp.memoryThreshold)}`,
        {
          memory: u.memory.now,
          threshold: config.scaleUp.memoryThreshold,
        },
      ),
    );
    const target = (config.scaleUp.memoryThreshold + config.scaleDown.memoryThreshold) / 2;
    wanted = Math.max(wanted, Math.ceil((base * u.memory.now) / target) - base);
  }
  for (const trigger of config.appTriggers) {
    const value = snapshot.appSignals?.[trigger.name];
    if (value === undefined) continue;
    const fired =
      trigger.direction === 'above' ? value > trigger.threshold : value < trigger.threshold;
    if (!fired) continue;
    triggers.push(
      reason(
        ReasonCode.AppTrigger,
        `${trigger.name} ${trigger.direction} ${trigger.threshold} for ${trigger.sustainSeconds}s (${value})`,
        {
          trigger: trigger.name,
          value,
          threshold: trigger.threshold,
        },
      ),
    );
    wanted = Math.max(wanted, trigger.addNodes);
  }
  if (triggers.length === 0) return null;

  const sinceUp = secondsSince(state.lastScaleUpAt, now);
  if (sinceUp < config.scaleUp.cooldownSeconds) {
    notes.push(
      ...triggers,
      reason(
        ReasonCode.CooldownAfterScaleUp,
        `last scale-up ${Math.round(sinceUp)}s ago; cooldown is ${config.scaleUp.cooldownSeconds}s`,
        { secondsLeft: Math.ceil(config.scaleUp.cooldownSeconds - sinceUp) },
      ),
    );
    return null;
  }
  if (fleet.incoming > 0) {
    notes.push(
      ...triggers,
      reason(
        ReasonCode.ScaleUpInFlight,
        `${fleet.incoming} node(s) still joining; their capacity counts first`,
        { incoming: fleet.incoming },
      ),
    );
    return null;
  }
  const room = config.workers.max - fleet.workers;
  if (room <= 0) {
    notes.push(
      ...triggers,
      reason(ReasonCode.AtMax, `already at max ${config.workers.max} workers`, {
        max: config.workers.max,
      }),
    );
    return null;
  }
  const needed = Math.max(1, wanted);
  const count = Math.min(needed, room, config.scaleUp.maxStep);
  return { count, reasons: [...triggers, ...capReasons(count, needed, fleet, config)] };
}

/** Room the fleet offers pods now: Ready schedulable nodes plus those launching. */
function fleetCapacity(snapshot: ClusterSnapshot, fleet: Fleet, config: Config) {
  const perNode = podAllocatable(config);
  let cpuMillis = fleet.incoming * perNode.cpuMillis;
  let memoryBytes = fleet.incoming * perNode.memoryBytes;
  for (const n of snapshot.nodes) {
    if (!n.ready || n.unschedulable) continue;
    cpuMillis += n.allocatable.cpuMillis;
    memoryBytes += n.allocatable.memoryBytes;
  }
  return { cpuMillis, memoryBytes, perNode };
}

/** Pre-scale one boot time ahead of a rise the daily pattern predicts. */
function proposeForForecast(
  snapshot: ClusterSnapshot,
  pattern: DemandPattern,
  fleet: Fleet,
  config: Config,
  now: Date,
  notes: Reason[],
): Proposal | null {
  if (!config.predictive.enabled) return null;
  const ahead = config.instance.bootSeconds + config.predictive.lookaheadExtraSeconds;
  const forecast = pattern.forecast(new Date(now.getTime() + ahead * 1000));
  if (!forecast.ok) {
    notes.push(
      reason(ReasonCode.PredictionUnavailable, `pre-scaling off for now: ${forecast.detail}`),
    );
    return null;
  }
  const { perNode, ...capacity } = fleetCapacity(snapshot, fleet, config);
  const wanted = nodesForForecast(forecast, capacity, perNode, config);
  if (wanted === 0) return null;
  const room = Math.max(0, config.workers.max - fleet.workers);
  const count = Math.min(wanted, room, config.scaleUp.maxStep);
  if (count === 0) return null;
  return {
    count,
    reasons: [
      reason(
        ReasonCode.PredictedRise,
        `demand of ${Math.round(forecast.cpuMillis)}m CPU expected at ${forecast.at.slice(11, 16)} UTC (${forecast.basis}); adding ${count} node(s) one boot time ahead`,
        {
          forecastCpuMillis: Math.round(forecast.cpuMillis),
          capacityCpuMillis: Math.round(capacity.cpuMillis),
          daysUsed: forecast.daysUsed,
        },
      ),
      ...capReasons(count, wanted, fleet, config),
    ],
  };
}

/** A rise the pattern expects before a removed node could come back. */
function riseAhead(
  snapshot: ClusterSnapshot,
  pattern: DemandPattern,
  fleet: Fleet,
  config: Config,
  now: Date,
): Reason | null {
  if (!config.predictive.enabled) return null;
  const { perNode, ...capacity } = fleetCapacity(snapshot, fleet, config);
  const after = {
    cpuMillis: capacity.cpuMillis - perNode.cpuMillis,
    memoryBytes: capacity.memoryBytes - perNode.memoryBytes,
  };
  const horizon = Math.max(config.predictive.keepHorizonSeconds, config.instance.bootSeconds);
  for (let s = 0; s <= horizon; s += config.predictive.slotSeconds) {
    const forecast = pattern.forecast(new Date(now.getTime() + s * 1000));
    if (forecast.ok && nodesForForecast(forecast, after, perNode, config) > 0) {
      return reason(
        ReasonCode.PredictedRiseAhead,
        `the daily pattern expects ${Math.round(forecast.cpuMillis)}m CPU at ${forecast.at.slice(11, 16)} UTC; keeping the node`,
        { forecastCpuMillis: Math.round(forecast.cpuMillis) },
      );
    }
  }
  return null;
}

/**
 * What holds back any scale-down, whatever its trigger (CPU thresholds or
 * requests-based consolidation): pods pending, at min, a drain or a launch
 * in flight, a node not Ready, the scale-up cooldown.
 */
export function scaleDownGates(
  snapshot: ClusterSnapshot,
  state: ClusterState,
  fleet: Fleet,
  config: Config,
  now: Date,
): Reason[] {
  const holds: Reason[] = [];
  if (snapshot.pendingPods.length > 0)
    holds.push(
      reason(ReasonCode.PendingPodsPresent, `${snapshot.pendingPods.length} pod(s) pending`),
    );
  if (fleet.workers <= config.workers.min)
    holds.push(
      reason(ReasonCode.AtMin, `at min ${config.workers.min} workers`, { min: config.workers.min }),
    );
  const draining = state.inFlight.filter((a) => a.kind === 'scale-down').length;
  if (draining >= config.scaleDown.maxStep)
    holds.push(reason(ReasonCode.ScaleDownInFlight, `${draining} node(s) already draining`));
  if (fleet.incoming > 0)
    holds.push(reason(ReasonCode.ScaleUpInFlight, `${fleet.incoming} node(s) still joining`));
  if (fleet.notReady > 0)
    holds.push(
      reason(ReasonCode.NodesNotReady, `${fleet.notReady} node(s) not Ready`, {
        nodes: fleet.notReady,
      }),
    );
  const sinceUp = secondsSince(state.lastScaleUpAt, now);
  if (sinceUp < config.scaleUp.cooldownSeconds)
    holds.push(
      reason(
        ReasonCode.CooldownAfterScaleUp,
        `last scale-up ${Math.round(sinceUp)}s ago; cooldown is ${config.scaleUp.cooldownSeconds}s`,
        { secondsLeft: Math.ceil(config.scaleUp.cooldownSeconds - sinceUp) },
      ),
    );
  return holds;
}

function considerScaleDown(
  snapshot: ClusterSnapshot,
  pattern: DemandPattern,
  state: ClusterState,
  fleet: Fleet,
  config: Config,
  now: Date,
): Decision {
  const u = snapshot.utilization;
  const holds: Reason[] = [];
  if (!u.available) {
    return {
      kind: 'hold',
      reasons: [
        reason(
          ReasonCode.MetricsUnavailable,
          `metrics unavailable (${u.reason}); never scaling down blind`,
        ),
      ],
    };
  }
  if (u.cpu.downWindowMax >= config.scaleDown.cpuThreshold) {
    holds.push(
      reason(
        ReasonCode.CpuNotLow,
        `CPU reached ${pct(u.cpu.downWindowMax)} in the last ${config.scaleDown.sustainSeconds}s; scale-down needs below ${pct(config.scaleDown.cpuThreshold)}`,
        { windowMax: u.cpu.downWindowMax },
      ),
    );
  }
  if (u.memory.downWindowMax >= config.scaleDown.memoryThreshold) {
    holds.push(
      reason(
        ReasonCode.MemoryNotLow,
        `memory reached ${pct(u.memory.downWindowMax)}; scale-down needs below ${pct(config.scaleDown.memoryThreshold)}`,
        { windowMax: u.memory.downWindowMax },
      ),
    );
  }
  if (holds.length > 0)
    return {
      kind: 'hold',
      reasons: [reason(ReasonCode.NoTrigger, 'no scaling trigger holds'), ...holds],
    };

  holds.push(...scaleDownGates(snapshot, state, fleet, config, now));
  const after = Math.max(fleet.ready - 1, 1);
  const projectedCpu = (u.cpu.downWindowMax * fleet.ready) / after;
  const projectedMemory = (u.memory.downWindowMax * fleet.ready) / after;
  // A fleet still idle with one node fewer sheds its surplus one node per
  // drain instead of one per cooldown; min node age still prevents flapping.
  const clearlySurplus =
    config.scaleDown.skipCooldownWhenSurplus &&
    projectedCpu < config.scaleDown.cpuThreshold &&
    projectedMemory < config.scaleDown.memoryThreshold;
  const sinceDown = secondsSince(state.lastScaleDownAt, now);
  if (sinceDown < config.scaleDown.cooldownSeconds && !clearlySurplus)
    holds.push(
      reason(
        ReasonCode.CooldownAfterScaleDown,
        `last scale-down ${Math.round(sinceDown)}s ago; cooldown is ${config.scaleDown.cooldownSeconds}s`,
        { secondsLeft: Math.ceil(config.scaleDown.cooldownSeconds - sinceDown) },
      ),
    );
  const rise = riseAhead(snapshot, pattern, fleet, config, now);
  if (rise) holds.push(rise);
  if (projectedCpu >= config.scaleUp.targetCpuUtilization) {
    holds.push(
      reason(
        ReasonCode.ProjectedCpuTooHigh,
        `one node fewer would put CPU at ${pct(projectedCpu)}, above the ${pct(config.scaleUp.targetCpuUtilization)} target`,
        { projectedCpu },
      ),
    );
  }
  if (holds.length > 0) return { kind: 'hold', reasons: holds };

  const lows = [
    reason(
      ReasonCode.CpuLow,
      `CPU below ${pct(config.scaleDown.cpuThreshold)} for ${config.scaleDown.sustainSeconds}s (highest ${pct(u.cpu.downWindowMax)})`,
      { windowMax: u.cpu.downWindowMax },
    ),
    reason(
      ReasonCode.MemoryLow,
      `memory below ${pct(config.scaleDown.memoryThreshold)} (highest ${pct(u.memory.downWindowMax)})`,
      { windowMax: u.memory.downWindowMax },
    ),
  ];
  const choice = pickVictim(
    snapshot.nodes,
    config,
    now,
    recentFailedVictims(state, config.scaleDown.failedVictimBackoffSeconds, now),
  );
  if (!choice.ok) {
    const code =
      choice.reason === 'no-eligible-victim'
        ? ReasonCode.NoEligibleVictim
        : ReasonCode.VictimPodsWouldNotFit;
    const detail = choice.rejected.map(describeRefusal).join(', ');
    return {
      kind: 'hold',
      reasons: [
        ...lows,
        {
          ...reason(code, `no node can be removed safely (${detail})`, {
            rejected: choice.rejected.length,
          }),
          refusals: [...choice.rejected],
        },
      ],
    };
  }
  return {
    kind: 'scale-down',
    victim: { nodeName: choice.node.name, instanceId: choice.node.instanceId },
    reasons: [
      ...lows,
      {
        ...reason(
          ReasonCode.VictimChosen,
          `removing ${choice.node.name}: its ${choice.podsToMove} pod(s) fit on the other nodes`,
          { podsToMove: choice.podsToMove },
        ),
        // Why not another node ("why not worker-3?") is explain's next question.
        ...(choice.rejected.length > 0 ? { refusals: [...choice.rejected] } : {}),
      },
    ],
  };
}

/** At most this many unhostable pods travel in a decision (message and audit item sizes). */
export const MAX_LISTED_UNHOSTABLE = 50;

/**
 * The unhostable pods a decision lists: one per owner first (so every owner
 * up to the limit is named, and announced), then more pods of the same owners.
 */
function listUnhostable(all: readonly UnhostablePod[]): UnhostablePod[] {
  const seen = new Set<string>();
  const first: UnhostablePod[] = [];
  const rest: UnhostablePod[] = [];
  for (const u of all) {
    if (seen.has(u.owner)) rest.push(u);
    else {
      seen.add(u.owner);
      first.push(u);
    }
  }
  return [...first, ...rest].slice(0, MAX_LISTED_UNHOSTABLE);
}

/**
 * SmartScale's policy: one evaluation of the cluster. Pure: the same
 * snapshot, state, config and `now` always give the same decision, and
 * every decision, holds included, carries its reasons.
 *
 * Scale up when ANY holds: unschedulable pods past the grace (sized by bin
 * packing, ignoring cooldown since idle pods cost most), sustained CPU or
 * memory pressure (respecting the scale-up cooldown), or fewer than min
 * workers. Scale down one node when ALL hold: low CPU and memory over the
 * window, nothing pending, above min, no action in flight, both cooldowns
 * passed, and a victim whose pods fit elsewhere.
 *
 * @example
 * const decision = decide(snapshot, state, config, new Date());
 */
export function decide(
  snapshot: ClusterSnapshot,
  state: ClusterState,
  config: Config,
  now: Date,
): Decision {
  const stale = staleSampleHold(snapshot, config, now);
  if (stale) return stale;
  if (state.paused) {
    return {
      kind: 'hold',
      reasons: [reason(ReasonCode.Paused, `paused by ${state.paused.by}: ${state.paused.reason}`)],
    };
  }
  const fleet = countFleet(snapshot, state);
  // Only pods a new worker could host launch workers or hold back scale-down;
  // the rest are reported beside whatever is decided.
  const { hostable, unhostable } = classifyPendingPods(snapshot.pendingPods, config);
  const cluster: ClusterSnapshot = { ...snapshot, pendingPods: hostable };

  // Restoring min is never subject to cooldown; pending pods may need more.
  const belowMin: Proposal | null =
    fleet.workers < config.workers.min
      ? {
          count: Math.min(config.workers.min - fleet.workers, config.scaleUp.maxStep),
          reasons: [
            reason(
              ReasonCode.BelowMin,
              `${fleet.workers} worker(s), below min ${config.workers.min}`,
              {
                workers: fleet.workers,
                min: config.workers.min,
              },
            ),
          ],
        }
      : null;

  const notes: Reason[] = [];
  const pending = proposeForPendingPods(cluster, fleet, config, now, notes);
  const pressure = proposeForPressure(cluster, state, fleet, config, now, notes);
  // Notes about prediction and unhostable pods inform; they must not turn a scale-down into a hold.
  const info: Reason[] = [];
  if (unhostable.length > 0) {
    const owners = [...new Set(unhostable.map((u) => u.owner))];
    const listed = listUnhostable(unhostable);
    info.push({
      ...reason(
        ReasonCode.PendingUnhostable,
        `${unhostable.length} pending pod(s) no new ${config.instance.type} worker could host, not counted (${owners.slice(0, 5).join(', ')}${owners.length > 5 ? ', ...' : ''}: ${unhostable[0]?.code}, ${unhostable[0]?.detail})`,
        { pods: unhostable.length, owners: owners.length, listed: listed.length },
      ),
      unhostable: listed,
    });
  }
  const pattern = demandPattern(snapshot.demandHistory ?? [], now, config);
  const predicted =
    pending || pressure ? null : proposeForForecast(cluster, pattern, fleet, config, now, info);
  if (belowMin || pending || pressure || predicted) {
    const room = Math.max(0, config.workers.max - fleet.workers);
    const count = Math.min(
      Math.max(
        belowMin?.count ?? 0,
        pending?.count ?? 0,
        pressure?.count ?? 0,
        predicted?.count ?? 0,
      ),
      room,
    );
    return {
      kind: 'scale-up',
      count,
      reasons: [
        ...(belowMin?.reasons ?? []),
        ...(pending?.reasons ?? []),
        ...(pressure?.reasons ?? []),
        ...(predicted?.reasons ?? []),
        ...notes,
        ...info,
      ],
    };
  }
  if (notes.length > 0 || cluster.pendingPods.length > 0) {
    const missing = cluster.utilization.available
      ? []
      : [
          reason(
            ReasonCode.MetricsUnavailable,
            `metrics unavailable (${cluster.utilization.reason})`,
          ),
        ];
    const why =
      notes.length + missing.length > 0
        ? [...notes, ...missing]
        : [reason(ReasonCode.PendingPodsPresent, `${cluster.pendingPods.length} pod(s) pending`)];
    return { kind: 'hold', reasons: [...why, ...info] };
  }
  const down = considerScaleDown(cluster, pattern, state, fleet, config, now);
  return info.length > 0 ? { ...down, reasons: [...down.reasons, ...info] } : down;
}
