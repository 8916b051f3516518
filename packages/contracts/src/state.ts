import { z } from 'zod';
import { IsoTimeSchema } from './cluster.js';
import { NodeRefusalSchema } from './decision.js';

const isoTime = IsoTimeSchema;

export const ActionKind = {
  ScaleUp: 'scale-up',
  ScaleDown: 'scale-down',
  Replace: 'replace',
} as const;
export type ActionKind = (typeof ActionKind)[keyof typeof ActionKind];

/** A scaling action that has started and not yet reached an outcome. */
export const InFlightActionSchema = z.object({
  actionId: z.string().min(1),
  kind: z.enum(ActionKind),
  startedAt: isoTime,
  /** Nodes this action will add (scale-up/replace) that have not joined yet. */
  pendingJoins: z.number().int().nonnegative().default(0),
  /** Node being drained (scale-down). */
  nodeName: z.string().optional(),
  instanceIds: z.array(z.string()).default([]),
  /**
   * Instances whose join outcome (NodeJoined or JoinFailed) has arrived, also
   * before InstancesLaunched named them, so a late or repeated launch report
   * cannot count them as joining again.
   */
  settledInstanceIds: z.array(z.string()).default([]),
  /**
   * Scale-up with several instance types: the type the planner chose for
   * each worker, so pending pods are placed on workers still launching as
   * they will be (size and architecture), not as the smallest type.
   */
  instanceTypes: z.array(z.string().min(1)).optional(),
});
export type InFlightAction = z.infer<typeof InFlightActionSchema>;

/**
 * An action the ledger closed, remembered for a while so that a late or
 * repeated outcome or sample for it changes nothing.
 */
export const ClosedActionSchema = z.object({
  actionId: z.string().min(1),
  kind: z.enum(ActionKind),
  closedAt: isoTime,
  /** completed: its outcomes arrived; failed: ActionFailed; expired: no outcome in time. */
  end: z.enum(['completed', 'failed', 'expired']),
});
export type ClosedAction = z.infer<typeof ClosedActionSchema>;

/**
 * A join outcome for an action the ledger has not seen yet (a replacement
 * whose InstancesLaunched is still on its way), kept so that report does
 * not open the action with an instance that already settled.
 */
export const EarlyJoinSchema = z.object({
  actionId: z.string().min(1),
  instanceId: z.string().min(1),
  at: isoTime,
});
export type EarlyJoin = z.infer<typeof EarlyJoinSchema>;

/**
 * A scale-down whose drain failed (ActionFailed at step drain): its node is
 * not picked again for `scaleDown.failedVictimBackoffSeconds`, so a blocker
 * the sample could not see does not turn into a cordon/fail loop.
 */
export const FailedVictimSchema = z.object({
  nodeName: z.string().min(1),
  instanceId: z.string().optional(),
  actionId: z.string().min(1),
  failedAt: isoTime,
  /** The drainer's reason, for people. */
  reason: z.string().optional(),
  /** The pod (and PDB) that stopped the drain, when the drainer named one. */
  refusal: NodeRefusalSchema.optional(),
});
export type FailedVictim = z.infer<typeof FailedVictimSchema>;

/** Something told to people (Slack), remembered so a lasting condition is told once. */
export const AnnouncementSchema = z.object({
  /** What was told, e.g. `unhostable:shop/ReplicaSet/etl:node-selector-unsatisfiable`. */
  key: z.string().min(1),
  at: isoTime,
  /**
   * The sample whose decision told it: a redelivery of that same sample
   * (its DecisionMade may never have been published) tells it again.
   */
  actionId: z.string().min(1).optional(),
});
export type Announcement = z.infer<typeof AnnouncementSchema>;

/** The decider's memory between evaluations, stored with a version number. */
export const ClusterStateSchema = z.object({
  clusterId: z.string().min(1),
  version: z.number().int().nonnegative(),
  paused: z
    .object({ by: z.string().min(1), reason: z.string().min(1), at: isoTime })
    .nullable()
    .default(null),
  lastScaleUpAt: isoTime.nullable().default(null),
  lastScaleDownAt: isoTime.nullable().default(null),
  inFlight: z.array(InFlightActionSchema).default([]),
  /** Recently closed actions, newest last; bounded by the ledger (age and count). */
  closed: z.array(ClosedActionSchema).default([]),
  earlyJoins: z.array(EarlyJoinSchema).default([]),
  /** Recent failed drains, newest last; bounded by the ledger like `closed`. */
  failedVictims: z.array(FailedVictimSchema).default([]),
  /** Recent announcements, newest last; bounded (see core's noteAnnouncements). */
  announced: z.array(AnnouncementSchema).default([]),
  /**
   * Workers whose NodeJoined the ledger recorded lately, with when: a sample
   * taken before that moment does not show them yet, and the decider must
   * not count them as missing (it launched above max when it did).
   */
  recentJoins: z.array(z.object({ instanceId: z.string().min(1), at: isoTime })).optional(),
});
export type ClusterState = z.infer<typeof ClusterStateSchema>;

/**
 * State of a cluster SmartScale has never seen.
 *
 * @example
 * const state = emptyClusterState('prod-eu');
 */
export function emptyClusterState(clusterId: string): ClusterState {
  return {
    clusterId,
    version: 0,
    paused: null,
    lastScaleUpAt: null,
    lastScaleDownAt: null,
    inFlight: [],
    closed: [],
    earlyJoins: [],
    failedVictims: [],
    announced: [],
  };
}
