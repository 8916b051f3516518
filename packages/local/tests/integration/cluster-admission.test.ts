// k3s/manifests/admission-smartscale.yaml on the real API server (issue #21
// item 3): RBAC lets the writer patch and delete every Node; the
// ValidatingAdmissionPolicy narrows SmartScale's Node-writing identities to
// Nodes labelled smartscale.io/managed=true, and an update to the cordon and
// SmartScale's own annotations. The writer goes through the real
// ClusterClient (the drainer's and reconciler's cordon, uncordon, delete).
// The local control plane applies the policy at start (startLocalCluster),
// as every local run does, so this file does not: it fails if start-up
// stops applying it. It stays for the other cluster tests, whose Nodes are
// labelled as a worker's.
import { readFileSync } from 'node:fs';
import {
  AdmissionregistrationV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { ClusterClient } from '@smartscale/k8s';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { kubeconfigYaml } from '../../src/cluster/certs.ts';
import { AUTOSCALER_RBAC_MANIFEST, applyManifest } from '../../src/cluster/start.ts';
import {
  adminClients,
  createKwokNode,
  eventually,
  uniqueGroup,
} from '../support/cluster-fixtures.ts';

const POLICY = 'smartscale-managed-nodes-only';
const MANAGED = { 'smartscale.io/managed': 'true' };

const { kc, core } = adminClients();
const admission = kc.makeApiClient(AdmissionregistrationV1Api);
const group = uniqueGroup('admit');
const node = (name: string) => `${group}-${name}`;

function userConfig(token: string): KubeConfig {
  const user = new KubeConfig();
  user.loadFromString(
    kubeconfigYaml({
      server: inject('cluster').server,
      caCert: inject('cluster').caCert,
      user: { token },
    }),
  );
  return user;
}

async function tokenOf(serviceAccount: string): Promise<string> {
  const request = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace: 'smartscale-system',
    body: { spec: { audiences: [], expirationSeconds: 600 } },
  });
  return request.status?.token ?? '';
}

/** The HTTP status and message the API server answered (200 when the call succeeded). */
async function answer(call: () => Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await call();
    return { status: 200, message: '' };
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (typeof code !== 'number') throw error;
    const body = (error as { body?: unknown }).body;
    const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
    return { status: code, message: text };
  }
}

const mergePatch = (api: CoreV1Api, name: string, body: object) => () =>
  api.patchNode({ name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));

let writer: ClusterClient;
let writerApi: CoreV1Api;
let verifierApi: CoreV1Api;

beforeAll(async () => {
  await applyManifest(kc, readFileSync(AUTOSCALER_RBAC_MANIFEST, 'utf8'));
  const writerConfig = userConfig(await tokenOf('smartscale'));
  writer = new ClusterClient(writerConfig);
  writerApi = writerConfig.makeApiClient(CoreV1Api);
  verifierApi = userConfig(await tokenOf('smartscale-join-verifier')).makeApiClient(CoreV1Api);
  for (const [name, labels] of [
    ['managed-1', MANAGED],
    ['managed-2', MANAGED],
    ['managed-3', MANAGED],
    ['server', { 'node-role.kubernetes.io/control-plane': 'true' }],
    ['probe', {}],
  ] as const)
    await createKwokNode(core, { name: node(name), group, labels });
  // The API server loads a new policy asynchronously: wait until it refuses
  // the writer on a Node kept for this, before any assertion.
  await eventually('the admission policy to be enforced', async () => {
    const r = await answer(mergePatch(writerApi, node('probe'), { spec: { unschedulable: true } }));
    if (r.status === 200)
      await mergePatch(core, node('probe'), { spec: { unschedulable: false } })();
    return r.status === 403;
  });
}, 120_000);

afterAll(async () => {
  for (const name of ['managed-1', 'managed-2', 'managed-3', 'server', 'probe'])
    await core.deleteNode({ name: node(name) }).catch(() => undefined);
});

