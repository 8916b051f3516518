import { type ClusterSnapshot, createMessage, type NodeInfo } from '@smartscale/contracts';
import {
  auditedSnapshot,
  defaultConfig as config,
  decisionCostEffect,
  outcomeCostEffect,
  parseConfig,
} from '@smartscale/core';
import { describe, expect, it } from 'vitest';

const now = new Date('2026-11-22T12:00:00.000Z');
const worker = (name: string, capacityType?: NodeInfo['capacityType']): NodeInfo => ({
  name,
  instanceId: `i-${name}`,
  zone: 'eu-west-1a',
  instanceType: 't3.medium',
  ...(capacityType ? { capacityType } : {}),
  managed: true,
  ready: true,
  unschedulable: false,
  createdAt: now.toISOString(),
  allocatable: { cpuMillis: 1800, memoryBytes: 3_758_096_384 },
  pods: [],
});
const snapshot = (nodes: NodeInfo[]): ClusterSnapshot => ({
  takenAt: now.toISOString(),
  nodes,
  pendingPods: [],
  utilization: { available: false, reason: 'not needed here' },
});

describe('decider cost effects', () => {
  it('a scale-up expects the purchase mix the provisioner will buy', () => {
    // Two on-demand (the base) plus 4 new at a 50 % spot share: 3 spot, 1 on-demand.
    const effect = decisionCostEffect(
      { kind: 'scale-up', count: 4, reasons: [] },
      snapshot([worker('a', 'on-demand'), worker('b', 'on-demand')]),
      config,
    );
    expect(effect).toEqual({
      onDemandNodes: 1,
      spotNodes: 3,
      onDemandHourlyUsd: 0.0416,
      spotHourlyUsd: 0.0375,
      hourlyUsd: 0.0791,
    });
    const allOnDemand = decisionCostEffect(
      { kind: 'scale-up', count: 2, reasons: [] },
      snapshot([]),
      parseConfig({ purchase: { spotShare: 0 }, pricing: { onDemandHourlyUsd: 0.1 } }),
    );
    expect(allOnDemand).toMatchObject({ onDemandNodes: 2, spotNodes: 0, hourlyUsd: 0.2 });
  });

  it("a scale-down saves the victim's price; an untyped node counts as on-demand; a hold costs nothing", () => {
    const nodes = [worker('a', 'spot'), worker('b')];
    const victim = (name: string) => ({
      kind: 'scale-down' as const,
      victim: { nodeName: name, instanceId: `i-${name}` },
      reasons: [],
    });
    expect(decisionCostEffect(victim('a'), snapshot(nodes), config)).toMatchObject({
      spotNodes: -1,
      hourlyUsd: -0.0125,
    });
    expect(decisionCostEffect(victim('b'), snapshot(nodes), config)).toMatchObject({
      onDemandNodes: -1,
      hourlyUsd: -0.0416,
    });
    expect(decisionCostEffect({ kind: 'hold', reasons: [] }, snapshot(nodes), config)).toBeNull();
  });

  it('a launch records what was actually bought; other outcomes record nothing', () => {
    const launched = createMessage(
      'InstancesLaunched',
      {
        requested: 2,
        instances: [
          { instanceId: 'i-0abc12345', zone: 'z', capacityType: 'spot', instanceType: 't3.medium' },
          {
            instanceId: 'i-0abc12346',
            zone: 'z',
            capacityType: 'on-demand',
            instanceType: 't3.medium',
          },
        ],
      },
      { clusterId: 'c1' },
      now,
    );
    expect(outcomeCostEffect(launched, config)).toMatchObject({
      spotNodes: 1,
      onDemandNodes: 1,
      hourlyUsd: 0.0541,
    });
    const joined = createMessage(
      'NodeJoined',
      { instanceId: 'i-0abc12345', nodeName: 'n', joinSeconds: 40 },
      { clusterId: 'c1' },
      now,
    );
    expect(outcomeCostEffect(joined, config)).toBeNull();
  });
});

describe('audited snapshot', () => {
  it('counts the demand history instead of copying a week of points into every entry', () => {
    const history = [{ at: now.toISOString(), cpuMillis: 1, memoryBytes: 1 }];
    const audited = auditedSnapshot({ ...snapshot([worker('a')]), demandHistory: history });
    expect(audited).not.toHaveProperty('demandHistory');
    expect(audited).toMatchObject({ demandHistoryPoints: 1, nodes: [{ name: 'a' }] });
    expect(auditedSnapshot(snapshot([]))).not.toHaveProperty('demandHistoryPoints');
  });
});
