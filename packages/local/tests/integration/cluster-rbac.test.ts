// The autoscaler's Kubernetes identities (k3s/manifests/rbac-autoscaler.yaml)
// proven on the real API server (issue #21): each ServiceAccount gets a
// short-lived token (TokenRequest, as the rotation step issues them) and
// tries what its services call and what they must not. Arranging is admin.
import { readFileSync } from 'node:fs';
import {
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeconfigYaml } from '../../src/cluster/certs.ts';
import { AUTOSCALER_RBAC_MANIFEST, applyManifest } from '../../src/cluster/start.ts';
import {
  adminClients,
  createKwokNode,
  createNamespace,
  deployment,
  runningPods,
  uniqueGroup,
} from '../support/cluster-fixtures.ts';

const { kc, core, apps } = adminClients();
const group = uniqueGroup('rbac');
const namespace = group;
const NAMESPACE = 'smartscale-system';
const clients: Record<string, CoreV1Api> = {};

async function clientFor(serviceAccount: string): Promise<CoreV1Api> {
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace: NAMESPACE,
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  const user = new KubeConfig();
  user.loadFromString(
    kubeconfigYaml({
      server: inject('cluster').server,
      caCert: inject('cluster').caCert,
      user: { token: request.status?.token ?? '' },
    }),
  );
  return user.makeApiClient(CoreV1Api);
}

/** The HTTP status the API server answered (200 when the call succeeded). */
async function status(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 200;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (typeof code !== 'number') throw error;
    return code;
  }
}

const cordon = (api: CoreV1Api, name: string) => () =>
  api.patchNode(
    { name, body: { spec: { unschedulable: true } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
const evict = (api: CoreV1Api, pod: string) => () =>
  api.createNamespacedPodEviction({
    name: pod,
    namespace,
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace } },
  });

let pods: string[] = [];

beforeAll(async () => {
  await applyManifest(kc, readFileSync(AUTOSCALER_RBAC_MANIFEST, 'utf8'));
  for (const sa of ['smartscale', 'smartscale-reader', 'smartscale-join-verifier'])
    clients[sa] = await clientFor(sa);
  await createNamespace(core, namespace);
  for (const i of [1, 2, 3])
    await createKwokNode(core, {
      name: `${group}-${i}`,
      group,
      providerID: `aws:///us-east-1a/i-0rbac${i}`,
      // Workers' Nodes: the admission policy leaves SmartScale no others.
      labels: { 'smartscale.io/managed': 'true' },
    });
  await apps.createNamespacedDeployment({
    namespace,
    body: deployment({ name: 'web', namespace, group, replicas: 2 }),
  });
  pods = (await runningPods(core, namespace, 'web', 2)).map((p) => p.metadata?.name ?? '');
}, 120_000);

afterAll(async () => {
  for (const i of [1, 2, 3])
    await core.deleteNode({ name: `${group}-${i}` }).catch(() => undefined);
  await core.deleteNamespace({ name: namespace }).catch(() => undefined);
});

describe('the autoscaler identities on the real API server', () => {
  it('the reader (sampler, spot-listener) reads nodes and pods and gets 403 on cordon, evict and delete', async () => {
    const reader = clients['smartscale-reader'] as CoreV1Api;
    expect(await status(() => reader.listNode())).toBe(200);
    expect(await status(() => reader.listPodForAllNamespaces())).toBe(200);
    expect(await status(cordon(reader, `${group}-1`))).toBe(403);
    expect(await status(evict(reader, pods[0] as string))).toBe(403);
    expect(await status(() => reader.deleteNode({ name: `${group}-1` }))).toBe(403);
    expect((await core.readNode({ name: `${group}-1` })).spec?.unschedulable).toBeFalsy();
  });

  it('the join-verifier may list pods and delete a Node but not cordon it or evict', async () => {
    const verifier = clients['smartscale-join-verifier'] as CoreV1Api;
    expect(await status(cordon(verifier, `${group}-2`))).toBe(403);
    expect(await status(evict(verifier, pods[0] as string))).toBe(403);
    expect(await status(() => verifier.listPodForAllNamespaces())).toBe(200);
    expect(await status(() => verifier.deleteNode({ name: `${group}-3` }))).toBe(200);
  });

  it('the drainer and reconciler identity cordons, evicts and deletes, and cannot read secrets', async () => {
    const writer = clients.smartscale as CoreV1Api;
    expect(await status(cordon(writer, `${group}-2`))).toBe(200);
    expect((await core.readNode({ name: `${group}-2` })).spec?.unschedulable).toBe(true);
    // A pod still Running now (the join-verifier case deleted a Node under the first ones).
    const [pod] = await runningPods(core, namespace, 'web', 2);
    expect(await status(evict(writer, pod?.metadata?.name ?? ''))).toBe(200);
    expect(await status(() => writer.listNamespacedSecret({ namespace: NAMESPACE }))).toBe(403);
    expect(await status(() => writer.deleteNode({ name: `${group}-2` }))).toBe(200);
  });
});

// The local stack hands each service process the kubeconfig of its own
// identity (run-services.ts); this proves those files really are those
// ServiceAccounts, as the API server authenticates them.
describe('the local control plane issues one kubeconfig per identity', () => {
  it.each([
    ['reader', 'smartscale-reader'],
    ['join-verifier', 'smartscale-join-verifier'],
    ['writer', 'smartscale'],
  ] as const)('%s authenticates as %s and may do only its part', async (identity, sa) => {
    const user = new KubeConfig();
    user.loadFromFile(inject('cluster').kubeconfigs[identity]);
    const review = await user.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    expect(review.status?.userInfo?.username).toBe(`system:serviceaccount:${NAMESPACE}:${sa}`);
    const canCordon = await user.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
      body: { spec: { resourceAttributes: { verb: 'patch', resource: 'nodes' } } },
    });
    expect(canCordon.status?.allowed).toBe(identity === 'writer');
  });
});
