export { MovableClock } from './clock.js';
export {
  drainCommand,
  instanceIdOf,
  pendingPod,
  pod,
  sampled,
  snapshot,
  TEST_CLUSTER,
  testConfig,
  utilization,
  verifyJoinCommand,
  workerNode,
} from './fixtures.js';
export {
  type ClusterNode,
  type ClusterPod,
  type EvictionAnswer,
  InMemoryCluster,
} from './in-memory-cluster.js';
export { type FleetInstance, InMemoryFleet } from './in-memory-fleet.js';
export {
  InMemoryLedger,
  type InMemoryLedgerOptions,
  type LedgerAuditRecord,
  type LedgerLease,
  StaleLeaseError,
  VersionConflictError,
} from './in-memory-ledger.js';
export { OnceStore, StepInProgressError } from './once-store.js';
export { type DelayedMessage, RecordingPublisher } from './recording-publisher.js';
export { sampleMessages } from './sample-messages.js';
export {
  deciderPorts,
  drainerPorts,
  joinVerifierPorts,
  provisionerPorts,
  reconcilerPorts,
  spotListenerPorts,
  type World,
} from './service-ports.js';
export { createWorld } from './world.js';
