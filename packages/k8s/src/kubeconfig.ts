import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeAccessError } from './errors.ts';
import { PARAMETER_TOKEN_PROVIDER, ParameterToken, useParameterToken } from './parameter-token.ts';

/** Where the autoscaler's Kubernetes credentials come from. */
export interface KubeAccess {
  /** A kubeconfig file (local environment, or a mounted secret). */
  readonly kubeconfigPath?: string;
  /**
   * API server URL, CA (PEM) and bearer token: a fixed one, or (Lambda) the
   * token of an SSM parameter, re-read as the server rotates it.
   */
  readonly server?: string;
  readonly caPem?: string;
  readonly token?: string | ParameterToken;
}

/**
 * Builds the client configuration. TLS verification is always on: without a
 * CA the call fails rather than trusting any certificate.
 *
 * @example
 * const kc = kubeConfigFor({ kubeconfigPath: process.env.SMARTSCALE_KUBECONFIG });
 */
export function kubeConfigFor(access: KubeAccess): KubeConfig {
  const kc = new KubeConfig();
  if (access.kubeconfigPath) {
    kc.loadFromFile(access.kubeconfigPath);
    return kc;
  }
  const missing = (['server', 'caPem', 'token'] as const).filter((k) => !access[k]);
  if (missing.length > 0) {
    throw new KubeAccessError(
      'SMARTSCALE_KUBECONFIG',
      `Kubernetes access is incomplete: set SMARTSCALE_KUBECONFIG, or provide ${missing.join(', ')} (API URL, cluster CA and the smartscale ServiceAccount token)`,
    );
  }
  kc.loadFromOptions({
    clusters: [
      {
        name: 'k3s',
        server: access.server as string,
        caData: Buffer.from(access.caPem as string).toString('base64'),
        skipTLSVerify: false,
      },
    ],
    users: [
      access.token instanceof ParameterToken
        ? {
            name: 'smartscale',
            authProvider: {
              name: PARAMETER_TOKEN_PROVIDER,
              config: { parameter: access.token.parameter },
            },
          }
        : { name: 'smartscale', token: access.token as string },
    ],
    contexts: [{ name: 'smartscale', cluster: 'k3s', user: 'smartscale' }],
    currentContext: 'smartscale',
  });
  if (access.token instanceof ParameterToken) useParameterToken(kc, access.token);
  return kc;
}

/** Where the ServiceAccount token and CA are mounted in every pod that automounts them. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How the process reaches the API server; see `kubeAccessMode`. */
export type KubeAccessMode = 'kubeconfig' | 'in-cluster' | 'token-parameters';

/**
 * Picks the source of Kubernetes credentials from the environment:
 * `SMARTSCALE_KUBECONFIG` (a file) first, then `SMARTSCALE_KUBE_API_URL`
 * (Lambda: CA and token from SSM), then the pod's own ServiceAccount when
 * `SMARTSCALE_KUBE_IN_CLUSTER=true` or Kubernetes announced itself through
 * `KUBERNETES_SERVICE_HOST`. `SMARTSCALE_KUBE_IN_CLUSTER=false` turns that
 * detection off; asking for in-cluster together with another source is
 * refused rather than silently resolved.
 *
 * @example
 * kubeAccessMode({ KUBERNETES_SERVICE_HOST: '10.43.0.1' }) // 'in-cluster'
 */
export function kubeAccessMode(env: NodeJS.ProcessEnv): KubeAccessMode {
  const flag = env.SMARTSCALE_KUBE_IN_CLUSTER;
  if (flag !== undefined && flag !== '' && flag !== 'true' && flag !== 'false')
    throw new KubeAccessError(
      'SMARTSCALE_KUBE_IN_CLUSTER',
      `SMARTSCALE_KUBE_IN_CLUSTER is '${flag}': expected 'true' (use the pod's ServiceAccount) or 'false'`,
    );
  const explicit = env.SMARTSCALE_KUBECONFIG
    ? 'SMARTSCALE_KUBECONFIG'
    : env.SMARTSCALE_KUBE_API_URL
      ? 'SMARTSCALE_KUBE_API_URL'
      : undefined;
  if (flag === 'true' && explicit)
    throw new KubeAccessError(
      'SMARTSCALE_KUBE_IN_CLUSTER',
      `SMARTSCALE_KUBE_IN_CLUSTER=true conflicts with ${explicit}: expected one source of Kubernetes credentials`,
    );
  if (env.SMARTSCALE_KUBECONFIG) return 'kubeconfig';
  if (env.SMARTSCALE_KUBE_API_URL) return 'token-parameters';
  if (flag === 'true' || (flag !== 'false' && env.KUBERNETES_SERVICE_HOST)) return 'in-cluster';
  return 'token-parameters';
}

