import { countTicks } from '@smartscale/sim';

export { countTicks };

/** One row of the demo timeline, taken every few seconds of demo time. */
export interface TimelinePoint {
  /** Seconds into the trace (virtual time). */
  readonly t: number;
  readonly desiredPods: number;
  readonly runningPods: number;
  readonly pendingPods: number;
  readonly readyNodes: number;
  /** Registered, not Ready yet. */
  readonly joiningNodes: number;
  /** Cordoned and draining on the way out. */
  readonly drainingNodes: number;
  /** Workers on spot capacity, in any of the three states (the rest are on-demand). */
  readonly spotNodes: number;
  readonly cpu: number | null;
}

/** A decision as the timeline shows it. */
export interface TimelineDecision {
  readonly t: number;
  readonly kind: string;
  readonly summary: string;
  readonly reasons: readonly string[];
}

/** Reaction latencies measured during the demo, in seconds. */
export interface Latencies {
  readonly pendingToLaunch: readonly number[];
  readonly launchToReady: readonly number[];
  readonly pendingToRunning: readonly number[];
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
}

/**
 * Nearest-rank percentile; null for no samples.
 *
 * @example
 * percentile([1, 2, 3, 4], 0.5) // 2
 */
export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] ?? null;
}

export function summarize(values: readonly number[]): Percentiles {
  return { count: values.length, p50: percentile(values, 0.5), p95: percentile(values, 0.95) };
}

export interface DemoReport {
  readonly trace: string;
  readonly speedup: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly timeline: readonly TimelinePoint[];
  readonly decisions: readonly TimelineDecision[];
  readonly latencies: {
    readonly pendingToLaunch: Percentiles;
    readonly launchToReady: Percentiles;
    readonly pendingToRunning: Percentiles;
  };
  readonly totals: {
    readonly scaleUps: number;
    readonly scaleDowns: number;
    readonly maxNodes: number;
    readonly pendingPodSeconds: number;
  };
}

/** Builds the report's numbers from what the demo recorded. */
export function buildReport(input: {
  trace: string;
  speedup: number;
  startedAt: Date;
  finishedAt: Date;
  timeline: readonly TimelinePoint[];
  decisions: readonly TimelineDecision[];
  latencies: Latencies;
}): DemoReport {
  let pendingPodSeconds = 0;
  for (let i = 1; i < input.timeline.length; i++) {
    const prev = input.timeline[i - 1] as TimelinePoint;
    const cur = input.timeline[i] as TimelinePoint;
    pendingPodSeconds += prev.pendingPods * (cur.t - prev.t);
  }
  return {
    trace: input.trace,
    speedup: input.speedup,
    startedAt: input.startedAt.toISOString(),
    finishedAt: input.finishedAt.toISOString(),
    timeline: input.timeline,
    decisions: input.decisions,
    latencies: {
      pendingToLaunch: summarize(input.latencies.pendingToLaunch),
      launchToReady: summarize(input.latencies.launchToReady),
      pendingToRunning: summarize(input.latencies.pendingToRunning),
    },
    totals: {
      scaleUps: input.decisions.filter((d) => d.kind === 'scale-up').length,
      scaleDowns: input.decisions.filter((d) => d.kind === 'scale-down').length,
      maxNodes: Math.max(0, ...input.timeline.map((p) => p.readyNodes)),
      pendingPodSeconds: Math.round(pendingPodSeconds),
    },
  };
}

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Trace seconds as the clock time of the trace day, e.g. 72000 -> "20:00". */
export function clockTime(t: number): string {
  const day = ((Math.round(t) % 86_400) + 86_400) % 86_400;
  return `${String(Math.floor(day / 3600)).padStart(2, '0')}:${String(Math.floor(day / 60) % 60).padStart(2, '0')}`;
}

const TIME_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600];

/**
 * Time ticks inside [from, to] on a round clock step, at most about eight,
 * so the axis reads the run's own window (19:00 .. 22:00), not the day.
 *
 * @example
 * timeTicks(68_400, 79_200) // [68400, 70200, 72000, 73800, 75600, 77400, 79200]
 */
export function timeTicks(from: number, to: number): number[] {
  const span = Math.max(1, to - from);
  const step = TIME_STEPS.find((s) => span / s <= 8) ?? 86_400;
  const ticks: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) ticks.push(t);
  return ticks;
}

interface Series {
  readonly label: string;
  readonly color: string;
  readonly pick: (p: TimelinePoint) => number;
  readonly dashed?: boolean;
}

const PODS: readonly Series[] = [
  { label: 'desired pods', color: '#1f77b4', pick: (p) => p.desiredPods },
  { label: 'running pods', color: '#2ca02c', pick: (p) => p.runningPods, dashed: true },
  { label: 'pending pods', color: '#d62728', pick: (p) => p.pendingPods },
];

