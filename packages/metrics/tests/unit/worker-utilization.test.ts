import { describe, expect, it } from 'vitest';
import {
  durationSeconds,
  expectedWorkers,
  PROMQL,
  summarizeWorkerUtilization,
  type WorkerRef,
} from '../../src/index.ts';

const end = new Date('2026-12-02T10:00:00Z');
const windows = { scaleUp: 180, scaleDown: 600, step: 30 };
const policy = { minCoverage: 0.9, warmupSeconds: 120 };
const ago = (s: number) => new Date(end.getTime() - s * 1000).toISOString();
const old = (name: string): WorkerRef => ({ name, ready: true, createdAt: ago(86400) });

/** The same value at every step k = 0..20 (the 600 s window at 30 s). */
function flat(value: number, steps = 21): Map<number, number> {
  return new Map(Array.from({ length: steps }, (_, k) => [k, value] as const));
}

function series(values: Record<string, number | Map<number, number>>) {
  return new Map(
    Object.entries(values).map(([n, v]) => [n, typeof v === 'number' ? flat(v) : v] as const),
  );
}

describe('summarizeWorkerUtilization', () => {
  it('averages over the listed workers only: an idle K3s server does not dilute two busy workers', () => {
    // The case: 2 workers at 90 % and an idle server read 60 % over all three.
    const u = summarizeWorkerUtilization({
      workers: [old('w1'), old('w2')],
      cpu: series({ w1: 0.9, w2: 0.9, server: 0 }),
      memory: series({ w1: 0.5, w2: 0.3, server: 0.1 }),
      end,
      windows,
      policy,
    });
    expect(u).toEqual({
      available: true,
      cpu: { now: 0.9, upWindowMin: 0.9, downWindowMax: 0.9 },
      memory: { now: 0.4, downWindowMax: 0.4 },
    });
  });

  it('is metrics-incomplete below the coverage, naming the missing workers and the counts', () => {
    const workers = Array.from({ length: 10 }, (_, i) => old(`w${i}`));
    const reporting = Object.fromEntries(workers.slice(0, 8).map((w) => [w.name, 0.1]));
    const u = summarizeWorkerUtilization({
      workers,
      cpu: series(reporting),
      memory: series(reporting),
      end,
      windows,
      policy,
    });
    expect(u).toMatchObject({
      available: false,
      reason: expect.stringMatching(/only 8 of 10 workers.*80%.*need 90%.*missing w8, w9/),
      unavailable: {
        code: 'metrics-incomplete',
        reporting: 8,
        expected: 10,
        missing: ['w8', 'w9'],
      },
    });
  });

  it('accepts one worker of ten missing (90 %) and averages the nine that reported', () => {
    const workers = Array.from({ length: 10 }, (_, i) => old(`w${i}`));
    const reporting = Object.fromEntries(workers.slice(0, 9).map((w) => [w.name, 0.2]));
    const u = summarizeWorkerUtilization({
      workers,
      cpu: series(reporting),
      memory: series(reporting),
      end,
      windows,
      policy,
    });
    expect(u.available && u.cpu.now).toBeCloseTo(0.2, 10);
    expect(u).not.toHaveProperty('downWindowIncomplete');
  });

  it('names at most ten missing workers and says there are more', () => {
    const workers = Array.from({ length: 30 }, (_, i) => old(`w${i}`));
    const u = summarizeWorkerUtilization({
      workers,
      cpu: series({ w0: 0.5 }),
      memory: series({ w0: 0.5 }),
      end,
      windows,
      policy,
    });
    expect(u.available).toBe(false);
    if (u.available) return;
    expect(u.unavailable?.missing).toHaveLength(10);
    expect(u.unavailable).toMatchObject({ reporting: 1, expected: 30 });
    expect(u.reason).toMatch(/w10, \.\.\.$/);
  });

  it('leaves a warming-up worker out of the average and the coverage until its warm-up has passed', () => {
    const input = {
      cpu: series({ w1: 0.4, w2: 0.4 }),
      memory: series({ w1: 0.4, w2: 0.4 }),
      end,
      windows,
      policy,
    };
    // w3 joined 60 s ago and is not scraped yet: neither missing nor averaged.
    const warming = summarizeWorkerUtilization({
      ...input,
      workers: [old('w1'), old('w2'), { name: 'w3', ready: true, createdAt: ago(60) }],
    });
    expect(warming).toMatchObject({ available: true, cpu: { now: 0.4 } });
    // Past its warm-up it is expected: 2 of 3 is below 90 %.
    const late = summarizeWorkerUtilization({
      ...input,
      workers: [old('w1'), old('w2'), { name: 'w3', ready: true, createdAt: ago(130) }],
    });
    expect(late).toMatchObject({
      available: false,
      unavailable: { reporting: 2, expected: 3, missing: ['w3'] },
    });
  });

  it('does not let a warming-up worker pulling images read as cpu-high', () => {
    const u = summarizeWorkerUtilization({
      workers: [old('w1'), old('w2'), { name: 'new', ready: true, createdAt: ago(90) }],
      cpu: series({ w1: 0.1, w2: 0.1, new: 1 }),
      memory: series({ w1: 0.2, w2: 0.2, new: 0.9 }),
      end,
      windows,
      policy,
    });
    expect(u).toMatchObject({ available: true, cpu: { now: 0.1, upWindowMin: 0.1 } });
  });

  it('leaves NotReady workers out', () => {
    const u = summarizeWorkerUtilization({
      workers: [old('w1'), { ...old('w2'), ready: false }],
      cpu: series({ w1: 0.3 }),
      memory: series({ w1: 0.3 }),
      end,
      windows,
      policy,
    });
    expect(u).toMatchObject({ available: true, cpu: { now: 0.3 } });
  });

  it('is metrics-incomplete with nothing expected when every worker is still warming up', () => {
    const u = summarizeWorkerUtilization({
      workers: [{ name: 'w1', ready: true, createdAt: ago(10) }],
      cpu: series({ w1: 0.3 }),
      memory: series({ w1: 0.3 }),
      end,
      windows,
      policy,
    });
    expect(u).toMatchObject({
      available: false,
      reason: expect.stringMatching(/warm-up/),
      unavailable: { reporting: 0, expected: 0 },
    });
  });

  it('does not read a gap in the scale-down window (a Prometheus restart) as low', () => {
    // High load before the gap, low after: only the covered low steps would read "low for 10 min".
    const before = new Map<number, number>();
    for (let k = 0; k <= 20; k++) if (k < 8) before.set(k, 0.1);
    for (let k = 0; k <= 20; k++) if (k > 14) before.set(k, 0.9);
    const u = summarizeWorkerUtilization({
      workers: [old('w1'), old('w2')],
      cpu: series({ w1: before, w2: before }),
      memory: series({ w1: before, w2: before }),
      end,
      windows,
      policy,
    });
    expect(u).toMatchObject({
      available: true,
      downWindowIncomplete: {
        code: 'metrics-incomplete',
        reporting: 0,
        expected: 2,
        stepsCovered: 14,
        steps: 21,
      },
    });
  });

  it('marks a down window incomplete when one busy node of two missed scrapes for a while', () => {
    const gappy = flat(0.95);
    for (const k of [10, 11, 12]) gappy.delete(k);
    const u = summarizeWorkerUtilization({
      workers: [old('w1'), old('busy')],
      cpu: series({ w1: 0.1, busy: gappy }),
      memory: series({ w1: 0.1, busy: gappy }),
      end,
      windows,
      policy,
    });
    expect(u).toMatchObject({
      available: true,
      downWindowIncomplete: { reporting: 1, expected: 2, missing: ['busy'], stepsCovered: 18 },
    });
  });

  it('takes the scale-up minimum over the scale-up window and the scale-down maximum over its own', () => {
    const cpu = flat(0.8);
    cpu.set(7, 0.75); // 210 s ago: outside the 180 s scale-up window (k <= 6)
    cpu.set(3, 0.72);
    cpu.set(15, 0.95);
    const u = summarizeWorkerUtilization({
      workers: [old('w1')],
      cpu: series({ w1: cpu }),
      memory: series({ w1: 0.2 }),
      end,
      windows,
      policy,
    });
    expect(u).toMatchObject({ cpu: { now: 0.8, upWindowMin: 0.72, downWindowMax: 0.95 } });
  });
});

describe('expectedWorkers', () => {
  it('counts a worker without a creation time as past its warm-up', () => {
    expect(
      expectedWorkers([{ name: 'a', ready: true }], end.getTime(), 120).map((w) => w.name),
    ).toEqual(['a']);
  });
});

describe('per-node queries', () => {
  it('group by the node label, which can be renamed and must be a label name', () => {
    expect(PROMQL.cpuByNode()).toBe(
      '1 - avg by (node) (rate(node_cpu_seconds_total{mode="idle"}[2m]))',
    );
    expect(PROMQL.memoryByNode({ nodeLabel: 'instance' })).toContain('max by (instance)');
    expect(() => PROMQL.cpuByNode({ nodeLabel: 'no de' })).toThrow(/nodeLabel 'no de'/);
  });

  it('parses durations and names a bad one', () => {
    expect(durationSeconds('step', '30s')).toBe(30);
    expect(durationSeconds('step', '2m')).toBe(120);
    expect(() => durationSeconds('step', 'half a minute')).toThrow(/step 'half a minute'/);
  });
});
