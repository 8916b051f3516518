import type { AnyEnvelope, Envelope } from '@smartscale/contracts';
import { followUp } from '@smartscale/contracts';

/** A node found for an instance, by its providerID. */
export interface JoinedNode {
  readonly name: string;
  readonly ready: boolean;
}

/** What the join verifier needs; `packages/k8s` and `packages/aws` implement it. */
export interface JoinVerifierPorts {
  readonly now: () => Date;
  findNodeByInstanceId(instanceId: string): Promise<JoinedNode | null>;
  /**
   * Pods the scheduler placed on a Node (`namespace/name`), DaemonSet pods
   * and finished ones left out: any shows the Node was Ready once.
   */
  podsPlacedOn(nodeName: string): Promise<string[]>;
  /**
   * Terminates the instances EC2 tags as this cluster's workers; the others
   * (not ours, or unknown) are refused, returned, and left running.
   */
  terminate(instanceIds: readonly string[]): Promise<{ readonly refused: readonly string[] }>;
  /** Deletes a Node object; one already gone is not an error. */
  deleteNode(nodeName: string): Promise<void>;
  /**
   * Runs `effect` only the first time (actionId, step) is seen; a repeat (a
   * redelivery, a replay) skips it. A failed effect can run again.
   */
  once(actionId: string, step: string, effect: () => Promise<void>): Promise<boolean>;
  publish(message: AnyEnvelope): Promise<void>;
  publishDelayed(message: AnyEnvelope, delaySeconds: number): Promise<void>;
}

/** Re-check delay: 10 s, doubling, at most 2 min (SQS allows up to 15). */
export function recheckDelaySeconds(attempt: number): number {
  return Math.min(10 * 2 ** attempt, 120);
}

export interface VerifyOutcome {
  readonly joined: string[];
  /** Joined, yet NotReady when checked: the pods it runs show it was Ready once. */
  readonly notReadyNow: string[];
  readonly failed: string[];
  readonly waiting: string[];
}

/** Whole seconds from `now` until `at` (epoch ms), at least 1: SQS DelaySeconds is an integer. */
export function wholeSecondsUntil(now: Date, at: number): number {
  return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * Checks whether each launched instance's node is Ready. Ready ones are
 * reported once (NodeJoined), and so, past the deadline, is a NotReady one
 * running pods the scheduler placed (it was Ready then); past the deadline
 * the rest are terminated,
 * the Nodes of those that registered but never turned Ready are deleted
 * (K3s has no cloud controller that would), and each is reported
 * (JoinFailed, saying whether it was terminated: an instance that is not
 * ours is neither terminated nor its Node deleted); the others are re-checked later by re-delivering a
 * VerifyJoin with a delay, never by sleeping here.
 */
export async function verifyJoin(
  command: Envelope<'VerifyJoin'>,
  ports: JoinVerifierPorts,
): Promise<VerifyOutcome> {
  const now = ports.now();
  const overdue = now.getTime() >= Date.parse(command.payload.deadline);
  const outcome: VerifyOutcome = { joined: [], notReadyNow: [], failed: [], waiting: [] };
  const notReadyNodes = new Map<string, string>();
  for (const instanceId of command.payload.instanceIds) {
    const node = await ports.findNodeByInstanceId(instanceId);
    // Past the deadline a NotReady Node may still be a worker that joined
    // between two checks and lost its kubelet since (a restart, a blip):
    // pods the scheduler placed on it say so. It is no failed join, and
    // terminating it would take those pods without a drain.
    const placed = node && !node.ready && overdue ? await ports.podsPlacedOn(node.name) : [];
    if (node && (node.ready || placed.length > 0)) {
      outcome.joined.push(instanceId);
      if (!node.ready) outcome.notReadyNow.push(instanceId);
      const joinSeconds = Math.max(
        0,
        (now.getTime() - Date.parse(command.payload.launchedAt)) / 1000,
      );
      await ports.once(command.actionId, `joined:${instanceId}`, () =>
        ports.publish(
          followUp(command, 'NodeJoined', { instanceId, nodeName: node.name, joinSeconds }, now),
        ),
      );
    } else if (overdue) {
      outcome.failed.push(instanceId);
      if (node) notReadyNodes.set(instanceId, node.name);
    } else {
      outcome.waiting.push(instanceId);
    }
  }
  if (outcome.failed.length > 0) {
    // Terminate first: a kubelet still running would register its Node again.
    const refused = new Set((await ports.terminate(outcome.failed)).refused);
    // The Node of an instance EC2 does not tag as ours is not ours either,
    // whatever its label says (issue #21 item 9): it is left alone.
    for (const [instanceId, nodeName] of notReadyNodes)
      if (!refused.has(instanceId)) await ports.deleteNode(nodeName);
    for (const instanceId of outcome.failed) {
      const terminated = !refused.has(instanceId);
      const reason = terminated
        ? `no Ready node within the join timeout (deadline ${command.payload.deadline})`
        : `no Ready node within the join timeout (deadline ${command.payload.deadline}); not terminated and its Node left alone: EC2 does not tag ${instanceId} as a worker of this cluster`;
      await ports.once(command.actionId, `join-failed:${instanceId}`, () =>
        ports.publish(followUp(command, 'JoinFailed', { instanceId, reason, terminated }, now)),
      );
    }
  }
  if (outcome.waiting.length > 0) {
    const attempt = command.payload.attempt + 1;
    const untilDeadline = wholeSecondsUntil(now, Date.parse(command.payload.deadline));
    const next = followUp(
      command,
      'VerifyJoin',
      { ...command.payload, instanceIds: outcome.waiting, attempt },
      now,
    );
    // Once per delivered message: a copy of this VerifyJoin (SQS delivers at
    // least once; a fault may double it) folds into the one chain of
    // re-checks instead of starting a second one that runs to the deadline.
    // A different message of the action still gets its own re-check.
    await ports.once(command.actionId, `recheck-after:${command.id}`, () =>
      ports.publishDelayed(
        next,
        Math.min(recheckDelaySeconds(command.payload.attempt), untilDeadline),
      ),
    );
  }
  return outcome;
}
