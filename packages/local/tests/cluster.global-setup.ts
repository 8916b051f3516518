import type { TestProject } from 'vitest/node';
import { startLocalCluster } from '../src/cluster/start.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    cluster: {
      server: string;
      caCert: string;
      adminKubeconfig: string;
      autoscalerKubeconfig: string;
      kubeconfigs: Record<'reader' | 'join-verifier' | 'writer', string>;
    };
  }
}

/** Starts one local control plane for the `cluster` test project. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cluster = await startLocalCluster({
    keepDataDir: process.env.SMARTSCALE_KEEP_CLUSTER === '1',
  });
  project.provide('cluster', {
    server: cluster.server,
    caCert: cluster.caCert,
    adminKubeconfig: cluster.adminKubeconfig,
    autoscalerKubeconfig: cluster.autoscalerKubeconfig,
    kubeconfigs: cluster.kubeconfigs,
  });
  return () => cluster.stop();
}
