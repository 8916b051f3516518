// The CloudWatch dashboard of a stage, as the JSON body CloudWatch takes.
// Pure, so a test can hold it to the plan (every function, every DLQ, every
// alarm) and to the metric names the services really emit.
import { METRICS_NAMESPACE } from '@smartscale/contracts';
import type { DeploymentPlan } from './plan.ts';
import type { ServiceName } from './topology.ts';

/**
 * Action latencies on the dashboard: which service emits each (its EMF
 * `service` dimension) and in which unit.
 */
export const ACTION_LATENCIES = [
  { metric: 'SampleToDecision', service: 'decider', unit: 'ms', title: 'Sample to decision' },
  { metric: 'JoinLatency', service: 'join-verifier', unit: 's', title: 'Launch to Ready' },
  { metric: 'DrainDuration', service: 'drainer', unit: 's', title: 'Decision to node removed' },
] as const satisfies readonly {
  metric: string;
  service: ServiceName;
  unit: 's' | 'ms';
  title: string;
}[];

/** Counts of what the autoscaler did, by the service that reports them. */
export const ACTION_COUNTS = [
  { metric: 'InstancesLaunched', service: 'provisioner' },
  { metric: 'LaunchShortfall', service: 'provisioner' },
  { metric: 'NodesJoined', service: 'join-verifier' },
  { metric: 'JoinFailures', service: 'join-verifier' },
  { metric: 'NodesRemoved', service: 'drainer' },
  { metric: 'PodsEvicted', service: 'drainer' },
] as const satisfies readonly { metric: string; service: ServiceName }[];

type MetricRow = (string | Record<string, unknown>)[];

interface Widget {
  readonly type: 'metric' | 'alarm' | 'text';
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Record<string, unknown>;
}

/**
 * The dashboard body: alarm states; handler errors, throttles and p95
 * duration per function; DLQ depth and oldest message per queue; action
 * latencies (p50, p95, max); decisions by kind; fleet actions; messages
 * failed and rejected, and deferred (redelivered later), per service.
 *
 * @example
 * new aws.cloudwatch.Dashboard('Dashboard', { dashboardName: plan.prefix,
 *   dashboardBody: JSON.stringify(dashboardBody(plan, 'eu-west-1', '123456789012')) });
 */
export function dashboardBody(
  plan: DeploymentPlan,
  region: string,
  account: string,
): { widgets: Widget[] } {
  const widgets: Widget[] = [];
  // A two-column grid of 12-wide widgets; `slot` counts half rows.
  let slot = 0;
  const add = (type: Widget['type'], properties: Record<string, unknown>, full = false) => {
    if (full && slot % 2 === 1) slot += 1;
    widgets.push({
      type,
      x: full ? 0 : (slot % 2) * 12,
      y: Math.floor(slot / 2) * 6,
      width: full ? 24 : 12,
      height: 6,
      properties: { region, ...properties },
    });
    slot += full ? 2 : 1;
  };
  const metric = (
    title: string,
    metrics: MetricRow[],
    stat: string,
    extra: Record<string, unknown> = {},
  ) => ({ title, view: 'timeSeries', stacked: false, period: 60, stat, metrics, ...extra });

  add(
    'alarm',
    {
      title: 'Alarms (DLQ depth, handler errors, join latency)',
      alarms: plan.alarms.map((a) => `arn:aws:cloudwatch:${region}:${account}:alarm:${a.name}`),
      sortBy: 'stateUpdatedTimestamp',
    },
    true,
  );
  add(
    'metric',
    metric(
      'Handler errors',
      plan.functions.map((f) => ['AWS/Lambda', 'Errors', 'FunctionName', f.name]),
      'Sum',
    ),
  );
  add(
    'metric',
    metric(
      'Dead-letter queue depth',
      plan.queues.map((q) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        q.dlqName,
      ]),
      'Maximum',
    ),
  );
  for (const l of ACTION_LATENCIES) {
    add(
      'metric',
      metric(
        `${l.title} (${l.unit})`,
        ['p50', 'p95', 'Maximum'].map((stat) => [
          METRICS_NAMESPACE,
          l.metric,
          'service',
          l.service,
          { stat, label: stat },
        ]),
        'p95',
        { period: 300 },
      ),
    );
  }
  add(
    'metric',
    metric(
      'Decisions by kind',
      [
        [
          {
            expression: `SEARCH('{${METRICS_NAMESPACE},decision,service} MetricName="Decisions"', 'Sum', 300)`,
            id: 'decisions',
          },
        ],
      ],
      'Sum',
      { period: 300 },
    ),
  );
  add(
    'metric',
    metric(
      'Fleet actions',
      ACTION_COUNTS.map((c) => [METRICS_NAMESPACE, c.metric, 'service', c.service]),
      'Sum',
      { period: 300 },
    ),
  );
  add(
    'metric',
    metric(
      'Messages failed and rejected (to DLQ)',
      plan.functions
        .filter((f) => f.queue !== null)
        .flatMap((f) =>
          ['MessagesFailed', 'MessagesRejected'].map((m) => [
            METRICS_NAMESPACE,
            m,
            'service',
            f.service,
          ]),
        ),
      'Sum',
    ),
  );
  add(
    'metric',
    metric(
      // Expected waits (lock busy, a step held by another delivery): the
      // message comes again after its visibility timeout. Kept apart from
      // the failures so they stay a signal; a lasting rise means contention.
      'Messages deferred (redelivered later)',
      plan.functions
        .filter((f) => f.queue !== null)
        .map((f) => [METRICS_NAMESPACE, 'MessagesDeferred', 'service', f.service]),
      'Sum',
    ),
  );
  add(
    'metric',
    metric(
      'Oldest message waiting (s)',
      plan.queues.map((q) => ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', q.name]),
      'Maximum',
    ),
  );
  add(
    'metric',
    metric(
      'Handler duration p95 (ms)',
      plan.functions.map((f) => ['AWS/Lambda', 'Duration', 'FunctionName', f.name]),
      'p95',
    ),
  );
  add(
    'metric',
    metric(
      'Throttles',
      plan.functions.map((f) => ['AWS/Lambda', 'Throttles', 'FunctionName', f.name]),
      'Sum',
    ),
  );
  return { widgets };
}
