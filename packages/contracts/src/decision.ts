import { z } from 'zod';

/**
 * Every reason the decision engine can give, for acting or for holding.
 * Users see these codes in the audit log, `smartscale explain` and Slack.
 */
export const ReasonCode = {
  PendingPods: 'pending-pods',
  PendingWithinGrace: 'pending-within-grace',
  PendingCoveredByInFlight: 'pending-covered-by-in-flight',
  /** No longer given (pending-unhostable reports such pods); kept so older audit entries parse. */
  PodTooLargeForInstance: 'pod-too-large-for-instance',
  CpuHigh: 'cpu-high',
  MemoryHigh: 'memory-high',
  BelowMin: 'below-min',
  CpuLow: 'cpu-low',
  MemoryLow: 'memory-low',
  Paused: 'paused',
  AtMax: 'at-max',
  AtMin: 'at-min',
  CappedByStep: 'capped-by-step',
  CappedByMax: 'capped-by-max',
  CooldownAfterScaleUp: 'cooldown-after-scale-up',
  CooldownAfterScaleDown: 'cooldown-after-scale-down',
  MetricsUnavailable: 'metrics-unavailable',
  ScaleUpInFlight: 'scale-up-in-flight',
  ScaleDownInFlight: 'scale-down-in-flight',
  NodesNotReady: 'nodes-not-ready',
  CpuNotLow: 'cpu-not-low',
  MemoryNotLow: 'memory-not-low',
  PendingPodsPresent: 'pending-pods-present',
  ProjectedCpuTooHigh: 'projected-cpu-too-high',
  NoEligibleVictim: 'no-eligible-victim',
  VictimPodsWouldNotFit: 'victim-pods-would-not-fit',
  VictimChosen: 'victim-chosen',
  AppTrigger: 'app-trigger',
  PredictedRise: 'predicted-rise',
  PredictionUnavailable: 'prediction-unavailable',
  PredictedRiseAhead: 'predicted-rise-ahead',
  NoTrigger: 'no-trigger',
  SampleStale: 'sample-stale',
  /** The sample's claim check could not be read from S3 or its digest differs (issue #17). */
  SampleUnreadable: 'sample-unreadable',
  /** Too few Ready workers reported CPU and memory to trust the average (issue #17). */
  MetricsIncomplete: 'metrics-incomplete',
  PendingUnhostable: 'pending-unhostable',
  /** Requests-based consolidation: the fleet's peak requests (plus headroom) fit on one node fewer. */
  RequestsLow: 'requests-low',
  /** Requests-based consolidation: they do not; every node is needed for the peak. */
  RequestsNotLow: 'requests-not-low',
  /** Requests-based consolidation: the sample carries no peak of pod requests over the window. */
  RequestsPeakUnavailable: 'requests-peak-unavailable',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/**
 * Why a node may not be removed: node rules first, then pod blockers (a pod
 * on the node that must not be moved). Named after the peers' rules where
 * one exists (Cluster Autoscaler, Karpenter).
 */
export const RefusalCode = {
  NotManaged: 'not-managed',
  /**
   * Labelled managed, but its EC2 instance (providerID) lacks this cluster's
   * and the managed tag, or does not exist: joined by hand, not launched by
   * SmartScale, so never removed by it (issue #21 item 9).
   */
  NotSmartscaleInstance: 'not-smartscale-instance',
  NotReady: 'not-ready',
  Cordoned: 'cordoned',
  TooYoung: 'too-young',
  PodsWouldNotFit: 'pods-would-not-fit',
  DoNotDisrupt: 'do-not-disrupt',
  SafeToEvictFalse: 'safe-to-evict-false',
  PdbAllowsNoDisruption: 'pdb-allows-no-disruption',
  LocalStorage: 'local-storage',
  StatefulSet: 'stateful-set',
  BarePod: 'bare-pod',
  SingleReplicaWithoutPdb: 'single-replica-without-pdb',
  KubeSystem: 'kube-system',
  /** Its drain failed within `scaleDown.failedVictimBackoffSeconds`; pod and PDB are the failure's. */
  RecentlyFailedDrain: 'recently-failed-drain',
  /**
   * Requests-based consolidation with several instance types: without this
   * node the others' room would not hold the peak of requests plus headroom.
   */
  RoomNeededForPeak: 'room-needed-for-peak',
} as const;
export type RefusalCode = (typeof RefusalCode)[keyof typeof RefusalCode];

/**
 * Why one node may not be removed now: the first rule it fails, and the pod
 * or PodDisruptionBudget that makes it fail ("namespace/name").
 */
export const NodeRefusalSchema = z.object({
  nodeName: z.string().min(1),
  code: z.enum(RefusalCode),
  pod: z.string().optional(),
  pdb: z.string().optional(),
  /** recently-failed-drain: when the node may be picked again (ISO time). */
  until: z.string().optional(),
});
export type NodeRefusal = z.infer<typeof NodeRefusalSchema>;

/** Why no new worker of the configured type could host a pending pod. */
export const UnhostableCode = {
  TooLargeForInstance: 'too-large-for-instance',
  NodeSelector: 'node-selector-unsatisfiable',
  NodeAffinity: 'node-affinity-unsatisfiable',
  /** A bound volume pinned to zones where SmartScale launches no worker (or to no common zone). */
  VolumeZone: 'volume-zone-unavailable',
  /** A taint every new worker carries (`instance.taints`) that the pod does not tolerate. */
  TaintNotTolerated: 'taint-not-tolerated',
} as const;
export type UnhostableCode = (typeof UnhostableCode)[keyof typeof UnhostableCode];

/** A pending pod no new worker could host: it neither launches nor blocks scale-down. */
export const UnhostablePodSchema = z.object({
  pod: z.string().min(1),
  /** "Kind/name" of its controller, or the pod itself for a bare pod. */
  owner: z.string().min(1),
  code: z.enum(UnhostableCode),
  /** What cannot be met, e.g. `disktype=ssd` or `4000m CPU > 1800m`. */
  detail: z.string(),
});
export type UnhostablePod = z.infer<typeof UnhostablePodSchema>;

/** One machine-readable reason with a sentence for people. */
export const ReasonSchema = z.object({
  code: z.enum(ReasonCode),
  message: z.string(),
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  /**
   * Scale-down holds: one refusal per node considered, in snapshot order;
   * a chosen victim: the nodes passed over before it.
   */
  refusals: z.array(NodeRefusalSchema).optional(),
  /** pending-unhostable: the pods, one entry per pod. */
  unhostable: z.array(UnhostablePodSchema).optional(),
  /**
   * Set by the decider when this reason is news worth telling people (a new
   * unhostable owner, a scale-down hold whose refusals changed): the notifier
   * posts only these, so a condition that lasts does not post every minute.
   */
  announce: z.boolean().optional(),
});
export type Reason = z.infer<typeof ReasonSchema>;

export const DecisionKind = { ScaleUp: 'scale-up', ScaleDown: 'scale-down', Hold: 'hold' } as const;
export type DecisionKind = (typeof DecisionKind)[keyof typeof DecisionKind];

/**
 * New workers of one instance type, as the planner chose them (several
 * types configured). A scale-up's launches add up to at most its count;
 * workers beyond them may be of any resolved type.
 */
export const LaunchChoiceSchema = z.object({
  instanceType: z.string().min(1),
  count: z.number().int().positive(),
  /**
   * Other types of the same architecture that host these workers' pods at a
   * cost per pod within instance.spotFlexibility of the chosen type's: a
   * Spot slot offers them beside it so price-capacity-optimized can spread
   * the workers over pools. Absent (older messages): the chosen type alone.
   */
  alternatives: z.array(z.string().min(1)).optional(),
});
export type LaunchChoice = z.infer<typeof LaunchChoiceSchema>;

/** Outcome of one evaluation of the policy. */
export const DecisionSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal(DecisionKind.ScaleUp),
    count: z.number().int().positive(),
    /** The chosen instance types and counts; absent with one configured type. */
    launches: z.array(LaunchChoiceSchema).min(1).optional(),
    reasons: z.array(ReasonSchema).min(1),
  }),
  z.object({
    kind: z.literal(DecisionKind.ScaleDown),
    victim: z.object({ nodeName: z.string().min(1), instanceId: z.string().min(1) }),
    reasons: z.array(ReasonSchema).min(1),
  }),
  z.object({
    kind: z.literal(DecisionKind.Hold),
    reasons: z.array(ReasonSchema).min(1),
  }),
]);
export type Decision = z.infer<typeof DecisionSchema>;
