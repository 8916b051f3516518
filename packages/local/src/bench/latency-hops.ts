// The pure part of `npm run bench:latency` (issue #18): the timestamps each
// pending pod's scale-up left behind (the API's pending time, the audit's
// sample and decision, the provisioner's log, the InstancesLaunched event)
// joined by action id into hops, their percentiles, and the printed table
// with the targets. No I/O and no clock: latency-bench.ts gathers the inputs.
import { type NodeInfo, parseMessageJson, SampledSnapshotSchema } from '@smartscale/contracts';
import { percentile } from '../demo/report.ts';

export const LATENCY_MODES = ['watch', 'schedule'] as const;
/** `watch`: the sampler's pending-pod watch and the 1-minute schedule; `schedule`: the schedule alone. */
export type LatencyMode = (typeof LATENCY_MODES)[number];

/**
 * The issue's targets for SmartScale's own share at p95 (pod pending ->
 * launch call returned, less the policy's pending grace): 2 s with the
 * watch; 65 s on the 1-minute schedule alone (a minute's wait, then 5 s).
 */
export const OWN_SHARE_TARGET_SECONDS: Readonly<Record<LatencyMode, number>> = {
  watch: 2,
  schedule: 65,
};

/** A pod of a burst as the API showed it while it was unschedulable. */
export interface PendingPodStamp {
  readonly namespace: string;
  readonly name: string;
  /** Its controller as "Kind/name", as the sampler records it. */
  readonly owner?: string;
  /** PodScheduled=False's lastTransitionTime, else creationTimestamp (whole seconds). */
  readonly pendingAt: string;
}

/** A pending pod as a decision's audited snapshot lists it. */
export interface SampledPendingPod {
  readonly namespace: string;
  readonly name: string;
  readonly owner?: string;
  readonly pendingSince: string;
}

/** One decision of the audit log, with its sample's time and the pending pods it saw. */
export interface DecisionStamp {
  readonly actionId: string;
  /** The audit record's time. */
  readonly decidedAt: string;
  /** The sample's `takenAt`. */
  readonly sampledAt: string;
  readonly kind: string;
  readonly pending: readonly SampledPendingPod[];
}

