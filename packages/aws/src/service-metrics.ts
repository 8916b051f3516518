import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { type AnyEnvelope, METRICS_NAMESPACE } from '@smartscale/contracts';
import { decodeTime, isValid } from 'ulid';

export { METRICS_NAMESPACE } from '@smartscale/contracts';

/** One metric value, with the dimensions it adds to `service`. */
export interface MetricPoint {
  readonly name: string;
  readonly unit: (typeof MetricUnit)[keyof typeof MetricUnit];
  readonly value: number;
  readonly dimensions?: Readonly<Record<string, string>>;
}

/**
 * The Powertools Metrics (CloudWatch EMF) of one service: namespace
 * `SmartScale`, default dimension `service`. EMF lines go to stdout, where
 * Lambda ships them to CloudWatch and the local runtime to the service log.
 *
 * @example
 * const metrics = createServiceMetrics('decider');
 */
export function createServiceMetrics(service: string): Metrics {
  return new Metrics({ namespace: METRICS_NAMESPACE, serviceName: service });
}

const count = (name: string, value = 1, dimensions?: Record<string, string>): MetricPoint => ({
  name,
  unit: MetricUnit.Count,
  value,
  ...(dimensions ? { dimensions } : {}),
});

function secondsBetween(from: number, at: string): number | null {
  const seconds = (Date.parse(at) - from) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

/**
 * The metrics a published message stands for: decisions by kind and
 * reason, launches, joins with their latency, drains with their duration,
 * and failures. The service that publishes an outcome counts it, once.
 *
 * @example
 * metricsOf(nodeJoined) // [NodesJoined 1, JoinLatency 74 s]
 */
export function metricsOf(message: AnyEnvelope): MetricPoint[] {
  switch (message.type) {
    case 'DecisionMade': {
      const { decision, snapshotTakenAt } = message.payload;
      const latency = Date.parse(message.occurredAt) - Date.parse(snapshotTakenAt);
      return [
        count('Decisions', 1, { decision: decision.kind }),
        ...decision.reasons.map((r) =>
          count('DecisionReasons', 1, { decision: decision.kind, reason: r.code }),
        ),
        ...(latency >= 0
          ? [{ name: 'SampleToDecision', unit: MetricUnit.Milliseconds, value: latency }]
          : []),
      ];
    }
    case 'InstancesLaunched': {
      const { requested, instances } = message.payload;
      return [
        count('InstancesLaunched', instances.length),
        ...(instances.length < requested
          ? [count('LaunchShortfall', requested - instances.length)]
          : []),
      ];
    }
    case 'NodeJoined':
      return [
        count('NodesJoined'),
        { name: 'JoinLatency', unit: MetricUnit.Seconds, value: message.payload.joinSeconds },
      ];
    case 'JoinFailed':
      return [count('JoinFailures')];
    case 'NodeDrained':
      return [count('NodesDrained'), count('PodsEvicted', message.payload.evictedPods)];
    case 'NodeRemoved': {
      // From the drain's start the DrainNode carried. Not the actionId's
      // time when it is there: an interruption's id is stamped with the
      // instance's launch, which would report the instance's age. Older
      // messages without it fall back to the id (a scale-down's sample).
      const { drainStartedAt } = message.payload;
      const from =
        drainStartedAt !== undefined
          ? Date.parse(drainStartedAt)
          : isValid(message.actionId)
            ? decodeTime(message.actionId)
            : Number.NaN;
      const drained = secondsBetween(from, message.occurredAt);
      return [
        count('NodesRemoved'),
        ...(drained === null
          ? []
          : [{ name: 'DrainDuration', unit: MetricUnit.Seconds, value: drained }]),
      ];
    }
    case 'ActionFailed':
      return [count('ActionFailures', 1, { step: message.payload.step })];
    case 'InterruptionReceived':
      return [count('Interruptions', 1, { kind: message.payload.kind })];
    default:
      return [];
  }
}

/**
 * Adds `points` to `metrics`: plain ones to the buffer flushed per
 * invocation, ones with their own dimensions as single metrics (emitted at
 * once, so concurrent batches never mix dimensions).
 */
export function recordMetrics(metrics: Metrics, points: readonly MetricPoint[]): void {
  for (const p of points) {
    if (!p.dimensions) {
      metrics.addMetric(p.name, p.unit, p.value);
      continue;
    }
    const single = metrics.singleMetric();
    single.addDimensions({ ...p.dimensions });
    single.addMetric(p.name, p.unit, p.value);
  }
}

/** Writes the buffered metrics as one EMF line, if there are any. */
export function flushMetrics(metrics: Metrics): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
