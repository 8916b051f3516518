import { StorageV1Api } from '@kubernetes/client-node';
import {
  adminClients,
  createNamespace,
  eventually,
  uniqueGroup,
} from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ClusterClient } from '../../src/index.ts';

// A pending pod's claims looked up on the real kube-apiserver: the claim's
// bound PersistentVolume and the zones its required node affinity names
// (issue #16). The PV controller of the local control plane does the binding.
const { core, kc } = adminClients();
const storage = kc.makeApiClient(StorageV1Api);
const namespace = uniqueGroup('volumes');
const group = uniqueGroup('pv');
const manual = `${group}-manual`;
const waiting = `${group}-wait`;
const byName = ClusterClient.fromKubeconfigFile(inject('cluster').autoscalerKubeconfig);
// The other path: every claim and volume found in one paged list.
const byList = ClusterClient.fromKubeconfigFile(inject('cluster').autoscalerKubeconfig, {
  readByNameUpTo: 0,
  listPageSize: 2,
});

const pv = (name: string, zones: string[] | null, labels?: Record<string, string>) => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: {
    capacity: { storage: '1Gi' },
    accessModes: ['ReadWriteOnce'],
    storageClassName: manual,
    persistentVolumeReclaimPolicy: 'Retain',
    hostPath: { path: `/tmp/${name}` },
    claimRef: { namespace, name: `data-${name}` },
    ...(zones
      ? {
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'topology.kubernetes.io/zone', operator: 'In', values: zones },
                  ],
                },
              ],
            },
          },
        }
      : {}),
  },
});

const claim = (name: string, storageClassName: string) => ({
  metadata: { name },
  spec: {
    accessModes: ['ReadWriteOnce'],
    storageClassName,
    resources: { requests: { storage: '1Gi' } },
  },
});

/** A pod no node can take (its nodeSelector matches none), mounting `claims`. */
const stuckPod = (name: string, claims: string[], extra: object = {}) => ({
  metadata: { name },
  spec: {
    nodeSelector: { 'smartscale.test/no-such-node': group },
    containers: [{ name: 'c', image: 'pause' }],
    volumes: claims.map((c, i) => ({ name: `v${i}`, persistentVolumeClaim: { claimName: c } })),
    ...extra,
  },
});

const pinnedC = `${group}-c`;
const pinnedAB = `${group}-ab`;
const labelled = `${group}-lbl`;
const anyZone = `${group}-any`;

beforeAll(async () => {
  await createNamespace(core, namespace);
  await storage.createStorageClass({
    body: {
      metadata: { name: manual },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'Immediate',
    },
  });
  await storage.createStorageClass({
    body: {
      metadata: { name: waiting },
      provisioner: 'kubernetes.io/no-provisioner',
      volumeBindingMode: 'WaitForFirstConsumer',
    },
  });
  await core.createPersistentVolume({ body: pv(pinnedC, ['us-east-1c']) });
  await core.createPersistentVolume({ body: pv(pinnedAB, ['us-east-1a', 'us-east-1b']) });
  // Older provisioners' PVs: a zone label, several zones joined by "__".
  await core.createPersistentVolume({
    body: pv(labelled, null, { 'topology.kubernetes.io/zone': 'us-east-1a__us-east-1c' }),
  });
  await core.createPersistentVolume({ body: pv(anyZone, null) });
  for (const name of [pinnedC, pinnedAB, labelled, anyZone])
    await core.createNamespacedPersistentVolumeClaim({
      namespace,
      body: claim(`data-${name}`, manual),
    });
  await core.createNamespacedPersistentVolumeClaim({
    namespace,
    body: claim('data-later', waiting),
  });
  await eventually('the four claims bound by the PV controller', async () => {
    const claims = await core.listNamespacedPersistentVolumeClaim({ namespace });
    const bound = claims.items.filter((c) => c.status?.phase === 'Bound');
    return bound.length === 4 ? true : undefined;
  });
  await core.createNamespacedPod({
    namespace,
    body: stuckPod('db-0', [`data-${pinnedC}`], {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }],
    }),
  });
  await core.createNamespacedPod({
    namespace,
    body: stuckPod('two-volumes', [`data-${pinnedAB}`, `data-${labelled}`]),
  });
  await core.createNamespacedPod({ namespace, body: stuckPod('unpinned', [`data-${anyZone}`]) });
  await core.createNamespacedPod({ namespace, body: stuckPod('first-consumer', ['data-later']) });
  await core.createNamespacedPod({ namespace, body: stuckPod('no-volume', []) });
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => {});
  for (const name of [pinnedC, pinnedAB, labelled, anyZone])
    await core.deletePersistentVolume({ name }).catch(() => {});
  for (const name of [manual, waiting]) await storage.deleteStorageClass({ name }).catch(() => {});
});

describe.each([
  ['read by name', byName],
  ['listed by pages', byList],
])('pending pods carry their bound volumes’ zones (%s)', (_how, client) => {
  it('names claim, volume and zones of pinned volumes only', async () => {
    const pods = await eventually('five pods marked unschedulable', async () => {
      const pending = (await client.listPendingPods()).filter((p) => p.namespace === namespace);
      return pending.length === 5 ? new Map(pending.map((p) => [p.name, p])) : undefined;
    });
    expect(pods.get('db-0')?.volumeZones).toEqual([
      { claim: `${namespace}/data-${pinnedC}`, volume: pinnedC, zones: ['us-east-1c'] },
    ]);
    expect(pods.get('two-volumes')?.volumeZones).toEqual([
      {
        claim: `${namespace}/data-${pinnedAB}`,
        volume: pinnedAB,
        zones: ['us-east-1a', 'us-east-1b'],
      },
      {
        claim: `${namespace}/data-${labelled}`,
        volume: labelled,
        zones: ['us-east-1a', 'us-east-1c'],
      },
    ]);
    // A volume without zone affinity, a WaitForFirstConsumer claim not yet
    // bound, and no volume at all: nothing pinned.
    expect(pods.get('unpinned')?.volumeZones).toBeUndefined();
    expect(pods.get('first-consumer')?.volumeZones).toBeUndefined();
    expect(pods.get('no-volume')?.volumeZones).toBeUndefined();
    // Its own toleration; the API server adds the not-ready and unreachable ones.
    expect(pods.get('db-0')?.tolerations).toContainEqual({
      key: 'dedicated',
      operator: 'Equal',
      value: 'db',
      effect: 'NoSchedule',
    });
  });
});
