// The package's public surface: only what other packages import. Modules
// stay importable by path inside core (and by core's own tests).
export {
  type ActionOutcome,
  actionDeadline,
  applyOutcome,
  expireStaleActions,
  startAction,
} from './action-ledger.js';
export {
  AUDIT_SNAPSHOT_INLINE_LIMIT_BYTES,
  type AuditedSnapshotSummary,
  type AuditRecord,
  auditedSnapshot,
  auditedSnapshotDetail,
  type SnapshotHeadline,
  snapshotHeadline,
} from './audit-record.js';
export { fits } from './binpack.js';
export { planScaleUp } from './capacity-planner.js';
export {
  type Config,
  type ConfigInput,
  defaultConfig,
  parseConfig,
  podAllocatable,
  type Taint,
} from './config.js';
export { decisionCostEffect, outcomeCostEffect } from './cost-effect.js';
export { costUsd } from './cost-model.js';
export {
  countFleet,
  decide,
  MAX_LISTED_UNHOSTABLE,
  scaleDownGates,
  staleSampleHold,
} from './decide/index.js';
export {
  type DecisionPolicy,
  type EvaluateOptions,
  type Evaluation,
  type EvaluationStatus,
  evaluate,
  holdUnreadable,
  skipsStaleSample,
} from './evaluate.js';
export {
  fallbacks,
  type HostingType,
  type LaunchOption,
  type LaunchOrderRequest,
  type LaunchPool,
  launchOfSlot,
  launchOrder,
} from './fallback-order.js';
export {
  blendedHourlyUsd,
  describeLaunches,
  type InstanceCatalog,
  type InstanceMixInput,
  type InstanceMixPlan,
  type LaunchChoice,
  launchesSummary,
  planInstanceMix,
  scaleUpHeadline,
  type TypedBin,
  type TypeLaunch,
  type TypeOffer,
} from './instance-mix.js';
export { withInstanceOwnership } from './instance-ownership.js';
export {
  bySize,
  eniMaxPods,
  K3S_MAX_PODS,
  type ResolvedInstanceType,
  typeAllocatable,
  withResolvedTypes,
} from './instance-types.js';
export { ON_DEMAND_HOURLY_USD, ON_DEMAND_PRICES_SOURCE } from './on-demand-prices.js';
export { evaluateOutcome, toOutcome } from './outcome.js';
export { kubernetesArch, typeHostsPod } from './pending-pods.js';
export { classifyPod } from './pod-disruption.js';
export { type PriceBook, type PriceBookOptions, priceBook } from './prices.js';
export { type ExistingWorker, type LaunchSlot, planPurchase } from './purchase-plan.js';
export {
  applyLedgerRepairs,
  type ClusterView,
  type LeftAloneNode,
  labelledNotOurs,
  type ObservedInstance,
  type ObservedNode,
  type PlannedRepair,
  planLedgerRepairs,
  planRepairs,
  unhealthyNodesHeld,
} from './reconcile.js';
export {
  accountSpend,
  type BilledWorker,
  type FleetEvent,
  type SpendAccount,
} from './spend.js';
export { pickVictim } from './victim-selection.js';
