import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ClusterClient } from '../../src/cluster-client.ts';
import {
  kubeAccessMode,
  kubeConfigFromEnv,
  kubeConfigInCluster,
  SERVICE_ACCOUNT_DIR,
} from '../../src/kubeconfig.ts';

const work = mkdtempSync(join(tmpdir(), 'smartscale-kubeconfig-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A directory laid out like a pod's ServiceAccount mount. */
function serviceAccountDir(files: { token?: string; ca?: string }): string {
  const dir = mkdtempSync(join(work, 'sa-'));
  if (files.token !== undefined) writeFileSync(join(dir, 'token'), files.token);
  if (files.ca !== undefined) writeFileSync(join(dir, 'ca.crt'), files.ca);
  return dir;
}

const noSecrets = async (name: string): Promise<string> => {
  throw new Error(`no secret should be read, asked for ${name}`);
};
const inPod = { KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT: '443' };

describe('kubeAccessMode', () => {
  it('prefers a kubeconfig file, then the API URL with SSM parameters, even inside a pod', () => {
    expect(
      kubeAccessMode({
        ...inPod,
        SMARTSCALE_KUBECONFIG: '/k',
        SMARTSCALE_KUBE_API_URL: 'https://a',
      }),
    ).toBe('kubeconfig');
    expect(kubeAccessMode({ ...inPod, SMARTSCALE_KUBE_API_URL: 'https://a' })).toBe(
      'token-parameters',
    );
  });

  it("uses the pod's ServiceAccount when Kubernetes announces itself or when asked to", () => {
    expect(kubeAccessMode(inPod)).toBe('in-cluster');
    expect(kubeAccessMode({ SMARTSCALE_KUBE_IN_CLUSTER: 'true' })).toBe('in-cluster');
  });

  it('stays with the SSM parameters (Lambda) when nothing says in-cluster, or when told not to', () => {
    expect(kubeAccessMode({})).toBe('token-parameters');
    expect(kubeAccessMode({ ...inPod, SMARTSCALE_KUBE_IN_CLUSTER: 'false' })).toBe(
      'token-parameters',
    );
  });

  it('refuses a flag that is not true/false, and in-cluster together with another source', () => {
    expect(() => kubeAccessMode({ SMARTSCALE_KUBE_IN_CLUSTER: 'yes' })).toThrow(
      "SMARTSCALE_KUBE_IN_CLUSTER is 'yes': expected 'true'",
    );
    expect(() =>
      kubeAccessMode({ SMARTSCALE_KUBE_IN_CLUSTER: 'true', SMARTSCALE_KUBE_API_URL: 'https://a' }),
    ).toThrow('SMARTSCALE_KUBE_IN_CLUSTER=true conflicts with SMARTSCALE_KUBE_API_URL');
    expect(() =>
      kubeAccessMode({ SMARTSCALE_KUBE_IN_CLUSTER: 'true', SMARTSCALE_KUBECONFIG: '/k' }),
    ).toThrow('conflicts with SMARTSCALE_KUBECONFIG');
  });
});

describe('kubeConfigInCluster', () => {
  it('reads the mounted token and CA over https with TLS verification, whatever the port', async () => {
    const dir = serviceAccountDir({ token: 'sa-token', ca: 'ca-pem' });
    const kc = kubeConfigInCluster(
      { KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT: '8080' },
      dir,
    );
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://10.43.0.1:8080',
      caFile: join(dir, 'ca.crt'),
      skipTLSVerify: false,
    });
    const headers: Record<string, string> = {};
    await kc.applyToHTTPSOptions({ headers });
    expect(headers.Authorization).toBe('Bearer sa-token');
    // The cluster client accepts it (it refuses configurations that skip TLS verification).
    expect(() => new ClusterClient(kc)).not.toThrow();
  });

  it('brackets an IPv6 service address', () => {
    const dir = serviceAccountDir({ token: 't', ca: 'c' });
    const kc = kubeConfigInCluster(
      { KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' },
      dir,
    );
    expect(kc.getCurrentCluster()?.server).toBe('https://[fd00::1]:443');
  });

  it('names what is missing: the service variables or the mounted files', () => {
    const dir = serviceAccountDir({ ca: 'c' });
    expect(() => kubeConfigInCluster({ KUBERNETES_SERVICE_HOST: '10.43.0.1' }, dir)).toThrow(
      'In-cluster Kubernetes access needs KUBERNETES_SERVICE_PORT',
    );
    expect(() => kubeConfigInCluster(inPod, dir)).toThrow(
      `${dir}/token does not exist: expected the pod's ServiceAccount mounted`,
    );
    expect(() => kubeConfigInCluster(inPod, serviceAccountDir({ token: 't' }))).toThrow(
      'ca.crt does not exist',
    );
  });

  it('looks in the standard mount by default', () => {
    expect(SERVICE_ACCOUNT_DIR).toBe('/var/run/secrets/kubernetes.io/serviceaccount');
  });
});

describe('kubeConfigFromEnv', () => {
  it('builds the in-cluster configuration without reading any secret', async () => {
    const dir = serviceAccountDir({ token: 't', ca: 'c' });
    const kc = await kubeConfigFromEnv(inPod, noSecrets, { serviceAccountDir: dir });
    expect(kc.getCurrentCluster()?.server).toBe('https://10.43.0.1:443');
  });

  it('reads the CA and token parameters when given an API URL (Lambda)', async () => {
    const read: string[] = [];
    const kc = await kubeConfigFromEnv(
      {
        ...inPod,
        SMARTSCALE_KUBE_API_URL: 'https://10.0.1.10:6443',
        SMARTSCALE_KUBE_CA_PARAMETER: '/p/ca',
        SMARTSCALE_KUBE_TOKEN_PARAMETER: '/p/token',
      },
      async (name) => {
        read.push(name);
        return `value of ${name}`;
      },
    );
    expect(read).toEqual(['/p/ca', '/p/token']);
    expect(kc.getCurrentCluster()).toMatchObject({
      server: 'https://10.0.1.10:6443',
      skipTLSVerify: false,
    });
  });

  it('drops the trailing newline of a token stored from a file', async () => {
    const kc = await kubeConfigFromEnv(
      {
        ...inPod,
        SMARTSCALE_KUBE_API_URL: 'https://10.0.1.10:6443',
        SMARTSCALE_KUBE_CA_PARAMETER: '/p/ca',
        SMARTSCALE_KUBE_TOKEN_PARAMETER: '/p/token',
      },
      async (name) => (name === '/p/token' ? 'eyJhbGciOi.payload.sig\n' : 'ca'),
    );
    const opts: { headers?: Record<string, string> } = {};
    await kc.applyToHTTPSOptions(opts);
    expect(opts.headers?.Authorization).toBe('Bearer eyJhbGciOi.payload.sig');
  });

  it('names an empty token parameter at start-up', async () => {
    await expect(
      kubeConfigFromEnv(
        {
          ...inPod,
          SMARTSCALE_KUBE_API_URL: 'https://10.0.1.10:6443',
          SMARTSCALE_KUBE_CA_PARAMETER: '/p/ca',
          SMARTSCALE_KUBE_TOKEN_PARAMETER: '/p/token',
        },
        async (name) => (name === '/p/token' ? '\n' : 'ca'),
      ),
    ).rejects.toThrow('the parameter /p/token (SMARTSCALE_KUBE_TOKEN_PARAMETER) is empty');
  });
});
