import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { CLUSTER_VERSIONS, ensureClusterBinaries } from '../../src/cluster/binaries.ts';
import { startLocalCluster } from '../../src/cluster/start.ts';
import { listeningAddresses } from '../support/listening.ts';

/** Running (a zombie left for a parent that no longer reaps counts as gone). */
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

/** SIGKILL is delivered asynchronously: give the kernel a moment. */
const gone = async (pid: number) => {
  for (let i = 0; i < 50 && alive(pid); i++) await sleep(100);
  return !alive(pid);
};

describe('local control plane', () => {
  it('builds binaries that report the pinned Kubernetes version', async () => {
    const bins = await ensureClusterBinaries();
    for (const binary of [bins.kubeApiserver, bins.kubeControllerManager, bins.kubeScheduler]) {
      expect(execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim()).toBe(
        `Kubernetes ${CLUSTER_VERSIONS.kubernetes}`,
      );
    }
  });

  it('serves only on 127.0.0.1, answers with the pinned version, and stop() ends exactly its processes', async () => {
    const cluster = await startLocalCluster();
    let stopped = false;
    try {
      const names = Object.keys(cluster.pids).sort();
      expect(names).toEqual([
        'kine',
        'kube-apiserver',
        'kube-controller-manager',
        'kube-scheduler',
        'kwok',
      ]);
      for (const [name, pid] of Object.entries(cluster.pids)) {
        const addresses = listeningAddresses(pid);
        expect(addresses.length, `${name} listens somewhere`).toBeGreaterThan(0);
        for (const address of addresses)
          expect(address, `${name} listens on ${address}`).toMatch(/^127\.0\.0\.1:\d+$/);
      }
      const kc = new KubeConfig();
      kc.loadFromFile(cluster.adminKubeconfig);
      expect((await kc.makeApiClient(VersionApi).getCode()).gitVersion).toBe(
        CLUSTER_VERSIONS.kubernetes,
      );

      // The autoscaler's token kubeconfig verifies the server with the CA.
      const asAutoscaler = new KubeConfig();
      asAutoscaler.loadFromFile(cluster.autoscalerKubeconfig);
      expect(asAutoscaler.getCurrentCluster()?.skipTLSVerify).toBeFalsy();
      expect(asAutoscaler.getCurrentCluster()?.caFile).toBe(cluster.caCert);
      const nodes = await asAutoscaler.makeApiClient(CoreV1Api).listNode();
      expect(Array.isArray(nodes.items)).toBe(true);

      await cluster.stop();
      stopped = true;
      for (const [name, pid] of Object.entries(cluster.pids))
        expect(alive(pid), `${name} (${pid}) stopped`).toBe(false);
      expect(existsSync(cluster.dataDir)).toBe(false);
    } finally {
      if (!stopped) await cluster.stop();
    }
  });

  it('kills what it started and removes its data when the starting process is interrupted', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../support/start-and-wait.ts', import.meta.url))],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const started = await new Promise<{ pids: Record<string, number>; dataDir: string }>(
        (resolve, reject) => {
          let out = '';
          child.stdout.on('data', (chunk: Buffer) => {
            out += chunk.toString();
            const line = out.split('\n').find((l) => l.startsWith('{'));
            if (line) resolve(JSON.parse(line));
          });
          child.once('exit', (code) =>
            reject(new Error(`child exited (${code}) before the cluster was up`)),
          );
        },
      );
      expect(Object.values(started.pids).every(alive)).toBe(true);
      const exited = new Promise((resolve) =>
        child.once('exit', (_code, signal) => resolve(signal)),
      );
      child.kill('SIGINT');
      expect(await exited).toBe('SIGINT');
      for (const [name, pid] of Object.entries(started.pids))
        expect(await gone(pid), `${name} (${pid}) killed`).toBe(true);
      expect(existsSync(started.dataDir)).toBe(false);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
