import { type AnyEnvelope, createMessage } from '@smartscale/contracts';
import type { Context, SQSEvent } from 'aws-lambda';
import { ulid } from 'ulid';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createMessageHandler,
  createServiceMetrics,
  flushMetrics,
  METRICS_NAMESPACE,
  metricsOf,
  recordMetrics,
} from '../../src/index.js';

const NOW = new Date('2026-01-01T00:10:00.000Z');
const ctx = { clusterId: 'prod' };
const instanceId = 'i-0123456789abcdef0';

interface EmfLine {
  _aws: {
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

/** EMF lines Powertools writes to stdout while `run` runs. */
async function emfLines(run: () => Promise<void> | void): Promise<EmfLine[]> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return written
    .flatMap((w) => w.split('\n'))
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l) as EmfLine);
}

afterEach(() => vi.restoreAllMocks());

describe('metricsOf', () => {
  it('counts a decision by kind and by each reason, with the sample-to-decision latency', () => {
    const message = createMessage(
      'DecisionMade',
      {
        decision: {
          kind: 'hold',
          reasons: [
            { code: 'paused', message: 'paused by a' },
            { code: 'pending-pods', message: '2 pending' },
          ],
        },
        snapshotTakenAt: new Date(NOW.getTime() - 1500).toISOString(),
        workers: 3,
      },
      ctx,
      NOW,
    );
    expect(metricsOf(message)).toEqual([
      { name: 'Decisions', unit: 'Count', value: 1, dimensions: { decision: 'hold' } },
      {
        name: 'DecisionReasons',
        unit: 'Count',
        value: 1,
        dimensions: { decision: 'hold', reason: 'paused' },
      },
      {
        name: 'DecisionReasons',
        unit: 'Count',
        value: 1,
        dimensions: { decision: 'hold', reason: 'pending-pods' },
      },
      { name: 'SampleToDecision', unit: 'Milliseconds', value: 1500 },
    ]);
  });

  it('counts launches with a shortfall, joins with their latency, failures by step', () => {
    const launched = createMessage(
      'InstancesLaunched',
      {
        requested: 3,
        instances: [{ instanceId, zone: 'a', capacityType: 'spot', instanceType: 't3.medium' }],
      },
      ctx,
      NOW,
    );
    expect(metricsOf(launched)).toEqual([
      { name: 'InstancesLaunched', unit: 'Count', value: 1 },
      { name: 'LaunchShortfall', unit: 'Count', value: 2 },
    ]);
    const joined = createMessage(
      'NodeJoined',
      { instanceId, nodeName: 'n', joinSeconds: 74 },
      ctx,
      NOW,
    );
    expect(metricsOf(joined)).toEqual([
      { name: 'NodesJoined', unit: 'Count', value: 1 },
      { name: 'JoinLatency', unit: 'Seconds', value: 74 },
    ]);
    const failed = createMessage('ActionFailed', { step: 'drain', reason: 'deadline' }, ctx, NOW);
    expect(metricsOf(failed)).toEqual([
      { name: 'ActionFailures', unit: 'Count', value: 1, dimensions: { step: 'drain' } },
    ]);
    expect(
      metricsOf(
        createMessage('JoinFailed', { instanceId, reason: 'x', terminated: true }, ctx, NOW),
      ),
    ).toEqual([{ name: 'JoinFailures', unit: 'Count', value: 1 }]);
  });

  it('measures a drain from the decision (the actionId time) to the node removed', () => {
    const decidedAt = NOW.getTime() - 95_000;
    const removed = createMessage(
      'NodeRemoved',
      { nodeName: 'n', instanceId, terminated: true },
      { ...ctx, actionId: ulid(decidedAt) },
      NOW,
    );
    expect(metricsOf(removed)).toEqual([
      { name: 'NodesRemoved', unit: 'Count', value: 1 },
      { name: 'DrainDuration', unit: 'Seconds', value: 95 },
    ]);
  });

  it('measures a drain from the start its DrainNode carried, not a Spot action id stamped with the launch', () => {
    const launchedAt = NOW.getTime() - 3 * 3600_000;
    const removed = createMessage(
      'NodeRemoved',
      {
        nodeName: 'n',
        instanceId,
        terminated: true,
        drainStartedAt: new Date(NOW.getTime() - 90_000).toISOString(),
      },
      { ...ctx, actionId: ulid(launchedAt) },
      NOW,
    );
    expect(metricsOf(removed)).toEqual([
      { name: 'NodesRemoved', unit: 'Count', value: 1 },
      { name: 'DrainDuration', unit: 'Seconds', value: 90 },
    ]);
  });

  it('has nothing to count for commands and samples', () => {
    expect(metricsOf(createMessage('ScaleUp', { count: 1, reason: 'x' }, ctx, NOW))).toEqual([]);
  });
});

describe('EMF output', () => {
  it('writes namespace SmartScale with the service dimension; own dimensions go out as single metrics', async () => {
    const metrics = createServiceMetrics('drainer');
    const lines = await emfLines(() => {
      recordMetrics(metrics, [
        { name: 'NodesRemoved', unit: 'Count', value: 1 },
        { name: 'ActionFailures', unit: 'Count', value: 1, dimensions: { step: 'drain' } },
      ]);
      flushMetrics(metrics);
      // Nothing buffered: no line, no warning.
      flushMetrics(metrics);
    });
    expect(lines).toHaveLength(2);
    const [single, buffered] = lines as [EmfLine, EmfLine];
    expect(single._aws.CloudWatchMetrics[0]?.Namespace).toBe(METRICS_NAMESPACE);
    expect(single._aws.CloudWatchMetrics[0]?.Dimensions[0]?.sort()).toEqual(['service', 'step']);
    expect(single).toMatchObject({ service: 'drainer', step: 'drain', ActionFailures: 1 });
    expect(buffered._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(['service']);
    expect(buffered).toMatchObject({ service: 'drainer', NodesRemoved: 1 });
  });

  it('createMessageHandler counts handled and failed messages and flushes once per invocation', async () => {
    const metrics = createServiceMetrics('decider');
    const handler = createMessageHandler({
      sqs: {} as never,
      deadLetterQueueUrl: 'http://unused',
      metrics,
      handle: async (message: AnyEnvelope) => {
        if (message.type === 'ScaleUp') throw new Error('boom');
      },
    });
    const record = (m: AnyEnvelope, id: string) => ({
      messageId: id,
      receiptHandle: id,
      body: JSON.stringify(m),
      attributes: {} as never,
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:q',
      awsRegion: 'us-east-1',
    });
    const event: SQSEvent = {
      Records: [
        record(
          createMessage('NodeRemoved', { nodeName: 'n', instanceId, terminated: true }, ctx, NOW),
          '1',
        ),
        record(createMessage('ScaleUp', { count: 1, reason: 'x' }, ctx, NOW), '2'),
        record(createMessage('NodeCordoned', { nodeName: 'n', instanceId }, ctx, NOW), '3'),
      ],
    };
    let response: unknown;
    const lines = await emfLines(async () => {
      response = await handler(event, {} as Context);
    });
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      service: 'decider',
      MessagesHandled: [1, 1],
      MessagesFailed: 1,
    });
  });
});
