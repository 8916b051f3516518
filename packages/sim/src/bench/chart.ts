import type { SimResult, TimelinePoint } from '../simulator.js';
import { countAxisTicks, hourAxisTicks } from './axis-ticks.js';

const COLORS: Record<string, string> = {
  // Dark, so the flat line stands out on the grey demand area.
  static: '#333333',
  seed: '#e6550d',
  'cluster-autoscaler': '#d62728',
  // Told apart from seed's orange at a glance.
  karpenter: '#8c564b',
  smartscale: '#3182bd',
  'smartscale+predictive': '#756bb1',
  'smartscale+consolidation': '#17a2b8',
  'smartscale+consolidation+headroom': '#d6409f',
  oracle: '#31a354',
};
const DEMAND = '#c7c7c7';

// Small multiples: one row per policy, its workers beside its pending pods,
// every row on the same scales. Nine policies drawn over each other on one
// axis hid each other (most follow the same steps most of the day); a row
// each shows where they differ, and the shared scales keep them comparable.
const W = 1000;
const LEFT = 56;
const COLUMN_GAP = 64;
const RIGHT = 20;
const PLOT_W = (W - LEFT - COLUMN_GAP - RIGHT) / 2;
const COLUMNS = [LEFT, LEFT + PLOT_W + COLUMN_GAP] as const;
const HEADER = 104;
const ROW = 112;
const ROW_LABEL = 20;
const PLOT_H = 84;
const FOOTER = 48;

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const f1 = (n: number) => n.toFixed(1);

/** Only the points where the value changes, drawn as steps, so a week stays a small file. */
function steps(
  timeline: readonly TimelinePoint[],
  value: (p: TimelinePoint) => number,
): [number, number][] {
  const out: [number, number][] = [];
  let last = Number.NaN;
  for (const p of timeline) {
    const v = value(p);
    if (v !== last) {
      if (out.length > 0) out.push([p.t, last]);
      out.push([p.t, v]);
      last = v;
    }
  }
  const end = timeline[timeline.length - 1];
  if (end) out.push([end.t + 60, last]);
  return out;
}

interface Panel {
  readonly x0: number;
  readonly y0: number;
  readonly ticks: readonly number[];
  readonly duration: number;
}

const px = (p: Panel, t: number) => p.x0 + (t / p.duration) * PLOT_W;
const py = (p: Panel, v: number) => p.y0 + PLOT_H - (v / (p.ticks.at(-1) ?? 1)) * PLOT_H;
const pointList = (p: Panel, points: readonly [number, number][]) =>
  points.map(([t, v]) => `${f1(px(p, t))},${f1(py(p, v))}`).join(' ');

/** The frame, grid and y ticks of one panel; `hourTicks` draw the time grid. */
function frame(p: Panel, kind: string, policy: string, hourTicks: readonly number[]): string[] {
  const out = [
    `<rect class="plot" data-panel="${kind}" data-policy="${escapeXml(policy)}" x="${p.x0}" y="${p.y0}" width="${PLOT_W}" height="${PLOT_H}" fill="#fcfcfc" stroke="#bbb"/>`,
  ];
  for (const h of hourTicks) {
    const x = f1(px(p, h * 3600));
    out.push(`<line x1="${x}" x2="${x}" y1="${p.y0}" y2="${p.y0 + PLOT_H}" stroke="#eee"/>`);
  }
  for (const v of p.ticks) {
    const y = f1(py(p, v));
    out.push(
      `<line x1="${p.x0}" x2="${p.x0 + PLOT_W}" y1="${y}" y2="${y}" stroke="#e6e6e6"/>`,
      `<text class="tick-y" data-panel="${kind}" x="${p.x0 - 5}" y="${y}" font-size="9" text-anchor="end" dominant-baseline="middle" fill="#444">${v}</text>`,
    );
  }
  return out;
}

/** Hour labels under the bottom row, and the time axis' title with its unit. */
function timeAxis(p: Panel, hourTicks: readonly number[]): string[] {
  const y = p.y0 + PLOT_H;
  const out = hourTicks.map(
    (h) =>
      `<line x1="${f1(px(p, h * 3600))}" x2="${f1(px(p, h * 3600))}" y1="${y}" y2="${y + 4}" stroke="#666"/>` +
      `<text class="tick-time" x="${f1(px(p, h * 3600))}" y="${y + 15}" font-size="10" text-anchor="middle">${h}h</text>`,
  );
  out.push(
    `<text class="axis-title" data-axis="time" x="${p.x0 + PLOT_W / 2}" y="${y + 32}" font-size="11" text-anchor="middle">trace time (hours from the start)</text>`,
  );
  return out;
}

