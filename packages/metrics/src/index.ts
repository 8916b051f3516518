export { readDemandHistory, toDemandPoints } from './demand-history.ts';
export type {
  InstantSample,
  MetricsResult,
  PrometheusClientOptions,
  RangeSeries,
} from './prometheus-client.ts';
export { PrometheusClient, rejectedQueries } from './prometheus-client.ts';
export type { QueryScope } from './promql.ts';
export { PROMQL } from './promql.ts';
export type { UtilizationWindows } from './utilization.ts';
export { readUtilization } from './utilization.ts';
export type {
  CoveragePolicy,
  NodeSeries,
  WindowSeconds,
  WorkerRef,
} from './worker-utilization.ts';
export {
  durationSeconds,
  expectedWorkers,
  readWorkerUtilization,
  summarizeWorkerUtilization,
} from './worker-utilization.ts';
