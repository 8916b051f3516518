import { describe, expect, it } from 'vitest';
import { buildReport, percentile, reportHtml, timelineSvg } from '../../src/demo/report.js';

const point = (t: number, pendingPods: number, readyNodes = 3) => ({
  t,
  desiredPods: 10,
  runningPods: 10 - pendingPods,
  pendingPods,
  readyNodes,
  joiningNodes: 0,
  cpu: 0.5,
});

describe('demo report', () => {
  it('computes nearest-rank percentiles', () => {
    expect(percentile([], 0.5)).toBeNull();
    expect(percentile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        0.95,
      ),
    ).toBe(95);
  });

  it('sums pending pod-seconds and counts decisions', () => {
    const report = buildReport({
      trace: 't.csv',
      speedup: 60,
      startedAt: new Date(0),
      finishedAt: new Date(1000),
      timeline: [point(0, 4), point(60, 2, 5), point(120, 0, 6)],
      decisions: [{ t: 10, kind: 'scale-up', summary: 'scale up by 2', reasons: ['pending-pods'] }],
      latencies: { pendingToLaunch: [2, 4], launchToReady: [], pendingToRunning: [10] },
    });
    expect(report.totals).toEqual({
      scaleUps: 1,
      scaleDowns: 0,
      maxNodes: 6,
      pendingPodSeconds: 360,
    });
    expect(report.latencies.pendingToLaunch).toEqual({ count: 2, p50: 2, p95: 4 });
    expect(report.latencies.launchToReady.p50).toBeNull();
  });

  it('renders an HTML page with the chart and escapes text', () => {
    const report = buildReport({
      trace: '<sale>.csv',
      speedup: 60,
      startedAt: new Date(0),
      finishedAt: new Date(1),
      timeline: [point(0, 1), point(3600, 0)],
      decisions: [],
      latencies: { pendingToLaunch: [], launchToReady: [], pendingToRunning: [] },
    });
    const html = reportHtml(report);
    expect(html).toContain('&lt;sale&gt;.csv');
    expect(html).toContain('<svg');
    expect(timelineSvg(report.timeline).match(/<polyline/g)).toHaveLength(3);
  });
});