/**
 * An SVG of one trace, a row per policy: on the left the workers it bills
 * (booting, Ready, draining) over the workers the pods need (grey), on the
 * right its Pending pods; every row on the same node and pod scales, with
 * hour ticks under the last row. Elements carry classes the browser check
 * reads: `plot`, `series`, `tick-y`, `tick-time`, `axis-title`, `legend`.
 */
export function benchChart(
  trace: string,
  results: readonly SimResult[],
  podsPerNode: number,
): string {
  const first = results[0];
  if (!first) return '';
  const duration = first.timeline.length * 60;
  const hourTicks = hourAxisTicks(duration / 3600);
  const demand = steps(first.timeline, (p) => Math.ceil(p.replicas / podsPerNode));
  const rows = results.map((r) => ({
    result: r,
    color: COLORS[r.policy] ?? '#000',
    nodes: steps(r.timeline, (p) => p.nodes),
    pending: steps(r.timeline, (p) => p.pendingPods),
  }));
  const peak = (pick: (row: (typeof rows)[number]) => [number, number][]) =>
    Math.max(0, ...rows.flatMap((row) => pick(row).map(([, v]) => v)));
  const nodeTicks = countAxisTicks(
    Math.max(
      peak((row) => row.nodes),
      ...demand.map(([, v]) => v),
    ),
  );
  const podTicks = countAxisTicks(peak((row) => row.pending));
  const height = HEADER + rows.length * ROW + FOOTER;
  const [left, right] = COLUMNS;

  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${left}" y="20" font-size="15" font-weight="bold">${escapeXml(trace)}: each policy on its own row, all rows on the same scales</text>`,
    // The key: what the grey area and the coloured line mean in every row.
    `<rect x="${left}" y="34" width="18" height="10" fill="${DEMAND}"/>`,
    `<text class="legend" x="${left + 24}" y="43" font-size="11">workers the pods need (demand ÷ ${podsPerNode} pods per worker)</text>`,
    `<line x1="${left + 340}" x2="${left + 362}" y1="39" y2="39" stroke="#333" stroke-width="2"/>`,
    `<text class="legend" x="${left + 368}" y="43" font-size="11">workers the policy bills (booting, Ready, draining), in the row's colour</text>`,
    `<text class="axis-title" data-axis="nodes" x="${left}" y="${HEADER - 14}" font-size="12" font-weight="bold">Workers (nodes)</text>`,
    `<text class="axis-title" data-axis="pods" x="${right}" y="${HEADER - 14}" font-size="12" font-weight="bold">Pending pods (pods, sampled each minute)</text>`,
  ];
  rows.forEach((row, i) => {
    const top = HEADER + i * ROW;
    const nodes: Panel = { x0: left, y0: top + ROW_LABEL, ticks: nodeTicks, duration };
    const pods: Panel = { x0: right, y0: top + ROW_LABEL, ticks: podTicks, duration };
    const m = row.result.metrics;
    const name = escapeXml(row.result.policy);
    out.push(
      `<text class="legend" data-policy="${name}" x="${left}" y="${top + 14}" font-size="12" font-weight="bold" fill="${row.color}">${name}</text>`,
      `<text class="legend" x="${right}" y="${top + 14}" font-size="11" fill="#444">${f1(m.node_hours)} node-hours · ${Math.round(m.pending_pod_seconds).toLocaleString('en-US')} pending pod-seconds</text>`,
      ...frame(nodes, 'nodes', row.result.policy, hourTicks),
      `<polygon class="series" data-series="demand" data-policy="${name}" fill="${DEMAND}" stroke="none" points="${f1(nodes.x0)},${f1(py(nodes, 0))} ${pointList(nodes, demand)} ${f1(px(nodes, duration))},${f1(py(nodes, 0))}"/>`,
      `<polyline class="series" data-series="nodes" data-policy="${name}" fill="none" stroke="${row.color}" stroke-width="1.6" points="${pointList(nodes, row.nodes)}"/>`,
      ...frame(pods, 'pods', row.result.policy, hourTicks),
      `<polygon class="series" data-series="pending-area" data-policy="${name}" fill="${row.color}" fill-opacity="0.25" stroke="none" points="${f1(pods.x0)},${f1(py(pods, 0))} ${pointList(pods, row.pending)} ${f1(px(pods, duration))},${f1(py(pods, 0))}"/>`,
      `<polyline class="series" data-series="pending" data-policy="${name}" fill="none" stroke="${row.color}" stroke-width="1.2" points="${pointList(pods, row.pending)}"/>`,
    );
    if (i === rows.length - 1)
      out.push(...timeAxis(nodes, hourTicks), ...timeAxis(pods, hourTicks));
  });
  out.push('</svg>');
  return out.join('\n');
}
