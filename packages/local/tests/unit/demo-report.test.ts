import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { countNodeStates } from '../../src/demo/node-states.js';
import {
  buildReport,
  countTicks,
  percentile,
  reportHtml,
  timelineSvg,
  timeTicks,
} from '../../src/demo/report.js';

const point = (t: number, pendingPods: number, readyNodes = 3) => ({
  t,
  desiredPods: 10,
  runningPods: 10 - pendingPods,
  pendingPods,
  readyNodes,
  joiningNodes: 0,
  drainingNodes: 0,
  spotNodes: 1,
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
    // Pods as three lines, nodes as three stacked areas (Ready, joining,
    // draining), and the same nodes as two stacked areas by capacity type
    // (on-demand, Spot; Spot was a dotted line over the states before).
    const svg = timelineSvg(report.timeline);
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg.match(/<polygon/g)).toHaveLength(5);
    expect(svg).toContain('data-series="on-demand"');
    expect(svg).toContain('data-series="Spot"');
    // Latencies in words, not field names.
    expect(html).toContain('launch → the new node is Ready');
    expect(html).not.toContain('pendingToLaunch');
  });

  it('puts the time axis on the run own window, on round clock times', () => {
    // 19:00 to 22:00: half-hour ticks from 19:00, never a 0h..22h day axis.
    expect(timeTicks(19 * 3600, 22 * 3600)).toEqual([
      68_400, 70_200, 72_000, 73_800, 75_600, 77_400, 79_200,
    ]);
    // A 7-minute run gets minute ticks inside it.
    expect(timeTicks(72_030, 72_450)).toEqual([
      72_060, 72_120, 72_180, 72_240, 72_300, 72_360, 72_420,
    ]);
    const svg = timelineSvg([point(68_400, 0), point(79_200, 0)]);
    expect(svg).toContain('>19:00<');
    expect(svg).toContain('>22:00<');
    expect(svg).not.toContain('>00:00<');
  });

  it('labels count axes with round steps up to at least the peak', () => {
    expect(countTicks(27)).toEqual([0, 5, 10, 15, 20, 25, 30]);
    expect(countTicks(9)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(countTicks(0)).toEqual([0, 1]);
    expect(countTicks(130)).toEqual([0, 50, 100, 150]);
  });

  it('counts a cordoned node as draining, not joining, even while it is still Ready', () => {
    const node = (ready: boolean, cordoned: boolean, spot = false): V1Node => ({
      metadata: { labels: { 'smartscale.io/capacity-type': spot ? 'spot' : 'on-demand' } },
      spec: { unschedulable: cordoned },
      status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
    });
    expect(
      countNodeStates([
        node(true, false),
        node(true, false, true),
        node(true, false),
        node(true, false),
        node(true, true, true),
      ]),
    ).toEqual({ ready: 4, joining: 0, draining: 1, spot: 2 });
    // A node registered but not Ready yet is joining; a NotReady cordoned one still leaves.
    expect(countNodeStates([node(false, false), node(false, true), {}])).toEqual({
      ready: 0,
      joining: 2,
      draining: 1,
      spot: 0,
    });
  });
});
