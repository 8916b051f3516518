// `npm start`: the whole local system at real speed (moto, the control plane
// with kwok workers, Prometheus, the join agent and the eight services) until
// Ctrl-C, with an `app` Deployment to scale by hand with kubectl. Everything
// it starts is stopped on Ctrl-C, SIGTERM or a failed start.
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { isNodeReady } from '@smartscale/k8s';
import { CLUSTER_VERSIONS, cacheRoot } from '../cluster/binaries.ts';
import { type EnvState, isAlive, readEnvState, STATE_FILE } from '../env.ts';
import { startServersInOwnSession } from '../own-session.ts';
import { toServiceResources } from '../services/run-services.ts';
import { type LocalStack, startLocalStack } from '../stack.ts';
import { webDeployment } from '../workload.ts';
import { livePolicy } from './live-config.ts';

const USAGE = `usage: npm start -- [--config FILE] [--boot-seconds N] [--replicas N] [--cpu-share S]
  --config FILE       policy settings as JSON, laid over the defaults (see packages/core/src/config.ts)
  --boot-seconds N    seconds from launch to the worker's Node registering (default 20)
  --replicas N        the app Deployment's starting replicas (default 2)
  --cpu-share S       share of each pod's CPU request in use, 0..1 (default 0.5)
  --state-file FILE   where 'npx smartscale' finds this environment (default .smartscale/local.json)`;

function fail(message: string): never {
  console.error(`npm start: ${message}\n${USAGE}`);
  process.exit(2);
}

function numberArg(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > max)
    fail(`--${name} '${raw}' must be a number from 0 to ${max}`);
  return value;
}

