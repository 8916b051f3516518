// Token rotation (issue #21) on the real API server, with the token and CA
// in SSM parameters of a real moto: a function's ClusterClient, built as the
// handlers build it (kubeConfigFromEnv reading through Parameters, as
// ctx.readSecret does), keeps working when its token is rotated and the old
// one revoked, without being rebuilt. Tokens are minted with the TokenRequest
// API for the reader's ServiceAccount and bound to a Secret, so deleting the
// Secret revokes the token at once (no 10-minute wait for an expiry).
import { readFileSync } from 'node:fs';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { type AwsClients, createAwsClients, localAwsOptions, Parameters } from '@smartscale/aws';
import { adminClients, eventually, uniqueGroup } from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type MotoServer, startMoto } from '../../../local/src/aws/moto-server.ts';
import { kubeconfigYaml } from '../../../local/src/cluster/certs.ts';
import { ClusterClient, kubeConfigFromEnv } from '../../src/index.ts';

const { core } = adminClients();
const cluster = inject('cluster');
const namespace = 'smartscale-system';
const prefix = uniqueGroup('rotation');
const tokenParameter = `/${prefix}/k3s/reader-token`;
const caParameter = `/${prefix}/k3s/ca`;
let moto: MotoServer;
let clients: AwsClients;
let parameters: Parameters;

/** A 10-minute token of smartscale-reader, valid while the Secret `holder` exists. */
async function mintToken(holder: string): Promise<string> {
  const secret = await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: holder }, type: 'Opaque' },
  });
  const request = await core.createNamespacedServiceAccountToken({
    name: 'smartscale-reader',
    namespace,
    body: {
      spec: {
        audiences: [],
        expirationSeconds: 600,
        boundObjectRef: {
          apiVersion: 'v1',
          kind: 'Secret',
          name: holder,
          uid: secret.metadata?.uid,
        },
      },
    },
  });
  const token = request.status?.token;
  if (!token)
    throw new Error(`TokenRequest for smartscale-reader bound to ${holder} returned no token`);
  return token;
}

/** Whether the API server accepts `token` (listing nodes, which the reader may). */
async function accepted(token: string): Promise<boolean> {
  const kc = new KubeConfig();
  kc.loadFromString(
    kubeconfigYaml({ server: cluster.server, caCert: cluster.caCert, user: { token } }),
  );
  try {
    await kc.makeApiClient(CoreV1Api).listNode({ limit: 1 });
    return true;
  } catch (error) {
    if ((error as { code?: number }).code === 401) return false;
    throw error;
  }
}

beforeAll(async () => {
  moto = await startMoto();
  clients = createAwsClients(localAwsOptions(moto.endpoint));
  parameters = new Parameters({ ssm: clients.ssm });
  await parameters.putString(caParameter, readFileSync(cluster.caCert, 'utf8'));
}, 120_000);

afterAll(async () => {
  for (const name of [`${prefix}-a`, `${prefix}-b`])
    await core.deleteNamespacedSecret({ name, namespace }).catch(() => undefined);
  clients?.destroy();
  await moto?.stop();
});

describe('a rotated Kubernetes token', () => {
  it('is picked up by a running ClusterClient after the old one is revoked', async () => {
    const first = await mintToken(`${prefix}-a`);
    // As `kubectl create token ... > file` and put-parameter file:// store it.
    await parameters.putSecure(tokenParameter, `${first}\n`);
    const reads: string[] = [];
    const kc = await kubeConfigFromEnv(
      {
        SMARTSCALE_KUBE_API_URL: cluster.server,
        SMARTSCALE_KUBE_CA_PARAMETER: caParameter,
        SMARTSCALE_KUBE_TOKEN_PARAMETER: tokenParameter,
        SMARTSCALE_KUBE_IN_CLUSTER: 'false',
      },
      async (name) => {
        reads.push(name);
        return (await parameters.getSecure(name)).reveal();
      },
    );
    const reader = new ClusterClient(kc);
    // The minted token works.
    expect(Array.isArray(await reader.listNodesWithoutPods())).toBe(true);
    expect(reads.filter((n) => n === tokenParameter)).toHaveLength(1);

    // Rotation as the server's timer does it: a new token in the parameter,
    // then the old one revoked.
    const second = await mintToken(`${prefix}-b`);
    await parameters.putSecure(tokenParameter, second);
    await core.deleteNamespacedSecret({ name: `${prefix}-a`, namespace });
    await eventually(
      'the API server refuses the revoked token',
      async () => !(await accepted(first)),
    );
    expect(await accepted(second)).toBe(true);

    // The same client: its request is refused (401), it reads the parameter
    // again and sends the request once more with the new token.
    expect(Array.isArray(await reader.listNodesWithoutPods())).toBe(true);
    expect(reads.filter((n) => n === tokenParameter)).toHaveLength(2);
    // And keeps the new one: no read per request.
    await reader.listNodesWithoutPods();
    expect(reads.filter((n) => n === tokenParameter)).toHaveLength(2);
  });

  it('still fails, after one more read, when the parameter holds no working token', async () => {
    const lone = await mintToken(`${prefix}-c`);
    await parameters.putSecure(tokenParameter, lone);
    const kc = await kubeConfigFromEnv(
      {
        SMARTSCALE_KUBE_API_URL: cluster.server,
        SMARTSCALE_KUBE_CA_PARAMETER: caParameter,
        SMARTSCALE_KUBE_TOKEN_PARAMETER: tokenParameter,
        SMARTSCALE_KUBE_IN_CLUSTER: 'false',
      },
      async (name) => (await parameters.getSecure(name)).reveal(),
    );
    const reader = new ClusterClient(kc);
    await core.deleteNamespacedSecret({ name: `${prefix}-c`, namespace });
    await eventually(
      'the API server refuses the revoked token',
      async () => !(await accepted(lone)),
    );
    await expect(reader.listNodesWithoutPods()).rejects.toMatchObject({ code: 401 });
  });
});
