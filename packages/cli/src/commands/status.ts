import { setTimeout as sleep } from 'node:timers/promises';
import type { ReconciliationSummary } from '@smartscale/aws';
import type { ClusterState, InFlightAction, NodeInfo } from '@smartscale/contracts';
import { ClusterClient } from '@smartscale/k8s';
import { parseCommandArgs } from '../args.js';
import { type Command, ExitCode, type Io, UsageError } from '../command.js';
import { latestDecision } from '../decisions.js';
import {
  type Deployment,
  deploymentArgs,
  deploymentUsage,
  EndpointUnreachableError,
  networkErrorCode,
  withDeployment,
} from '../deployment.js';
import { allQueueDepths, type QueueDepths } from '../queues.js';
import { formatAge, formatPairs, formatTable } from '../table.js';

const usage = `usage: smartscale status [options]

Workers (ready, joining, draining), in-flight actions, cooldowns, the lock
holder, the pause switch, and queue and dead-letter queue depths.

options:
${deploymentUsage}
  -w, --watch           refresh in place (like kubectl get -w) until Ctrl-C
  --interval SECONDS    with --watch, seconds between refreshes (default 2)
  --count N             with --watch, stop after N refreshes
  --kubeconfig FILE     count workers from the Kubernetes API (default: SMARTSCALE_KUBECONFIG,
                        the local environment's); else from the last decision's snapshot`;

/** Where the worker counts come from. */
export type WorkerSource = 'kubernetes' | 'last-decision' | 'none';

/** `smartscale status --json`. */
export interface StatusReport {
  readonly clusterId: string;
  readonly deployment: string;
  readonly workers: {
    readonly source: WorkerSource;
    /** When the counts were true: now for Kubernetes, the snapshot time otherwise. */
    readonly at: string | null;
    readonly ready: number | null;
    readonly notReady: number | null;
    readonly cordoned: number | null;
    /** Instances launched whose nodes have not joined yet (from the action ledger). */
    readonly joining: number;
    /** Nodes being drained by a scale-down (from the action ledger). */
    readonly draining: number;
    /** Of the nodes counted, those on spot capacity (the rest on-demand); null when not counted. */
    readonly spot: number | null;
  };
  /** The newest audited decision, holds included, with its reasons in words. */
  readonly lastDecision: {
    readonly at: string;
    readonly kind: string;
    readonly reasons: readonly { readonly code: string; readonly message: string }[];
  } | null;
  readonly paused: ClusterState['paused'];
  readonly inFlight: readonly InFlightAction[];
  readonly cooldowns: {
    readonly scaleUp: { readonly last: string | null; readonly until: string | null };
    readonly scaleDown: {
      readonly last: string | null;
      readonly until: string | null;
      /**
       * scaleDown.skipCooldownWhenSurplus: the decider passes over this
       * cooldown while the fleet would stay idle with one node fewer, so a
       * running cooldown is not by itself why no node is removed.
       */
      readonly skippedWhenSurplus: boolean;
    };
  };
  readonly lock: {
    readonly owner: string | null;
    readonly fence: number;
    readonly expiresAt: string | null;
    readonly held: boolean;
  };
  readonly stateVersion: number;
  readonly queues: readonly QueueDepths[];
  /** What the reconciler's last pass found and repaired; null before its first pass. */
  readonly reconciliation: ReconciliationSummary | null;
}

/** Nodes counted by readiness. */
export function countNodes(nodes: readonly NodeInfo[]): {
  ready: number;
  notReady: number;
  cordoned: number;
} {
  return {
    ready: nodes.filter((n) => n.ready && !n.unschedulable).length,
    notReady: nodes.filter((n) => !n.ready).length,
    cordoned: nodes.filter((n) => n.ready && n.unschedulable).length,
  };
}

/** The end of a cooldown that started at `last`, or null when it is over (or never started). */
export function cooldownUntil(last: string | null, seconds: number, now: Date): string | null {
  if (!last) return null;
  const until = Date.parse(last) + seconds * 1000;
  return until > now.getTime() ? new Date(until).toISOString() : null;
}

async function nodesFromKubernetes(kubeconfig: string): Promise<NodeInfo[]> {
  const client = ClusterClient.fromKubeconfigFile(kubeconfig);
  try {
    return await client.listNodes();
  } catch (error) {
    const code = networkErrorCode(error);
    if (!code) throw error;
    throw new EndpointUnreachableError(
      `cannot reach the Kubernetes API of ${kubeconfig} (${code}); pass another --kubeconfig or none to count workers from the last decision`,
      { cause: error },
    );
  }
}

const spotCount = (nodes: readonly NodeInfo[]) =>
  nodes.filter((n) => n.capacityType === 'spot').length;

