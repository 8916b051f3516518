// page.evaluate runs in the browser: its callback is typed against the DOM.
/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { benchChart } from '../../src/bench/chart.js';
import { podsPerNode, simOptions } from '../../src/model.js';
import { createPolicy, POLICY_NAMES } from '../../src/policies/index.js';
import { simulate } from '../../src/simulator.js';
import { loadTrace } from '../../src/trace.js';

// The bench chart as `npm run bench` writes it (out/bench-<trace>.svg), for
// the shared TechFlow day, rendered by Debian's headless Chromium.
const repo = resolve(import.meta.dirname, '../../../..');
const CHROMIUM = process.env.SMARTSCALE_CHROMIUM ?? '/usr/bin/chromium';

describe('bench chart in Chromium', () => {
  it('draws every policy across the whole trace inside its panel, with no console errors', async () => {
    const trace = loadTrace(join(repo, '..', 'shared', 'scenarios', 'techflow-day.csv'));
    const options = simOptions();
    const results = POLICY_NAMES.map((name) =>
      simulate(trace, createPolicy(name, trace, options), options),
    );
    const out = join(repo, 'out');
    mkdirSync(out, { recursive: true });
    const file = join(out, 'bench-techflow-day.browser-check.svg');
    writeFileSync(file, benchChart(trace.name, results, podsPerNode(options)));

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 500 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(pathToFileURL(file).href);
      const { svgWidth, lines, labels } = await page.evaluate(() => ({
        svgWidth: document.querySelector('svg')?.getBoundingClientRect().width ?? 0,
        lines: [...document.querySelectorAll('polyline')].map((e) => {
          const r = e.getBoundingClientRect();
          return { left: r.left, right: r.right };
        }),
        labels: [...document.querySelectorAll('text')].map((e) => e.textContent ?? ''),
      }));
      // Demand plus each policy in the workers panel, each policy again in the pending panel.
      expect(lines).toHaveLength(1 + 2 * results.length);
      const xs = lines.flatMap((l) => [l.left, l.right]);
      const plot = { left: Math.min(...xs), right: Math.max(...xs) };
      // Every workers line runs the whole day (a pending line is flat 0 where nothing waits).
      for (const l of lines.slice(0, 1 + results.length))
        expect((l.right - l.left) / (plot.right - plot.left)).toBeGreaterThanOrEqual(0.8);
      expect(plot.right - plot.left).toBeGreaterThanOrEqual(0.7 * svgWidth);
      // The day's hours on the time axis, from its start (0h) to its end (24h).
      expect(labels).toContain('0h');
      expect(labels).toContain('24h');
      for (const policy of POLICY_NAMES) expect(labels).toContain(policy);
      expect(errors).toEqual([]);
      await page.screenshot({ path: join(out, 'bench-techflow-day.png') });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
