// k3s/store-kube-tokens.sh run as an operator would (issue #21): the real
// kubectl against the local control plane (admin kubeconfig) and the real
// AWS CLI against moto. Proves each identity's parameter holds a token of
// that ServiceAccount, with the lifetime asked for, and that a re-run (the
// rotation) stores new tokens while the old ones stay valid until expiry.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { AuthenticationV1Api, KubeConfig } from '@kubernetes/client-node';
import { type AwsClients, createAwsClients, localAwsOptions } from '@smartscale/aws';
import { KubeIdentities, kubeIdentities, names } from '@smartscale/stacks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tokenExpiry } from '../../../cli/src/doctor.ts';
import { type MotoServer, startMoto } from '../../src/aws/moto-server.ts';
import { awsCliBinDir } from '../../src/aws/venv.ts';
import { ensureKubectl } from '../../src/cluster/binaries.ts';
import { kubeconfigYaml } from '../../src/cluster/certs.ts';

const script = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../k3s/store-kube-tokens.sh',
);
const prefix = 'smartscale-tokens';
let moto: MotoServer;
let clients: AwsClients;
let kubectlDir: string;

function store(...args: string[]) {
  return spawnSync('bash', [script, ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: `${kubectlDir}:${awsCliBinDir()}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      KUBECONFIG: inject('cluster').adminKubeconfig,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
    },
  });
}

async function stored(name: string): Promise<string> {
  const r = await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
  expect(r.Parameter?.Type).toBe('SecureString');
  return r.Parameter?.Value ?? '';
}

/** Who the API server says `token` is. */
async function whoIs(token: string): Promise<string | undefined> {
  const kc = new KubeConfig();
  kc.loadFromString(
    kubeconfigYaml({
      server: inject('cluster').server,
      caCert: inject('cluster').caCert,
      user: { token },
    }),
  );
  const review = await kc.makeApiClient(AuthenticationV1Api).createSelfSubjectReview({
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
  });
  return review.status?.userInfo?.username;
}

beforeAll(async () => {
  kubectlDir = dirname(await ensureKubectl());
  moto = await startMoto();
  clients = createAwsClients(localAwsOptions(moto.endpoint));
}, 600_000);

afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
});

describe('k3s/store-kube-tokens.sh', () => {
  it("stores each identity's own token, of the lifetime asked for, and a re-run rotates them", async () => {
    const before = Date.now();
    const run = store(prefix, '48h');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const first: Record<string, string> = {};
    for (const id of KubeIdentities) {
      const { serviceAccount, parameter } = kubeIdentities[id];
      const token = await stored(names.parameter(prefix, parameter));
      // No newline: stored as the functions and kubectl users need it.
      expect(token).toMatch(/^[A-Za-z0-9._-]+$/);
      expect(run.stdout).not.toContain(token);
      expect(await whoIs(token)).toBe(`system:serviceaccount:smartscale-system:${serviceAccount}`);
      const hours = ((tokenExpiry(token)?.getTime() ?? 0) - before) / 3_600_000;
      expect(hours).toBeGreaterThan(47.9);
      expect(hours).toBeLessThan(48.1);
      first[id] = token;
    }

    expect(store(prefix).status).toBe(0);
    for (const id of KubeIdentities) {
      const token = await stored(names.parameter(prefix, kubeIdentities[id].parameter));
      expect(token).not.toBe(first[id]);
      // The default lifetime is 24 hours (the server's timer stores a new
      // one every 6), and the old token is still valid.
      const hours = ((tokenExpiry(token)?.getTime() ?? 0) - before) / 3_600_000;
      expect(Math.round(hours)).toBe(24);
      expect(await whoIs(first[id] as string)).toContain(kubeIdentities[id].serviceAccount);
    }
  });

  it('names a bad prefix or duration and stores nothing', () => {
    const bad = store('smartscale prod');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("prefix is the stage's parameter prefix");
    const badDuration = store(prefix, '90 days');
    expect(badDuration.status).toBe(2);
    expect(badDuration.stderr).toContain("duration '90 days' is invalid");
  });
});
