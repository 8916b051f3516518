// What the services, the CLI, the local environment and this package's tests
// use of the AWS side; everything else in src/ is internal to it.

export { AuditLog, type StoredAuditEntry } from './audit.js';
export { type AvoidedPool, AvoidedPoolStore } from './avoided-pools.js';
export { ClusterStateStore, StaleLeaseError, VersionConflictError } from './cluster-state.js';
export {
  type AwsClients,
  awsOptionsFromEnv,
  clientConfig,
  createAwsClients,
  localAwsOptions,
} from './config.js';
export { DedupStore, StepInProgressError } from './dedup.js';
export {
  assertInstanceTypeOffered,
  describeInstances,
  Ec2Fleet,
  FleetTag,
  LaunchInProgressError,
  liveWorkerIds,
} from './fleet.js';
export { resolveConfig, resolveInstanceTypes } from './instance-types.js';
export { ClusterLock, type Lease } from './lock.js';
export { createMessageHandler, REJECTION_REASON_ATTRIBUTE } from './message-handler.js';
export { Parameters } from './parameters.js';
export { MessageAttribute, Publisher } from './publisher.js';
export { QueueRunner, type SqsHandler } from './queue-runner.js';
export { ReconciliationLog, type ReconciliationSummary } from './reconciliation-log.js';
export { resourcesFromEnv, type ServiceResources, ServiceResourcesSchema } from './resources.js';
export {
  SAMPLE_INLINE_LIMIT_BYTES,
  SampleClaims,
  SampleClaimUnreadableError,
} from './sample-claims.js';
export { createServiceContext } from './service-context.js';
export { configFromEnv, fleetFromEnv, resolvedConfigFromEnv } from './service-env.js';
export {
  createServiceMetrics,
  flushMetrics,
  METRICS_NAMESPACE,
  metricsOf,
  recordMetrics,
} from './service-metrics.js';
export { type SpotPrice, SpotPriceCache } from './spot-prices.js';
