import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { CoreV1Api, KubeConfig, type V1Node, type V1Pod, Watch } from '@kubernetes/client-node';
import { createAwsClients, FleetTag, localAwsOptions } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureKubectl } from '../../packages/local/src/cluster/binaries.ts';
import { listeningAddresses } from '../../packages/local/tests/support/listening.ts';
import { eventually, FAST_CONFIG } from './support.ts';

// `npm start` as a person uses it: the entry as a child process, driven only
// through what it prints (the kubeconfig), a real kubectl of the control
// plane's release and the Kubernetes API, stopped with Ctrl-C (SIGINT).
// The walkthrough of the README: scale the app to 50, then back to 2.
const ENTRY = join(import.meta.dirname, '../../packages/local/src/live/start-live.ts');
const MIN = 2;
const MAX = 5;
const dir = mkdtempSync(join(tmpdir(), 'smartscale-npm-start-'));
const configFile = join(dir, 'policy.json');
const stateFile = join(dir, 'local.json');
// The design's rules on a short clock (a 5 s boot), so the walkthrough fits a test.
writeFileSync(
  configFile,
  JSON.stringify({ ...FAST_CONFIG, workers: { min: MIN, max: MAX }, instance: { bootSeconds: 5 } }),
);

let child: ChildProcess;
let exited: Promise<number | null>;
let output = '';
let kubectlPath: string;
let kubeconfig: string;
let core: CoreV1Api;
let kc: KubeConfig;
const timings: Record<string, number> = {};

const kubectl = (...args: string[]) =>
  execFileSync(kubectlPath, args, {
    env: { ...process.env, KUBECONFIG: kubeconfig },
    encoding: 'utf8',
  });

/** A CPU quantity ("2", "1930m") in millicores. */
const millicores = (q: string) =>
  q.endsWith('m') ? Number.parseInt(q, 10) : Math.round(Number.parseFloat(q) * 1000);
const isReady = (n: V1Node) =>
  n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
const appPods = async () =>
  (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=app' })).items;
const running = (pods: V1Pod[]) =>
  pods.filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp);

/** Live EC2 workers of the environment, from the moto endpoint in its state file. */
async function liveWorkers(): Promise<string[]> {
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    parts: { name: string; details: { endpoint?: string; resources?: { clusterId: string } } }[];
  };
  const aws = state.parts.find((p) => p.name === 'aws')?.details;
  if (!aws?.endpoint || !aws.resources) throw new Error(`no aws part in ${stateFile}`);
  const clients = createAwsClients(localAwsOptions(aws.endpoint));
  try {
    const res = await clients.ec2.send(
      new DescribeInstancesCommand({
        Filters: [{ Name: `tag:${FleetTag.Cluster}`, Values: [aws.resources.clusterId] }],
      }),
    );
    return (res.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.State?.Name === 'pending' || i.State?.Name === 'running')
      .map((i) => i.InstanceId ?? '');
  } finally {
    clients.destroy();
  }
}

/** Every process below `root`, from /proc (the stack's servers and services). */
function descendants(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of stat is the parent; the command name (field 2) may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const after = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(entry), Number(after[1]));
    } catch {}
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const [p, parent] of parentOf)
      if (parent === pid) {
        out.push(p);
        walk(p);
      }
  };
  walk(root);
  return out;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Each service log of the run (the folder npm start prints) with its size now. */
function serviceLogSizes(): Map<string, number> {
  const logDir = /Service logs: (\S+)/.exec(output)?.[1];
  if (!logDir) throw new Error(`npm start printed no service log folder:\n${output}`);
  const sizes = new Map<string, number>();
  for (const f of readdirSync(logDir))
    if (f.endsWith('.log')) sizes.set(join(logDir, f), statSync(join(logDir, f)).size);
  return sizes;
}

/**
 * Lines a service wrote after `sizes` were taken that report a failure: a
 * logged ERROR or WARN, or text output naming an error (a stack trace, a
 * refused connection).
 */
