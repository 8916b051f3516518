// What the services and the local environment use of the Prometheus side.
export { readDemandHistory, toDemandPoints } from './demand-history.ts';
export { PrometheusClient, rejectedQueries } from './prometheus-client.ts';
export { PROMQL, type QueryScope } from './promql.ts';
export { type RequestsPeak, readRequestsPeak } from './requests-peak.ts';
export { readUtilization } from './utilization.ts';
export {
  durationSeconds,
  expectedWorkers,
  readWorkerUtilization,
  summarizeWorkerUtilization,
  type WorkerRef,
} from './worker-utilization.ts';
