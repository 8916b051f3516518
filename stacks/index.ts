// What the rest of the project reads from the deployment's declaration: the
// topology and the plan derived from it, both pure. The SST programs beside
// them (messaging.ts, data.ts, storage.ts, functions.ts, alarms.ts) use SST's
// globals and are loaded only by sst.config.ts, so they stay out of here.
export {
  type DeploymentPlan,
  deploymentPlan,
  type PlannedAlarm,
  type PlannedBucket,
  type PlannedQueue,
  type PlannedSubscription,
  type PlannedTable,
  queueSendPolicy,
} from './plan.ts';
// Pure too: the doctor measures deployed environments as the deploy does.
export {
  environmentBytes,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  SST_ENVIRONMENT_ALLOWANCE_BYTES,
} from './settings.ts';
export {
  assertPrefix,
  type BucketName,
  KubeIdentities,
  type KubeIdentity,
  kubeIdentities,
  kubeIdentityOf,
  names,
  type ParameterName,
  type QueueName,
  type ServiceName,
  ServiceNames,
  type TableName,
  type TopologyTopic,
  topology,
} from './topology.ts';
