import type { DemandPoint } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { type SamplerPorts, takeSnapshot } from '../../take-snapshot.js';

const now = new Date('2026-11-22T12:00:00.000Z');
const history: DemandPoint[] = [
  { at: '2026-11-21T12:05:00.000Z', cpuMillis: 4000, memoryBytes: 2 ** 32 },
];

function ports(over: Partial<SamplerPorts> = {}): SamplerPorts {
  return {
    clusterId: 'c1',
    now: () => now,
    listNodes: async () => [],
    listPendingPods: async () => [],
    readUtilization: async () => ({ available: false, reason: 'not needed here' }),
    publish: async () => {},
    ...over,
  };
}

describe('takeSnapshot', () => {
  it('carries the demand history and the application signals when they are read', async () => {
    const snapshot = await takeSnapshot(
      ports({ readDemandHistory: async () => history, readAppSignals: async () => ({ q: 7 }) }),
    );
    expect(snapshot.demandHistory).toEqual(history);
    expect(snapshot.appSignals).toEqual({ q: 7 });
  });

  it('carries the peak of requests for consolidation, and leaves it out when the read failed', async () => {
    const peak = { cpuMillis: 4000, memoryBytes: 2 ** 32, windowSeconds: 600 };
    const snapshot = await takeSnapshot(ports({ readRequestsPeak: async () => peak }));
    expect(snapshot.requestsWindowMax).toEqual(peak);
    expect(await takeSnapshot(ports())).not.toHaveProperty('requestsWindowMax');
    const failed = await takeSnapshot(
      ports({
        readRequestsPeak: async () => {
          throw new Error('no pod requests in Prometheus over the last 600s');
        },
      }),
    );
    expect(failed).not.toHaveProperty('requestsWindowMax');
  });

  it('leaves them out when not asked for, or when reading them failed, and still samples', async () => {
    expect(await takeSnapshot(ports())).not.toHaveProperty('demandHistory');
    const failed = await takeSnapshot(
      ports({
        readDemandHistory: async () => {
          throw new Error('Prometheus at http://p:9090 is unreachable');
        },
      }),
    );
    expect(failed).not.toHaveProperty('demandHistory');
    expect(failed.takenAt).toBe(now.toISOString());
  });

  it('reads utilization over the workers it listed and carries metrics-incomplete as data', async () => {
    const worker = {
      name: 'w1',
      managed: true,
      ready: true,
      unschedulable: false,
      allocatable: { cpuMillis: 2000, memoryBytes: 2 ** 32 },
      pods: [],
    };
    const seen: string[][] = [];
    const snapshot = await takeSnapshot(
      ports({
        listNodes: async () => [worker],
        readUtilization: async (workers) => {
          seen.push(workers.map((w) => w.name));
          return {
            available: false,
            reason: 'only 0 of 1 workers reported',
            unavailable: {
              code: 'metrics-incomplete',
              reporting: 0,
              expected: 1,
              missing: ['w1'],
            },
          };
        },
      }),
    );
    expect(seen).toEqual([['w1']]);
    expect(snapshot.utilization).toMatchObject({
      available: false,
      unavailable: { code: 'metrics-incomplete', expected: 1, missing: ['w1'] },
    });
  });
});
