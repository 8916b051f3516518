import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CoreV1Api, KubeConfig, VersionApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { CLUSTER_VERSIONS, ensureClusterBinaries } from '../../src/cluster/binaries.ts';
import { startLocalCluster } from '../../src/cluster/start.ts';
import { listeningAddresses } from '../support/listening.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
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
});
