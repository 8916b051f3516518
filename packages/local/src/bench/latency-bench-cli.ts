// npm run bench:latency [-- --mode watch|schedule|both] [--bursts N] [--burst-pods N]
// Real-time latency of a scale-up for pending pods (issue #18): the local
// stack at real speed, in watch mode (the sampler's pending-pod watch next
// to the 1-minute schedule) and schedule-only, a few bursts each. Prints
// p50/p95 of pod pending -> launch call returned per hop, and SmartScale's
// own share against its target. Numbers from the system's own records.
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../env.ts';
import type { LocalStack } from '../stack.ts';
import { runLatencyMode, SAMPLE_INTERVAL_MS } from './latency-bench.ts';
import {
  formatLatencyTable,
  type LatencyArgs,
  type LatencySummary,
  parseLatencyArgs,
  summarizeLatency,
} from './latency-hops.ts';

const USAGE = `usage: npm run bench:latency -- [--mode watch|schedule|both] [--bursts N] [--burst-pods N]
  --mode        watch (default, about 3 minutes), schedule (about 6) or both
  --bursts N    bursts per mode, 1-20 (default 3)
  --burst-pods N  pods per burst that do not fit, 1-30 (default 6)`;

let args: LatencyArgs;
try {
  args = parseLatencyArgs(process.argv.slice(2));
} catch (err) {
  console.error(`bench:latency: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

let running: LocalStack | undefined;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  await running?.stop();
  process.exit(code);
};
process.on('SIGINT', () => void stop(130));
process.on('SIGTERM', () => void stop(143));

const log = (line: string) => console.error(`bench:latency: ${line}`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
try {
  const summaries: LatencySummary[] = [];
  const loads: string[] = [];
  const runs: unknown[] = [];
  for (const mode of args.modes) {
    loads.push(`${mode} start ${load()}`);
    const result = await runLatencyMode({
      mode,
      bursts: args.bursts,
      burstPods: args.burstPods,
      log,
      onStack: (stack) => {
        running = stack;
      },
    });
    running = undefined;
    loads.push(`${mode} end ${load()}`);
    summaries.push(summarizeLatency(mode, result.joined, result.graceSeconds));
    const iso = (ms: number) => new Date(ms).toISOString();
    runs.push({
      mode,
      logDir: result.logDir,
      pods: result.joined.rows.map((r) => ({
        pod: r.pod,
        actionId: r.actionId,
        pendingAt: iso(r.pendingAt),
        sampledAt: iso(r.sampledAt),
        decidedAt: iso(r.decidedAt),
        receivedAt: iso(r.receivedAt),
        launchedAt: iso(r.launchedAt),
      })),
      unmatched: result.joined.unmatched,
    });
  }
  console.log(
    `\nPod pending -> launch call returned, real time (${new Date().toISOString()}; ${args.bursts} burst(s) of ${args.burstPods} pods per mode; sampling schedule ${SAMPLE_INTERVAL_MS / 1000} s)\n`,
  );
  console.log(formatLatencyTable(summaries));
  console.log(`load average (1/5/15 min): ${loads.join('; ')}`);
  // Every pod's timestamps, so a figure in the table can be traced to its records.
  const outDir = join(REPO_ROOT, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    join(outDir, 'bench-latency.json'),
    `${JSON.stringify({ at: new Date().toISOString(), args, loads, summaries, runs }, null, 2)}\n`,
  );
  console.log(`every pod's timestamps: ${join('out', 'bench-latency.json')}`);
  // Numbers, not an assertion: a missed target reads FAIL in the table.
  process.exit(0);
} catch (err) {
  console.error(`bench:latency failed: ${(err as Error).stack ?? err}`);
  await stop(1);
}
