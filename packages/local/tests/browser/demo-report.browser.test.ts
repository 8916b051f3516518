// page.evaluate runs in the browser: its callback is typed against the DOM.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildReport,
  reportHtml,
  type TimelineDecision,
  type TimelinePoint,
} from '../../src/demo/report.ts';
import { REPO_ROOT } from '../../src/env.ts';

// The demo report as people see it: rendered by a real Chromium (Debian's
// package, installed by scripts/bootstrap.mjs), not read as a string.
const CHROMIUM = process.env.SMARTSCALE_CHROMIUM ?? '/usr/bin/chromium';
const outDir = join(REPO_ROOT, 'out');

// A TechFlow evening as the demo records it (19:00-22:00, a point every
// 30 s of trace time): the 20:00 sale brings 26 pods, 3 workers join, and
// after the sale ends two of them are drained one at a time.
function techflowEvening(): { timeline: TimelinePoint[]; decisions: TimelineDecision[] } {
  const timeline: TimelinePoint[] = [];
  for (let t = 19 * 3600; t <= 22 * 3600; t += 30) {
    const sale = t >= 20 * 3600 && t < 21 * 3600;
    const desired = sale ? 26 : 14;
    const joining = t >= 20 * 3600 + 240 && t < 20 * 3600 + 330 ? 3 : 0;
    const grown = t >= 20 * 3600 + 330;
    const draining =
      (t >= 21 * 3600 + 900 && t < 21 * 3600 + 1020) ||
      (t >= 21 * 3600 + 1800 && t < 21 * 3600 + 1920)
        ? 1
        : 0;
    const removed = (t >= 21 * 3600 + 1020 ? 1 : 0) + (t >= 21 * 3600 + 1920 ? 1 : 0);
    const ready = 6 + (grown ? 3 : 0) - removed - draining;
    const pending = sale && !grown ? 8 : 0;
    timeline.push({
      t,
      desiredPods: desired,
      runningPods: desired - pending,
      pendingPods: pending,
      readyNodes: ready,
      joiningNodes: joining,
      drainingNodes: draining,
      // Two of the three sale workers are spot, like the provisioner's mix.
      spotNodes: 2 + (grown ? 2 : 0) + (joining > 0 ? 2 : 0) - removed,
      cpu: sale ? 0.62 : 0.35,
    });
  }
  const decisions: TimelineDecision[] = [
    { t: 20 * 3600 + 240, kind: 'scale-up', summary: 'scale-up', reasons: ['pending-pods'] },
    { t: 21 * 3600 + 900, kind: 'scale-down', summary: 'scale-down', reasons: ['cpu-low'] },
    { t: 21 * 3600 + 1800, kind: 'scale-down', summary: 'scale-down', reasons: ['cpu-low'] },
  ];
  return { timeline, decisions };
}

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});

