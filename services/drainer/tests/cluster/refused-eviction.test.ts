import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { type AnyEnvelope, createMessage, type Envelope } from '@smartscale/contracts';
import { ClusterClient, CORDONED_BY_ANNOTATION } from '@smartscale/k8s';
import {
  adminClients,
  createKwokNode,
  createNamespace,
  deployment,
  runningPods,
  uniqueGroup,
} from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeconfigYaml } from '../../../../packages/local/src/cluster/certs.ts';
import { clusterPorts } from '../../cluster-ports.js';
import { type DrainerPorts, drainNode } from '../../drain-node.js';

// A drain whose eviction the API server refuses for good (403): the drainer
// runs on an identity that may read and cordon nodes but not create
// pods/eviction, the way a tightened or broken RBAC leaves it. The node must
// come back schedulable and the action fail at once, not sit cordoned while
// the message is retried into the DLQ. Arranging is done as admin.
const { kc, core, apps } = adminClients();
const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
const group = uniqueGroup('drain-403');
const namespace = group;
const role = `smartscale-test-${group}`;
const nodeName = `${group}-1`;
const instanceId = 'i-0d0d0d0d0d0d0d0d4';
const dir = mkdtempSync(join(tmpdir(), 'smartscale-drain-403-'));
let limited: ClusterClient;

beforeAll(async () => {
  await createNamespace(core, namespace);
  await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: 'drainer' } } });
  // What the drainer reads and patches, without the eviction subresource.
  await rbac.createClusterRole({
    body: {
      metadata: { name: role },
      rules: [
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'patch'] },
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] },
        { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: ['list'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: role },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
      subjects: [{ kind: 'ServiceAccount', name: 'drainer', namespace }],
    },
  });
  const request = await core.createNamespacedServiceAccountToken({
    name: 'drainer',
    namespace,
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    kubeconfigYaml({
      server: inject('cluster').server,
      caCert: inject('cluster').caCert,
      user: { token: request.status?.token ?? '' },
    }),
  );
  limited = ClusterClient.fromKubeconfigFile(kubeconfig);

  await createKwokNode(core, {
    name: nodeName,
    group,
    providerID: `aws:///us-east-1a/${instanceId}`,
  });
  await apps.createNamespacedDeployment({
    namespace,
    body: deployment({ name: 'web', namespace, group, replicas: 1 }),
  });
  await runningPods(core, namespace, 'web', 1);
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await core.deleteNode({ name: nodeName }).catch(() => undefined);
  await rbac.deleteClusterRoleBinding({ name: role }).catch(() => undefined);
  await rbac.deleteClusterRole({ name: role }).catch(() => undefined);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

function unexpected(what: string): never {
  throw new Error(`the refused drain must not ${what}`);
}

describe('a drain whose eviction the API server forbids', () => {
  it('uncordons the node and fails the action with the pod and HTTP 403, without throwing', async () => {
    const published: AnyEnvelope[] = [];
    const delayed: AnyEnvelope[] = [];
    const done = new Set<string>();
    const ports: DrainerPorts = {
      now: () => new Date(),
      joinWindowSeconds: 690,
      drainTimeoutSeconds: 600,
      ...clusterPorts(limited, { info: () => undefined }),
      async podsToEvict(name) {
        return (await limited.listPodsOnNode(name)).map((p) => ({
          namespace: p.namespace,
          name: p.name,
        }));
      },
      // EC2 tags the instance as this cluster's worker (the drainer refuses
      // any other Node, issue #21 item 9): a running one, launched an hour ago.
      findWorker: async (id) =>
        id === instanceId
          ? { state: 'running', launchedAt: new Date(Date.now() - 3_600_000).toISOString() }
          : unexpected(`look up another instance (${id})`),
      findReplacements: async () => unexpected('look for replacements'),
      terminate: async () => unexpected('terminate the instance'),
      async once(actionId, step, effect) {
        if (done.has(`${actionId}/${step}`)) return false;
        await effect();
        done.add(`${actionId}/${step}`);
        return true;
      },
      publish: async (message) => {
        published.push(message);
      },
      publishDelayed: async (message) => {
        delayed.push(message);
      },
    };
    const drain = createMessage(
      'DrainNode',
      {
        nodeName,
        instanceId,
        deadline: new Date(Date.now() + 600_000).toISOString(),
        reason: 'scale-down',
      },
      { clusterId: 'c-drain-403' },
      new Date(),
    );

    const result = await drainNode(drain, ports);

    expect(result).toMatchObject({ status: 'aborted', reason: 'eviction refused' });
    const node = await core.readNode({ name: nodeName });
    expect(node.spec?.unschedulable ?? false).toBe(false);
    expect(node.metadata?.annotations?.[CORDONED_BY_ANNOTATION]).toBeUndefined();
    expect(published.map((m) => m.type)).toEqual(['NodeCordoned', 'ActionFailed']);
    const failed = published[1] as Envelope<'ActionFailed'>;
    const [pod] = await runningPods(core, namespace, 'web', 1);
    expect(failed.payload.detail).toContain(`${namespace}/${pod?.metadata?.name}`);
    expect(failed.payload.detail).toContain('HTTP 403');
    expect(delayed).toEqual([]);
  });
});