// Stacked bottom to top: the capacity pods can use, then what is on its way in and out.
const NODES: readonly Series[] = [
  { label: 'Ready', color: '#2ca02c', pick: (p) => p.readyNodes },
  { label: 'joining', color: '#ff7f0e', pick: (p) => p.joiningNodes },
  { label: 'draining', color: '#9467bd', pick: (p) => p.drainingNodes },
];

const workers = (p: TimelinePoint) => p.readyNodes + p.joiningNodes + p.drainingNodes;

// The same workers by how they are bought, stacked: on-demand below, Spot
// above, so the panel's top edge is the whole fleet of the panel above.
const CAPACITY: readonly Series[] = [
  {
    label: 'on-demand',
    color: '#3a5a98',
    pick: (p) => Math.max(0, workers(p) - Math.min(p.spotNodes, workers(p))),
  },
  { label: 'Spot', color: '#17becf', pick: (p) => Math.min(p.spotNodes, workers(p)) },
];

/**
 * The report's chart: pods (desired, running, pending), nodes by state
 * (Ready, joining, draining, stacked) and the same nodes by capacity type
 * (on-demand, Spot, stacked) in three panels on one time axis that spans the
 * run's first to last sample, each with its own count scale and legend, and
 * a marker per decision (▲ scale-up, ▼ scale-down). Elements carry classes
 * the browser check reads: `plot`, `series`, `legend`, `tick-time`, `decision`.
 */
export function timelineSvg(
  timeline: readonly TimelinePoint[],
  decisions: readonly TimelineDecision[] = [],
  width = 960,
): string {
  const left = 64;
  const right = 24;
  const panelHeight = 220;
  const gap = 70;
  const top = 40;
  const plotWidth = width - left - right;
  const from = timeline[0]?.t ?? 0;
  const to = Math.max(from + 1, timeline.at(-1)?.t ?? from + 1);
  const x = (t: number) => left + (plotWidth * (t - from)) / (to - from);
  const ticks = timeTicks(from, to);

  const panel = (
    index: number,
    id: string,
    title: string,
    unit: string,
    series: readonly Series[],
    stacked: boolean,
  ) => {
    const y0 = top + index * (panelHeight + gap);
    const peak = Math.max(
      1,
      ...timeline.map((p) =>
        stacked
          ? series.reduce((a, s) => a + s.pick(p), 0)
          : Math.max(...series.map((s) => s.pick(p))),
      ),
    );
    const yTicks = countTicks(peak);
    const yMax = yTicks.at(-1) ?? 1;
    const y = (v: number) => y0 + panelHeight - (panelHeight * v) / yMax;
    const out: string[] = [];
    out.push(
      `<text x="${left}" y="${y0 - 12}" font-size="14" font-weight="bold">${escapeHtml(title)}</text>`,
    );
    out.push(
      `<rect class="plot" data-panel="${escapeHtml(id)}" x="${left}" y="${y0}" width="${plotWidth}" height="${panelHeight}" fill="#fafafa" stroke="#999"/>`,
    );
    for (const v of yTicks) {
      out.push(
        `<line x1="${left}" x2="${left + plotWidth}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e3e3e3"/>`,
        `<text class="tick-y" x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" font-size="11" text-anchor="end">${v}</text>`,
      );
    }
    out.push(
      `<text x="16" y="${y0 + panelHeight / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 16 ${y0 + panelHeight / 2})">${escapeHtml(unit)}</text>`,
    );
    for (const t of ticks) {
      out.push(
        `<line x1="${x(t).toFixed(1)}" x2="${x(t).toFixed(1)}" y1="${y0 + panelHeight}" y2="${y0 + panelHeight + 5}" stroke="#666"/>`,
        `<text class="tick-time" data-t="${t}" x="${x(t).toFixed(1)}" y="${y0 + panelHeight + 18}" font-size="11" text-anchor="middle">${clockTime(t)}</text>`,
      );
    }
    out.push(
      `<text x="${left + plotWidth / 2}" y="${y0 + panelHeight + 34}" font-size="12" text-anchor="middle">trace time (hh:mm)</text>`,
    );
    const base = timeline.map(() => 0);
    series.forEach((s, i) => {
      const values = timeline.map((p) => s.pick(p));
      if (stacked) {
        const lower = [...base];
        const upper = values.map((v, k) => (lower[k] ?? 0) + v);
        upper.forEach((v, k) => {
          base[k] = v;
        });
        const edge = (vals: number[]) =>
          timeline.flatMap((p, k) => {
            const next = timeline[k + 1];
            const v = y(vals[k] ?? 0).toFixed(1);
            // Steps, not slopes: a node count changes at an instant.
            return next
              ? [`${x(p.t).toFixed(1)},${v}`, `${x(next.t).toFixed(1)},${v}`]
              : [`${x(p.t).toFixed(1)},${v}`];
          });
        const points = [...edge(upper), ...edge(lower).reverse()].join(' ');
        out.push(
          `<polygon class="series" data-panel="${escapeHtml(id)}" data-series="${escapeHtml(s.label)}" fill="${s.color}" fill-opacity="0.75" stroke="none" points="${points}"><title>${escapeHtml(s.label)} nodes</title></polygon>`,
        );
      } else {
        out.push(
          `<polyline class="series" data-panel="${escapeHtml(id)}" data-series="${escapeHtml(s.label)}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6 3"' : ''} points="${timeline.map((p) => `${x(p.t).toFixed(1)},${y(s.pick(p)).toFixed(1)}`).join(' ')}"><title>${escapeHtml(s.label)}</title></polyline>`,
        );
      }
      out.push(
        `<text class="legend" data-panel="${escapeHtml(id)}" data-series="${escapeHtml(s.label)}" x="${left + 24 + title.length * 9 + i * 130}" y="${y0 - 12}" font-size="12" fill="${s.color}">${s.dashed ? '┅' : '■'} ${escapeHtml(s.label)}</text>`,
      );
    });
    for (const d of decisions) {
      if (d.t < from || d.t > to) continue;
      const dx = x(d.t).toFixed(1);
      const up = d.kind === 'scale-up';
      const down = d.kind === 'scale-down';
      const color = up ? '#1f77b4' : down ? '#9467bd' : '#555';
      out.push(
        `<g class="decision" data-t="${d.t}" data-kind="${escapeHtml(d.kind)}"><line x1="${dx}" x2="${dx}" y1="${y0}" y2="${y0 + panelHeight}" stroke="${color}" stroke-dasharray="3 3"/><text x="${dx}" y="${y0 + 12}" font-size="12" text-anchor="middle" fill="${color}">${up ? '▲' : down ? '▼' : '●'}</text><title>${clockTime(d.t)} ${escapeHtml(d.kind)}: ${escapeHtml(d.reasons.join(', '))}</title></g>`,
      );
    }
    return out.join('');
  };

  const height = top + 3 * panelHeight + 2 * gap + 50;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">${panel(0, 'pods', 'Pods', 'pods', PODS, false)}${panel(1, 'nodes', 'Worker nodes by state', 'nodes', NODES, true)}${panel(2, 'capacity', 'Worker nodes by capacity type', 'nodes', CAPACITY, true)}</svg>`;
}

