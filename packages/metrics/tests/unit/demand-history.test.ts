import { describe, expect, it } from 'vitest';
import { PROMQL, toDemandPoints } from '../../src/index.ts';

const at = (iso: string) => new Date(iso);

describe('toDemandPoints', () => {
  it('stamps each slot peak at the slot centre, CPU in millicores, memory joined by time', () => {
    const cpu = [
      {
        metric: {},
        points: [
          { timestamp: at('2026-11-22T10:10:00Z'), value: 1.25 },
          { timestamp: at('2026-11-22T10:20:00Z'), value: 3 },
        ],
      },
    ];
    const memory = [
      { metric: {}, points: [{ timestamp: at('2026-11-22T10:20:00Z'), value: 2048 }] },
    ];
    expect(toDemandPoints(cpu, memory, 600)).toEqual([
      { at: '2026-11-22T10:05:00.000Z', cpuMillis: 1250, memoryBytes: 0 },
      { at: '2026-11-22T10:15:00.000Z', cpuMillis: 3000, memoryBytes: 2048 },
    ]);
  });

  it('gives no points when Prometheus has no series', () => {
    expect(toDemandPoints([], [], 600)).toEqual([]);
  });
});

describe('PROMQL.podRequestsPeak', () => {
  it('takes the peak of Pending and Running non-DaemonSet requests over the window', () => {
    const q = PROMQL.podRequestsPeak('cpu', '600s', '60s');
    expect(q).toMatch(/^max_over_time\(\(sum\(/);
    expect(q).toContain('resource="cpu"');
    expect(q).toContain('phase=~"Pending|Running"');
    expect(q).toContain('unless on (namespace, pod) kube_pod_owner{owner_kind="DaemonSet"}');
    expect(q).toMatch(/\[600s:60s\]\)$/);
    expect(() => PROMQL.podRequestsPeak('memory', '10 minutes')).toThrow(
      /not a Prometheus duration/,
    );
  });
});