/**
 * The pod's ServiceAccount: API server from `KUBERNETES_SERVICE_HOST` and
 * `KUBERNETES_SERVICE_PORT`, token and CA from the mounted files (the
 * client re-reads the token every minute, so projected tokens may rotate). TLS is
 * verified against the mounted CA. `serviceAccountDir` is for tests.
 *
 * @example
 * const kc = kubeConfigInCluster(process.env);
 */
export function kubeConfigInCluster(
  env: NodeJS.ProcessEnv,
  serviceAccountDir = SERVICE_ACCOUNT_DIR,
): KubeConfig {
  const missingVars = (['KUBERNETES_SERVICE_HOST', 'KUBERNETES_SERVICE_PORT'] as const).filter(
    (k) => !env[k],
  );
  if (missingVars.length > 0)
    throw new KubeAccessError(
      missingVars.join(' and '),
      `In-cluster Kubernetes access needs ${missingVars.join(' and ')}: expected them set by Kubernetes in the pod (or set SMARTSCALE_KUBECONFIG / SMARTSCALE_KUBE_API_URL outside a cluster)`,
    );
  for (const file of ['token', 'ca.crt']) {
    if (!existsSync(`${serviceAccountDir}/${file}`))
      throw new KubeAccessError(
        `${serviceAccountDir}/${file}`,
        `In-cluster Kubernetes access: ${serviceAccountDir}/${file} does not exist: expected the pod's ServiceAccount mounted (automountServiceAccountToken must not be false)`,
      );
  }
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const kc = new KubeConfig();
  // What kc.loadFromCluster() builds, except that it is always https (that
  // would pick plain http for ports 80/8080/8001) and reads the given env.
  kc.loadFromClusterAndUser(
    {
      name: 'in-cluster',
      server: `https://${isIPv6(host) ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT}`,
      caFile: `${serviceAccountDir}/ca.crt`,
      skipTLSVerify: false,
    },
    {
      name: 'service-account',
      // Re-read every minute by the client: the kubelet rotates projected tokens.
      authProvider: { name: 'tokenFile', config: { tokenFile: `${serviceAccountDir}/token` } },
    },
  );
  return kc;
}

/**
 * Kubernetes access from the environment (`kubeAccessMode` picks which):
 * `SMARTSCALE_KUBECONFIG` (a file); or `SMARTSCALE_KUBE_API_URL` with the CA
 * and the ServiceAccount token read through `readSecret` from the parameters
 * named by `SMARTSCALE_KUBE_CA_PARAMETER` and `SMARTSCALE_KUBE_TOKEN_PARAMETER`
 * (the token of the service's own identity, trailing whitespace removed,
 * read now so a missing one fails at start-up, and read again before it
 * expires or after a 401: see `ParameterToken`); or, inside a pod, its own
 * ServiceAccount (`kubeConfigInCluster`).
 */
export async function kubeConfigFromEnv(
  env: NodeJS.ProcessEnv,
  readSecret: (name: string) => Promise<string>,
  options: { serviceAccountDir?: string } = {},
): Promise<KubeConfig> {
  const mode = kubeAccessMode(env);
  if (mode === 'kubeconfig')
    return kubeConfigFor({ kubeconfigPath: env.SMARTSCALE_KUBECONFIG as string });
  if (mode === 'in-cluster') return kubeConfigInCluster(env, options.serviceAccountDir);
  const caName = env.SMARTSCALE_KUBE_CA_PARAMETER;
  const tokenName = env.SMARTSCALE_KUBE_TOKEN_PARAMETER;
  return kubeConfigFor({
    ...(env.SMARTSCALE_KUBE_API_URL ? { server: env.SMARTSCALE_KUBE_API_URL } : {}),
    ...(caName ? { caPem: await readSecret(caName) } : {}),
    ...(tokenName ? { token: await readParameterToken(tokenName, readSecret) } : {}),
  });
}

/** The rotating token of `name`, read once now so a missing parameter fails at start-up. */
async function readParameterToken(
  name: string,
  readSecret: (name: string) => Promise<string>,
): Promise<ParameterToken> {
  const token = new ParameterToken(name, readSecret);
  if ((await token.current()) === '')
    throw new KubeAccessError(
      'SMARTSCALE_KUBE_TOKEN_PARAMETER',
      `Kubernetes access is incomplete: the parameter ${name} (SMARTSCALE_KUBE_TOKEN_PARAMETER) is empty: expected the ServiceAccount token k3s/store-kube-tokens.sh stores`,
    );
  return token;
}
