import { createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * What the reconciler repairs. Each repair is an audited action of its own,
 * with one of these codes; users see them in `smartscale explain`,
 * `smartscale status` and Slack.
 */
export const RepairCode = {
  /** A worker of ours with no Node past its join window and in no live action: terminated. */
  OrphanInstance: 'orphan-instance',
  /** A Node whose instance is gone (or stopped and the Node NotReady): deleted. */
  GhostNode: 'ghost-node',
  /** A cordon SmartScale made for an action that is over: lifted. */
  StaleCordon: 'stale-cordon',
  /** An in-flight action whose facts are done (instances joined, node gone): closed. */
  ActionDone: 'action-done',
  /** An in-flight action past every deadline it could have: expired. */
  ActionOverdue: 'action-overdue',
  /**
   * A worker of ours whose Node has not been Ready for `reconcile.repairNotReadySeconds`
   * while its instance runs (a dead kubelet): terminated and its Node deleted.
   */
  UnhealthyNode: 'unhealthy-node',
} as const;
export type RepairCode = (typeof RepairCode)[keyof typeof RepairCode];

/** One repair, as published (RepairMade) and audited. */
export const RepairSchema = z.object({
  code: z.enum(RepairCode),
  /** The instance, Node or action the repair is about (whichever apply). */
  instanceId: z.string().optional(),
  nodeName: z.string().optional(),
  /** The in-flight action a ledger repair closed, or the action whose cordon was lifted. */
  repairedActionId: z.string().optional(),
  /** A sentence for people: what was found and why it was repaired. */
  reason: z.string().min(1),
});
export type Repair = z.infer<typeof RepairSchema>;

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID that is the same every time for the same moment and key: the time
 * part from `at`, the random part from a hash of `key`. Two runs that find
 * the same fact name the same action, so dedup keeps its effect single.
 *
 * @example
 * stableUlid(new Date(instance.launchedAt), `orphan-instance/${instanceId}`);
 */
export function stableUlid(at: Date, key: string): string {
  let t = Math.max(0, at.getTime());
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const digest = createHash('sha256').update(key).digest();
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[(digest[i] ?? 0) % 32];
  return time + rand;
}