describe('the admission policy for SmartScale Node writers (k3s/manifests/admission-smartscale.yaml)', () => {
  it('is applied by the local control plane at start, from k3s/manifests/admission-smartscale.yaml', async () => {
    const binding = await admission.readValidatingAdmissionPolicyBinding({ name: POLICY });
    expect(binding.spec?.policyName).toBe(POLICY);
    expect(binding.spec?.validationActions).toEqual(['Deny']);
  });

  it('type-checks on the API server with no warnings', async () => {
    const policy = await admission.readValidatingAdmissionPolicy({ name: POLICY });
    expect(policy.status?.typeChecking?.expressionWarnings ?? []).toEqual([]);
  });

  it('lets the writer cordon, uncordon and delete a managed Node, with its own annotations', async () => {
    await writer.cordon(node('managed-1'), '01JZ0000000000000000000000', '2026-12-02T03:00:00Z');
    const cordoned = await core.readNode({ name: node('managed-1') });
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(cordoned.metadata?.annotations?.['smartscale.io/cordoned-by']).toBe(
      '01JZ0000000000000000000000',
    );
    await writer.uncordon(node('managed-1'));
    expect((await core.readNode({ name: node('managed-1') })).spec?.unschedulable).toBeFalsy();
    expect(await writer.deleteNode(node('managed-1'))).toEqual({ outcome: 'deleted' });
  });

  it('refuses the writer any change to a Node not labelled managed, the K3s server first', async () => {
    await expect(writer.cordon(node('server'), '01JZ0000000000000000000000')).rejects.toThrow(
      `SmartScale may change only Nodes labelled smartscale.io/managed=true; Node ${node('server')} is not`,
    );
    const refused = await answer(() => writerApi.deleteNode({ name: node('server') }));
    expect(refused.status).toBe(403);
    expect(refused.message).toContain('smartscale-managed-nodes-only');
    const server = await core.readNode({ name: node('server') });
    expect(server.spec?.unschedulable).toBeFalsy();
    expect(server.metadata?.annotations?.['smartscale.io/cordoned-by']).toBeUndefined();
    // A person (the admin) is not bound by it.
    expect(
      (await answer(mergePatch(core, node('server'), { spec: { unschedulable: true } }))).status,
    ).toBe(200);
  });

  it.each([
    [
      'make another Node managed or unmanaged',
      { metadata: { labels: { 'smartscale.io/managed': null } } },
      'labels',
    ],
    ['relabel it', { metadata: { labels: { tier: 'database' } } }, 'labels'],
    [
      'change another annotation',
      { metadata: { annotations: { 'example.com/owner': 'me' } } },
      'only smartscale.io/ annotations',
    ],
    [
      'taint it',
      { spec: { taints: [{ key: 'x', value: 'y', effect: 'NoExecute' }] } },
      'only spec.unschedulable',
    ],
    [
      'change its providerID',
      { spec: { providerID: 'aws:///us-east-1a/i-0ffffffffffffffff' } },
      'only spec.unschedulable',
    ],
  ])('refuses the writer to %s on a managed Node', async (_what, patch, message) => {
    const r = await answer(mergePatch(writerApi, node('managed-2'), patch));
    expect(r.status).toBe(403);
    expect(r.message).toContain(message);
    const after = await core.readNode({ name: node('managed-2') });
    expect(after.metadata?.labels?.['smartscale.io/managed']).toBe('true');
    expect(after.metadata?.labels?.tier).toBeUndefined();
    // Only the writer's taint is looked for: the node controller taints a
    // kwok Node not-ready until its first heartbeat.
    expect((after.spec?.taints ?? []).map((t) => t.key)).not.toContain('x');
  });

  it('lets the join-verifier delete only a managed Node', async () => {
    expect((await answer(() => verifierApi.deleteNode({ name: node('server') }))).status).toBe(403);
    expect((await answer(() => verifierApi.deleteNode({ name: node('managed-3') }))).status).toBe(
      200,
    );
  });
});
