// `npm run demo`: the local environment plays a workload trace, time
// compressed, and SmartScale keeps the cluster sized. Prints a live
// timeline and writes out/demo-report.json and out/demo-report.html.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AppsV1Api,
  CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
} from '@kubernetes/client-node';
import { loadTrace } from '@smartscale/sim';
import { REPO_ROOT } from '../env.ts';
import { startServersInOwnSession } from '../own-session.ts';
import { startLocalStack } from '../stack.ts';
import { SHOP_NAMESPACE, startShopWorkload } from '../workload.ts';
import { compressedConfig } from './demo-config.ts';
import { countNodeStates } from './node-states.ts';
import { buildReport, reportHtml, type TimelineDecision, type TimelinePoint } from './report.ts';

const USAGE = 'usage: npm run demo -- [--trace FILE] [--speed N] [--from HH:MM] [--to HH:MM]';

function fail(message: string): never {
  console.error(`demo: ${message}\n${USAGE}`);
  process.exit(2);
}

function clock(arg: string | undefined, name: string, fallback: number): number {
  if (arg === undefined) return fallback;
  const m = /^(\d{1,2}):(\d{2})$/.exec(arg);
  if (!m) fail(`--${name} '${arg}' is not a time of the trace like 19:30`);
  return Number(m[1]) * 3600 + Number(m[2]) * 60;
}

const { values } = parseArgs({
  options: {
    trace: { type: 'string' },
    speed: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
  },
});
const tracePath = resolve(
  values.trace ?? join(REPO_ROOT, '..', 'shared', 'scenarios', 'techflow-day.csv'),
);
let trace: ReturnType<typeof loadTrace>;
try {
  trace = loadTrace(tracePath);
} catch (err) {
  fail((err as Error).message);
}
const speed = Number(values.speed ?? 60);
if (!Number.isFinite(speed) || speed < 1 || speed > 600)
  fail(`--speed '${values.speed}' must be a number from 1 to 600`);
const last = trace.points.at(-1)?.t ?? 0;
// Default: the TechFlow evening, from before the 20:00 flash sale to after it ends.
const defaultFrom = values.trace ? 0 : 19 * 3600;
const defaultTo = values.trace ? last : 22 * 3600;
const from = clock(values.from, 'from', defaultFrom);
const to = Math.min(clock(values.to, 'to', defaultTo), last);
if (to <= from) fail(`--to must be after --from (${values.from} .. ${values.to})`);

const pointAt = (t: number) => {
  let best = trace.points[0];
  for (const p of trace.points) if (p.t <= t) best = p;
  return best ?? { t: 0, replicas: 0, cpuUtil: 0 };
};
const hhmm = (t: number) =>
  `${String(Math.floor(t / 3600) % 24).padStart(2, '0')}:${String(Math.floor(t / 60) % 60).padStart(2, '0')}`;

const startedAt = new Date();
let traceNow = from;
const decisions: TimelineDecision[] = [];
const timeline: TimelinePoint[] = [];
const pendingSince = new Map<string, number>();
const pendingToLaunch: number[] = [];
const launchCounted = new Set<string>();
const pendingToRunning: number[] = [];
const launchToReady: number[] = [];
let lastCpu: number | null = null;

const name = `demo${Date.now().toString(36).slice(-5)}`;
console.log(
  `SmartScale demo: ${trace.name} ${hhmm(from)}-${hhmm(to)} at ${speed}x (1 trace minute = ${(60 / speed).toFixed(1)} s)`,
);
console.log('starting the local environment (moto, control plane, Prometheus, services)...');
const config = compressedConfig(speed);
// As `npm start`: the terminal's Ctrl-C reaches only this process, which
// stops the services before the servers they talk to (stack.stop), so none
// logs errors against a control plane already gone.
startServersInOwnSession();
const stack = await startLocalStack({
  name,
  config,
  bootSeconds: config.instance.bootSeconds,
  cpuUsage: () => pointAt(traceNow).cpuUtil,
  sampleIntervalMs: Math.max(1000, Math.round(60_000 / speed)),
  reconcileIntervalMs: Math.max(1000, Math.round(120_000 / speed)),
  watchGraceMs: config.scaleUp.pendingGraceSeconds * 1000,
  visibilityTimeoutSeconds: 10,
  log: () => {},
  onServiceLog: (service, line) => {
    if (!line.startsWith('{')) return;
    try {
      const entry = JSON.parse(line) as {
        message?: string;
        reasons?: string[];
        instances?: string[];
        payload?: unknown;
        joinSeconds?: number;
      };
      if (
        service === 'decider' &&
        entry.message?.startsWith('decision: ') &&
        entry.message !== 'decision: hold'
      ) {
        const kind = entry.message.slice('decision: '.length);
        decisions.push({ t: traceNow, kind, summary: kind, reasons: entry.reasons ?? [] });
        console.log(
          `  ${hhmm(traceNow)}  DECISION ${kind.padEnd(10)} because ${(entry.reasons ?? []).join(', ')}`,
        );
      }
      if (service === 'provisioner' && entry.message === 'launched') {
        const now = Date.now();
        // Each waiting pod counts once: from when it went pending to the first launch after.
        for (const [pod, since] of pendingSince) {
          if (launchCounted.has(pod)) continue;
          launchCounted.add(pod);
          pendingToLaunch.push((now - since) / 1000);
        }
        console.log(`  ${hhmm(traceNow)}  LAUNCHED ${(entry.instances ?? []).join('; ')}`);
      }
    } catch {
      // not a structured line
    }
  },
});

