// page.evaluate runs in the browser: its callback is typed against the DOM.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  paretoPoints,
  simulatePolicies,
  traceCharts,
  traceFiles,
} from '../../src/bench/bench-runs.js';
import { POLICY_NAMES } from '../../src/policies/index.js';
import { loadTrace } from '../../src/trace.js';

// Every chart `npm run bench` writes (out/bench-<trace>.svg and
// out/pareto-<trace>.svg, for every trace), drawn by the bench's own code and
// rendered by Debian's headless Chromium; a screenshot of each lands in out/.
const repo = resolve(import.meta.dirname, '../../../..');
const out = join(repo, 'out');
const CHROMIUM = process.env.SMARTSCALE_CHROMIUM ?? '/usr/bin/chromium';

interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  mkdirSync(out, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});

/** Opens an SVG file in a fresh page and collects console errors. */
async function open(file: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(pathToFileURL(file).href);
  return { page, errors };
}

/** What every chart needs: the boxes of the svg, its texts and its ticks. */
async function layoutOf(page: Page) {
  return page.evaluate(() => {
    const box = (e: Element) => {
      const r = e.getBoundingClientRect();
      return { left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    };
    const svg = document.querySelector('svg');
    return {
      svg: svg ? box(svg) : null,
      texts: [...document.querySelectorAll('text')].map((e) => ({
        text: e.textContent ?? '',
        cls: e.getAttribute('class') ?? '',
        ...box(e),
      })),
      plots: [...document.querySelectorAll('.plot')].map((e) => ({
        panel: e.getAttribute('data-panel') ?? '',
        policy: e.getAttribute('data-policy') ?? '',
        ...box(e),
      })),
      series: [...document.querySelectorAll('.series')].map((e) => ({
        name: e.getAttribute('data-series') ?? '',
        policy: e.getAttribute('data-policy') ?? '',
        ...box(e),
      })),
      ticks: [...document.querySelectorAll('text.tick-y, text.tick-x, text.tick-time')].map(
        (e) => ({
          cls: e.getAttribute('class') ?? '',
          panel: e.getAttribute('data-panel') ?? '',
          text: e.textContent ?? '',
        }),
      ),
    };
  });
}

const inside = (inner: Box, outer: Box, slack = 1) =>
  inner.left >= outer.left - slack &&
  inner.right <= outer.right + slack &&
  inner.top >= outer.top - slack &&
  inner.bottom <= outer.bottom + slack;

/** Whether two boxes share more than a pixel each way. */
const overlap = (a: Box, b: Box) =>
  Math.min(a.right, b.right) - Math.max(a.left, b.left) > 1 &&
  Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 1;

/** Numeric tick labels ("1,200" included) in the order drawn. */
const values = (labels: readonly string[]) => labels.map((t) => Number(t.replace(/[,h]/g, '')));

/** 1, 2 or 5 times a power of ten. */
const decimalRound = (step: number) =>
  [1, 2, 5].includes(Number((step / 10 ** Math.floor(Math.log10(step))).toFixed(6)));
/** Hours that divide a day, or whole days. */
const hourRound = (step: number) => [1, 2, 3, 4, 6, 12].includes(step) || step % 24 === 0;

/** `least` to eight ticks, evenly spaced on a round step. */
function expectReadableTicks(
  what: string,
  labels: readonly string[],
  options: { least?: number; round?: (step: number) => boolean } = {},
) {
  const v = [...new Set(values(labels))].sort((a, b) => a - b);
  expect(v.length, `${what}: ${labels.join(' ')}`).toBeGreaterThanOrEqual(options.least ?? 5);
  expect(v.length, `${what}: ${labels.join(' ')}`).toBeLessThanOrEqual(8);
  expect(v.every(Number.isFinite), `${what}: numbers`).toBe(true);
  const step = (v[1] ?? 0) - (v[0] ?? 0);
  for (let i = 1; i < v.length; i++)
    expect((v[i] ?? 0) - (v[i - 1] ?? 0), `${what}: even steps`).toBeCloseTo(step, 6);
  expect((options.round ?? decimalRound)(step), `${what}: round step ${step}`).toBe(true);
}

describe.each(traceFiles().map((f) => [basename(f, '.csv'), f]))(
  'bench charts of %s in Chromium',
  (name, file) => {
    it('every chart has ticks with units, a legend inside the svg, series inside their plots and no console errors', async () => {
      const trace = loadTrace(file);
      const { results } = simulatePolicies(trace);
      const charts = traceCharts(trace, results, paretoPoints(trace, results));
      expect(charts.map((c) => c.file)).toEqual([`bench-${name}.svg`, `pareto-${name}.svg`]);

      for (const chart of charts) {
        const path = join(out, chart.file.replace('.svg', '.browser-check.svg'));
        writeFileSync(path, chart.svg);
        const { page, errors } = await open(path);
        const layout = await layoutOf(page);
        const svg = layout.svg;
        if (!svg) throw new Error(`${chart.file}: no svg element`);
        // Nothing clipped: every label, legend and title lies inside the svg.
        for (const t of layout.texts)
          expect(inside(t, svg), `${chart.file}: text '${t.text}' inside the svg`).toBe(true);
        const titles = layout.texts.filter((t) => t.cls === 'axis-title').map((t) => t.text);
        // Legend entries and point labels readable: none drawn over another.
        const legend = layout.texts.filter((t) => t.cls === 'legend');
        for (const [i, a] of legend.entries())
          for (const b of legend.slice(i + 1))
            expect(overlap(a, b), `${chart.file}: '${a.text}' clear of '${b.text}'`).toBe(false);

        if (chart.file.startsWith('bench-')) {
          // A row per policy: its workers plot and its pending plot.
          for (const panel of ['nodes', 'pods'])
            expect(layout.plots.filter((p) => p.panel === panel)).toHaveLength(results.length);
          for (const policy of POLICY_NAMES) expect(legend.map((t) => t.text)).toContain(policy);
          // Units in the axis titles; round ticks on both count axes and on time.
          expect(titles.some((t) => t.includes('(nodes)'))).toBe(true);
          expect(titles.some((t) => /^Pending pods \(pods/.test(t))).toBe(true);
          expect(titles.some((t) => t.includes('(hours'))).toBe(true);
          for (const panel of ['nodes', 'pods'])
            expectReadableTicks(
              `${chart.file} ${panel}`,
              layout.ticks.filter((t) => t.panel === panel).map((t) => t.text),
            );
          const hours = layout.ticks.filter((t) => t.cls === 'tick-time').map((t) => t.text);
          expect(hours[0]).toBe('0h');
          expect(hours.at(-1)).toBe(`${Math.floor((trace.points.length * 60) / 3600)}h`);
          expectReadableTicks(`${chart.file} time`, hours, { round: hourRound });
          // Each series inside its own row's plot; each workers line spans the trace.
          for (const s of layout.series) {
            const panel = s.name.startsWith('pending') ? 'pods' : 'nodes';
            const plot = layout.plots.find((p) => p.panel === panel && p.policy === s.policy);
            if (!plot) throw new Error(`${chart.file}: no ${panel} plot for ${s.policy}`);
            expect(inside(s, plot), `${chart.file}: ${s.name} of ${s.policy} inside its plot`).toBe(
              true,
            );
            if (s.name === 'nodes' || s.name === 'demand')
              expect((s.right - s.left) / (plot.right - plot.left)).toBeGreaterThanOrEqual(0.8);
          }
          expect(layout.series.filter((s) => s.name === 'nodes')).toHaveLength(results.length);
        } else {
          expect(titles.some((t) => t.includes('(hours)'))).toBe(true);
          expect(titles.some((t) => t.includes('(pods × seconds)'))).toBe(true);
          expectReadableTicks(
            `${chart.file} x`,
            layout.ticks.filter((t) => t.cls === 'tick-x').map((t) => t.text),
            { least: 4 },
          );
          expectReadableTicks(
            `${chart.file} y`,
            layout.ticks.filter((t) => t.cls === 'tick-y').map((t) => t.text),
            { least: 4 },
          );
          const plot = layout.plots[0];
          if (!plot) throw new Error(`${chart.file}: no plot area`);
          // Every policy but static, and the sweep's points.
          expect(layout.series.length).toBeGreaterThanOrEqual(POLICY_NAMES.length - 1);
          for (const s of layout.series)
            expect(inside(s, plot), `${chart.file}: point ${s.name} inside the plot`).toBe(true);
        }
        expect(errors, chart.file).toEqual([]);
        // An SVG document has no scrollable page for fullPage: size the viewport to it.
        await page.setViewportSize({
          width: Math.ceil(svg.right),
          height: Math.ceil(svg.bottom),
        });
        await page.screenshot({ path: join(out, chart.file.replace('.svg', '.png')) });
        await page.close();
      }
    }, 240_000);
  },
);
