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
});