describe('demo report in Chromium', () => {
  it('draws the run window on the time axis, every series and decision inside the plots, with no console errors', async () => {
    const { timeline, decisions } = techflowEvening();
    const report = buildReport({
      trace: 'techflow-day',
      speedup: 60,
      startedAt: new Date('2026-12-01T19:00:00Z'),
      finishedAt: new Date('2026-12-01T19:03:00Z'),
      timeline,
      decisions,
      latencies: {
        pendingToLaunch: [0.4, 0.5, 1.8],
        launchToReady: [2.1, 2.2],
        pendingToRunning: [3.2, 4.5],
      },
    });
    mkdirSync(outDir, { recursive: true });
    const file = join(outDir, 'demo-report.browser-check.html');
    writeFileSync(file, reportHtml(report));

    const page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pathToFileURL(file).href);

    const layout = await page.evaluate(() => {
      const box = (e: Element) => {
        const r = e.getBoundingClientRect();
        return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
      };
      return {
        plots: [...document.querySelectorAll('rect.plot')].map((e) => ({
          panel: e.getAttribute('data-panel'),
          ...box(e),
        })),
        series: [...document.querySelectorAll('.series')].map((e) => ({
          name: e.getAttribute('data-series'),
          panel: e.getAttribute('data-panel'),
          fill: e.getAttribute('fill'),
          ...box(e),
        })),
        legend: [...document.querySelectorAll('text.legend')].map((e) => ({
          panel: e.getAttribute('data-panel'),
          text: e.textContent ?? '',
          ...box(e),
        })),
        svg: box(document.querySelector('svg') as Element),
        timeTicks: [...document.querySelectorAll('text.tick-time')].map((e) => e.textContent),
        yTicks: [...document.querySelectorAll('text.tick-y')].map((e) => Number(e.textContent)),
        decisions: [...document.querySelectorAll('g.decision line')].map(box),
        latencyRows: [...document.querySelectorAll('table')][0]?.textContent ?? '',
      };
    });

    expect(layout.plots.map((p) => p.panel)).toEqual(['pods', 'nodes', 'capacity']);
    // The axis is the run's 19:00-22:00, not the day's 0h-22h.
    expect(layout.timeTicks[0]).toBe('19:00');
    expect(layout.timeTicks.at(-1)).toBe('22:00');
    expect(layout.timeTicks).not.toContain('00:00');
    // Both count axes have numbers up to at least their peak (26 pods, 9 nodes).
    expect(Math.max(...layout.yTicks)).toBeGreaterThanOrEqual(26);
    expect(layout.yTicks.filter((v) => v > 0).length).toBeGreaterThanOrEqual(6);
    const pods = layout.plots[0];
    if (!pods) throw new Error('no pods plot');
    const width = pods.right - pods.left;
    // Three pod lines, three stacked node areas by state and two by capacity
    // type, each across at least 80 % of the plot's width (the old chart used
    // its right seventh).
    expect(layout.series).toHaveLength(8);
    for (const s of layout.series)
      expect((s.right - s.left) / width, `${s.name} spans the axis`).toBeGreaterThanOrEqual(0.8);
    for (const d of layout.decisions) {
      const inside = layout.plots.some(
        (p) =>
          d.left >= p.left && d.right <= p.right && d.top >= p.top - 1 && d.bottom <= p.bottom + 1,
      );
      expect(inside, `decision marker at x=${d.left}`).toBe(true);
    }
    expect(layout.decisions).toHaveLength(layout.plots.length * decisions.length);
    // Spot and on-demand workers as two stacked areas in colours of their own,
    // named in the panel's legend, which the svg does not clip.
    const capacity = layout.series.filter((s) => s.panel === 'capacity');
    expect(capacity.map((s) => s.name)).toEqual(['on-demand', 'Spot']);
    expect(new Set(capacity.map((s) => s.fill)).size).toBe(2);
    expect(layout.legend.filter((l) => l.panel === 'capacity').map((l) => l.text.slice(2))).toEqual(
      ['on-demand', 'Spot'],
    );
    for (const l of layout.legend)
      expect(
        l.left >= layout.svg.left && l.right <= layout.svg.right && l.top >= layout.svg.top,
        `legend '${l.text}' inside the svg`,
      ).toBe(true);
    // Both node panels stack the same workers on the same scale, so their
    // tops reach the same height (9 at the sale's peak); Spot alone is lower.
    const topOf = (panel: string) => {
      const plot = layout.plots.find((p) => p.panel === panel);
      const tops = layout.series.filter((s) => s.panel === panel).map((s) => s.top);
      if (!plot) throw new Error(`no ${panel} plot`);
      return (plot.bottom - Math.min(...tops)) / (plot.bottom - plot.top);
    };
    expect(topOf('capacity')).toBeCloseTo(topOf('nodes'), 2);
    // Spot sits on top of on-demand: 2 to 4 of the evening's workers are Spot,
    // so the on-demand area stops below the fleet's top.
    const [onDemand, spot] = capacity;
    if (!onDemand || !spot) throw new Error('no capacity areas');
    expect(onDemand.top).toBeGreaterThan(spot.top + 10);
    expect(layout.latencyRows).toContain('launch → the new node is Ready');
    expect(layout.latencyRows).not.toContain('pendingToLaunch');
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(outDir, 'demo-report.png'), fullPage: true });
    await page.close();
  });
});
