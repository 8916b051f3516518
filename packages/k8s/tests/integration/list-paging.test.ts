import {
  adminClients,
  createKwokNode,
  createNamespace,
  eventually,
  uniqueGroup,
} from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterClient } from '../../src/index.ts';

// Lists on the real kube-apiserver with a page size far below the number of
// objects, so every list spans several pages (limit / continue).
const { core } = adminClients();
const namespace = uniqueGroup('paging');
const paged = ClusterClient.fromKubeconfigFile(inject('cluster').autoscalerKubeconfig, {
  listPageSize: 4,
});
const BOUND = 25;
const PENDING = 7;

beforeAll(async () => {
  await createNamespace(core, namespace);
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => {});
});

describe('lists by pages', () => {
  it('returns every pod of a node and counts replicas across pages', async () => {
    const group = uniqueGroup('paged');
    const node = `${group}-1`;
    await createKwokNode(core, { name: node, group, cpu: '64', memory: '256Gi' });
    // An owner that exists (the garbage collector keeps its pods) and that no
    // controller manages (a ReplicaSet would release pods it does not select).
    const owner = await core.createNamespacedConfigMap({
      namespace,
      body: { metadata: { name: group } },
    });
    for (let i = 0; i < BOUND; i++) {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: {
            name: `${group}-${i}`,
            ownerReferences: [
              {
                apiVersion: 'v1',
                kind: 'ConfigMap',
                name: group,
                uid: owner.metadata?.uid ?? '',
                controller: true,
              },
            ],
          },
          spec: {
            nodeName: node,
            containers: [{ name: 'c', image: 'pause', resources: { requests: { cpu: '10m' } } }],
          },
        },
      });
    }

    // The list really spans pages: the server hands out a continue token at this size.
    const first = await core.listPodForAllNamespaces({ limit: 4 });
    expect(first.metadata?._continue).toBeTruthy();
    const pods = await paged.listPodsOnNode(node);
    expect(pods.map((p) => p.name).sort()).toEqual(
      Array.from({ length: BOUND }, (_, i) => `${group}-${i}`).sort(),
    );
    expect(new Set(pods.map((p) => p.ownerReplicas))).toEqual(new Set([BOUND]));
    const listed = (await paged.listWorkerNodes()).find((n) => n.name === node);
    expect(listed?.pods).toHaveLength(BOUND);
  });

  it('returns every unschedulable pod when they span several pages', async () => {
    const group = uniqueGroup('pending');
    for (let i = 0; i < PENDING; i++) {
      await core.createNamespacedPod({
        namespace,
        body: {
          metadata: { name: `${group}-${i}` },
          spec: {
            nodeSelector: { 'smartscale.test/no-such-node': group },
            containers: [{ name: 'c', image: 'pause' }],
          },
        },
      });
    }
    const names = await eventually(`${PENDING} pods marked unschedulable`, async () => {
      const pending = (await paged.listPendingPods()).filter((p) => p.namespace === namespace);
      return pending.length === PENDING ? pending.map((p) => p.name).sort() : undefined;
    });
    expect(names).toEqual(Array.from({ length: PENDING }, (_, i) => `${group}-${i}`).sort());
  });
});