async function workersOf(
  deployment: Deployment,
  state: ClusterState,
  now: Date,
): Promise<StatusReport['workers']> {
  const ledger = {
    joining: state.inFlight.reduce(
      (sum, a) => sum + (a.kind === 'scale-down' ? 0 : a.pendingJoins),
      0,
    ),
    draining: state.inFlight.filter((a) => a.kind === 'scale-down').length,
  };
  if (deployment.kubeconfig) {
    const nodes = await nodesFromKubernetes(deployment.kubeconfig);
    return {
      source: 'kubernetes',
      at: now.toISOString(),
      ...countNodes(nodes),
      ...ledger,
      spot: spotCount(nodes),
    };
  }
  const last = await latestDecision(deployment.audit, deployment.clusterId, now);
  if (!last?.snapshot) {
    return {
      source: 'none',
      at: null,
      ready: null,
      notReady: null,
      cordoned: null,
      ...ledger,
      spot: null,
    };
  }
  return {
    source: 'last-decision',
    at: last.snapshot.takenAt,
    ...countNodes(last.snapshot.nodes),
    ...ledger,
    spot: spotCount(last.snapshot.nodes),
  };
}

/** Gathers the status of the deployment's cluster. */
export async function clusterStatus(deployment: Deployment, now: Date): Promise<StatusReport> {
  const config = deployment.config;
  const [state, holder, queues, reconciliation, last] = await Promise.all([
    deployment.state.load(deployment.clusterId),
    deployment.lock.holder(deployment.clusterId),
    allQueueDepths(deployment.clients.sqs, deployment.resources),
    deployment.reconciliations.latest(deployment.clusterId),
    latestDecision(deployment.audit, deployment.clusterId, now),
  ]);
  return {
    clusterId: deployment.clusterId,
    deployment: deployment.source,
    workers: await workersOf(deployment, state, now),
    paused: state.paused,
    inFlight: state.inFlight,
    cooldowns: {
      scaleUp: {
        last: state.lastScaleUpAt,
        until: cooldownUntil(state.lastScaleUpAt, config.scaleUp.cooldownSeconds, now),
      },
      scaleDown: {
        last: state.lastScaleDownAt,
        until: cooldownUntil(state.lastScaleDownAt, config.scaleDown.cooldownSeconds, now),
        skippedWhenSurplus: config.scaleDown.skipCooldownWhenSurplus,
      },
    },
    lock: {
      owner: holder?.owner ?? null,
      fence: holder?.fence ?? 0,
      expiresAt: holder?.owner ? new Date(holder.expiresAtMs).toISOString() : null,
      held: holder?.live ?? false,
    },
    stateVersion: state.version,
    queues,
    reconciliation,
    lastDecision: last
      ? {
          at: last.entry.at,
          kind: last.decision.kind,
          reasons: last.decision.reasons.map((r) => ({ code: r.code, message: r.message })),
        }
      : null,
  };
}

function count(n: number | null): string {
  return n === null ? '?' : String(n);
}

export function cooldownText(
  c: { last: string | null; until: string | null; skippedWhenSurplus?: boolean },
  now: Date,
): string {
  if (!c.last) return 'none (never)';
  const last = `last ${c.last} (${formatAge(new Date(c.last), now)} ago)`;
  if (!c.until) return `over, ${last}`;
  const skipped = c.skippedWhenSurplus
    ? '; passed over while the fleet stays idle with one node fewer (scaleDown.skipCooldownWhenSurplus)'
    : '';
  return `until ${c.until} (${formatAge(new Date(c.until), now)} left), ${last}${skipped}`;
}

/** The reconciler's last pass: when, what it compared, what it repaired (explain each by its action). */
export function formatReconciliation(r: ReconciliationSummary | null, now: Date): string {
  if (!r) return 'reconciler: no pass yet';
  const found = `${r.found.instances} instances, ${r.found.nodes} nodes, ${r.found.inFlight} actions in flight`;
  const head = `reconciler: last pass ${r.at} (${formatAge(new Date(r.at), now)} ago) compared ${found}`;
  const busy =
    (r.ledgerLockBusy ? '\n  ledger repairs waited: the cluster lock stayed busy' : '') +
    (r.ledgerLockLost ? `\n  ledger repairs lost the cluster lock: ${r.ledgerLockLost}` : '');
  const failed = r.failed.map((f) => `\n  FAILED ${f.code} ${f.subject}: ${f.error}`).join('');
  const alone = (r.leftAlone ?? []).map((n) => `\n  LEFT ALONE ${n.reason}`).join('');
  if (r.repaired.length === 0) return `${head}; nothing to repair${busy}${failed}${alone}`;
  return `${head}; repaired:\n${formatTable(
    ['repair', 'subject', 'action (explain)', 'why'],
    r.repaired.map((x) => [x.code, x.nodeName ?? x.instanceId ?? '-', x.actionId, x.reason]),
  )}${busy}${failed}${alone}`;
}

/** The newest decision in one line: what, how long ago, and why in words. */
export function lastDecisionText(d: StatusReport['lastDecision'], now: Date): string {
  if (!d) return 'none yet';
  const why = d.reasons.map((r) => r.message).join('; ');
  return `${d.kind} ${formatAge(new Date(d.at), now)} ago${why ? `: ${why}` : ''}`;
}

