import type { NodeInfo, PodInfo } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { nodeLoads } from '../../src/prometheus/pod-load.ts';

const pod = (name: string, cpuMillis: number, memoryBytes: number): PodInfo => ({
  namespace: 'shop',
  name,
  cpuMillis,
  memoryBytes,
  ownerKind: 'ReplicaSet',
  hasPdb: false,
  doNotDisrupt: false,
  localStorage: false,
});

const node = (name: string, pods: PodInfo[]): NodeInfo => ({
  name,
  managed: true,
  ready: true,
  unschedulable: false,
  allocatable: { cpuMillis: 2000, memoryBytes: 4000 },
  pods,
});

describe('nodeLoads', () => {
  it("divides the pods' used requests by the node's allocatable", () => {
    const loads = nodeLoads(
      [node('a', [pod('web-1', 500, 1000), pod('web-2', 500, 1000)]), node('b', [])],
      (p) => (p.name === 'web-1' ? { cpu: 2, memory: 1 } : { cpu: 1, memory: 0.5 }),
      new Date(0),
    );
    expect(loads.get('a')).toEqual({ cpu: 0.75, memory: 0.375, cpus: 2, memoryBytes: 4000 });
    expect(loads.get('b')).toEqual({ cpu: 0, memory: 0, cpus: 2, memoryBytes: 4000 });
  });

  it('caps at 100% and passes the time to the trace', () => {
    const seen: number[] = [];
    const loads = nodeLoads(
      [node('a', [pod('web-1', 1500, 3000)])],
      (_p, now) => {
        seen.push(now.getTime());
        return { cpu: 3, memory: 3 };
      },
      new Date(42),
    );
    expect(loads.get('a')?.cpu).toBe(1);
    expect(loads.get('a')?.memory).toBe(1);
    expect(seen).toEqual([42]);
  });
});
