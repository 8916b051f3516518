import type { V1Deployment } from '@kubernetes/client-node';

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