function errorLinesSince(sizes: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [file, size] of sizes) {
    const added = readFileSync(file).subarray(size).toString('utf8');
    for (const line of added.split('\n')) {
      if (!line.trim()) continue;
      let level: unknown;
      try {
        level = (JSON.parse(line) as { level?: unknown }).level;
      } catch {
        if (/error|ECONNREFUSED|ECONNRESET|unhandled/i.test(line)) out.push(`${file}: ${line}`);
        continue;
      }
      if (level === 'ERROR' || level === 'WARN' || level === 'CRITICAL')
        out.push(`${file}: ${line}`);
    }
  }
  return out;
}

/**
 * Nodes cordoned at once, from a Node watch's events (the first events list
 * every Node there is): the most at any moment, every Node ever cordoned,
 * and a timeline to read when the count is wrong.
 */
class CordonWatch {
  readonly timeline: string[] = [];
  readonly cordonedNodes = new Set<string>();
  mostAtOnce = 0;
  error: unknown;
  readonly #cordoned = new Map<string, boolean>();

  readonly seen = (phase: string, node: V1Node) => {
    const name = node.metadata?.name ?? '?';
    if (phase === 'DELETED') this.#cordoned.delete(name);
    else this.#cordoned.set(name, node.spec?.unschedulable === true);
    if (node.spec?.unschedulable) this.cordonedNodes.add(name);
    const now = [...this.#cordoned].filter(([, c]) => c).map(([n]) => n);
    this.mostAtOnce = Math.max(this.mostAtOnce, now.length);
    this.timeline.push(`${new Date().toISOString()} ${phase} ${name}; cordoned: ${now.join(', ')}`);
  };

  readonly ended = (err: unknown) => {
    // An abort at the end of the test is not an error; any other end is.
    if (err && (err as { name?: string }).name !== 'AbortError') this.error = err;
  };
}

const refuses = (address: string) =>
  new Promise<boolean>((resolve) => {
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

beforeAll(async () => {
  kubectlPath = await ensureKubectl();
  child = spawn(
    process.execPath,
    ['--import', 'tsx', ENTRY, '--config', configFile, '--state-file', stateFile],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_NO_WARNINGS: '1' } },
  );
  child.stdout?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  child.stderr?.on('data', (b: Buffer) => {
    output += b.toString();
  });
  exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  kubeconfig = await eventually(
    'the printed kubeconfig',
    async () => {
      if (child.exitCode !== null) throw new Error('npm start exited early');
      return /export KUBECONFIG=(\S+)/.exec(output)?.[1];
    },
    240_000,
  ).catch((err: Error) => {
    throw new Error(`${err.message}\n--- output ---\n${output}`);
  });
  kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
}, 300_000);

afterAll(() => {
  // Only if a test failed before the Ctrl-C test: never leave the stack behind.
  if (child?.exitCode === null) child.kill('SIGINT');
  console.log(`npm start walkthrough (wall clock): ${JSON.stringify(timings)}`);
});

describe('npm start', () => {
  it('prints the kubeconfig, the built kubectl and the commands once the app runs on min workers', async () => {
    expect(output).toContain(`alias kubectl=${kubectlPath}`);
    expect(output).toContain('kubectl scale deployment app --replicas=50');
    expect(output).toContain('npx smartscale status');
    // `npx smartscale status` finds the environment through the state file.
    expect((JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number }).pid).toBe(child.pid);
    expect(running(await appPods())).toHaveLength(2);
    expect(kubectl('get', 'nodes', '-o', 'name').trim().split('\n')).toHaveLength(MIN);
  });

  it('kubectl scale --replicas=50: workers rise to max and every pod that fits runs', async () => {
    const before = new Set(await liveWorkers());
    const scaled = Date.now();
    expect(kubectl('scale', 'deployment', 'app', '--replicas=50')).toContain('scaled');
    await eventually('a first launch', async () =>
      (await liveWorkers()).some((i) => !before.has(i)),
    );
    timings.scaleToFirstLaunchS = (Date.now() - scaled) / 1000;
    await eventually(
      `${MAX} Ready workers, each full`,
      async () => {
        const nodes = (await core.listNode()).items;
        if (nodes.length !== MAX || !nodes.every(isReady)) return false;
        const pods = await appPods();
        // Full: no Ready worker has room for one more app pod (500m CPU).
        return nodes.every((n) => {
          const cpu = millicores(n.status?.allocatable?.cpu ?? '0');
          const onNode = running(pods).filter((p) => p.spec?.nodeName === n.metadata?.name);
          return cpu - onNode.length * 500 < 500;
        });
      },
      120_000,
    );
    timings.scaleToAllThatFitRunningS = (Date.now() - scaled) / 1000;
    expect(await liveWorkers()).toHaveLength(MAX);
    // The rest stay Pending: max is a promise, not a suggestion.
    const pods = await appPods();
    expect(pods.filter((p) => p.status?.phase === 'Pending').length).toBe(
      50 - running(pods).length,
    );
  }, 200_000);

  it('kubectl scale --replicas=2: workers fall back to min one drain at a time, no pod lost', async () => {
    // Every Node change, from a watch: an empty worker is cordoned, drained
    // and deleted within a second, faster than any polling would see.
    const cordons = new CordonWatch();
    const watch = await new Watch(kc).watch('/api/v1/nodes', {}, cordons.seen, cordons.ended);
    const scaled = Date.now();
    let leastRunning = Number.POSITIVE_INFINITY;
    try {
      expect(kubectl('scale', 'deployment', 'app', '--replicas=2')).toContain('scaled');
      await eventually(
        `${MIN} workers`,
        async () => {
          const nodes = (await core.listNode()).items;
          const pods = await appPods();
          if (Date.now() - scaled > 10_000)
            leastRunning = Math.min(leastRunning, running(pods).length);
          return nodes.length === MIN && (await liveWorkers()).length === MIN;
        },
        240_000,
      );
    } finally {
      watch.abort();
    }
    timings.scaleDownToMinS = (Date.now() - scaled) / 1000;
    const timeline = cordons.timeline.join('\n');
    expect(cordons.error, timeline).toBeUndefined();
    // MAX - MIN drains, each cordoned alone.
    expect(cordons.cordonedNodes.size, timeline).toBe(MAX - MIN);
    expect(cordons.mostAtOnce, timeline).toBe(1);
    // Evictions reschedule, never lose: after the surplus pods went, at
    // most one of the two is between nodes at a time, and both run at the end.
    expect(leastRunning).toBeGreaterThanOrEqual(1);
    const pods = await appPods();
    expect(running(pods)).toHaveLength(2);
    expect(pods.filter((p) => p.status?.phase === 'Failed')).toEqual([]);
  }, 300_000);

  it('Ctrl-C stops every process it started, the services first: none logs an error on the way down', async () => {
    const processes = [child.pid ?? -1, ...descendants(child.pid ?? -1)];
    const listening = processes.flatMap((p) => {
      try {
        return listeningAddresses(p);
      } catch {
        return [];
      }
    });
    // moto, kine, kube-apiserver, controller-manager, scheduler, kwok, Prometheus, the load exporter.
    expect(listening.length).toBeGreaterThanOrEqual(8);
    expect(listening.every((a) => a.startsWith('127.0.0.1:'))).toBe(true);

    const logSizes = serviceLogSizes();
    child.kill('SIGINT');
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000)),
    ]);
    expect(code, output.slice(-2000)).toBe(0);
    await eventually(
      'every process npm start started to be gone',
      async () => processes.every((p) => !alive(p)),
      10_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}: still alive ${processes.filter(alive).join(', ')}`);
    });
    const answered: string[] = [];
    for (const address of listening) if (!(await refuses(address))) answered.push(address);
    expect(answered).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);
    expect(output).toContain('stopped.');
    // The control plane, moto and Prometheus stop after the services, so no
    // service meets a refused connection while it stops.
    expect(logSizes.size).toBeGreaterThanOrEqual(8);
    expect(errorLinesSince(logSizes)).toEqual([]);
  }, 90_000);
});
