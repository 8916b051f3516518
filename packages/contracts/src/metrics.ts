/**
 * CloudWatch namespace of every SmartScale metric: the services emit into it
 * (packages/aws service-metrics.ts) and the alarms and dashboard read it.
 */
export const METRICS_NAMESPACE = 'SmartScale';
