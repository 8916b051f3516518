// The soak's fault proxies: one in front of moto, one in front of the API
// server (TLS, with the API server's own certificate, so the services'
// kubeconfigs keep verifying against the cluster CA) and one in front of
// Prometheus. Only the services go through them; the soak's own reads, the
// join agent and kwok talk to the real servers, so a fault hits SmartScale
// and not the world it runs in.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { KubeIdentity } from '@smartscale/stacks';
import { type FaultProxy, startFaultProxy } from '../faults/fault-proxy.ts';
import type { ServiceEndpoints } from '../stack.ts';

export interface Fronts {
  readonly aws: FaultProxy;
  readonly kube: FaultProxy;
  readonly prometheus: FaultProxy;
}

/** The `server:` and `certificate-authority:` of a kubeconfig file, or an error naming the file. */
export function kubeconfigServer(text: string, file: string): { server: string; ca: string } {
  const server = /^\s*server:\s*(\S+)\s*$/m.exec(text)?.[1];
  const ca = /^\s*certificate-authority:\s*(\S+)\s*$/m.exec(text)?.[1];
  if (!server || !ca)
    throw new Error(
      `kubeconfig ${file}: expected a cluster with server: and certificate-authority: (a file path)`,
    );
  return { server, ca };
}

/**
 * Starts the three proxies and returns the addresses the services get;
 * `onFronts` receives the proxies to switch faults on.
 */
export async function startFronts(
  direct: ServiceEndpoints,
  dir: string,
  onFronts: (fronts: Fronts) => void,
): Promise<ServiceEndpoints & { close(): Promise<void> }> {
  const entries = Object.entries(direct.kubeconfigs) as [KubeIdentity, string][];
  const first = entries[0];
  if (!first) throw new Error('no kubeconfig to put the API server proxy in front of');
  const { server, ca } = kubeconfigServer(readFileSync(first[1], 'utf8'), first[1]);
  const pki = dirname(ca);
  const aws = await startFaultProxy({ target: direct.aws });
  const kube = await startFaultProxy({
    target: server,
    targetCa: readFileSync(ca, 'utf8'),
    tls: {
      cert: readFileSync(join(pki, 'apiserver.crt'), 'utf8'),
      key: readFileSync(join(pki, 'apiserver.key'), 'utf8'),
    },
  });
  const prometheus = await startFaultProxy({ target: direct.prometheus });
  const kubeconfigs = Object.fromEntries(
    entries.map(([identity, file]) => {
      const copy = join(dir, `${identity}.via-proxy.kubeconfig`);
      const text = readFileSync(file, 'utf8');
      writeFileSync(copy, text.replace(kubeconfigServer(text, file).server, kube.url), {
        mode: 0o600,
      });
      return [identity, copy];
    }),
  ) as Record<KubeIdentity, string>;
  onFronts({ aws, kube, prometheus });
  return {
    aws: aws.url,
    prometheus: prometheus.url,
    kubeconfigs,
    async close() {
      await Promise.all([aws.close(), kube.close(), prometheus.close()]);
    },
  };
}
