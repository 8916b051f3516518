// The chaos soak (issue #19): the whole local stack plays a trace, time
// compressed, while seeded faults hit it through the real parts; then the
// DLQs are replayed, the cluster gets a settle window, and the invariants
// are checked on what EC2, the API server, the ledger, the DLQs and the
// lock say.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppsV1Api, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { parseConfig } from '@smartscale/core';
import { loadTrace } from '@smartscale/sim';
import { compressedConfig } from '../demo/demo-config.ts';
import { toServiceResources } from '../services/run-services.ts';
import { type LocalStack, startLocalStack } from '../stack.ts';
import { SHOP_NAMESPACE, startShopWorkload } from '../workload.ts';
import { NeverJoinSwitch } from './cluster-faults.ts';
import { DeciderLag } from './decider-lag.ts';
import { type Fronts, startFronts } from './fronts.ts';
import { type FiredFault, fire, runCli } from './inject.ts';
import {
  checkInvariants,
  countedAgainstMax,
  everyInstanceHasANode,
  nextPeak,
  noOverdueAction,
  noStaleCordon,
  type PeakFact,
  podsThatFitRun,
  workersWithinBounds,
} from './invariants.ts';
import {
  instanceReader,
  LEASE_MS,
  readFacts,
  readLock,
  readNodes,
  readPods,
  readRepairs,
  TerminationWatch,
} from './observe.ts';
import { buildSoakReport, type SoakReport } from './report.ts';
import { faultSchedule } from './schedule.ts';

export interface SoakOptions {
  readonly seed: number;
  /** Length of the fault window in wall-clock minutes. */
  readonly minutes: number;
  readonly tracePath: string;
  /** Trace seconds played, looped for the whole window (default: the whole trace). */
  readonly from?: number;
  readonly to?: number;
  /** Trace speed-up; the policy is compressed by the same factor (the demo's 60x by default). */
  readonly speed?: number;
  readonly meanGapSeconds?: number;
  /** Longest wait for the cluster to converge after the last fault. */
  readonly settleSeconds?: number;
  /** Told how to stop the stack once it is up, so a Ctrl-C can take it down (moto runs in its own session). */
  readonly onStackUp?: (stop: () => Promise<void>) => void;
  readonly log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Longest wait, after the workload's own warm-up, for min Ready workers before the faults start. */
const WARM_UP_LIMIT_MS = 180_000;

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const speed = options.speed ?? 60;
  const trace = loadTrace(options.tracePath);
  const from = options.from ?? 0;
  const to = Math.min(options.to ?? trace.points.at(-1)?.t ?? 0, trace.points.at(-1)?.t ?? 0);
  if (to <= from) throw new Error(`the trace window ${from}..${to} is empty`);
  const pointAt = (t: number) => {
    let best = trace.points[0];
    for (const p of trace.points) if (p.t <= t) best = p;
    return best ?? { t: 0, replicas: 0, cpuUtil: 0 };
  };
  const windowMs = options.minutes * 60_000;
  const schedule = faultSchedule(options.seed, {
    windowMs,
    meanGapMs: (options.meanGapSeconds ?? 15) * 1000,
  });
  const config = compressedConfig(speed);
  const policy = parseConfig(config);
  const startedAt = new Date();
  let traceNow = from;
  const events: string[] = [];
  const decisions = { total: 0, sampleStale: 0 };
  const deciderLag = new DeciderLag();
  const note = (line: string) => {
    events.push(`${new Date().toISOString()} ${line}`);
  };

