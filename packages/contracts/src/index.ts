// The contracts other packages and services import; the rest of src/ is
// internal to them.
export { type AlarmNotification, type Notification, parseNotificationJson } from './alarm.js';
export {
  CapacityType,
  type ClusterSnapshot,
  ClusterSnapshotSchema,
  type DemandPoint,
  type MetricsCoverage,
  type NodeInfo,
  type NodeSelectorRequirement,
  OwnerKind,
  type PendingPod,
  type PodInfo,
  type Resources,
  type Toleration,
  type Utilization,
  type VolumeZones,
} from './cluster.js';
export {
  type Decision,
  DecisionSchema,
  type LaunchChoice,
  LaunchChoiceSchema,
  type NodeRefusal,
  type Reason,
  ReasonCode,
  ReasonSchema,
  RefusalCode,
  UnhostableCode,
  type UnhostablePod,
} from './decision.js';
export {
  type AnyEnvelope,
  createMessage,
  ENVELOPE_VERSION,
  type Envelope,
  expectType,
  followUp,
  type MessageContext,
  parseMessage,
  parseMessageJson,
} from './envelope.js';
export {
  CloudCallError,
  InvalidConfigError,
  InvalidInputError,
  isRedeliverLater,
  LockBusyError,
  NotFoundError,
  RedeliverLater,
  SmartScaleError,
  type SmartScaleErrorCode,
  StaleLeaseError,
  VersionConflictError,
} from './errors.js';
export {
  type MessageType,
  MessageTypes,
  type PayloadInput,
  type TopicName,
  TopicOf,
} from './messages.js';
export { METRICS_NAMESPACE } from './metrics.js';
export { type Repair, RepairCode, RepairSchema, stableUlid } from './repair.js';
export { type ClaimedSample, parseDeliveredJson, sha256Hex } from './sample-claim.js';
export {
  decodeSnapshot,
  encodeSnapshot,
  type SampleClaim,
  SampledSnapshotSchema,
} from './snapshot-wire.js';
export {
  type ClusterState,
  ClusterStateSchema,
  emptyClusterState,
  type FailedVictim,
  type InFlightAction,
} from './state.js';
export { type Parsed, safeParseWith, toProblems, ValidationError } from './validation.js';
