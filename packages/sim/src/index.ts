// What the bench, the CLI's `sim`, the local demo and this package's tests use.
export { countTicks } from './axis.js';
export { SimCluster } from './cluster.js';
export { DemandHistory } from './demand-history.js';
export {
  podsPerType,
  SIM_INSTANCE_TYPES,
  simCatalog,
  simInstanceTypes,
} from './instance-catalogue.js';
export { podsPerNode, simOptions } from './model.js';
export {
  clusterAutoscalerDefaults,
  clusterAutoscalerPolicy,
  createPolicy,
  defaultDriver,
  disruptionBudget,
  isPolicyName,
  karpenterPolicy,
  oraclePlan,
  oraclePolicy,
  POLICY_NAMES,
  type PredictionReport,
  ProvisioningBatch,
  requestedShare,
  type SeedMemory,
  type SeedSample,
  seedDecision,
  seedPolicy,
  seedRules,
  smartScalePolicy,
} from './policies/index.js';
export { seededRandom } from './prng.js';
export { scenarios } from './scenarios.js';
export {
  type InstanceMixDetails,
  inCrunch,
  type Policy,
  type SimMetrics,
  simulate,
} from './simulator.js';
export {
  defaultSpotPoolModel,
  type PoolCrunch,
  SPOT_BAND_RANGE,
  type SpotBand,
  type SpotPoolModel,
  SpotPools,
} from './spot-pools.js';
export { formatTrace, loadTrace, parseTrace, type Trace, TraceError } from './trace.js';
