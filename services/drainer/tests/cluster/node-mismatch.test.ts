// A DrainNode whose node name is not the instance's Node (stale or forged)
// on the real API server, with the drainer's own identity (issue #21 item
// 4): before, the port reported "no Node" and a worker past its join window
// was terminated at once, loaded, without cordon or eviction. Now the drain
// changes nothing and fails the action. Arranging is admin.
import type { AnyEnvelope, Envelope } from '@smartscale/contracts';
import { createMessage } from '@smartscale/contracts';
import { ClusterClient } from '@smartscale/k8s';
import { adminClients, createKwokNode, uniqueGroup } from '@smartscale/local/test-support';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { clusterPorts } from '../../cluster-ports.js';
import { type DrainerPorts, drainNode } from '../../drain-node.js';

const { core } = adminClients();
const group = uniqueGroup('drain-mismatch');
const instanceId = 'i-0d0d0d0d0d0d0d0d5';
const loaded = `${group}-loaded`;

beforeAll(async () => {
  await createKwokNode(core, {
    name: loaded,
    group,
    providerID: `aws:///us-east-1a/${instanceId}`,
    labels: { 'smartscale.io/managed': 'true' },
  });
});

describe('drainer: a DrainNode naming another Node than the instance has', () => {
  it('reports the other Node, and the drain terminates, cordons and evicts nothing', async () => {
    const writer = ClusterClient.fromKubeconfigFile(inject('cluster').kubeconfigs.writer);
    const cluster = clusterPorts(writer, { info: () => {} });
    expect(await cluster.getNode(`${group}-forged`, instanceId)).toEqual({ otherNode: loaded });
    expect(await cluster.getNode(`${group}-x`, 'i-0000000000000000f')).toBeNull();

    const terminated: string[] = [];
    const published: AnyEnvelope[] = [];
    const now = new Date();
    const ports: DrainerPorts = {
      ...cluster,
      now: () => now,
      joinWindowSeconds: 690,
      drainTimeoutSeconds: 600,
      // Launched an hour ago: past its join window, the case that terminated.
      findWorker: async () => ({
        state: 'running',
        launchedAt: new Date(now.getTime() - 3_600_000).toISOString(),
      }),
      findReplacements: async () => [],
      podsToEvict: async () => [],
      terminate: async (id) => {
        terminated.push(id);
      },
      once: async (_a, _s, effect) => {
        await effect();
        return true;
      },
      publish: async (m) => {
        published.push(m);
      },
      publishDelayed: async () => {},
    };
    const command = createMessage(
      'DrainNode',
      {
        nodeName: `${group}-forged`,
        instanceId,
        deadline: new Date(now.getTime() + 600_000).toISOString(),
        reason: 'scale-down',
      },
      { clusterId: 'c-test' },
      now,
    );
    expect(await drainNode(command, ports)).toMatchObject({ status: 'aborted' });
    expect(terminated).toEqual([]);
    expect(published.map((m) => m.type)).toEqual(['ActionFailed']);
    expect((published[0] as Envelope<'ActionFailed'>).payload.detail).toContain(
      `is Node ${loaded}`,
    );
    const node = await core.readNode({ name: loaded });
    expect(node.spec?.unschedulable).toBeFalsy();
  });
});
