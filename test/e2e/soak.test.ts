import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../packages/local/src/env.ts';
import { type SoakReport, writeSoakReport } from '../../packages/local/src/soak/report.ts';
import { runSoak } from '../../packages/local/src/soak/run-soak.ts';
import { FAULT_KINDS } from '../../packages/local/src/soak/schedule.ts';

// The short CI soak (issue #19): seeded soaks of the TechFlow evening at 60x
// with a fault every ~5 s, then the DLQ replay and a settle window; every
// invariant must hold, and a broken one names its evidence.
//
// Seed 1 plays 2 minutes: the schedule draws kinds from a shuffled bag, so
// its 21 faults meet every kind of the menu (20); lasting faults end with the
// window. It is the regression of the reconciler's action-done closing a
// scale-up before an older sample was evaluated (the 11th worker of max 10),
// of a late ScaleUp replayed past max, and of the join-verifier terminating a
// joined worker whose kubelet stopped before its deadline.
//
// Seeds 2 and 3 play 1 minute each beside it (about 10 faults each, of 10 kinds,
// other kinds at other moments). Seed 3 is the seed that first took the
// fleet above max (12 of 10) in a 3-minute soak; at 1 minute it does not
// reach max, so that bug's regression is packages/core's fleet-count test,
// and these two widen the schedules CI sees. They run as `npm run soak`
// does, each in a process of its own: the in-process CLI of a soak reads its
// endpoint from the environment, so two soaks cannot share one process.
// Side by side the three take about 4 minutes of wall time here, not 9 one
// after the other; the 60-minute soaks held every invariant with three
// stacks at once on this 2-core machine.
const SEED = 1;
const SIDE_SEEDS = [2, 3];
const TRACE = join(REPO_ROOT, '..', 'shared', 'scenarios', 'techflow-day.csv');
const EVENING = { from: 19 * 3600, to: 22 * 3600 };

function expectEveryInvariantHeld(report: SoakReport, minKinds: number): void {
  // The faults really hit: a soak that hit nothing proves nothing. A few
  // may find no target (no message queued at that instant), not most.
  const hitKinds = Object.entries(report.faultsByKind).filter(([, n]) => n > 0);
  expect(hitKinds.length, JSON.stringify(report.faultsByKind)).toBeGreaterThanOrEqual(minKinds);
  // The proxies' faults met the services' traffic on the wire.
  if (report.faultsByKind['kube-api-errors'] > 0)
    expect(
      Object.entries(report.proxyHits).some(([k, n]) => k.startsWith('kube-api-') && n > 0),
    ).toBe(true);
  if (report.faultsByKind['prometheus-down'] > 0)
    expect(report.proxyHits['prometheus-down']).toBeGreaterThan(0);
  // A decider starved of CPU passes over stale samples; say so beside a broken invariant.
  const load = `seed ${report.seed}: decisions ${report.decisions.total}, ${report.decisions.sampleStale} sample-stale`;
  for (const verdict of report.invariants)
    expect(verdict.evidence, `${verdict.invariant} (${load})`).toEqual([]);
  expect(report.invariants).toHaveLength(11);
  expect(report.convergeSeconds, load).not.toBeNull();
}

// A side soak still running when the file ends (a timeout) gets SIGTERM,
// on which the soak CLI stops its stack: no moto or API server is left behind.
const sideSoaks = new Set<ChildProcess>();
afterAll(() => {
  for (const child of sideSoaks) if (child.exitCode === null) child.kill('SIGTERM');
});

/** `npm run soak` for one seed in a child process; its report, read from out/. */
async function soakInChildProcess(seed: number, minutes: number): Promise<SoakReport> {
  const reportName = `soak-report-ci-seed${seed}.json`;
  const reportFile = join(REPO_ROOT, 'out', reportName);
  // An older run's report must not stand in for a soak that wrote none.
  rmSync(reportFile, { force: true });
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(REPO_ROOT, 'packages/local/src/soak/soak-cli.ts'),
      ...['--seed', String(seed), '--minutes', String(minutes)],
      ...['--mean-gap-seconds', '5', '--settle-seconds', '120', '--report', reportName],
    ],
    { cwd: REPO_ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: 'pipe' },
  );
  sideSoaks.add(child);
  let output = '';
  child.stdout.on('data', (d) => {
    output += d;
  });
  child.stderr.on('data', (d) => {
    output += d;
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  // 0 held, 1 an invariant broke (the report says which); anything else is no soak at all.
  const said = `soak seed ${seed} exited ${code}:\n${output.slice(-4000)}`;
  expect([0, 1], said).toContain(code);
  // Exit 1 is also how Node ends on an uncaught error: then there is no report.
  expect(existsSync(reportFile), said).toBe(true);
  return JSON.parse(readFileSync(reportFile, 'utf8')) as SoakReport;
}

describe('the chaos soak', () => {
  it.concurrent(`seed ${SEED}: every invariant holds after 2 minutes of dense faults of every kind`, async () => {
    const report = await runSoak({
      seed: SEED,
      minutes: 2,
      tracePath: TRACE,
      ...EVENING,
      meanGapSeconds: 5,
      settleSeconds: 120,
      log: () => {},
    });
    // Kept beside the benchmark's for reading a failed CI run's evidence in full.
    writeSoakReport(report, `soak-report-ci-seed${SEED}.json`);
    expectEveryInvariantHeld(report, FAULT_KINDS.length - 5);
  }, 900_000);

  for (const seed of SIDE_SEEDS)
    it.concurrent(`seed ${seed}, beside it in a process of its own: every invariant holds after 1 minute`, async () => {
      const report = await soakInChildProcess(seed, 1);
      expect(report.seed).toBe(seed);
      expectEveryInvariantHeld(report, 8);
    }, 900_000);
});
