import type { AnyEnvelope, ClusterState } from '@smartscale/contracts';
import { type ActionOutcome, applyOutcome } from './action-ledger.js';
import type { AuditRecord } from './audit-record.js';
import type { Config } from './config.js';
import { outcomeCostEffect } from './cost-effect.js';

/** Outcome events the decider listens to, as ledger outcomes; null for any other message. */
export function toOutcome(event: AnyEnvelope): ActionOutcome | null {
  switch (event.type) {
    case 'InstancesLaunched':
      return {
        type: 'InstancesLaunched',
        actionId: event.actionId,
        instanceIds: event.payload.instances.map((i) => i.instanceId),
        occurredAt: event.occurredAt,
      };
    case 'NodeJoined':
    case 'JoinFailed':
      return { type: event.type, actionId: event.actionId, instanceId: event.payload.instanceId };
    case 'NodeRemoved':
      return { type: 'NodeRemoved', actionId: event.actionId };
    case 'ActionFailed':
      return {
        type: 'ActionFailed',
        actionId: event.actionId,
        step: event.payload.step,
        reason: event.payload.reason,
        // The pod that stopped a drain: victim selection names it while it backs off the node.
        ...(event.payload.refusal ? { refusal: event.payload.refusal } : {}),
      };
    default:
      return null;
  }
}

/**
 * Moves the ledger on an outcome event, without I/O: the next state (the
 * same object when the event changes nothing: a repeat, or an outcome of an
 * action already closed) and the audit record of the event. Null when the
 * event is not an outcome the ledger follows.
 *
 * @example
 * const moved = evaluateOutcome(state, event, config, new Date());
 * if (moved && moved.state !== state) await saveState(moved.state, lease);
 */
export function evaluateOutcome(
  state: ClusterState,
  event: AnyEnvelope,
  config: Config,
  now: Date,
): { state: ClusterState; audit: AuditRecord } | null {
  const outcome = toOutcome(event);
  if (!outcome) return null;
  const next = applyOutcome(state, outcome, now);
  const cost = outcomeCostEffect(event, config);
  return {
    state: next,
    audit: {
      clusterId: event.clusterId,
      actionId: event.actionId,
      at: now.toISOString(),
      kind: 'outcome',
      summary: event.type,
      detail: {
        payload: event.payload,
        messageId: event.id,
        // A repeat, or an outcome of an action already closed, moves nothing.
        ledgerChanged: next !== state,
        ...(cost ? { costEffect: cost } : {}),
      },
    },
  };
}
