import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
} from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { listeningAddresses } from '../../packages/local/tests/support/listening.ts';
import { eventually, FAST_CONFIG } from './support.ts';

// `npm start` as a person runs it: the entry as a child process, driven only
// through what it prints (the kubeconfig) and the Kubernetes API, stopped
// with Ctrl-C (SIGINT).
const ENTRY = join(import.meta.dirname, '../../packages/local/src/live/start-live.ts');
const dir = mkdtempSync(join(tmpdir(), 'smartscale-npm-start-'));
const configFile = join(dir, 'policy.json');
const stateFile = join(dir, 'local.json');
writeFileSync(configFile, JSON.stringify({ ...FAST_CONFIG, workers: { min: 2, max: 5 } }));

let child: ChildProcess | undefined;
let output = '';

afterAll(() => {
  // Only if the test failed before its own Ctrl-C: never leave the stack behind.
  if (child?.exitCode === null) child.kill('SIGINT');
});

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

const refuses = (address: string) =>
  new Promise<boolean>((resolve) => {
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    const host = address.startsWith('[') ? '::1' : address.slice(0, address.lastIndexOf(':'));
    const socket = createConnection({ host: host === '0.0.0.0' ? '127.0.0.1' : host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

const readyWorkers = (nodes: V1Node[]) =>
  nodes.filter(
    (n) =>
      !n.spec?.unschedulable &&
      n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
  ).length;

describe('npm start', () => {
  it('runs the whole system live: prints a kubeconfig, scales the app on demand, and Ctrl-C stops every process it started', async () => {
    child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        ENTRY,
        '--config',
        configFile,
        '--boot-seconds',
        '2',
        '--state-file',
        stateFile,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NODE_NO_WARNINGS: '1' },
      },
    );
    const pid = child.pid ?? -1;
    child.stdout?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.stderr?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      child?.once('exit', (code) => resolve(code)),
    );

    const kubeconfigPath = await eventually(
      'the printed kubeconfig',
      async () => {
        if (child?.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
        return /export KUBECONFIG=(\S+)/.exec(output)?.[1];
      },
      240_000,
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n--- output ---\n${output}`);
    });
    expect(output).toContain('kubectl scale deployment app --replicas=50');
    // `npx smartscale status` finds the environment through the state file.
    const state = JSON.parse(readFileSync(stateFile, 'utf8')) as { pid: number };
    expect(state.pid).toBe(pid);

    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    const core = kc.makeApiClient(CoreV1Api);
    const apps = kc.makeApiClient(AppsV1Api);
    // The app is ready to scale when the command says so: 2 pods Running on min workers.
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=app' }))
      .items;
    expect(pods.filter((p) => p.status?.phase === 'Running')).toHaveLength(2);
    const before = readyWorkers((await core.listNode()).items);
    expect(before).toBeGreaterThanOrEqual(FAST_CONFIG.workers.min);

    // More than the min workers hold (3 pods of 500m on a t3.medium): workers must join.
    await apps.patchNamespacedDeploymentScale(
      { name: 'app', namespace: 'default', body: { spec: { replicas: 12 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const after = await eventually(
      'a worker to join for the scaled app and its 12 pods to run',
      async () => {
        const ready = readyWorkers((await core.listNode()).items);
        const running = (
          await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=app' })
        ).items.filter((p) => p.status?.phase === 'Running').length;
        return ready > before && running === 12 && ready;
      },
      120_000,
    );
    expect(after).toBeGreaterThan(before);

    const processes = [pid, ...descendants(pid)];
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
    const answered = [];
    for (const address of listening) if (!(await refuses(address))) answered.push(address);
    expect(answered).toEqual([]);
    expect(existsSync(stateFile)).toBe(false);
    expect(output).toContain('stopped.');
  }, 420_000);
});
