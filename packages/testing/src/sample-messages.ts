import { type AnyEnvelope, createMessage, type MessageType } from '@smartscale/contracts';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const ctx = { clusterId: 'test-cluster' };
const instanceId = 'i-0123456789abcdef0';
const at = NOW.toISOString();

/** One valid message of every type. */
export const sampleMessages: { [T in MessageType]: () => AnyEnvelope } = {
  MetricsSampled: () =>
    createMessage(
      'MetricsSampled',
      {
        takenAt: at,
        nodes: [],
        pendingPods: [],
        utilization: { available: false, reason: 'test' },
      },
      ctx,
      NOW,
    ),
  ScaleUp: () => createMessage('ScaleUp', { count: 2, reason: 'pending-pods' }, ctx, NOW),
  ReplaceCapacity: () =>
    createMessage(
      'ReplaceCapacity',
      { replacedInstanceId: instanceId, reason: 'spot-interruption' },
      ctx,
      NOW,
    ),
  VerifyJoin: () =>
    createMessage(
      'VerifyJoin',
      { instanceIds: [instanceId], launchedAt: at, deadline: at },
      ctx,
      NOW,
    ),
  DrainNode: () =>
    createMessage(
      'DrainNode',
      { nodeName: 'node-1', instanceId, deadline: at, reason: 'scale-down' },
      ctx,
      NOW,
    ),
  DecisionMade: () =>
    createMessage(
      'DecisionMade',
      {
        decision: { kind: 'hold', reasons: [{ code: 'no-trigger', message: 'nothing to do' }] },
        snapshotTakenAt: at,
        workers: 2,
      },
      ctx,
      NOW,
    ),
  InstancesLaunched: () =>
    createMessage(
      'InstancesLaunched',
      {
        requested: 1,
        instances: [
          { instanceId, zone: 'us-east-1a', capacityType: 'spot', instanceType: 't3.medium' },
        ],
      },
      ctx,
      NOW,
    ),
  NodeJoined: () =>
    createMessage('NodeJoined', { instanceId, nodeName: 'node-1', joinSeconds: 42 }, ctx, NOW),
  JoinFailed: () =>
    createMessage('JoinFailed', { instanceId, reason: 'timeout', terminated: true }, ctx, NOW),
  NodeCordoned: () => createMessage('NodeCordoned', { nodeName: 'node-1', instanceId }, ctx, NOW),
  NodeDrained: () =>
    createMessage('NodeDrained', { nodeName: 'node-1', instanceId, evictedPods: 3 }, ctx, NOW),
  NodeRemoved: () =>
    createMessage('NodeRemoved', { nodeName: 'node-1', instanceId, terminated: true }, ctx, NOW),
  ActionFailed: () =>
    createMessage('ActionFailed', { step: 'drain', reason: 'deadline passed' }, ctx, NOW),
  InterruptionReceived: () =>
    createMessage('InterruptionReceived', { instanceId, kind: 'spot-interruption' }, ctx, NOW),
  RepairMade: () =>
    createMessage(
      'RepairMade',
      { code: 'ghost-node', instanceId, nodeName: 'worker-1', reason: 'instance terminated' },
      ctx,
      NOW,
    ),
};