/** The readable form of a status report. */
export function formatStatus(report: StatusReport, now: Date): string {
  const w = report.workers;
  const workerSource =
    w.source === 'kubernetes'
      ? 'Kubernetes API'
      : w.source === 'last-decision'
        ? `last decision's snapshot, ${formatAge(new Date(w.at ?? now), now)} old`
        : 'no Kubernetes access and no decision yet';
  const lock = report.lock.held
    ? `held by ${report.lock.owner} (fence ${report.lock.fence}, until ${report.lock.expiresAt})`
    : `free (fence ${report.lock.fence})`;
  const paused = report.paused
    ? `PAUSED by ${report.paused.by} at ${report.paused.at}: ${report.paused.reason}`
    : 'no (scaling active)';
  const head = formatPairs([
    ['cluster', report.clusterId],
    ['deployment', report.deployment],
    [
      'workers',
      `${count(w.ready)} ready, ${count(w.notReady)} not ready, ${count(w.cordoned)} cordoned, ${w.joining} joining, ${w.draining} draining; ${count(w.spot)} on spot (${workerSource})`,
    ],
    ['last decision', lastDecisionText(report.lastDecision, now)],
    ['paused', paused],
    ['scale-up cooldown', cooldownText(report.cooldowns.scaleUp, now)],
    ['scale-down cooldown', cooldownText(report.cooldowns.scaleDown, now)],
    ['lock', lock],
    ['state version', String(report.stateVersion)],
  ]);
  const actions =
    report.inFlight.length === 0
      ? 'in-flight actions: none'
      : `in-flight actions:\n${formatTable(
          ['action', 'kind', 'started', 'pending joins', 'node', 'instances'],
          report.inFlight.map((a) => [
            a.actionId,
            a.kind,
            `${a.startedAt} (${formatAge(new Date(a.startedAt), now)} ago)`,
            String(a.pendingJoins),
            a.nodeName ?? '-',
            a.instanceIds.join(',') || '-',
          ]),
        )}`;
  const queues = formatTable(
    ['queue', 'visible', 'in flight', 'delayed', 'dlq'],
    report.queues.map((q) => [
      q.queue,
      String(q.depth.visible),
      String(q.depth.inFlight),
      String(q.depth.delayed),
      String(q.deadLetters.visible + q.deadLetters.inFlight),
    ]),
  );
  return `${head}\n\n${actions}\n\n${formatReconciliation(report.reconciliation, now)}\n\nqueues:\n${queues}`;
}

/**
 * `smartscale status`: what SmartScale is doing right now.
 *
 * @example
 * smartscale status --json
 */
export const statusCommand: Command = {
  name: 'status',
  summary: 'workers, in-flight actions, cooldowns, lock, pause state, queue and DLQ depths',
  usage,
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values } = parseCommandArgs(args, {
      ...deploymentArgs,
      watch: { type: 'boolean', short: 'w', default: false },
      interval: { type: 'string' },
      count: { type: 'string' },
    });
    if (values.help) {
      io.out(usage);
      return ExitCode.Ok;
    }
    if (values.watch) return watchStatus(values, io);
    const now = new Date();
    const report = await withDeployment(values, (d) => clusterStatus(d, now));
    io.out(values.json ? JSON.stringify(report, null, 2) : formatStatus(report, now));
    return ExitCode.Ok;
  },
};

/** Moves the cursor home and clears the screen, so each refresh replaces the last. */
export const CLEAR_SCREEN = '\x1b[H\x1b[2J';

function positiveNumber(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`--${name} '${raw}' must be a positive number`);
  return value;
}

/**
 * `status --watch`: the status drawn again every interval in place until
 * Ctrl-C (or `--count` refreshes). A refresh that cannot reach the
 * deployment says so in place of the frame and the watch goes on, as
 * `kubectl get -w` rides out an API blip.
 */
async function watchStatus(
  values: {
    resources?: string | undefined;
    kubeconfig?: string | undefined;
    interval?: string | undefined;
    count?: string | undefined;
  },
  io: Io,
): Promise<number> {
  const intervalMs = positiveNumber('interval', values.interval, 2) * 1000;
  const count =
    values.count === undefined
      ? Number.POSITIVE_INFINITY
      : positiveNumber('count', values.count, 1);
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once('SIGINT', onInterrupt);
  try {
    for (let frame = 1; frame <= count && !stop.signal.aborted; frame++) {
      const now = new Date();
      let body: string;
      try {
        body = formatStatus(await withDeployment(values, (d) => clusterStatus(d, now)), now);
      } catch (err) {
        if (!(err instanceof EndpointUnreachableError)) throw err;
        body = `cannot refresh: ${err.message}`;
      }
      io.out(
        `${CLEAR_SCREEN}smartscale status, every ${intervalMs / 1000} s (Ctrl-C stops): ${now.toISOString()}\n\n${body}`,
      );
      if (frame < count)
        await sleep(intervalMs, undefined, { signal: stop.signal }).catch(() => {});
    }
    return ExitCode.Ok;
  } finally {
    process.removeListener('SIGINT', onInterrupt);
  }
}