/** The latencies in the order people read a scale-up, in words. */
export const LATENCY_MEASURES = [
  ['pendingToLaunch', 'a pod goes pending → SmartScale requests a launch'],
  ['launchToReady', 'launch → the new node is Ready'],
  ['pendingToRunning', 'a pod goes pending → it runs'],
] as const;

const fmt = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} s`);

/** The report as a self-contained HTML page. */
export function reportHtml(report: DemoReport): string {
  const rows = LATENCY_MEASURES.map(
    ([k, words]) =>
      `<tr><td>${words}</td><td>${report.latencies[k].count}</td><td>${fmt(report.latencies[k].p50)}</td><td>${fmt(report.latencies[k].p95)}</td></tr>`,
  ).join('');
  const decisions = report.decisions
    .map(
      (d) =>
        `<tr><td>${clockTime(d.t)}</td><td>${escapeHtml(d.kind)}</td><td>${escapeHtml(d.summary)}</td><td>${escapeHtml(d.reasons.join('; '))}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>SmartScale demo: ${escapeHtml(report.trace)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>
<h1>SmartScale demo: ${escapeHtml(report.trace)}</h1>
<p>${escapeHtml(report.startedAt)} to ${escapeHtml(report.finishedAt)}, trace time compressed ${report.speedup}×. Scale-ups ${report.totals.scaleUps}, scale-downs ${report.totals.scaleDowns}, max Ready nodes ${report.totals.maxNodes}, pending pod-seconds (trace time) ${report.totals.pendingPodSeconds}.</p>
${timelineSvg(report.timeline, report.decisions)}
<h2>Reaction latencies (wall clock)</h2><table><tr><th>from → to</th><th>samples</th><th>p50</th><th>p95</th></tr>${rows}</table>
<h2>Decisions</h2><table><tr><th>trace time</th><th>kind</th><th>summary</th><th>reasons</th></tr>${decisions}</table>
</body></html>`;
}