  log(
    `soak seed ${options.seed}: ${schedule.length} faults over ${options.minutes} min of ${trace.name} at ${speed}x`,
  );
  // The services reach moto, the API server and Prometheus through the
  // soak's proxies; the join agent asks the never-join switch.
  let fronts: Fronts | null = null;
  const neverJoin = new NeverJoinSwitch();
  const hitByTheSoak = new Set<string>();
  const stack: LocalStack = await startLocalStack({
    servicesVia: (direct) =>
      startFronts(direct, mkdtempSync(join(tmpdir(), 'smartscale-soak-fronts-')), (f) => {
        fronts = f;
      }),
    neverJoin: neverJoin.neverJoins,
    name: `soak${options.seed}${Date.now().toString(36).slice(-4)}`,
    config,
    bootSeconds: config.instance.bootSeconds,
    cpuUsage: () => pointAt(traceNow).cpuUtil,
    sampleIntervalMs: Math.max(1000, Math.round(60_000 / speed)),
    reconcileIntervalMs: Math.max(1000, Math.round(120_000 / speed)),
    // EC2 lists a terminated instance for about an hour: 60 s at 60x.
    terminatedTtlSeconds: 3600 / speed,
    watchGraceMs: config.scaleUp.pendingGraceSeconds * 1000,
    visibilityTimeoutSeconds: 10,
    log: () => {},
    onServiceLog: (service, line) => {
      if (line.startsWith('local runtime:')) note(`${service}: ${line}`);
      if (!line.startsWith('{')) return;
      try {
        const entry = JSON.parse(line) as {
          message?: string;
          reasons?: string[];
          instances?: string[];
          actionId?: string;
          messageType?: string;
          timestamp?: string;
        };
        if (
          service === 'decider' &&
          (entry.message?.startsWith('decision: ') || entry.message === 'sample skipped: stale')
        ) {
          decisions.total += 1;
          // A decider behind its queue holds every sample as stale: on a
          // starved machine this, not a fault, explains a cluster that never moved.
          const stale = entry.reasons?.includes('sample-stale') === true;
          if (stale) decisions.sampleStale += 1;
          if (entry.actionId && entry.messageType === 'MetricsSampled')
            deciderLag.observe(new Date(entry.timestamp ?? Date.now()), entry.actionId, stale);
        }
        if (
          service === 'decider' &&
          entry.message?.startsWith('decision: ') &&
          entry.message !== 'decision: hold'
        )
          note(`decider ${entry.message} because ${(entry.reasons ?? []).join(', ')}`);
        if (service === 'provisioner' && entry.message === 'launched')
          note(`provisioner launched ${(entry.instances ?? []).join('; ') || 'nothing new'}`);
      } catch {
        // not a structured line
      }
    },
  });
  options.onStackUp?.(() => stack.stop());
  try {
    // The in-process `smartscale` CLI reads the deployment from a resources
    // file and the endpoint from the environment, as an operator's would.
    const resourcesFile = join(stack.logDir, 'resources.json');
    writeFileSync(
      resourcesFile,
      JSON.stringify(toServiceResources(stack.applied, stack.clusterId)),
    );
    process.env.SMARTSCALE_AWS_ENDPOINT = stack.moto.endpoint;
    if (!fronts) throw new Error('the local stack started without the soak proxies');
    const context = {
      stack,
      resourcesFile,
      fronts: fronts as Fronts,
      zoneOfSubnet: new Map(stack.network.subnets.map((s) => [s.subnetId, s.zone])),
      neverJoin,
      hitByTheSoak,
    };
    log(`stack up (logs ${stack.logDir})`);

    const apps = stack.admin.makeApiClient(AppsV1Api);
    const ns = SHOP_NAMESPACE;
    // Warm-up as in the demo: SmartScale brings the empty cluster to min first.
    await startShopWorkload(stack.admin, pointAt(from).replicas);
    // The faults start on a cluster at its starting point (min Ready
    // workers): on a starved machine the first launches can take minutes,
    // and faults on an empty cluster find nothing to hit.
    const warmStarted = Date.now();
    let readyAtStart = 0;
    while (Date.now() - warmStarted < WARM_UP_LIMIT_MS) {
      readyAtStart = (await readNodes(stack).catch(() => [])).filter(
        (n) => n.managed && n.ready,
      ).length;
      if (readyAtStart >= policy.workers.min) break;
      await sleep(1000);
    }
    log(
      `warm-up: ${readyAtStart} Ready workers (min ${policy.workers.min}) after ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`,
    );

    // The peak of live workers over the whole run, sampled every second:
    // a brief excursion above max is a broken invariant even if the end is fine.
    // An interrupted worker beside its live replacement is not counted: the
    // documented one above max per interruption during its drain.
    let peak: PeakFact = { count: 0, at: startedAt.toISOString(), instances: [] };
    let peakReady = { count: 0, at: startedAt.toISOString() };
    let monitoring = true;
    const terminations = new TerminationWatch();
    const readEverySecond = instanceReader(stack);
    const monitor = (async () => {
      while (monitoring) {
        try {
          const instances = await readEverySecond();
          terminations.observe(instances, await readPods(stack), hitByTheSoak);
          peak = nextPeak(peak, instances, new Date());
          const { counted, leaving } = countedAgainstMax(instances);
          if (counted.length > policy.workers.max)
            note(
              `ABOVE MAX: ${counted.length} live ${counted.map((i) => `${i.instanceId}/${i.actionId}`).join(' ')}${leaving.length > 0 ? ` (+${leaving.length} interrupted beside their replacement)` : ''}`,
            );
          const ready = (await readNodes(stack)).filter((n) => n.managed && n.ready).length;
          if (ready > peakReady.count) peakReady = { count: ready, at: new Date().toISOString() };
        } catch {
          // a read failed mid-run; the next second reads again
        }
        await sleep(1000);
      }
    })();

    const fired: FiredFault[] = [];
    const followUps: Promise<void>[] = [];
    const later = (ms: number, work: () => Promise<FiredFault>) => {
      followUps.push(
        sleep(ms)
          .then(work)
          .then((f) => {
            lastFaultAt = Date.now();
            fired.push(f);
            note(`fault ${f.kind} -> ${f.target}: ${f.detail}`);
          }),
      );
    };
    const faultsStart = Date.now();
    // Convergence is timed from the last thing that disturbed the cluster:
    // the last fault fired (a resume included) or the replay, if it moved any.
    let lastFaultAt = faultsStart;
    let nextFault = 0;
    let lastReplicas = -1;
    const span = to - from;
    while (Date.now() - faultsStart < windowMs) {
      const elapsed = Date.now() - faultsStart;
      // The trace window loops for as long as the soak lasts.
      traceNow = from + (((elapsed / 1000) * speed) % span);
      const replicas = pointAt(traceNow).replicas;
      if (replicas !== lastReplicas) {
        await apps
          .patchNamespacedDeploymentScale(
            { name: 'web', namespace: ns, body: { spec: { replicas } } },
            setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
          )
          .then(() => {
            lastReplicas = replicas;
          })
          .catch(() => {});
      }
      while (nextFault < schedule.length && (schedule[nextFault]?.atMs ?? 0) <= elapsed) {
        const fault = schedule[nextFault++];
        if (!fault) break;
        try {
          const f = await fire(context, fault, later);
          if (f.target !== null) lastFaultAt = Date.now();
          fired.push(f);
          note(`fault ${f.kind} -> ${f.target}: ${f.detail}`);
          log(
            `  ${(elapsed / 1000).toFixed(0).padStart(5)}s  ${f.kind.padEnd(16)} ${f.target ?? '-'}  ${f.detail}`,
          );
        } catch (err) {
          fired.push({
            kind: fault.kind,
            at: new Date().toISOString(),
            target: null,
            detail: `failed to inject: ${(err as Error).message}`,
          });
        }
      }
      await sleep(500);
    }
    await Promise.all(followUps);

    // The last fault: what the faults dead-lettered goes back, with the CLI.
    for (const queue of Object.keys(stack.applied.queues)) {
      const replayed = await runCli(['dlq', 'replay', queue, '--resources', resourcesFile]);
      if (/: moved [1-9]/.test(replayed.output)) {
        lastFaultAt = Date.now();
        note(`dlq replay ${queue}: ${replayed.output.split('\n')[0]}`);
      }
    }
    log('fault window over, DLQs replayed; settling (the workload holds still)');

    // Settle: the workload holds still; poll until invariants 1-4 hold three
    // reads in a row (a passing moment is not convergence), or time runs out.
    const lockBefore = await readLock(stack);
    const lockBeforeAt = Date.now();
    const settleMs = (options.settleSeconds ?? 120) * 1000;
    let convergedAt: number | null = null;
    let streak = 0;
    while (Date.now() - lastFaultAt < settleMs) {
      const facts = await readFacts(
        stack,
        lockBefore,
        lockBeforeAt,
        startedAt,
        terminations.terminations,
      );
      const ok = [
        everyInstanceHasANode(facts),
        noStaleCordon(facts),
        noOverdueAction(facts, policy),
        workersWithinBounds(facts, policy, { count: 0, at: '', instances: [] }),
        podsThatFitRun(facts, policy),
      ].every((v) => v.held);
      if (ok) {
        if (streak === 0) convergedAt = Date.now();
        streak += 1;
        if (streak >= 3 && Date.now() - lockBeforeAt >= LEASE_MS) break;
      } else {
        streak = 0;
        convergedAt = null;
      }
      await sleep(2000);
    }
    monitoring = false;
    await monitor;

    const facts = await readFacts(
      stack,
      lockBefore,
      lockBeforeAt,
      startedAt,
      terminations.terminations,
      readEverySecond,
    );
    const invariants = checkInvariants(facts, policy, peak, LEASE_MS);
    const repairsByCode = await readRepairs(stack, startedAt);
    return buildSoakReport({
      seed: options.seed,
      minutes: options.minutes,
      trace: trace.name,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      faults: fired,
      repairsByCode,
      convergeSeconds:
        convergedAt === null ? null : Math.max(0, (convergedAt - lastFaultAt) / 1000),
      peakLiveWorkers: peak,
      peakReadyManagedNodes: peakReady,
      proxyHits: {
        ...context.fronts.aws.hits,
        ...context.fronts.kube.hits,
        ...context.fronts.prometheus.hits,
      },
      neverJoined: [...neverJoin.held],
      decisions,
      deciderLag: deciderLag.windows(),
      events,
      invariants,
    });
  } finally {
    await stack.stop();
  }
}
