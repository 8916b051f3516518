import type { AnyEnvelope, CapacityType } from '@smartscale/contracts';
import { createMessage } from '@smartscale/contracts';
import { actionIdForInstance, type Interruption, SPOT_NOTICE_MS } from './ec2-events.js';

/** How to treat a rebalance recommendation (AWS's early hint of reclaim). */
export type RebalancePolicy = 'ignore' | 'replace-then-drain';

/** One of this cluster's workers, as EC2 describes it. */
export interface ManagedWorker {
  readonly instanceId: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** EC2's InstanceType; the replacement tries it first. */
  readonly instanceType?: string;
  readonly state: string;
  /** EC2 launch time; with the instance id it names the replacement action. */
  readonly launchedAt: string | null;
}

export interface SpotListenerPorts {
  readonly clusterId: string;
  readonly rebalance: RebalancePolicy;
  /** Drain time granted when AWS gives no deadline (rebalance, health). */
  readonly drainTimeoutSeconds: number;
  readonly now: () => Date;
  /** The worker if it is one of ours; null for anything else. */
  findManagedWorker(instanceId: string): Promise<ManagedWorker | null>;
  findNodeName(instanceId: string): Promise<string | null>;
  publish(message: AnyEnvelope): Promise<void>;
}

/**
 * What became of one instance of an event. `left-to-reconciler`: a managed
 * worker stopping or gone; the reconciler deletes the Node of a gone
 * instance. `acknowledged`: a state change that needs nothing (pending,
 * running).
 */
export type InterruptionResult =
  | 'not-ours'
  | 'already-gone'
  | 'noted'
  | 'replacing'
  | 'left-to-reconciler'
  | 'acknowledged';

const GONE = new Set(['shutting-down', 'terminated', 'stopping', 'stopped']);

/**
 * Turns an interruption into actions: InterruptionReceived for people, and
 * for a warning (or a rebalance when configured) ReplaceCapacity at once and
 * DrainNode with the interruption's deadline, all under one action id
 * derived from the instance, so a second event about the same instance (a
 * rebalance then the warning, Health updates) or a redelivery launches no
 * second replacement. A rebalance's drain waits for the replacement to be
 * Ready; a two-minute warning drains at once. EC2 state changes announce
 * nothing. Events for instances that are not ours, or already gone, are
 * acknowledged.
 */
export async function handleInterruption(
  event: Interruption,
  ports: SpotListenerPorts,
): Promise<InterruptionResult[]> {
  const results: InterruptionResult[] = [];
  for (const instanceId of event.instanceIds) {
    const worker = await ports.findManagedWorker(instanceId);
    if (!worker) {
      results.push('not-ours');
      continue;
    }
    if (event.kind === 'state-change') {
      // Our own launches and drains change states all day; none of it is an
      // interruption. A worker gone behind our back is the reconciler's.
      results.push(event.state && GONE.has(event.state) ? 'left-to-reconciler' : 'acknowledged');
      continue;
    }
    const nodeName = await ports.findNodeName(instanceId);
    const actionId = actionIdForInstance(instanceId, worker.launchedAt);
    const now = ports.now();
    const context = { clusterId: ports.clusterId, actionId };
    const received = createMessage(
      'InterruptionReceived',
      {
        instanceId,
        kind: event.kind,
        ...(nodeName ? { nodeName } : {}),
        ...(event.deadline ? { deadline: event.deadline.toISOString() } : {}),
      },
      context,
      now,
    );
    await ports.publish(received);

    const acts =
      event.kind === 'spot-interruption' ||
      event.kind === 'scheduled-change' ||
      (event.kind === 'rebalance' && ports.rebalance === 'replace-then-drain');
    if (!acts) {
      results.push('noted');
      continue;
    }
    if (event.kind === 'spot-interruption' && GONE.has(worker.state) && !nodeName) {
      results.push('already-gone');
      continue;
    }
    const cause = { ...context, causationId: received.id };
    await ports.publish(
      createMessage(
        'ReplaceCapacity',
        {
          replacedInstanceId: instanceId,
          zone: worker.zone,
          capacityType: worker.capacityType,
          // Fleet reports 'unknown' when EC2 left it out: the replacement then offers every type.
          ...(worker.instanceType && worker.instanceType !== 'unknown'
            ? { instanceType: worker.instanceType }
            : {}),
          reason: event.kind,
          ...(nodeName ? { nodeName } : {}),
        },
        cause,
        now,
      ),
    );
    if (nodeName) {
      // At most the drain timeout (never under the Spot notice) from now,
      // AWS's deadline when earlier: the drainer refuses a later one. A
      // scheduled change may be weeks away; the node is drained now and, like
      // any interruption, terminated at the deadline rather than kept
      // cordoned until AWS retires it.
      const timeoutAt = new Date(
        now.getTime() + Math.max(ports.drainTimeoutSeconds * 1000, SPOT_NOTICE_MS),
      );
      const deadline = event.deadline && event.deadline < timeoutAt ? event.deadline : timeoutAt;
      await ports.publish(
        createMessage(
          'DrainNode',
          {
            nodeName,
            instanceId,
            deadline: deadline.toISOString(),
            reason: event.kind,
            // A rebalance is an early hint: the node keeps serving until its
            // replacement is Ready. The two-minute warning cannot wait.
            waitForReplacement: event.kind === 'rebalance',
          },
          cause,
          now,
        ),
      );
    }
    results.push('replacing');
  }
  return results;
}
