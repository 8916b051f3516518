import { configFromEnv, type StoredAuditEntry } from '@smartscale/aws';
import type { CapacityType } from '@smartscale/contracts';
import {
  accountSpend,
  type BilledWorker,
  type Config,
  type FleetEvent,
  parseConfig,
  priceBook,
  type SpendAccount,
} from '@smartscale/core';
import { numberArg, parseCommandArgs, readJsonArg, timeArg } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { deploymentArgs, deploymentUsage, withDeployment } from '../deployment.js';
import { formatTable } from '../table.js';
import { withConfigErrors } from './sim.js';

const DEFAULT_SINCE = '24h';
/** Entries before --since searched, newest first, for the last sample (one comes every minute). */
const LOOKBACK_ENTRIES = 50;

const usage = `usage: smartscale cost [options]

Spend on workers by capacity type, from the audit log (the workers each sample
saw, launches and removals), and the saving against a static on-demand fleet.
Each worker is priced by its instance type: on-demand from the bundled price
table (npm run prices:refresh), Spot as the configured share of it; pricing.*
prices a single instance.type and types the table lacks.

options:
  --since WHEN          a duration back from now (30m, 6h, 2d) or an ISO time (default ${DEFAULT_SINCE})
  --baseline N          workers of the static fleet to compare with (default: workers.max)
  --config FILE         SmartScale configuration (JSON) for prices and workers.max;
                        default SMARTSCALE_CONFIG, else the built-in defaults
${deploymentUsage}`;

type Detail = Readonly<Record<string, unknown>>;
const isRecord = (x: unknown): x is Detail => typeof x === 'object' && x !== null;
const capacity = (x: unknown): CapacityType => (x === 'spot' ? 'spot' : 'on-demand');
const instanceTypeOf = (x: unknown): { instanceType?: string } =>
  typeof x === 'string' && x !== '' ? { instanceType: x } : {};

function observedWorkers(snapshot: unknown): BilledWorker[] | null {
  if (!isRecord(snapshot) || !Array.isArray(snapshot.nodes)) return null;
  return snapshot.nodes.filter(isRecord).map((n) => ({
    id: String(n.instanceId ?? n.name),
    capacityType: capacity(n.capacityType),
    ...instanceTypeOf(n.instanceType),
  }));
}

/**
 * The fleet changes the audit log tells: every decision's snapshot (the
 * registered workers), every launch with what it bought, every removal and
 * terminated join failure. Other entries change nothing.
 *
 * @example
 * accountSpend(fleetEvents(entries), since, now, config, config.workers.max)
 */
export function fleetEvents(entries: readonly StoredAuditEntry[]): FleetEvent[] {
  const events: FleetEvent[] = [];
  for (const entry of entries) {
    const at = new Date(entry.at);
    if (entry.kind === 'decision') {
      const workers = observedWorkers(entry.detail.snapshot);
      if (workers) events.push({ at, type: 'observed', workers });
      continue;
    }
    if (entry.kind !== 'outcome' || !isRecord(entry.detail.payload)) continue;
    const payload = entry.detail.payload;
    if (entry.summary === 'InstancesLaunched' && Array.isArray(payload.instances)) {
      const workers = payload.instances.filter(isRecord).map((i) => ({
        id: String(i.instanceId),
        capacityType: capacity(i.capacityType),
        ...instanceTypeOf(i.instanceType),
      }));
      events.push({ at, type: 'launched', workers });
    } else if (
      (entry.summary === 'NodeRemoved' || entry.summary === 'JoinFailed') &&
      payload.terminated === true
    ) {
      events.push({ at, type: 'terminated', id: String(payload.instanceId) });
    }
  }
  return events;
}

const usd = (x: number) => x.toFixed(4);
const hours = (x: number) => x.toFixed(2);

/** The readable form of a spend account. */
export function formatSpend(a: SpendAccount): string {
  if (a.coveredFrom === null)
    return `no samples in the audit log from ${a.from} to ${a.to}: nothing to account`;
  const rows = (['on-demand', 'spot'] as const).map((t) => [
    t,
    hours(a.byCapacityType[t].nodeHours),
    usd(a.byCapacityType[t].usd),
  ]);
  const share = a.savingShare === null ? '' : ` (${(a.savingShare * 100).toFixed(1)} %)`;
  return [
    `spend from ${a.coveredFrom} to ${a.to}${a.coveredFrom === a.from ? '' : ` (first sample after --since ${a.from})`}`,
    '',
    formatTable(
      ['capacity', 'node_hours', 'usd'],
      [...rows, ['total', hours(a.nodeHours), usd(a.usd)]],
    ),
    '',
    `static fleet of ${a.baseline.nodes} on-demand workers: ${hours(a.baseline.nodeHours)} node-hours, ${usd(a.baseline.usd)} USD`,
    `${a.savingUsd >= 0 ? 'saving' : 'extra cost'}: ${usd(Math.abs(a.savingUsd))} USD${share}`,
  ].join('\n');
}

function configFrom(file: string | undefined, env: NodeJS.ProcessEnv): Config {
  if (file === undefined) return configFromEnv(env);
  return withConfigErrors(() => parseConfig(readJsonArg('config', file)));
}

/**
 * `smartscale cost`: what the workers cost over a period, by capacity type,
 * and what a static fleet of the configured size would have cost.
 *
 * @example
 * smartscale cost --since 7d --json
 */
export const costCommand: Command = {
  name: 'cost',
  summary: 'spend by capacity type and the saving against a static fleet',
  usage,
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values } = parseCommandArgs(args, {
      ...deploymentArgs,
      since: { type: 'string', default: DEFAULT_SINCE },
      baseline: { type: 'string' },
      config: { type: 'string' },
    });
    if (values.help) {
      io.out(usage);
      return ExitCode.Ok;
    }
    const now = new Date();
    const since = timeArg('since', values.since, now);
    const config = configFrom(values.config, process.env);
    const baseline =
      numberArg(
        'baseline',
        values.baseline,
        (n) => Number.isInteger(n) && n >= 0,
        'a whole number of workers >= 0',
      ) ?? config.workers.max;
    const entries = await withDeployment(values, async (d) => {
      // The fleet at --since is the one the last earlier sample saw.
      const before = await d.audit.between(d.clusterId, new Date(0), since, {
        limit: LOOKBACK_ENTRIES,
        newestFirst: true,
      });
      const last = before.find((e) => e.kind === 'decision');
      return d.audit.between(d.clusterId, last ? new Date(last.at) : since, now);
    });
    // Each worker at its instance type's price (issue #23): on-demand from
    // the bundled table, Spot estimated from it (the CLI reads no Spot history).
    const prices = priceBook(config, { region: process.env.AWS_REGION ?? 'us-east-1' });
    const account = accountSpend(fleetEvents(entries), since, now, config, baseline, prices);
    io.out(values.json ? JSON.stringify(account, null, 2) : formatSpend(account));
    return ExitCode.Ok;
  },
};