/** An audit entry as `AuditLog` returns it (only the fields read here). */
export interface AuditEntryLike {
  readonly actionId: string;
  readonly at: string;
  readonly kind: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The decision in an audit entry, or null for other entries (outcomes,
 * expiries). A scale-up whose snapshot is not inline (a sample too big
 * for the audit item) cannot say which pods it saw: that is an error
 * naming the action, not a guess.
 *
 * @example
 * decisionStampOf(await audit.byAction(actionId))?.sampledAt
 */
export function decisionStampOf(entry: AuditEntryLike): DecisionStamp | null {
  if (entry.kind !== 'decision') return null;
  const decision = entry.detail.decision;
  const kind = isObject(decision) && typeof decision.kind === 'string' ? decision.kind : '';
  const parsed = SampledSnapshotSchema.safeParse(entry.detail.snapshot);
  if (!parsed.success) {
    if (kind !== 'scale-up') return null;
    throw new Error(
      `audit decision ${entry.actionId}: expected its sample's snapshot inline (detail.snapshot) to tell which pods it saw; ${'snapshot' in entry.detail ? `it does not parse: ${parsed.error.issues[0]?.message}` : 'the entry carries a summary only'}`,
    );
  }
  const snapshot = parsed.data;
  return {
    actionId: entry.actionId,
    decidedAt: entry.at,
    sampledAt: snapshot.takenAt,
    kind,
    pending: snapshot.pendingPods.map((p) => ({
      namespace: p.namespace,
      name: p.name,
      ...(p.owner !== undefined ? { owner: p.owner } : {}),
      pendingSince: p.pendingSince,
    })),
  };
}

/**
 * The first time each action's line `message` appears in a service's
 * structured log (JSON lines carrying `timestamp` and `actionId`); a
 * redelivered command logs again, and its first receipt is the one that counts.
 *
 * @example
 * firstLogTimes(readFileSync('provisioner.log', 'utf8').split('\n'), 'command received')
 */
export function firstLogTimes(lines: readonly string[], message: string): Map<string, string> {
  const times = new Map<string, string>();
  for (const line of lines) {
    if (!line.startsWith('{')) continue;
    let entry: unknown;
    try {
      entry = JSON.parse(line);
    } catch {
      continue;
    }
    if (!isObject(entry) || entry.message !== message) continue;
    const { actionId, timestamp } = entry;
    if (typeof actionId !== 'string' || typeof timestamp !== 'string') continue;
    if (!times.has(actionId)) times.set(actionId, timestamp);
  }
  return times;
}

/** What one action's launch came to, from its InstancesLaunched or ActionFailed event. */
export type LaunchOutcome =
  | { readonly launched: true; readonly at: string }
  | { readonly launched: false; readonly at: string; readonly reason: string };

/**
 * Reads InstancesLaunched (its `occurredAt` is taken as the launch calls
 * return) and ActionFailed events from message bodies, first per action;
 * anything else is skipped. A body that is not an envelope throws, naming it.
 */
export function launchOutcomes(bodies: readonly string[]): Map<string, LaunchOutcome> {
  const outcomes = new Map<string, LaunchOutcome>();
  for (const body of bodies) {
    const parsed = parseMessageJson(body);
    if (!parsed.ok)
      throw new Error(`event body is not a SmartScale message: ${parsed.error.message}`);
    const m = parsed.value;
    if (outcomes.has(m.actionId)) continue;
    if (m.type === 'InstancesLaunched')
      outcomes.set(m.actionId, { launched: true, at: m.occurredAt });
    else if (m.type === 'ActionFailed')
      outcomes.set(m.actionId, {
        launched: false,
        at: m.occurredAt,
        reason: `${m.payload.reason}${m.payload.detail ? `: ${m.payload.detail}` : ''}`,
      });
  }
  return outcomes;
}

/** One pod's path to its launch, in epoch milliseconds. */
export interface PodLatency {
  readonly pod: string;
  readonly actionId: string;
  readonly pendingAt: number;
  readonly sampledAt: number;
  readonly decidedAt: number;
  readonly receivedAt: number;
  readonly launchedAt: number;
}

export interface JoinedHops {
  readonly rows: readonly PodLatency[];
  /** Pods whose path is incomplete, with the missing step. */
  readonly unmatched: readonly { readonly pod: string; readonly why: string }[];
}

/**
 * The decision acted on the pod: its sample listed the pod, and the pod
 * was past the grace at the decision's time, as core's pending-pods
 * trigger counts it (`now - pendingSince >= grace`, `now` being the time
 * the audit records). A pod still within the grace was held by that
 * decision and is acted on by a later one.
 */
function actedOn(decision: DecisionStamp, pod: PendingPodStamp, graceMs: number): boolean {
  const pendingAt = Date.parse(pod.pendingAt);
  // The compact snapshot keeps one name per group of alike pods; the others
  // are known by owner and pending time, which the group shares.
  const listed = decision.pending.find(
    (p) =>
      p.namespace === pod.namespace &&
      (p.name === pod.name ||
        (pod.owner !== undefined &&
          p.owner === pod.owner &&
          Date.parse(p.pendingSince) === pendingAt)),
  );
  return (
    listed !== undefined &&
    Date.parse(decision.decidedAt) - Date.parse(listed.pendingSince) >= graceMs
  );
}

function time(what: string, iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new Error(`${what} '${iso}' is not an ISO time`);
  return ms;
}

/**
 * Each pending pod joined to the first scale-up decision that acted on it
 * (its sample listed the pod, past the grace at the decision), then by that
 * action id to the provisioner's receipt and the launch's return. A pod
 * with a missing step is listed with the step, never guessed.
 *
 * @example
 * const { rows, unmatched } = joinHops({ pods, decisions, receipts, launches, graceSeconds: 10 });
 */
export function joinHops(input: {
  readonly pods: readonly PendingPodStamp[];
  readonly decisions: readonly DecisionStamp[];
  /** actionId -> the provisioner's `command received` time. */
  readonly receipts: ReadonlyMap<string, string>;
  readonly launches: ReadonlyMap<string, LaunchOutcome>;
  /** `scaleUp.pendingGraceSeconds` of the policy the decider ran. */
  readonly graceSeconds: number;
}): JoinedHops {
  const graceMs = input.graceSeconds * 1000;
  const scaleUps = input.decisions
    .filter((d) => d.kind === 'scale-up')
    .sort((a, b) => time('decidedAt', a.decidedAt) - time('decidedAt', b.decidedAt));
  const rows: PodLatency[] = [];
  const unmatched: { pod: string; why: string }[] = [];
  for (const pod of input.pods) {
    const id = `${pod.namespace}/${pod.name}`;
    const decision = scaleUps.find((d) => actedOn(d, pod, graceMs));
    if (!decision) {
      unmatched.push({
        pod: id,
        why: 'no scale-up decision in the audit log lists it pending past the grace',
      });
      continue;
    }
    const received = input.receipts.get(decision.actionId);
    if (received === undefined) {
      unmatched.push({
        pod: id,
        why: `action ${decision.actionId}: no 'command received' in the provisioner's log`,
      });
      continue;
    }
    const launch = input.launches.get(decision.actionId);
    if (!launch?.launched) {
      unmatched.push({
        pod: id,
        why: `action ${decision.actionId}: ${launch ? `ActionFailed (${launch.reason})` : 'no InstancesLaunched event'}`,
      });
      continue;
    }
    rows.push({
      pod: id,
      actionId: decision.actionId,
      pendingAt: time(`pod ${id} pending time`, pod.pendingAt),
      sampledAt: time(`action ${decision.actionId} takenAt`, decision.sampledAt),
      decidedAt: time(`action ${decision.actionId} audit time`, decision.decidedAt),
      receivedAt: time(`action ${decision.actionId} receipt`, received),
      launchedAt: time(`action ${decision.actionId} InstancesLaunched`, launch.at),
    });
  }
  return { rows, unmatched };
}

/** The hops in order, each from one timestamp to the next, in seconds. */
export const HOPS = [
  {
    name: 'pod pending -> sampled',
    seconds: (r: PodLatency) => (r.sampledAt - r.pendingAt) / 1000,
  },
  { name: 'sampled -> decided', seconds: (r: PodLatency) => (r.decidedAt - r.sampledAt) / 1000 },
  {
    name: 'decided -> command received',
    seconds: (r: PodLatency) => (r.receivedAt - r.decidedAt) / 1000,
  },
  {
    name: 'command received -> launch returned',
    seconds: (r: PodLatency) => (r.launchedAt - r.receivedAt) / 1000,
  },
] as const;

export interface Spread {
  readonly p50: number | null;
  readonly p95: number | null;
}

const spread = (values: readonly number[]): Spread => ({
  p50: percentile(values, 0.5),
  p95: percentile(values, 0.95),
});

export interface LatencySummary {
  readonly mode: LatencyMode;
  readonly pods: number;
  readonly actions: number;
  readonly unmatched: number;
  readonly graceSeconds: number;
  readonly hops: readonly (Spread & { readonly name: string })[];
  readonly total: Spread;
  /** Total less the pending grace: the time SmartScale itself takes. */
  readonly ownShare: Spread;
  readonly targetSeconds: number;
  /** Own share p95 within the target; false with no measured pod. */
  readonly pass: boolean;
}

/**
 * Percentiles (nearest rank, over pods) of each hop, of the total and of
 * SmartScale's own share: the total less `graceSeconds`, the policy's
 * deliberate wait before a pending pod counts (`scaleUp.pendingGraceSeconds`).
 *
 * @example
 * summarizeLatency('watch', joinHops(input), 10).pass
 */
export function summarizeLatency(
  mode: LatencyMode,
  joined: JoinedHops,
  graceSeconds: number,
): LatencySummary {
  if (!Number.isFinite(graceSeconds) || graceSeconds < 0)
    throw new Error(`graceSeconds is ${graceSeconds}: expected seconds, 0 or more`);
  const totals = joined.rows.map((r) => (r.launchedAt - r.pendingAt) / 1000);
  const ownShare = spread(totals.map((t) => t - graceSeconds));
  const targetSeconds = OWN_SHARE_TARGET_SECONDS[mode];
  return {
    mode,
    pods: joined.rows.length,
    actions: new Set(joined.rows.map((r) => r.actionId)).size,
    unmatched: joined.unmatched.length,
    graceSeconds,
    hops: HOPS.map((h) => ({ name: h.name, ...spread(joined.rows.map(h.seconds)) })),
    total: spread(totals),
    ownShare,
    targetSeconds,
    pass: ownShare.p95 !== null && ownShare.p95 <= targetSeconds,
  };
}

function seconds(value: number | null): string {
  if (value === null) return 'n/a';
  return `${value.toFixed(Math.abs(value) < 10 ? 2 : 1)} s`;
}

/**
 * The printed table: a p50/p95 column pair per mode, a row per hop, the
 * total, the own share and its target with pass/fail.
 *
 * @example
 * console.log(formatLatencyTable([summarizeLatency('watch', joined, 10)]));
 */
export function formatLatencyTable(summaries: readonly LatencySummary[]): string {
  const label = 38;
  const cell = 10;
  const pad = (s: string) => s.padStart(cell);
  const lines = [
    ''.padEnd(label) + summaries.map((s) => `${s.mode}`.padStart(cell * 2)).join('  '),
    ''.padEnd(label) + summaries.map(() => pad('p50') + pad('p95')).join('  '),
  ];
  const row = (name: string, pick: (s: LatencySummary) => Spread) =>
    name.padEnd(label) +
    summaries.map((s) => pad(seconds(pick(s).p50)) + pad(seconds(pick(s).p95))).join('  ');
  HOPS.forEach((h, i) => {
    lines.push(row(h.name, (s) => s.hops[i] ?? { p50: null, p95: null }));
  });
  lines.push(row('pod pending -> launch returned', (s) => s.total));
  lines.push(row('own share (less the pending grace)', (s) => s.ownShare));
  lines.push(
    'target: own share p95 <='.padEnd(label) +
      summaries.map((s) => pad('') + pad(`${s.targetSeconds} s`)).join('  '),
  );
  lines.push(
    'result'.padEnd(label) +
      summaries.map((s) => pad('') + pad(s.pass ? 'PASS' : 'FAIL')).join('  '),
  );
  lines.push('');
  for (const s of summaries)
    lines.push(
      `${s.mode}: ${s.pods} pods in ${s.actions} scale-ups, pending grace ${s.graceSeconds} s${s.unmatched > 0 ? `, ${s.unmatched} pod(s) with a missing step (listed above)` : ''}`,
    );
  return lines.join('\n');
}

/**
 * How many more pods of `pod`'s requests the Ready, schedulable workers hold
 * now, by the requests of the pods bound to them (what the scheduler counts).
 *
 * @example
 * freeSlots(await cluster.listWorkerNodes(), { cpuMillis: 500, memoryBytes: 512 * 2 ** 20 })
 */
export function freeSlots(
  nodes: readonly NodeInfo[],
  pod: { readonly cpuMillis: number; readonly memoryBytes: number },
): number {
  if (!(pod.cpuMillis > 0) || !(pod.memoryBytes > 0))
    throw new Error(
      `pod requests ${pod.cpuMillis}m CPU and ${pod.memoryBytes} bytes: expected both above 0`,
    );
  let slots = 0;
  for (const node of nodes) {
    if (!node.ready || node.unschedulable) continue;
    const live = node.pods.filter((p) => !p.finished);
    const cpu = node.allocatable.cpuMillis - live.reduce((a, p) => a + p.cpuMillis, 0);
    const memory = node.allocatable.memoryBytes - live.reduce((a, p) => a + p.memoryBytes, 0);
    slots += Math.max(
      0,
      Math.min(Math.floor(cpu / pod.cpuMillis), Math.floor(memory / pod.memoryBytes)),
    );
  }
  return slots;
}

export interface LatencyArgs {
  readonly modes: readonly LatencyMode[];
  readonly bursts: number;
  readonly burstPods: number;
}

/**
 * `--mode watch|schedule|both` (default watch: about 3 minutes; schedule-only
 * adds about 6, most of it the wait for the minute), `--bursts N` (1-20,
 * default 3) and `--burst-pods N` (1-30, default 6); anything else is an
 * error naming it.
 *
 * @example
 * parseLatencyArgs(['--mode', 'watch', '--bursts', '5']) // { modes: ['watch'], bursts: 5, burstPods: 6 }
 */
export function parseLatencyArgs(argv: readonly string[]): LatencyArgs {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i] ?? '';
    if (!['--mode', '--bursts', '--burst-pods'].includes(flag))
      throw new Error(`unknown option '${flag}': expected --mode, --bursts or --burst-pods`);
    const value = argv[i + 1];
    if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
    values.set(flag, value);
  }
  const whole = (flag: string, fallback: number, max: number) => {
    const raw = values.get(flag);
    if (raw === undefined) return fallback;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max)
      throw new Error(`${flag} '${raw}': expected a whole number from 1 to ${max}`);
    return Number(raw);
  };
  const mode = values.get('--mode') ?? 'watch';
  if (mode !== 'both' && !(LATENCY_MODES as readonly string[]).includes(mode))
    throw new Error(`--mode '${mode}': expected watch, schedule or both`);
  return {
    modes: mode === 'both' ? LATENCY_MODES : [mode as LatencyMode],
    bursts: whole('--bursts', 3, 20),
    burstPods: whole('--burst-pods', 6, 30),
  };
}
