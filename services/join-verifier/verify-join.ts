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
  terminate(instanceIds: readonly string[]): Promise<void>;
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
  readonly failed: string[];
  readonly waiting: string[];
}

/** Whole seconds from `now` until `at` (epoch ms), at least 1: SQS DelaySeconds is an integer. */
export function wholeSecondsUntil(now: Date, at: number): number {
  return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
}

/**
 * Checks whether each launched instance's node is Ready. Ready ones are
 * reported once (NodeJoined); past the deadline the rest are terminated,
 * the Nodes of those that registered but never turned Ready are deleted
 * (K3s has no cloud controller that would), and each is reported
 * (JoinFailed); the others are re-checked later by re-delivering a
 * VerifyJoin with a delay, never by sleeping here.
 */
export async function verifyJoin(
  command: Envelope<'VerifyJoin'>,
  ports: JoinVerifierPorts,
): Promise<VerifyOutcome> {
  const now = ports.now();
  const overdue = now.getTime() >= Date.parse(command.payload.deadline);
  const outcome: VerifyOutcome = { joined: [], failed: [], waiting: [] };
  const notReadyNodes: string[] = [];
  for (const instanceId of command.payload.instanceIds) {
    const node = await ports.findNodeByInstanceId(instanceId);
    if (node?.ready) {
      outcome.joined.push(instanceId);
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
      if (node) notReadyNodes.push(node.name);
    } else {
      outcome.waiting.push(instanceId);
    }
  }
  if (outcome.failed.length > 0) {
    // Terminate first: a kubelet still running would register its Node again.
    await ports.terminate(outcome.failed);
    for (const nodeName of notReadyNodes) await ports.deleteNode(nodeName);
    for (const instanceId of outcome.failed) {
      const reason = `no Ready node within the join timeout (deadline ${command.payload.deadline})`;
      await ports.once(command.actionId, `join-failed:${instanceId}`, () =>
        ports.publish(
          followUp(command, 'JoinFailed', { instanceId, reason, terminated: true }, now),
        ),
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
    await ports.publishDelayed(
      next,
      Math.min(recheckDelaySeconds(command.payload.attempt), untilDeadline),
    );
  }
  return outcome;
}
