import type { AnyEnvelope, PendingPod } from '@smartscale/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SamplerPorts } from '../../take-snapshot.js';
import { assertClusterId, startWatch, watchSettingsFromEnv } from '../../watch-mode.js';

describe('watchSettingsFromEnv', () => {
  it('defaults to a 1 s interval and a 10 s grace', () => {
    expect(watchSettingsFromEnv({})).toEqual({ intervalMs: 1000, graceMs: 10_000 });
    expect(
      watchSettingsFromEnv({ SMARTSCALE_WATCH_INTERVAL_MS: ' ', SMARTSCALE_WATCH_GRACE_MS: '' }),
    ).toEqual({ intervalMs: 1000, graceMs: 10_000 });
  });

  it('reads whole milliseconds; a zero grace samples at first sight', () => {
    expect(
      watchSettingsFromEnv({ SMARTSCALE_WATCH_INTERVAL_MS: '250', SMARTSCALE_WATCH_GRACE_MS: '0' }),
    ).toEqual({ intervalMs: 250, graceMs: 0 });
  });

  it.each([
    ['SMARTSCALE_WATCH_INTERVAL_MS', '1s', 'at least 1'],
    ['SMARTSCALE_WATCH_INTERVAL_MS', '0', 'at least 1'],
    ['SMARTSCALE_WATCH_INTERVAL_MS', '2.5', 'at least 1'],
    ['SMARTSCALE_WATCH_GRACE_MS', '-1', 'at least 0'],
    ['SMARTSCALE_WATCH_GRACE_MS', 'ten', 'at least 0'],
  ])('refuses %s=%s naming the variable and what is expected', (name, value, bound) => {
    expect(() => watchSettingsFromEnv({ [name]: value })).toThrow(
      `${name} is '${value}': expected a whole number of milliseconds, ${bound}`,
    );
  });
});

describe('startWatch', () => {
  afterEach(() => vi.useRealTimers());

  const now = new Date('2026-11-22T12:00:00.000Z');
  const pod = (name: string, waitedMs: number): PendingPod => ({
    namespace: 'shop',
    name,
    cpuMillis: 500,
    memoryBytes: 2 ** 28,
    pendingSince: new Date(now.getTime() - waitedMs).toISOString(),
  });

  function ports(pending: () => Promise<PendingPod[]>, published: AnyEnvelope[]): SamplerPorts {
    return {
      clusterId: 'c1',
      now: () => now,
      listNodes: async () => [],
      listPendingPods: pending,
      readUtilization: async () => ({ available: false, reason: 'not needed here' }),
      publish: async (m) => {
        published.push(m);
      },
    };
  }

  it('publishes once per pod that waited out the grace, and stops', async () => {
    vi.useFakeTimers();
    const published: AnyEnvelope[] = [];
    const stop = startWatch(
      ports(async () => [pod('web-1', 12_000), pod('web-2', 3_000)], published),
      { intervalMs: 1000, graceMs: 10_000 },
      () => {},
    );
    await vi.advanceTimersByTimeAsync(3000);
    await stop();
    expect(published.map((m) => m.type)).toEqual(['MetricsSampled']);
    // The sample carries every pending pod, not only the one that triggered it.
    expect(published[0]?.payload).toMatchObject({
      pendingPods: [{ name: 'web-1' }, { name: 'web-2' }],
    });
  });

  it('a failed publish leaves the pods unseen: the next tick samples them again', async () => {
    vi.useFakeTimers();
    const published: AnyEnvelope[] = [];
    const lines: string[] = [];
    let attempts = 0;
    const base = ports(async () => [pod('web-1', 12_000)], published);
    const stop = startWatch(
      {
        ...base,
        publish: async (m) => {
          attempts += 1;
          // SNS refuses the first (as it did a sample over 256 KB); the second goes through.
          if (attempts === 1) throw new Error('Invalid parameter: Message too long');
          await base.publish(m);
        },
      },
      { intervalMs: 1000, graceMs: 10_000 },
      (line) => lines.push(line),
    );
    await vi.advanceTimersByTimeAsync(3000);
    await stop();
    expect(lines).toEqual(['sampler watch: Invalid parameter: Message too long']);
    // Retried on the next tick, then seen: one sample, no more.
    expect(attempts).toBe(2);
    expect(published).toHaveLength(1);
  });

  it('logs a failed tick by its message, prefixed, and keeps watching', async () => {
    vi.useFakeTimers();
    const lines: string[] = [];
    let calls = 0;
    const stop = startWatch(
      ports(async () => {
        calls += 1;
        throw new Error('connect ECONNREFUSED 10.43.0.1:443');
      }, []),
      { intervalMs: 1000, graceMs: 0 },
      (line) => lines.push(line),
    );
    await vi.advanceTimersByTimeAsync(2000);
    await stop();
    expect(calls).toBe(2);
    expect(lines).toEqual([
      'sampler watch: connect ECONNREFUSED 10.43.0.1:443',
      'sampler watch: connect ECONNREFUSED 10.43.0.1:443',
    ]);
  });
});

describe('assertClusterId', () => {
  it('accepts the same id, or none declared', () => {
    expect(() => assertClusterId({ SMARTSCALE_CLUSTER_ID: 'prod-eu' }, 'prod-eu')).not.toThrow();
    expect(() => assertClusterId({}, 'prod-eu')).not.toThrow();
  });

  it('refuses a different id, naming both', () => {
    expect(() => assertClusterId({ SMARTSCALE_CLUSTER_ID: 'prod-us' }, 'prod-eu')).toThrow(
      "SMARTSCALE_CLUSTER_ID is 'prod-us' but SMARTSCALE_RESOURCES is for cluster 'prod-eu'",
    );
  });
});
