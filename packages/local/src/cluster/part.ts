import type { EnvPart, RunningPart } from '../env.ts';
import { startLocalCluster } from './start.ts';

/**
 * The Kubernetes part of the local environment: kine, kube-apiserver,
 * controller-manager, scheduler and kwok on 127.0.0.1, with the autoscaler's
 * least-privilege kubeconfig.
 *
 * @example
 * const env = await startLocalEnv([awsPart(), clusterPart()]);
 */
export function clusterPart(): EnvPart {
  return {
    name: 'cluster',
    async start(context): Promise<RunningPart> {
      context.log('starting the control plane');
      const cluster = await startLocalCluster({});
      return {
        name: 'cluster',
        summary: [
          `kube-apiserver ${cluster.server} (TLS, CA ${cluster.dataDir}/pki/ca.crt)`,
          `admin kubeconfig       ${cluster.adminKubeconfig}`,
          `autoscaler kubeconfig  ${cluster.autoscalerKubeconfig} (ServiceAccount smartscale-system/smartscale; use SMARTSCALE_KUBECONFIG=...)`,
          'workers: kwok plays the kubelets of nodes annotated kwok.x-k8s.io/node=fake',
        ],
        details: {
          server: cluster.server,
          adminKubeconfig: cluster.adminKubeconfig,
          autoscalerKubeconfig: cluster.autoscalerKubeconfig,
          // For the server-parameters part: what the K3s server would publish.
          kubeconfigs: cluster.kubeconfigs,
          caCert: cluster.caCert,
        },
        // The cluster's own stop() ends its processes; the state file names the data folder.
        processes: [],
        stop: () => cluster.stop(),
      };
    },
  };
}
