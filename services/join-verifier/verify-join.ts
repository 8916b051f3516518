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

/**
 * Checks whether each launched instance's node is Ready. Ready ones are
 * reported once (NodeJoined); past the deadline the rest are terminated and
 * reported (JoinFailed); the others are re-checked later by re-delivering a
 * VerifyJoin with a delay, never by sleeping here.
 */
export async function verifyJoin(
  command: Envelope<'VerifyJoin'>,
  ports: JoinVerifierPorts,
): Promise<VerifyOutcome> {
  const now = ports.now();
  const overdue = now.getTime() >= Date.parse(command.payload.deadline);
  const outcome: VerifyOutcome = { joined: [], failed: [], waiting: [] };
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
    } else {
      outcome.waiting.push(instanceId);
    }
  }
  if (outcome.failed.length > 0) {
    await ports.terminate(outcome.failed);
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
    const untilDeadline = Math.max(
      1,
      Math.ceil((Date.parse(command.payload.deadline) - now.getTime()) / 1000),
    );
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
