import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { V1Deployment, V1Node } from '@kubernetes/client-node';
import { AppsV1Api, CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { inject } from 'vitest';

/** Label that ties a test's nodes and workloads together so tests can share one cluster. */
export const GROUP_LABEL = 'smartscale.test/group';

/** Admin API clients for arranging a test (the code under test uses its own credentials). */
export function adminClients() {
  const kc = new KubeConfig();
  kc.loadFromFile(inject('cluster').adminKubeconfig);
  return {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    policy: kc.makeApiClient(PolicyV1Api),
  };
}

/** A short unique name prefix for one test. */
export function uniqueGroup(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Polls `check` until it returns a value other than undefined/false, or fails with `what`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 45_000,
): Promise<T> {
  const started = Date.now();
  let lastError: unknown;
  while (Date.now() - started < timeoutMs) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(250);
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`,
  );
}

/** Creates a namespace and waits for its default ServiceAccount (pods are refused without it). */
export async function createNamespace(core: CoreV1Api, name: string): Promise<void> {
  await core.createNamespace({ body: { metadata: { name } } });
  await eventually(`ServiceAccount ${name}/default`, async () => {
    await core.readNamespacedServiceAccount({ name: 'default', namespace: name });
    return true;
  });
}

/** Registers a Node that kwok plays (it turns Ready and runs the pods bound to it). */
export async function createKwokNode(
  core: CoreV1Api,
  options: {
    name: string;
    group: string;
    cpu?: string;
    memory?: string;
    providerID?: string;
    labels?: Record<string, string>;
  },
): Promise<V1Node> {
  const resources = { cpu: options.cpu ?? '4', memory: options.memory ?? '8Gi', pods: '110' };
  return core.createNode({
    body: {
      metadata: {
        name: options.name,
        annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
        labels: {
          'kubernetes.io/hostname': options.name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          type: 'kwok',
          [GROUP_LABEL]: options.group,
          ...options.labels,
        },
      },
      spec: options.providerID ? { providerID: options.providerID } : {},
      status: { allocatable: resources, capacity: resources },
    },
  });
}

/** A Deployment whose pods only go to the nodes of `group`. */
export function deployment(options: {
  name: string;
  namespace: string;
  group: string;
  replicas: number;
  cpu?: string;
  memory?: string;
}): V1Deployment {
  const labels = { app: options.name };
  return {
    metadata: { name: options.name, namespace: options.namespace },
    spec: {
      replicas: options.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          nodeSelector: { [GROUP_LABEL]: options.group },
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'app',
              image: 'registry.invalid/app:1',
              resources: {
                requests: { cpu: options.cpu ?? '100m', memory: options.memory ?? '64Mi' },
              },
            },
          ],
        },
      },
    },
  };
}

/** Waits until `count` pods of app `name` in `namespace` are Running and returns them. */
export async function runningPods(core: CoreV1Api, namespace: string, name: string, count: number) {
  return eventually(`${count} running pods of ${namespace}/${name}`, async () => {
    const pods = await core.listNamespacedPod({ namespace, labelSelector: `app=${name}` });
    const running = pods.items.filter(
      (p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp,
    );
    return running.length === count ? running : undefined;
  });
}
