import type { AnyEnvelope, Envelope } from '@smartscale/contracts';
import { followUp } from '@smartscale/contracts';

/** A pod to evict from the node being drained. */
export interface PodToEvict {
  readonly namespace: string;
  readonly name: string;
}

/** What one eviction attempt came to. */
export type Eviction = 'evicted' | 'pdb-blocked' | 'gone' | { readonly error: string };

/** What the drainer needs; `packages/k8s` and `packages/aws` implement it. */
export interface DrainerPorts {
  readonly now: () => Date;
  /** null when the Node object no longer exists. */
  getNode(
    nodeName: string,
    instanceId: string,
  ): Promise<{ readonly unschedulable: boolean } | null>;
  /** Cordons, marking the node with the action (the reconciler lifts cordons whose action is over). */
  cordon(nodeName: string, actionId: string): Promise<void>;
  uncordon(nodeName: string): Promise<void>;
  /** Pods that must leave: not DaemonSet-owned, not mirror pods, not finished. */
  podsToEvict(nodeName: string): Promise<PodToEvict[]>;
  evict(pod: PodToEvict): Promise<Eviction>;
  terminate(instanceId: string): Promise<void>;
  deleteNode(nodeName: string): Promise<void>;
  /** Runs `effect` only the first time (actionId, step) is seen. */
  once(actionId: string, step: string, effect: () => Promise<void>): Promise<boolean>;
  publish(message: AnyEnvelope): Promise<void>;
  publishDelayed(message: AnyEnvelope, delaySeconds: number): Promise<void>;
}

/** Retry delay while a PDB or slow pods hold the drain: 5 s doubling to 60 s. */
export function drainRetryDelaySeconds(attempt: number): number {
  return Math.min(5 * 2 ** attempt, 60);
}

export type DrainResult =
  | { readonly status: 'removed'; readonly evicted: number }
  | { readonly status: 'retrying'; readonly blocked: number; readonly remaining: number }
  | { readonly status: 'aborted'; readonly reason: string };

async function once(
  ports: DrainerPorts,
  command: Envelope<'DrainNode'>,
  step: string,
  message: () => AnyEnvelope,
): Promise<void> {
  await ports.once(command.actionId, step, () => ports.publish(message()));
}

/**
 * One pass of a drain: cordon, evict through the Eviction API, and only
 * when nothing is left terminate the instance and delete the Node. A pass
 * that a PDB (or a pod still terminating) holds up re-delivers the command
 * with a delay; past the deadline the node is uncordoned and the action fails.
 */
export async function drainNode(
  command: Envelope<'DrainNode'>,
  ports: DrainerPorts,
): Promise<DrainResult> {
  const { nodeName, instanceId, deadline } = command.payload;
  const now = ports.now();
  const node = await ports.getNode(nodeName, instanceId);
  if (!node) {
    await ports.terminate(instanceId);
    await once(ports, command, 'removed', () =>
      followUp(command, 'NodeRemoved', { nodeName, instanceId, terminated: true }, now),
    );
    return { status: 'removed', evicted: 0 };
  }
  if (now.getTime() >= Date.parse(deadline)) {
    // An interruption drain past its deadline has lost the instance anyway;
    // a scale-down drain gives the node back to the scheduler.
    if (command.payload.reason === 'scale-down') await ports.uncordon(nodeName);
    const reason = `drain not finished by the deadline ${deadline}`;
    await once(ports, command, 'failed', () =>
      followUp(command, 'ActionFailed', { step: 'drain', reason, detail: `node ${nodeName}` }, now),
    );
    return { status: 'aborted', reason };
  }
  if (!node.unschedulable) await ports.cordon(nodeName, command.actionId);
  await once(ports, command, 'cordoned', () =>
    followUp(command, 'NodeCordoned', { nodeName, instanceId }, now),
  );

  const pods = await ports.podsToEvict(nodeName);
  let blocked = 0;
  let evicted = 0;
  for (const pod of pods) {
    const result = await ports.evict(pod);
    if (result === 'evicted') evicted += 1;
    else if (result === 'pdb-blocked') blocked += 1;
    else if (typeof result === 'object')
      throw new Error(
        `evicting ${pod.namespace}/${pod.name} from ${nodeName} failed: ${result.error}`,
      );
  }
  const remaining = (await ports.podsToEvict(nodeName)).length;
  if (remaining > 0) {
    const attempt = command.payload.attempt + 1;
    const untilDeadline = Math.max(1, Math.ceil((Date.parse(deadline) - now.getTime()) / 1000));
    await ports.publishDelayed(
      followUp(command, 'DrainNode', { ...command.payload, attempt }, now),
      Math.min(drainRetryDelaySeconds(command.payload.attempt), untilDeadline),
    );
    return { status: 'retrying', blocked, remaining };
  }
  await once(ports, command, 'drained', () =>
    followUp(command, 'NodeDrained', { nodeName, instanceId, evictedPods: evicted }, now),
  );
  await ports.terminate(instanceId);
  await ports.deleteNode(nodeName);
  await once(ports, command, 'removed', () =>
    followUp(command, 'NodeRemoved', { nodeName, instanceId, terminated: true }, now),
  );
  return { status: 'removed', evicted };
}
