import { z } from 'zod';

/** Kubernetes owner kinds that matter to scale-down safety. */
export const OwnerKind = {
  ReplicaSet: 'ReplicaSet',
  StatefulSet: 'StatefulSet',
  DaemonSet: 'DaemonSet',
  Job: 'Job',
  Other: 'Other',
  None: 'None',
} as const;
export type OwnerKind = (typeof OwnerKind)[keyof typeof OwnerKind];

export const CapacityType = { Spot: 'spot', OnDemand: 'on-demand' } as const;
export type CapacityType = (typeof CapacityType)[keyof typeof CapacityType];

const nonNegative = z.number().finite().nonnegative();
const utilization = z.number().finite().min(0).max(10);
/** An ISO 8601 timestamp with offset, as every message carries them. */
export const IsoTimeSchema = z.iso.datetime({ offset: true });
const isoTime = IsoTimeSchema;

/** CPU and memory requests of a pod (millicores, bytes). */
export const ResourcesSchema = z.object({
  cpuMillis: nonNegative,
  memoryBytes: nonNegative,
});
export type Resources = z.infer<typeof ResourcesSchema>;

/** A pod as the scale-down rules need to see it. */
export const PodInfoSchema = ResourcesSchema.extend({
  namespace: z.string().min(1),
  name: z.string().min(1),
  ownerKind: z.enum(OwnerKind),
  ownerName: z.string().optional(),
  /** Desired replicas of the owning workload, when known. */
  ownerReplicas: z.number().int().nonnegative().optional(),
  /** Whether a PodDisruptionBudget selects this pod. */
  hasPdb: z.boolean().default(false),
  doNotDisrupt: z.boolean().default(false),
  /**
   * emptyDir or hostPath volumes (data that dies with the node) not released
   * by `cluster-autoscaler.kubernetes.io/safe-to-evict-local-volumes`.
   */
  localStorage: z.boolean().default(false),
  /**
   * `cluster-autoscaler.kubernetes.io/safe-to-evict`: true lets a pod that
   * would otherwise pin its node move, false pins it; absent when unset.
   */
  safeToEvict: z.boolean().optional(),
  /** A static pod the kubelet runs (mirror annotation or owned by the Node): never evicted. */
  mirror: z.boolean().optional(),
  /** Succeeded or Failed: holds nothing and needs no eviction. */
  finished: z.boolean().optional(),
  /** Set once the pod is being deleted (metadata.deletionTimestamp). */
  deletionTimestamp: isoTime.optional(),
  /** spec.terminationGracePeriodSeconds; absent means Kubernetes' default, 30. */
  terminationGracePeriodSeconds: z.number().int().nonnegative().optional(),
  /**
   * The fewest disruptions any PodDisruptionBudget selecting this pod allows
   * now (status.disruptionsAllowed), and that budget's name; absent when no
   * budget constrains the pod.
   */
  pdbDisruptionsAllowed: z.number().int().nonnegative().optional(),
  pdbName: z.string().optional(),
});
export type PodInfo = z.infer<typeof PodInfoSchema>;

/** A worker node with the pods it runs. */
export const NodeInfoSchema = z.object({
  name: z.string().min(1),
  instanceId: z.string().optional(),
  zone: z.string().optional(),
  instanceType: z.string().optional(),
  capacityType: z.enum(CapacityType).optional(),
  /**
   * Labelled `smartscale.io/managed=true`: a hint only, since a kubelet sets
   * its own Node's labels (a node joined by hand with the workers' user data
   * carries it too). `smartscaleInstance` decides.
   */
  managed: z.boolean(),
  /**
   * Its instance (providerID) carries this cluster's `smartscale:cluster` tag
   * and `smartscale:managed=true` in EC2: only such nodes may be removed
   * (issue #21 item 9). The decider sets it from EC2 before it decides (the
   * sampler cannot read EC2); absent, as in a sample on the wire, means
   * nobody checked, and counts as not ours.
   */
  smartscaleInstance: z.boolean().optional(),
  ready: z.boolean(),
  /** Cordoned (spec.unschedulable). */
  unschedulable: z.boolean().default(false),
  /**
   * The action whose drain cordoned the node (annotation
   * `smartscale.io/cordoned-by`); absent for cordons SmartScale did not make,
   * which it never lifts.
   */
  cordonedBy: z.string().optional(),
  /** The deadline of the drain that cordoned it (`smartscale.io/drain-deadline`). */
  drainDeadline: isoTime.optional(),
  /** When the node registered, for "never remove a node just added". */
  createdAt: isoTime.optional(),
  /**
   * Not Ready: since when (the Ready condition's lastTransitionTime, or the
   * registration when the kubelet never posted one). Absent when Ready.
   */
  notReadySince: isoTime.optional(),
  allocatable: ResourcesSchema,
  pods: z.array(PodInfoSchema).default([]),
});
export type NodeInfo = z.infer<typeof NodeInfoSchema>;

/** One `matchExpressions` entry of a required node affinity term. */
export const NodeSelectorRequirementSchema = z.object({
  key: z.string().min(1),
  operator: z.enum(['In', 'NotIn', 'Exists', 'DoesNotExist', 'Gt', 'Lt']),
  values: z.array(z.string()).optional(),
});
export type NodeSelectorRequirement = z.infer<typeof NodeSelectorRequirementSchema>;

