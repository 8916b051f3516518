// `npm run soak -- --seed N --minutes M [--trace FILE]`: one seeded chaos
// soak on the whole local stack; prints the table, writes out/soak-report.json
// (or out/<--report>), exits 1 when an invariant broke.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../env.ts';
import { soakTable, writeSoakReport } from './report.ts';
import { runSoak } from './run-soak.ts';

const USAGE =
  'usage: npm run soak -- --seed N --minutes M [--trace FILE] [--settle-seconds S] [--mean-gap-seconds G] [--report NAME.json]';
const fail = (message: string): never => {
  console.error(`soak: ${message}\n${USAGE}`);
  process.exit(2);
};

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    minutes: { type: 'string', default: '5' },
    trace: { type: 'string' },
    'settle-seconds': { type: 'string', default: '120' },
    'mean-gap-seconds': { type: 'string', default: '15' },
    report: { type: 'string', default: 'soak-report.json' },
  },
});
const seed = Number(values.seed);
if (!Number.isInteger(seed)) fail(`--seed '${values.seed}' must be an integer`);
const minutes = Number(values.minutes);
if (!(minutes > 0 && minutes <= 600)) fail(`--minutes '${values.minutes}' must be from 0 to 600`);
const settleSeconds = Number(values['settle-seconds']);
const meanGapSeconds = Number(values['mean-gap-seconds']);
if (!(settleSeconds > 0) || !(meanGapSeconds > 0))
  fail('--settle-seconds and --mean-gap-seconds must be positive');
// A file name in out/, so soaks running side by side (CI) keep their reports apart.
const reportName = values.report;
if (!/^[\w.-]+\.json$/.test(reportName))
  fail(`--report '${reportName}' must be a file name ending in .json (it is written under out/)`);

// TechFlow by default, its evening (19:00-22:00: before, during and after the
// flash sale), looped at 60x; another trace plays whole.
const tracePath = resolve(
  values.trace ?? join(REPO_ROOT, '..', 'shared', 'scenarios', 'techflow-day.csv'),
);
const window = values.trace ? {} : { from: 19 * 3600, to: 22 * 3600 };

// Without this a Ctrl-C ended the soak and left its moto running: moto
// runs in its own process session, out of the terminal's signal.
let stopStack: (() => Promise<void>) | null = null;
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await stopStack?.();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));

const report = await runSoak({
  onStackUp: (stop) => {
    stopStack = stop;
  },
  seed,
  minutes,
  tracePath,
  settleSeconds,
  meanGapSeconds,
  ...window,
});
const written = writeSoakReport(report, reportName);
console.log(`\n${soakTable(report)}\n  wrote ${written}`);
process.exit(report.held ? 0 : 1);
