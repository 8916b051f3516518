import {
  AppsV1Api,
  CoreV1Api,
  type KubeConfig,
  PolicyV1Api,
  type V1Deployment,
} from '@kubernetes/client-node';

/** Pods of a workload land on kwok's simulated workers, which carry this taint. */
const KWOK_TOLERATION = { key: 'kwok.x-k8s.io/node', operator: 'Exists', effect: 'NoSchedule' };

/**
 * A Deployment of identical web pods (500m CPU, 512 MiB each, like the
 * TechFlow trace's web tier) that tolerates the local kwok workers, so
 * scaling it is what drives SmartScale in the demo and in `npm start`.
 *
 * @example
 * await apps.createNamespacedDeployment({ namespace: 'default', body: webDeployment('app', 2) });
 */
export function webDeployment(name: string, replicas: number): V1Deployment {
  const labels = { app: name };
  return {
    metadata: { name, labels },
    spec: {
      replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          tolerations: [KWOK_TOLERATION],
          containers: [
            {
              name,
              image: `techflow/${name}:1`,
              resources: { requests: { cpu: '500m', memory: '512Mi' } },
            },
          ],
        },
      },
    },
  };
}

/** The namespace the demo and the soak play their trace in. */
export const SHOP_NAMESPACE = 'shop';

/**
 * The trace's web tier in `shop`: the `web` Deployment at `replicas`, a
 * PodDisruptionBudget allowing one pod down, then a warm-up of at most 60 s:
 * the cluster starts with no workers, so SmartScale first brings it to min
 * and places the first pods before the trace clock starts.
 */
export async function startShopWorkload(admin: KubeConfig, replicas: number): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  const namespace = SHOP_NAMESPACE;
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch(() => {});
  await admin.makeApiClient(AppsV1Api).createNamespacedDeployment({
    namespace,
    body: webDeployment('web', replicas),
  });
  await admin.makeApiClient(PolicyV1Api).createNamespacedPodDisruptionBudget({
    namespace,
    body: {
      metadata: { name: 'web' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'web' } } },
    },
  });
  const warmUntil = Date.now() + 60_000;
  while (Date.now() < warmUntil) {
    const pods = (await core.listNamespacedPod({ namespace })).items;
    if (pods.length > 0 && pods.every((p) => p.status?.phase === 'Running')) break;
    await new Promise((r) => setTimeout(r, 500));
  }
}
