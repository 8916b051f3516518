import { describe, expect, it } from 'vitest';
import {
  deciderBenchSnapshot,
  deciderSizes,
  formatDeciderTable,
  measureDecider,
  PODS_PER_OWNER,
  parseCounts,
} from '../../src/bench/decider-bench.ts';

const NOW = new Date('2026-12-02T03:00:00.000Z');
const MiB = 2 ** 20;

describe('deciderBenchSnapshot', () => {
  it('gives each worker 30 pods of 100m / 128 MiB, owned in groups of 30, and cycles the pending shapes', () => {
    const s = deciderBenchSnapshot({ workers: 4, pending: 8 }, NOW);
    expect(s.nodes.map((n) => n.pods.length)).toEqual([30, 30, 30, 30]);
    const pods = s.nodes.flatMap((n) => n.pods);
    expect(new Set(pods.map((p) => `${p.cpuMillis}/${p.memoryBytes}`))).toEqual(
      new Set([`100/${128 * MiB}`]),
    );
    const perOwner = new Map<string, number>();
    for (const p of pods)
      perOwner.set(p.ownerName ?? '', (perOwner.get(p.ownerName ?? '') ?? 0) + 1);
    expect([...perOwner.values()]).toEqual([
      PODS_PER_OWNER,
      PODS_PER_OWNER,
      PODS_PER_OWNER,
      PODS_PER_OWNER,
    ]);
    expect(s.pendingPods.map((p) => p.cpuMillis)).toEqual([
      500, 1000, 250, 2000, 500, 1000, 250, 2000,
    ]);
    expect(s.pendingPods[1]?.nodeSelector).toEqual({ 'topology.kubernetes.io/zone': 'eu-west-1a' });
    expect(new Set(s.pendingPods.map((p) => p.name)).size).toBe(8);
  });

  it('names the bad size', () => {
    expect(() => deciderBenchSnapshot({ workers: 0, pending: 0 }, NOW)).toThrow(
      /^workers: .*got 0/,
    );
    expect(() => deciderBenchSnapshot({ workers: 2, pending: -1 }, NOW)).toThrow(
      /^pending: .*got -1/,
    );
  });
});

describe('measureDecider', () => {
  it('with nothing pending, decides a scale-down inline and times pickVictim', async () => {
    const m = await measureDecider({ workers: 10, pending: 0 }, { runs: 1, now: NOW });
    expect(m.claimCheck).toBe(false);
    expect(m.planner).toBe('pickVictim');
    expect(m.decision).toMatch(/^scale-down bench-node-\d+$/);
    expect(m.wireBytes).toBe(m.compactBytes);
  });

  it('sends a sample over the limit by claim and decides the same as inline', async () => {
    const size = { workers: 10, pending: 100 };
    const inline = await measureDecider(size, { runs: 1, now: NOW });
    const claimed = await measureDecider(size, { runs: 1, now: NOW, limitBytes: 1024 });
    expect(inline.claimCheck).toBe(false);
    expect(claimed.claimCheck).toBe(true);
    expect(claimed.wireBytes).toBeLessThan(1024);
    expect(claimed.compactBytes).toBeGreaterThan(1024);
    expect(claimed.planner).toBe('planScaleUp');
    expect(claimed.decision).toMatch(/^scale-up \d+$/);
    expect(claimed.decision).toBe(inline.decision);
  });

  it('refuses a bad run count, naming it', async () => {
    await expect(measureDecider({ workers: 1, pending: 0 }, { runs: 0 })).rejects.toThrow(
      /^runs: .*got 0/,
    );
  });
});

describe('the decider table and its options', () => {
  it('crosses workers with pending counts, in order', () => {
    expect(deciderSizes([100, 500], [0, 2000])).toEqual([
      { workers: 100, pending: 0 },
      { workers: 100, pending: 2000 },
      { workers: 500, pending: 0 },
      { workers: 500, pending: 2000 },
    ]);
  });

  it('parses counts and names the option and the bad part', () => {
    expect(parseCounts('decider-pending', '0, 2000,10000', 0)).toEqual([0, 2000, 10000]);
    expect(() => parseCounts('decider-workers', '100,lots', 1)).toThrow(
      "--decider-workers: 'lots' is not a whole number of at least 1",
    );
    expect(() => parseCounts('decider-workers', '0', 1)).toThrow(/--decider-workers: '0'/);
  });

  it('prints one line per size under the header, claim-checked rows saying so', () => {
    const row = {
      size: { workers: 1000, pending: 10000 },
      wireBytes: 700,
      compactBytes: 2_000_000,
      claimCheck: true,
      decodeMs: 120.4,
      evaluateMs: 1530.2,
      deciderMs: 1650.6,
      planner: 'planScaleUp' as const,
      planMs: 80.1,
      decision: 'scale-up 10',
      runs: 5,
    };
    const lines = formatDeciderTable([row]).split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/workers x 30 pods\s+pending\s+message\s+claim check/);
    expect(lines[1]).toContain('1953.1 KiB in S3');
    expect(lines[1]).toContain('yes (0.7 KiB sent)');
    expect(lines[1]).toContain('1.65 s');
    expect(lines[1]).toContain('80.1 ms');
  });
});