let values: ReturnType<typeof parse>['values'];
function parse() {
  return parseArgs({
    options: {
      config: { type: 'string' },
      'boot-seconds': { type: 'string' },
      replicas: { type: 'string' },
      'cpu-share': { type: 'string' },
      'state-file': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
try {
  values = parse().values;
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const replicas = numberArg('replicas', values.replicas, 2, 1000);
const cpuShare = numberArg('cpu-share', values['cpu-share'], 0.5, 1);
const bootArg = values['boot-seconds'];
let policy: ReturnType<typeof livePolicy>;
try {
  policy = livePolicy({
    ...(values.config !== undefined ? { configFile: values.config } : {}),
    ...(bootArg !== undefined ? { bootSeconds: numberArg('boot-seconds', bootArg, 20, 3600) } : {}),
  });
} catch (err) {
  fail((err as Error).message);
}
const stateFile = values['state-file'] ?? STATE_FILE;
const previous = stateFile === STATE_FILE ? readEnvState() : null;
if (previous && isAlive(previous.pid)) {
  console.error(
    `npm start: a local environment is already running (pid ${previous.pid}, see ${STATE_FILE}); stop it first`,
  );
  process.exit(1);
}

const started = Date.now();
const name = `live${Date.now().toString(36).slice(-5)}`;
console.log(
  'SmartScale, live: starting moto, the control plane, Prometheus and the services (a minute or two)...',
);
let stack: LocalStack | undefined;
let stopping = false;
const keepAlive = setInterval(() => {}, 1 << 30);
async function shutdown(code: number, why: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${why}: stopping everything npm start started...`);
  await stack?.stop();
  rmSync(stateFile, { force: true });
  clearInterval(keepAlive);
  console.log('stopped.');
  process.exit(code);
}
// Registered before the stack starts, so Ctrl-C during start-up stops what
// has started so far (startLocalStack undoes its own partial start).
process.on('SIGINT', () => void shutdown(0, 'Ctrl-C'));
process.on('SIGTERM', () => void shutdown(0, 'SIGTERM'));
// A closed terminal no longer reaches the servers (own session, below).
process.on('SIGHUP', () => void shutdown(0, 'SIGHUP'));
// The terminal's Ctrl-C reaches only this process, which stops the services
// before the control plane, moto and Prometheus (stack.stop, newest first).
startServersInOwnSession();

try {
  stack = await startLocalStack({
    name,
    config: policy,
    bootSeconds: policy.instance.bootSeconds,
    cpuUsage: () => cpuShare,
    // The AWS schedule samples every minute; locally the sampler's pending-pod
    // watch reacts within the grace anyway, so a 15 s period only keeps the
    // CPU view fresh.
    sampleIntervalMs: 15_000,
    watchGraceMs: policy.scaleUp.pendingGraceSeconds * 1000,
    log: () => {},
  });
  if (stopping) await new Promise(() => {});
  const apps = stack.admin.makeApiClient(AppsV1Api);
  const core = stack.admin.makeApiClient(CoreV1Api);
  await apps.createNamespacedDeployment({
    namespace: 'default',
    body: webDeployment('app', replicas),
  });
  console.log(
    `workers boot in ${policy.instance.bootSeconds} s; waiting for SmartScale to bring the cluster to min (${policy.workers.min}) and run the app...`,
  );
  const readyBy = Date.now() + 180_000;
  for (;;) {
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=app' }))
      .items;
    // The app fits on fewer workers than min: its pods can run before the
    // last of min has joined, and what this prints next promises min.
    const ready = (await core.listNode()).items.filter(isNodeReady).length;
    const running = pods.length === replicas && pods.every((p) => p.status?.phase === 'Running');
    if (running && ready >= policy.workers.min) break;
    if (Date.now() > readyBy)
      throw new Error(
        running
          ? `${ready} of min ${policy.workers.min} workers were Ready after 180 s; see the service logs in ${stack.logDir}`
          : `the app's ${replicas} pod(s) were not Running after 180 s; see the service logs in ${stack.logDir}`,
      );
    await new Promise((r) => setTimeout(r, 1000));
  }

  // `npx smartscale status` finds a local environment through this file.
  const state: EnvState = {
    pid: process.pid,
    startedAt: new Date(started).toISOString(),
    parts: [
      {
        name: 'aws',
        details: {
          endpoint: stack.moto.endpoint,
          region: 'us-east-1',
          resources: toServiceResources(stack.applied, stack.clusterId),
        },
        processes: [],
      },
      {
        name: 'cluster',
        details: { autoscalerKubeconfig: stack.cluster.autoscalerKubeconfig },
        processes: [],
      },
      // The policy the services run with, so `npx smartscale status` computes
      // cooldowns with it rather than with the defaults.
      {
        name: 'smartscale',
        details: { config: policy, ...(values.config ? { configFile: values.config } : {}) },
        processes: [],
      },
    ],
  };
  mkdirSync(dirname(stateFile), { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);

  const builtKubectl = join(
    cacheRoot(),
    `kubectl-${CLUSTER_VERSIONS.kubernetes}`,
    'bin',
    'kubectl',
  );
  const kubectl = existsSync(builtKubectl) ? builtKubectl : 'kubectl';
  console.log(`
SmartScale is running (up in ${Math.round((Date.now() - started) / 1000)} s): cluster ${stack.clusterId}, ${policy.workers.min}-${policy.workers.max} workers, boot ${policy.instance.bootSeconds} s.

In another shell:
  export KUBECONFIG=${stack.cluster.adminKubeconfig}
  alias kubectl=${kubectl}${kubectl === 'kubectl' ? '   # any kubectl >= 1.33' : ''}
  kubectl get nodes -w                          # workers join and leave
  kubectl scale deployment app --replicas=50    # more than fits: SmartScale launches workers
  kubectl scale deployment app --replicas=2     # load gone: workers drain and leave, one at a time
  npx smartscale status                         # in-flight actions, last decisions and why
  npx smartscale history                        # the audit log: every decision and outcome

Service logs: ${stack.logDir}
Ctrl-C stops everything.`);
} catch (err) {
  console.error(`npm start failed: ${(err as Error).stack ?? err}`);
  await shutdown(1, 'start-up failed');
}
