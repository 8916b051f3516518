import { KubeConfig } from '@kubernetes/client-node';

/** Where the autoscaler's Kubernetes credentials come from. */
export interface KubeAccess {
  /** A kubeconfig file (local environment, or a mounted secret). */
  readonly kubeconfigPath?: string;
  /** API server URL, CA (PEM) and bearer token (Lambda: read from SSM). */
  readonly server?: string;
  readonly caPem?: string;
  readonly token?: string;
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
    throw new Error(
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
    users: [{ name: 'smartscale', token: access.token as string }],
    contexts: [{ name: 'smartscale', cluster: 'k3s', user: 'smartscale' }],
    currentContext: 'smartscale',
  });
  return kc;
}

/**
 * Kubernetes access from the environment: `SMARTSCALE_KUBECONFIG` (a file),
 * or `SMARTSCALE_KUBE_API_URL` with the CA and the ServiceAccount token read
 * through `readSecret` from the parameters named by
 * `SMARTSCALE_KUBE_CA_PARAMETER` and `SMARTSCALE_KUBE_TOKEN_PARAMETER`.
 */
export async function kubeConfigFromEnv(
  env: NodeJS.ProcessEnv,
  readSecret: (name: string) => Promise<string>,
): Promise<KubeConfig> {
  if (env.SMARTSCALE_KUBECONFIG)
    return kubeConfigFor({ kubeconfigPath: env.SMARTSCALE_KUBECONFIG });
  const caName = env.SMARTSCALE_KUBE_CA_PARAMETER;
  const tokenName = env.SMARTSCALE_KUBE_TOKEN_PARAMETER;
  return kubeConfigFor({
    ...(env.SMARTSCALE_KUBE_API_URL ? { server: env.SMARTSCALE_KUBE_API_URL } : {}),
    ...(caName ? { caPem: await readSecret(caName) } : {}),
    ...(tokenName ? { token: await readSecret(tokenName) } : {}),
  });
}
