// The plan's CloudWatch alarms in moto: the local side of stacks/alarms.ts
// (moto stores them and never fires them; the dashboard is AWS-only).
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import type { AwsClients } from '@smartscale/aws';
import type { DeploymentPlan, PlannedAlarm } from '@smartscale/stacks';

export type AppliedAlarms = Record<string, { readonly name: string }>;

/** Each planned alarm, notifying `alarmTopicArn` as in AWS. */
export async function applyAlarms(
  clients: AwsClients,
  plan: DeploymentPlan,
  alarmTopicArn: string,
): Promise<AppliedAlarms> {
  const alarms: Record<string, { name: string }> = {};
  for (const alarm of plan.alarms) {
    // PutMetricAlarm replaces an alarm of the same name: idempotent.
    await clients.cloudwatch.send(
      new PutMetricAlarmCommand(metricAlarmInput(alarm, alarmTopicArn)),
    );
    alarms[alarm.key] = { name: alarm.name };
  }
  return alarms;
}

/** The PutMetricAlarm request of a planned alarm, notifying `topicArn` on ALARM and on OK. */
export function metricAlarmInput(alarm: PlannedAlarm, topicArn: string) {
  return {
    AlarmName: alarm.name,
    AlarmDescription: alarm.spec.description,
    Namespace: alarm.spec.namespace,
    MetricName: alarm.spec.metric,
    Dimensions: Object.entries(alarm.dimensions).map(([Name, Value]) => ({ Name, Value })),
    Statistic: alarm.spec.statistic,
    Period: alarm.spec.periodSeconds,
    EvaluationPeriods: alarm.spec.evaluationPeriods,
    ComparisonOperator: alarm.spec.comparison,
    Threshold: alarm.spec.threshold,
    TreatMissingData: alarm.treatMissingData,
    AlarmActions: [topicArn],
    OKActions: [topicArn],
  };
}
