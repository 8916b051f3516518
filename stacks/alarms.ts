/// <reference path="../.sst/platform/config.d.ts" />
// SST mapping of the plan's CloudWatch alarms, all notifying the `alarms`
// topic (which the notifier's queue receives unfiltered), and the stage's
// CloudWatch dashboard.
import { dashboardBody } from './dashboard.ts';
import type { DeploymentPlan } from './plan.ts';

export function createAlarms(plan: DeploymentPlan, alarmTopicArn: $util.Input<string>) {
  const alarms = plan.alarms.map(
    (alarm) =>
      new aws.cloudwatch.MetricAlarm(`Alarm-${alarm.key}`, {
        name: alarm.name,
        alarmDescription: alarm.spec.description,
        namespace: alarm.spec.namespace,
        metricName: alarm.spec.metric,
        dimensions: { ...alarm.dimensions },
        statistic: alarm.spec.statistic,
        period: alarm.spec.periodSeconds,
        evaluationPeriods: alarm.spec.evaluationPeriods,
        comparisonOperator: alarm.spec.comparison,
        threshold: alarm.spec.threshold,
        treatMissingData: alarm.treatMissingData,
        alarmActions: [alarmTopicArn],
        okActions: [alarmTopicArn],
      }),
  );
  const region = aws.getRegionOutput().name;
  const account = aws.getCallerIdentityOutput().accountId;
  const dashboard = new aws.cloudwatch.Dashboard('Dashboard', {
    dashboardName: plan.prefix,
    dashboardBody: $resolve([region, account]).apply((resolved) => {
      const [r, a] = resolved as [string, string];
      return JSON.stringify(dashboardBody(plan, r, a));
    }),
  });
  return { alarms, dashboard };
}
