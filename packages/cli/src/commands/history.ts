import type { StoredAuditEntry } from '@smartscale/aws';
import { numberArg, parseCommandArgs, timeArg } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { asDecision, reasonCodes } from '../decisions.js';
import { deploymentArgs, deploymentUsage, withDeployment } from '../deployment.js';
import { formatTable } from '../table.js';

const DEFAULT_SINCE = '1h';
const DEFAULT_LIMIT = 100;

const usage = `usage: smartscale history [options]

Decisions (holds included) and outcomes from the audit log, oldest first.

options:
  --since WHEN          a duration back from now (30m, 6h, 2d) or an ISO time (default ${DEFAULT_SINCE})
  --limit N             at most the N newest entries (default ${DEFAULT_LIMIT})
  --hide-holds          leave out decisions that held
${deploymentUsage}`;

/** One line of `smartscale history --json`. */
export interface HistoryLine {
  readonly at: string;
  readonly actionId: string;
  readonly kind: StoredAuditEntry['kind'];
  readonly summary: string;
  /** Reason codes of a decision; empty for outcomes. */
  readonly reasons: readonly string[];
}

/** Audit entries as history lines, optionally without holds. */
export function historyLines(
  entries: readonly StoredAuditEntry[],
  options: { hideHolds?: boolean } = {},
): HistoryLine[] {
  const lines: HistoryLine[] = [];
  for (const entry of entries) {
    const decided = asDecision(entry);
    if (options.hideHolds && decided?.decision.kind === 'hold') continue;
    lines.push({
      at: entry.at,
      actionId: entry.actionId,
      kind: entry.kind,
      summary: entry.summary,
      reasons: decided ? reasonCodes(decided.decision).split(',') : [],
    });
  }
  return lines;
}

/** The readable form of history lines. */
export function formatHistory(lines: readonly HistoryLine[]): string {
  if (lines.length === 0) return 'no decisions or outcomes in that period';
  return formatTable(
    ['at', 'action', 'kind', 'what', 'reasons'],
    lines.map((l) => [l.at, l.actionId, l.kind, l.summary, l.reasons.join(',') || '-']),
  );
}

/**
 * `smartscale history`: what SmartScale decided and what came of it.
 *
 * @example
 * smartscale history --since 6h --hide-holds
 */
export const historyCommand: Command = {
  name: 'history',
  summary: 'decisions and outcomes over a period',
  usage,
  async run(args: readonly string[], io: Io): Promise<number> {
    const { values } = parseCommandArgs(args, {
      ...deploymentArgs,
      since: { type: 'string', default: DEFAULT_SINCE },
      limit: { type: 'string' },
      'hide-holds': { type: 'boolean', default: false },
    });
    if (values.help) {
      io.out(usage);
      return ExitCode.Ok;
    }
    const now = new Date();
    const since = timeArg('since', values.since, now);
    const limit =
      numberArg('limit', values.limit, (n) => Number.isInteger(n) && n > 0, 'a whole number > 0') ??
      DEFAULT_LIMIT;
    const entries = await withDeployment(values, (d) =>
      // Newest first so the limit keeps the most recent, then shown oldest first.
      d.audit.between(d.clusterId, since, new Date(now.getTime() + 1), {
        limit,
        newestFirst: true,
      }),
    );
    const lines = historyLines(entries.reverse(), { hideHolds: values['hide-holds'] });
    io.out(values.json ? JSON.stringify(lines, null, 2) : formatHistory(lines));
    return ExitCode.Ok;
  },
};
