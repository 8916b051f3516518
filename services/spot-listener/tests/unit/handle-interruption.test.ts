import type { AnyEnvelope } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { parseEc2Event, toInterruption } from '../../ec2-events.js';
import {
  handleInterruption,
  type ManagedWorker,
  type RebalancePolicy,
  type SpotListenerPorts,
} from '../../handle-interruption.js';

const ID = 'i-0123456789abcdef0';
const NOW = new Date('2026-11-22T12:00:00.000Z');
const worker: ManagedWorker = {
  instanceId: ID,
  zone: 'eu-west-1b',
  capacityType: 'spot',
  state: 'running',
  launchedAt: '2026-11-22T08:00:00.000Z',
};

function portsFor(rebalance: RebalancePolicy, found: ManagedWorker | null = worker) {
  const published: AnyEnvelope[] = [];
  const ports: SpotListenerPorts = {
    clusterId: 'shop',
    rebalance,
    drainTimeoutSeconds: 600,
    now: () => NOW,
    findManagedWorker: async (id) => (found && id === found.instanceId ? found : null),
    findNodeName: async (id) => (id === ID ? 'ip-10-0-1-7' : null),
    publish: async (m) => {
      published.push(m);
    },
  };
  return { ports, published };
}

const base = {
  version: '0',
  source: 'aws.ec2',
  account: '123456789012',
  region: 'eu-west-1',
  resources: [],
};
function event(detailType: string, id: string, time: string, detail: object) {
  const parsed = parseEc2Event({ ...base, id, time, 'detail-type': detailType, detail });
  if (!parsed.ok) throw parsed.error;
  return toInterruption(parsed.value);
}
const rebalance = event('EC2 Instance Rebalance Recommendation', 'evt-1', '2026-11-22T11:50:00Z', {
  'instance-id': ID,
});
const warning = event('EC2 Spot Instance Interruption Warning', 'evt-2', '2026-11-22T12:00:00Z', {
  'instance-id': ID,
  'instance-action': 'terminate',
});
const stateChange = (state: string) =>
  event('EC2 Instance State-change Notification', `evt-${state}`, '2026-11-22T12:00:00Z', {
    'instance-id': ID,
    state,
  });

describe('handleInterruption', () => {
  it('a rebalance then the warning for the same instance name one replacement action', async () => {
    const { ports, published } = portsFor('replace-then-drain');
    expect(await handleInterruption(rebalance, ports)).toEqual(['replacing']);
    expect(await handleInterruption(warning, ports)).toEqual(['replacing']);
    const replaces = published.filter((m) => m.type === 'ReplaceCapacity');
    expect(replaces).toHaveLength(2);
    expect(new Set(replaces.map((m) => m.actionId)).size).toBe(1);
    expect(new Set(published.map((m) => m.actionId)).size).toBe(1);
  });

  it("a replacement names the doomed worker's instance type, so the provisioner tries it first (issue #23)", async () => {
    const { ports, published } = portsFor('ignore', { ...worker, instanceType: 't3.medium' });
    await handleInterruption(warning, ports);
    const replace = published.find((m) => m.type === 'ReplaceCapacity');
    expect(replace?.payload).toMatchObject({ zone: 'eu-west-1b', instanceType: 't3.medium' });
    const { ports: unknownPorts, published: unknownPublished } = portsFor('ignore', {
      ...worker,
      instanceType: 'unknown',
    });
    await handleInterruption(warning, unknownPorts);
    expect(unknownPublished.find((m) => m.type === 'ReplaceCapacity')?.payload).not.toHaveProperty(
      'instanceType',
    );
  });

  it("a rebalance's drain waits for the replacement; the two-minute warning drains at once", async () => {
    const { ports, published } = portsFor('replace-then-drain');
    await handleInterruption(rebalance, ports);
    await handleInterruption(warning, ports);
    const drains = published.flatMap((m) => (m.type === 'DrainNode' ? [m.payload] : []));
    expect(drains).toMatchObject([
      { reason: 'rebalance', waitForReplacement: true, deadline: '2026-11-22T12:10:00.000Z' },
      {
        reason: 'spot-interruption',
        waitForReplacement: false,
        deadline: '2026-11-22T12:02:00.000Z',
      },
    ]);
  });

  it("drains a scheduled change weeks away within the drain timeout, and tells people AWS's date (issue #21)", async () => {
    const { ports, published } = portsFor('ignore');
    const retirement = toInterruption(
      (() => {
        const parsed = parseEc2Event({
          ...base,
          source: 'aws.health',
          id: 'evt-health',
          time: '2026-11-22T12:00:00Z',
          'detail-type': 'AWS Health Event',
          detail: {
            service: 'EC2',
            eventTypeCategory: 'scheduledChange',
            startTime: '2026-12-06T12:00:00Z',
            affectedEntities: [{ entityValue: ID }],
          },
        });
        if (!parsed.ok) throw parsed.error;
        return parsed.value;
      })(),
    );
    expect(await handleInterruption(retirement, ports)).toEqual(['replacing']);
    const drain = published.find((m) => m.type === 'DrainNode');
    // 600 s from now, not AWS's start time two weeks out: the drainer refuses that.
    expect(drain?.payload).toMatchObject({
      reason: 'scheduled-change',
      deadline: '2026-11-22T12:10:00.000Z',
    });
    const received = published.find((m) => m.type === 'InterruptionReceived');
    expect(received?.payload).toMatchObject({ deadline: '2026-12-06T12:00:00.000Z' });
  });

  it('with rebalance ignored, only notes the recommendation', async () => {
    const { ports, published } = portsFor('ignore');
    expect(await handleInterruption(rebalance, ports)).toEqual(['noted']);
    expect(published.map((m) => m.type)).toEqual(['InterruptionReceived']);
  });

  it('announces no state change; a managed worker going away is left to the reconciler', async () => {
    const { ports, published } = portsFor('replace-then-drain');
    for (const s of ['pending', 'running'])
      expect(await handleInterruption(stateChange(s), ports)).toEqual(['acknowledged']);
    for (const s of ['stopping', 'stopped', 'shutting-down', 'terminated'])
      expect(await handleInterruption(stateChange(s), ports)).toEqual(['left-to-reconciler']);
    expect(published).toEqual([]);
    const other = portsFor('replace-then-drain', null);
    expect(await handleInterruption(stateChange('terminated'), other.ports)).toEqual(['not-ours']);
    expect(other.published).toEqual([]);
  });
});
