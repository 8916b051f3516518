import { ValidationError } from '@smartscale/contracts';
import {
  createPolicy,
  isPolicyName,
  loadTrace,
  POLICY_NAMES,
  type SimMetrics,
  simOptions,
  simulate,
  TraceError,
} from '@smartscale/sim';
import { numberArg, parseCommandArgs, readJsonArg } from '../args.js';
import { type Command, ExitCode, type Io, UsageError } from '../command.js';
import { formatPairs } from '../table.js';

const usage = `usage: smartscale sim --trace FILE --policy NAME [options]

Runs one policy over a workload trace (CSV t,replicas,cpu_util, one row a minute)
in virtual time and prints node-hours, cost and pending time.

options:
  --trace FILE          the workload trace
  --policy NAME         one of: ${POLICY_NAMES.join(', ')}
  --json                print one JSON object
  --config FILE         SmartScale configuration (JSON, core's schema) for every policy's
                        instance type, boot time, min/max and prices, and smartscale's rules
  --seed N              seed of the Spot interruption draws (default 1)
  --spot-rate R         Spot interruptions per Spot node-hour (default 0.01)
  --drain-seconds S     cordon-to-terminate time of a scale-down (default 60)
  --step-seconds S      virtual-time resolution, a divisor of 60 (default 10)`;

/** The report of `smartscale sim --json`: exactly these keys. */
export type SimReport = { policy: string; trace: string } & SimMetrics;

function parse(args: readonly string[]) {
  return parseCommandArgs(args, {
    trace: { type: 'string' },
    config: { type: 'string' },
    policy: { type: 'string' },
    json: { type: 'boolean', default: false },
    seed: { type: 'string' },
    'spot-rate': { type: 'string' },
    'drain-seconds': { type: 'string' },
    'step-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  }).values;
}

/** Runs `build`, turning a configuration ValidationError into a UsageError of --config. */
export function withConfigErrors<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof ValidationError) throw new UsageError(`--config: ${err.message}`);
    throw err;
  }
}

function table(report: SimReport): string {
  return formatPairs(Object.entries(report).map(([k, v]) => [k, String(v)] as const));
}

/**
 * `smartscale sim`: one policy over one trace.
 *
 * @example
 * smartscale sim --trace ../shared/scenarios/techflow-day.csv --policy smartscale --json
 */
export const simCommand: Command = {
  name: 'sim',
  summary: 'simulate a scaling policy over a workload trace',
  usage,
  async run(args: readonly string[], io: Io): Promise<number> {
    const values = parse(args);
    if (values.help) {
      io.out(usage);
      return ExitCode.Ok;
    }
    if (!values.trace) throw new UsageError('--trace: expected the path of a trace CSV file');
    if (!values.policy)
      throw new UsageError(`--policy: expected one of ${POLICY_NAMES.join(', ')}`);
    if (!isPolicyName(values.policy))
      throw new UsageError(
        `--policy: expected one of ${POLICY_NAMES.join(', ')}, got '${values.policy}'`,
      );
    const seed = numberArg(
      'seed',
      values.seed,
      (n) => Number.isInteger(n) && n >= 0,
      'a whole number >= 0',
    );
    const spotRate = numberArg(
      'spot-rate',
      values['spot-rate'],
      (n) => n >= 0,
      'a number >= 0 (interruptions per Spot node-hour)',
    );
    const drainSeconds = numberArg(
      'drain-seconds',
      values['drain-seconds'],
      (n) => n >= 0,
      'a number of seconds >= 0',
    );
    const stepSeconds = numberArg(
      'step-seconds',
      values['step-seconds'],
      (n) => n > 0 && 60 % n === 0,
      'a divisor of 60 (1, 2, 5, 10, 15, 20, 30 or 60)',
    );
    const options = withConfigErrors(() =>
      simOptions({
        ...(values.config === undefined ? {} : { config: readJsonArg('config', values.config) }),
        ...(seed === undefined ? {} : { seed }),
        ...(spotRate === undefined ? {} : { spot: { interruptionsPerNodeHour: spotRate } }),
        ...(drainSeconds === undefined ? {} : { drainSeconds }),
        ...(stepSeconds === undefined ? {} : { stepSeconds }),
      }),
    );
    let trace: ReturnType<typeof loadTrace>;
    try {
      trace = loadTrace(values.trace);
    } catch (err) {
      if (err instanceof TraceError) {
        io.err(`smartscale sim: --trace: ${err.message}`);
        return ExitCode.Usage;
      }
      throw err;
    }
    const result = simulate(trace, createPolicy(values.policy, trace, options), options);
    const report: SimReport = { policy: result.policy, trace: result.trace, ...result.metrics };
    io.out(values.json ? JSON.stringify(report) : table(report));
    return ExitCode.Ok;
  },
};