/** One entry of a pod's spec.tolerations. */
export const TolerationSchema = z.object({
  /** Empty or absent with operator Exists: tolerates every taint. */
  key: z.string().optional(),
  /** Absent means Equal, as in the API. */
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  /** Absent: tolerates every effect. */
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});
export type Toleration = z.infer<typeof TolerationSchema>;

/**
 * A bound PersistentVolume a pending pod claims whose required node affinity
 * (or zone label) names the zones it can be attached in.
 */
export const VolumeZonesSchema = z.object({
  /** The claim, "namespace/name". */
  claim: z.string().min(1),
  /** The bound PersistentVolume's name. */
  volume: z.string().min(1),
  zones: z.array(z.string().min(1)).min(1),
});
export type VolumeZones = z.infer<typeof VolumeZonesSchema>;

/** A pod the scheduler could not place. */
export const PendingPodSchema = ResourcesSchema.extend({
  namespace: z.string().min(1),
  name: z.string().min(1),
  pendingSince: isoTime,
  /** Its controller as "Kind/name" (one warning per owner, not per pod). */
  owner: z.string().optional(),
  /** spec.nodeSelector: labels a node must carry. */
  nodeSelector: z.record(z.string(), z.string()).optional(),
  /**
   * requiredDuringSchedulingIgnoredDuringExecution node affinity: any term
   * (each a list of requirements that must all hold) may match.
   */
  nodeAffinityTerms: z.array(z.array(NodeSelectorRequirementSchema)).optional(),
  /** spec.tolerations, when it has any. */
  tolerations: z.array(TolerationSchema).optional(),
  /**
   * Its bound volumes that can be attached only in some zones; a claim not
   * yet bound (WaitForFirstConsumer) pins nothing and is left out.
   */
  volumeZones: z.array(VolumeZonesSchema).optional(),
});
export type PendingPod = z.infer<typeof PendingPodSchema>;

/**
 * How many of the workers that should report CPU and memory did (issue #17):
 * Ready workers past their warm-up, as the sampler lists them. `missing`
 * names the first few that did not.
 */
export const MetricsCoverageSchema = z.object({
  code: z.literal('metrics-incomplete'),
  reporting: z.number().int().nonnegative(),
  expected: z.number().int().nonnegative(),
  /** The first few workers that did not report (at most 10). */
  missing: z.array(z.string()),
  /** Over a window: evaluation steps where coverage held, and steps in the window. */
  stepsCovered: z.number().int().nonnegative().optional(),
  steps: z.number().int().nonnegative().optional(),
});
export type MetricsCoverage = z.infer<typeof MetricsCoverageSchema>;

/**
 * Cluster utilisation read from Prometheus. Windows are computed by the
 * query (min/max over time) so the decider needs no sample history.
 */
export const UtilizationSchema = z.discriminatedUnion('available', [
  z.object({
    available: z.literal(true),
    /**
     * Set when some step of the scale-down window had too few workers
     * reporting (a Prometheus restart, missed scrapes): "low over the
     * window" is then unproven and scale-down holds with metrics-incomplete.
     */
    downWindowIncomplete: MetricsCoverageSchema.optional(),
    cpu: z.object({
      now: utilization,
      /** Lowest average CPU over the scale-up sustain window. */
      upWindowMin: utilization,
      /** Highest average CPU over the scale-down sustain window. */
      downWindowMax: utilization,
    }),
    memory: z.object({
      now: utilization,
      /** Highest memory utilisation over the scale-down sustain window. */
      downWindowMax: utilization,
    }),
  }),
  z.object({
    available: z.literal(false),
    reason: z.string().min(1),
    /** Present when the reading exists but too few workers reported it. */
    unavailable: MetricsCoverageSchema.optional(),
  }),
]);
export type Utilization = z.infer<typeof UtilizationSchema>;

/** Total pod requests (running and pending) at one moment: the demand. */
export const DemandPointSchema = z.object({
  at: isoTime,
  cpuMillis: nonNegative,
  memoryBytes: nonNegative,
});
export type DemandPoint = z.infer<typeof DemandPointSchema>;

/** Everything the decision engine looks at, gathered by the sampler. */
export const ClusterSnapshotSchema = z.object({
  takenAt: isoTime,
  nodes: z.array(NodeInfoSchema),
  pendingPods: z.array(PendingPodSchema),
  utilization: UtilizationSchema,
  /**
   * Values of the configured application triggers (queue depth, p95 latency,
   * ...), each already reduced over its sustain window by the query; a
   * trigger whose query failed or returned no series is absent, and the
   * decider then holds any scale-down with metrics-incomplete naming it.
   */
  appSignals: z.record(z.string(), z.number().finite()).optional(),
  /** Past demand (up to 7 days) for predictive pre-scaling; absent when not gathered. */
  demandHistory: z.array(DemandPointSchema).optional(),
  /**
   * The highest total requests of Pending and Running pods (DaemonSet pods
   * out) over the last `windowSeconds`, for requests-based consolidation
   * (`scaleDown.profile: "consolidation"`); absent when not gathered or the
   * query failed, and consolidation then holds.
   */
  requestsWindowMax: ResourcesSchema.extend({
    windowSeconds: z.number().finite().positive(),
  }).optional(),
});
export type ClusterSnapshot = z.infer<typeof ClusterSnapshotSchema>;