let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  if (code > 128) console.log('stopping: the services first, then the servers they talk to');
  await stack.stop();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(130));
process.on('SIGTERM', () => void shutdown(143));
// A closed terminal no longer reaches the servers (own session, above).
process.on('SIGHUP', () => void shutdown(129));

try {
  const apps = stack.admin.makeApiClient(AppsV1Api);
  const core = stack.admin.makeApiClient(CoreV1Api);
  const ns = SHOP_NAMESPACE;
  await startShopWorkload(stack.admin, pointAt(from).replicas);
  pendingSince.clear();
  launchCounted.clear();
  pendingToLaunch.length = 0;
  pendingToRunning.length = 0;
  decisions.length = 0;
  console.log(`warm-up done: ${stack.joinAgent.joined.size} worker(s) joined; playing the trace`);

  const joinedSeen = new Set<string>();
  const realStart = Date.now();
  let lastPrint = 0;
  let lastReplicas = -1;
  console.log('\n  time   desired running pending  nodes ready/joining/draining  cpu');
  while (traceNow < to) {
    traceNow = from + ((Date.now() - realStart) / 1000) * speed;
    const point = pointAt(traceNow);
    if (point.replicas !== lastReplicas) {
      await apps.patchNamespacedDeploymentScale(
        { name: 'web', namespace: ns, body: { spec: { replicas: point.replicas } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      lastReplicas = point.replicas;
    }
    const pods = (await core.listNamespacedPod({ namespace: ns })).items.filter(
      (p: V1Pod) => !p.metadata?.deletionTimestamp,
    );
    const now = Date.now();
    let running = 0;
    let pending = 0;
    for (const pod of pods) {
      const id = pod.metadata?.name ?? '';
      if (pod.status?.phase === 'Running') {
        running += 1;
        const since = pendingSince.get(id);
        if (since !== undefined) {
          pendingToRunning.push((now - since) / 1000);
          pendingSince.delete(id);
        }
      } else if (
        pod.status?.conditions?.some(
          (c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable',
        )
      ) {
        pending += 1;
        if (!pendingSince.has(id)) pendingSince.set(id, now);
      }
    }
    const nodeStates = countNodeStates((await core.listNode()).items);
    for (const [id, ms] of stack.joinAgent.joined) {
      if (!joinedSeen.has(id)) {
        joinedSeen.add(id);
        launchToReady.push(ms / 1000);
      }
    }
    const util = [...stack.exporter.currentLoads().values()];
    lastCpu = util.length > 0 ? util.reduce((a, l) => a + l.cpu, 0) / util.length : null;
    timeline.push({
      t: Math.round(traceNow),
      desiredPods: point.replicas,
      runningPods: running,
      pendingPods: pending,
      readyNodes: nodeStates.ready,
      joiningNodes: nodeStates.joining,
      drainingNodes: nodeStates.draining,
      spotNodes: nodeStates.spot,
      cpu: lastCpu,
    });
    if (now - lastPrint >= 2000) {
      lastPrint = now;
      const cpu = lastCpu === null ? '  - ' : `${Math.round(lastCpu * 100)}%`.padStart(4);
      console.log(
        `  ${hhmm(traceNow)}  ${String(point.replicas).padStart(6)} ${String(running).padStart(7)} ${String(pending).padStart(7)}  ${`${nodeStates.ready}/${nodeStates.joining}/${nodeStates.draining}`.padStart(27)}  ${cpu}`,
      );
    }
    await new Promise((r) => setTimeout(r, 500));
  }

  const report = buildReport({
    trace: trace.name,
    speedup: speed,
    startedAt,
    finishedAt: new Date(),
    timeline,
    decisions,
    latencies: { pendingToLaunch, launchToReady, pendingToRunning },
  });
  const outDir = join(REPO_ROOT, 'out');
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'demo-report.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'demo-report.html'), reportHtml(report));
  const f = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)}s`);
  console.log('\nSummary');
  console.log(
    `  scale-ups ${report.totals.scaleUps}, scale-downs ${report.totals.scaleDowns}, max Ready nodes ${report.totals.maxNodes}, pending pod-seconds (trace time) ${report.totals.pendingPodSeconds}`,
  );
  for (const [k, label] of [
    ['pendingToLaunch', 'pod pending -> launch request'],
    ['launchToReady', 'launch -> node Ready'],
    ['pendingToRunning', 'pod pending -> Running'],
  ] as const) {
    const l = report.latencies[k];
    console.log(
      `  ${label.padEnd(30)} p50 ${f(l.p50)}  p95 ${f(l.p95)}  (n=${l.count}, wall clock)`,
    );
  }
  console.log(`  wrote ${join('out', 'demo-report.json')} and ${join('out', 'demo-report.html')}`);
  await shutdown(0);
} catch (err) {
  // A Ctrl-C stops the stack under the running trace: what fails then is
  // the stop, not the demo, and the shutdown under way exits.
  if (!stopping) {
    console.error(`demo failed: ${(err as Error).stack ?? err}`);
    await shutdown(1);
  }
}
