import { z } from 'zod';
import { CapacityType, IsoTimeSchema } from './cluster.js';
import { DecisionSchema, LaunchChoiceSchema, NodeRefusalSchema } from './decision.js';
import { RepairSchema } from './repair.js';
import { SampledSnapshotSchema } from './snapshot-wire.js';

const isoTime = IsoTimeSchema;
const instanceId = z
  .string()
  .regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id like i-0abc12345');

/** Why a node is being drained; interruption drains keep the AWS deadline. */
export const DrainReason = {
  ScaleDown: 'scale-down',
  SpotInterruption: 'spot-interruption',
  Rebalance: 'rebalance',
  ScheduledChange: 'scheduled-change',
} as const;

export const InterruptionKind = {
  SpotInterruption: 'spot-interruption',
  Rebalance: 'rebalance',
  StateChange: 'state-change',
  ScheduledChange: 'scheduled-change',
} as const;

const launchedInstance = z.object({
  instanceId,
  zone: z.string().min(1),
  capacityType: z.enum(CapacityType),
  instanceType: z.string().min(1),
});

/** Payload schema of every message type, keyed by the `type` attribute. */
export const PayloadSchemas = {
  /** Compact wire form or the full form; parsed to a ClusterSnapshot (snapshot-wire.ts). */
  MetricsSampled: SampledSnapshotSchema,
  ScaleUp: z.object({
    count: z.number().int().positive(),
    reason: z.string().min(1),
    /**
     * Instance types the planner chose, in order of preference; absent, the
     * provisioner offers every type resolved from the configuration.
     */
    instanceTypes: z.array(z.string().min(1)).min(1).optional(),
    /**
     * The planner's types and counts, filled in slot order (slot 0 gets the
     * first type); slots beyond them, and every slot when absent (older
     * messages, one configured type), are offered every resolved type.
     */
    launches: z.array(LaunchChoiceSchema).min(1).optional(),
  }),
  ReplaceCapacity: z.object({
    replacedInstanceId: instanceId,
    nodeName: z.string().optional(),
    zone: z.string().optional(),
    capacityType: z.enum(CapacityType).optional(),
    /**
     * The replaced worker's instance type (DescribeInstances): the
     * provisioner tries it before any other type. Absent in older messages.
     */
    instanceType: z.string().min(1).optional(),
    reason: z.enum(InterruptionKind),
  }),
  VerifyJoin: z.object({
    instanceIds: z.array(instanceId).min(1),
    launchedAt: isoTime,
    deadline: isoTime,
    attempt: z.number().int().nonnegative().default(0),
  }),
  DrainNode: z.object({
    nodeName: z.string().min(1),
    instanceId,
    deadline: isoTime,
    reason: z.enum(DrainReason),
    attempt: z.number().int().nonnegative().default(0),
    /**
     * Replace-then-drain: cordon only once a replacement launched under the
     * same actionId is Ready (or its join window or the deadline has passed).
     */
    waitForReplacement: z.boolean().default(false),
    /**
     * When the drain started: a scale-down's decision, else (interruptions,
     * older messages) set by the drainer's first handling and carried on in
     * its re-deliveries. DrainDuration runs from here: the actionId's time
     * will not do, since an interruption's id is derived from the instance's
     * launch and would measure the instance's age.
     */
    drainStartedAt: isoTime.optional(),
  }),
  DecisionMade: z.object({
    decision: DecisionSchema,
    snapshotTakenAt: isoTime,
    workers: z.number().int().nonnegative(),
  }),
  InstancesLaunched: z.object({
    requested: z.number().int().positive(),
    instances: z.array(launchedInstance),
    /**
     * Pools that refused ("this pool, not now": capacity, a quota, the Spot
     * service-linked role) before a fallback launched (empty: none).
     */
    unavailablePools: z
      .array(
        z.object({
          zone: z.string().min(1),
          capacityType: z.enum(CapacityType),
          /** EC2's error code. */
          error: z.string().min(1),
          /** What the refusal means and what to do; absent in messages from before it existed. */
          reason: z.string().min(1).optional(),
          /** The instance type of the pool; absent when the refusal covered every type offered. */
          instanceType: z.string().min(1).optional(),
          /** Until when launches avoid the pool (after an insufficient-capacity answer). */
          avoidedUntil: isoTime.optional(),
        }),
      )
      .default([]),
  }),
  NodeJoined: z.object({
    instanceId,
    nodeName: z.string().min(1),
    joinSeconds: z.number().nonnegative(),
  }),
  JoinFailed: z.object({
    instanceId,
    reason: z.string().min(1),
    terminated: z.boolean(),
  }),
  NodeCordoned: z.object({ nodeName: z.string().min(1), instanceId }),
  NodeDrained: z.object({
    nodeName: z.string().min(1),
    instanceId,
    evictedPods: z.number().int().nonnegative(),
  }),
  NodeRemoved: z.object({
    nodeName: z.string().min(1),
    instanceId,
    terminated: z.boolean(),
    /** The DrainNode's drainStartedAt, for DrainDuration; absent in messages from before it existed. */
    drainStartedAt: isoTime.optional(),
  }),
  ActionFailed: z.object({
    step: z.string().min(1),
    reason: z.string().min(1),
    detail: z.string().optional(),
    /** A drain aborted because a pod on the node must not be moved: which pod, which rule. */
    refusal: NodeRefusalSchema.optional(),
  }),
  InterruptionReceived: z.object({
    instanceId,
    kind: z.enum(InterruptionKind),
    nodeName: z.string().optional(),
    deadline: isoTime.optional(),
  }),
  /** The reconciler found a state the flows left wrong and repaired it. */
  RepairMade: RepairSchema,
} as const;

export type MessageType = keyof typeof PayloadSchemas;
export type Payload<T extends MessageType> = z.output<(typeof PayloadSchemas)[T]>;
/** Input form of a payload (fields with defaults may be omitted). */
export type PayloadInput<T extends MessageType> = z.input<(typeof PayloadSchemas)[T]>;

/** Every message type, e.g. for filter policies. */
export const MessageTypes = Object.keys(PayloadSchemas) as MessageType[];

/** Which topic carries which message types (see ARCHITECTURE.md). */
export const TopicOf = {
  MetricsSampled: 'samples',
  ScaleUp: 'commands',
  ReplaceCapacity: 'commands',
  VerifyJoin: 'commands',
  DrainNode: 'commands',
  DecisionMade: 'events',
  InstancesLaunched: 'events',
  NodeJoined: 'events',
  JoinFailed: 'events',
  NodeCordoned: 'events',
  NodeDrained: 'events',
  NodeRemoved: 'events',
  ActionFailed: 'events',
  InterruptionReceived: 'events',
  RepairMade: 'events',
} as const satisfies Record<MessageType, 'samples' | 'commands' | 'events'>;
export type TopicName = (typeof TopicOf)[MessageType];
