// Faults of the cluster itself: a kubelet that stops posting status while
// its instance runs (the Node goes NotReady, then Ready when it comes
// back), a worker whose kubelet never registers, and a PodDisruptionBudget
// that allows no eviction for a while. All through the API server and the
// join agent, as the cluster's own parts would do it.
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { KWOK_NODE_ANNOTATION } from '../cluster/start.ts';

const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const strategic = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);

function readyCondition(status: 'True' | 'Unknown', message: string) {
  const at = new Date().toISOString();
  return {
    type: 'Ready',
    status,
    reason: status === 'True' ? 'KubeletReady' : 'NodeStatusUnknown',
    message,
    lastHeartbeatTime: at,
    lastTransitionTime: at,
  };
}

/** The kubelet of `node` stops: kwok stops heart-beating it and its Ready goes Unknown. */
export async function stopKubelet(admin: KubeConfig, node: string): Promise<void> {
  const core = admin.makeApiClient(CoreV1Api);
  await core.patchNode(
    { name: node, body: { metadata: { annotations: { [KWOK_NODE_ANNOTATION.key]: null } } } },
    merge,
  );
  await core.patchNodeStatus(
    {
      name: node,
      body: {
        status: { conditions: [readyCondition('Unknown', 'Kubelet stopped posting node status.')] },
      },
    },
    strategic,
  );
}

/** The kubelet of `node` is back: Ready again, and kwok heart-beats it again. Null when the Node is gone. */
export async function startKubelet(admin: KubeConfig, node: string): Promise<string | null> {
  const core = admin.makeApiClient(CoreV1Api);
  try {
    await core.patchNodeStatus(
      {
        name: node,
        body: {
          status: { conditions: [readyCondition('True', 'kubelet is posting ready status')] },
        },
      },
      strategic,
    );
    await core.patchNode(
      {
        name: node,
        body: {
          metadata: { annotations: { [KWOK_NODE_ANNOTATION.key]: KWOK_NODE_ANNOTATION.value } },
        },
      },
      merge,
    );
    return node;
  } catch (err) {
    if ((err as { code?: number }).code === 404) return null;
    throw err;
  }
}

/**
 * Decides which instances the join agent never registers: once armed, the
 * first instance it asks about that was not live when the fault fired (the
 * next launch), and that one for good.
 */
export class NeverJoinSwitch {
  readonly #held = new Set<string>();
  #armed: Set<string> | null = null;
  /** Instances held back so far, oldest first. */
  readonly held: string[] = [];

  /** The next instance launched after now never joins; `liveNow` are the instances already there. */
  arm(liveNow: readonly string[]): void {
    this.#armed = new Set(liveNow);
  }

  /** Asked by the join agent for each instance ready to register. */
  readonly neverJoins = (instanceId: string): boolean => {
    if (this.#held.has(instanceId)) return true;
    if (this.#armed && !this.#armed.has(instanceId)) {
      this.#armed = null;
      this.#held.add(instanceId);
      this.held.push(instanceId);
      return true;
    }
    return false;
  };
}

/** Sets the `maxUnavailable` of PDB `name`; returns the value it had. */
export async function setPdbMaxUnavailable(
  admin: KubeConfig,
  namespace: string,
  name: string,
  maxUnavailable: number | string,
): Promise<number | string | undefined> {
  const policy = admin.makeApiClient(PolicyV1Api);
  const before = await policy.readNamespacedPodDisruptionBudget({ name, namespace });
  await policy.patchNamespacedPodDisruptionBudget(
    { name, namespace, body: { spec: { maxUnavailable } } },
    merge,
  );
  return before.spec?.maxUnavailable;
}
