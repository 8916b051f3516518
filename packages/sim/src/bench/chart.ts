import type { SimResult, TimelinePoint } from '../simulator.js';

const COLORS: Record<string, string> = {
  static: '#9e9e9e',
  seed: '#e6550d',
  'cluster-autoscaler': '#d62728',
  // Told apart from seed's orange at a glance.
  karpenter: '#8c564b',
  smartscale: '#3182bd',
  'smartscale+predictive': '#756bb1',
  'smartscale+consolidation': '#17becf',
  'smartscale+consolidation+headroom': '#e377c2',
  oracle: '#31a354',
};

const W = 1000;
const H = 220;
// The right margin holds the legend: room for the longest policy name at 11 px.
const PAD = { left: 48, right: 230, top: 24, bottom: 28 };

/** Only the points where the value changes, so a week stays a small file. */
function steps(timeline: readonly TimelinePoint[], value: (p: TimelinePoint) => number) {
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

function panel(
  top: number,
  title: string,
  series: { name: string; color: string; points: [number, number][]; dash?: boolean }[],
  duration: number,
): string {
  const max = Math.max(1, ...series.flatMap((s) => s.points.map(([, v]) => v)));
  const x = (t: number) => PAD.left + (t / duration) * (W - PAD.left - PAD.right);
  const y = (v: number) => top + H - PAD.bottom - (v / max) * (H - PAD.top - PAD.bottom);
  const hours = duration / 3600;
  const tickEvery = hours > 48 ? 24 : hours > 12 ? 3 : 1;
  const ticks: string[] = [];
  for (let h = 0; h <= hours; h += tickEvery)
    ticks.push(
      `<text x="${x(h * 3600).toFixed(1)}" y="${top + H - 10}" font-size="10" text-anchor="middle">${h}h</text>`,
    );
  const yTicks = [0, Math.round(max / 2), max].map(
    (v) =>
      `<text x="${PAD.left - 6}" y="${y(v).toFixed(1)}" font-size="10" text-anchor="end" dominant-baseline="middle">${v}</text>` +
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#eee"/>`,
  );
  const lines = series.map((s, i) => {
    const d = s.points.map(([t, v]) => `${x(t).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const dash = s.dash ? ' stroke-dasharray="4 3"' : '';
    return (
      `<polyline fill="none" stroke="${s.color}" stroke-width="1.5"${dash} points="${d}"/>` +
      `<text x="${W - PAD.right + 8}" y="${top + PAD.top + 14 * i}" font-size="11" fill="${s.color}">${s.name}</text>`
    );
  });
  return [
    `<text x="${PAD.left}" y="${top + 14}" font-size="12" font-weight="bold">${title}</text>`,
    ...yTicks,
    ...ticks,
    ...lines,
  ].join('\n');
}

/**
 * An SVG of one trace: workers needed by demand and workers billed per
 * policy (top), Pending pods per policy (bottom).
 */
export function benchChart(
  trace: string,
  results: readonly SimResult[],
  podsPerNode: number,
): string {
  const first = results[0];
  if (!first) return '';
  const duration = first.timeline.length * 60;
  const demand = {
    name: 'demand (workers)',
    color: '#000',
    dash: true,
    points: steps(first.timeline, (p) => Math.ceil(p.replicas / podsPerNode)),
  };
  const nodes = results.map((r) => ({
    name: r.policy,
    color: COLORS[r.policy] ?? '#000',
    points: steps(r.timeline, (p) => p.nodes),
  }));
  const pending = results.map((r) => ({
    name: r.policy,
    color: COLORS[r.policy] ?? '#000',
    points: steps(r.timeline, (p) => p.pendingPods),
  }));
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${2 * H + 30}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${PAD.left}" y="16" font-size="14" font-weight="bold">${trace}</text>`,
    panel(
      20,
      'workers billed (booting, Ready, draining) vs workers the pods need',
      [demand, ...nodes],
      duration,
    ),
    panel(20 + H, 'Pending pods (sampled each minute)', pending, duration),
    '</svg>',
  ].join('\n');
}
