import { rangeAxisTicks } from './axis-ticks.js';

/** One policy or knob setting on the node-hours / pending pod-seconds plane. */
export interface ParetoPoint {
  readonly label: string;
  readonly nodeHours: number;
  readonly pendingPodSeconds: number;
  /**
   * `policy`: a row of the bench table; `sweep`: SmartScale with one knob
   * moved; `bound`: the oracle, drawn for reference but never on the frontier
   * (it knows the future, so it would dominate every real policy).
   */
  readonly kind: 'policy' | 'sweep' | 'bound';
}

/** Real policies no other real policy beats on both figures (ties on both keep every copy). */
export function paretoFrontier(all: readonly ParetoPoint[]): ParetoPoint[] {
  const points = all.filter((p) => p.kind !== 'bound');
  return points
    .filter(
      (p) =>
        !points.some(
          (q) =>
            q.nodeHours <= p.nodeHours &&
            q.pendingPodSeconds <= p.pendingPodSeconds &&
            (q.nodeHours < p.nodeHours || q.pendingPodSeconds < p.pendingPodSeconds),
        ),
    )
    .sort((a, b) => a.nodeHours - b.nodeHours);
}

const W = 900;
const H = 460;
// The right margin holds the labels of points too close together to be
// labelled in place, each joined to its point by a thin line.
const PAD = { left: 70, right: 250, top: 40, bottom: 50 };
const PLOT_RIGHT = W - PAD.right;
const COLUMN_X = PLOT_RIGHT + 16;
const INSET = 10;
const LINE = 13;
const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

/** About how wide a label is at 11 px (DejaVu Sans, Debian's default sans-serif, stays under 7 px a character). */
const labelWidth = (text: string, bold: boolean) => text.length * (bold ? 7.6 : 7);

interface Placed {
  readonly point: ParetoPoint;
  readonly cx: number;
  readonly cy: number;
  /** Left end and baseline of the label. */
  readonly lx: number;
  readonly ly: number;
  /** Whether the label sits in the right-hand column, away from its point. */
  readonly inColumn: boolean;
}

/**
 * Where each point's label goes: beside its point (right, else left) when
 * that covers no other label or marker; otherwise in the column right of the
 * plot, at its point's height as near as the labels above allow, so every
 * label stays readable however close the points are.
 */
function placeLabels(
  items: readonly { point: ParetoPoint; cx: number; cy: number }[],
  highlight: string,
): Placed[] {
  type Box = { left: number; right: number; top: number; bottom: number };
  const hit = (a: Box, b: Box) =>
    a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  const markers: Box[] = items.map((m) => ({
    left: m.cx - 7,
    right: m.cx + 7,
    top: m.cy - 7,
    bottom: m.cy + 7,
  }));
  const taken: Box[] = [];
  const out: Placed[] = [];
  const column: { point: ParetoPoint; cx: number; cy: number }[] = [];
  for (const item of [...items].sort((a, b) => a.cy - b.cy || a.cx - b.cx)) {
    const width = labelWidth(item.point.label, item.point.label === highlight);
    const spot = [item.cx + 8, item.cx - 8 - width]
      .map((lx) => ({ left: lx, right: lx + width, top: item.cy - 15, bottom: item.cy - 2 }))
      .find(
        (b) =>
          b.left >= PAD.left &&
          b.right <= PLOT_RIGHT &&
          b.top >= PAD.top &&
          !taken.some((t) => hit(t, b)) &&
          !markers.some((m) => hit(m, b)),
      );
    if (spot) {
      taken.push(spot);
      out.push({ ...item, lx: spot.left, ly: item.cy - 5, inColumn: false });
    } else column.push(item);
  }
  // The column keeps the points' top-to-bottom order, a line apart, inside the plot's height.
  const ys: number[] = [];
  column.forEach((item, i) => {
    ys.push(Math.max(item.cy + 4, PAD.top + 10, i > 0 ? (ys[i - 1] ?? 0) + LINE : 0));
  });
  for (let i = ys.length - 1; i >= 0; i--)
    ys[i] = Math.min(ys[i] ?? 0, i < ys.length - 1 ? (ys[i + 1] ?? 0) - LINE : H - PAD.bottom);
  column.forEach((item, i) => {
    out.push({ ...item, lx: COLUMN_X, ly: ys[i] ?? 0, inColumn: true });
  });
  return out;
}

/**
 * An SVG scatter of node-hours (x) against pending pod-seconds (y) for one
 * trace: the bench's policies as filled dots, SmartScale's knob sweep as
 * rings, the oracle as a green square, the frontier (no real policy beats
 * it on both) as a dashed line, and the
 * shipped default (`highlight`) in bold, so a user sees the trade-off and
 * where the default sits.
 *
 * @example
 * writeFileSync('out/pareto-day.svg', paretoChart('day', points, 'smartscale'));
 */
export function paretoChart(
  trace: string,
  points: readonly ParetoPoint[],
  highlight: string,
): string {
  const xs = points.map((p) => p.nodeHours);
  const ys = points.map((p) => p.pendingPodSeconds);
  // Round ticks, and the axes end on them; the data sit INSET inside the
  // frame so a marker on the axis' end (the oracle's 0 pending) stays inside.
  const xTicks = rangeAxisTicks(Math.min(...xs), Math.max(...xs));
  const yTicks = rangeAxisTicks(Math.min(...ys), Math.max(...ys));
  const x0 = xTicks[0] ?? 0;
  const x1 = xTicks.at(-1) ?? 1;
  const y0 = yTicks[0] ?? 0;
  const y1 = yTicks.at(-1) ?? 1;
  const x = (v: number) =>
    PAD.left + INSET + ((v - x0) / (x1 - x0 || 1)) * (PLOT_RIGHT - PAD.left - 2 * INSET);
  const y = (v: number) =>
    H - PAD.bottom - INSET - ((v - y0) / (y1 - y0 || 1)) * (H - PAD.top - PAD.bottom - 2 * INSET);
  const frontier = paretoFrontier(points);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${PAD.left}" y="20" font-size="14">${escapeXml(trace)}: node-hours vs pending pod-seconds (lower left is better)</text>`,
    // The plot area as a path: the only <rect> is the oracle's marker.
    `<path class="plot" d="M${PAD.left},${PAD.top}H${W - PAD.right}V${H - PAD.bottom}H${PAD.left}Z" fill="#fff" stroke="#ddd"/>`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<text class="axis-title" x="${PAD.left + (W - PAD.left - PAD.right) / 2}" y="${H - 12}" text-anchor="middle">node-hours billed (hours)</text>`,
    `<text class="axis-title" x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">pending pod-seconds (pods × seconds)</text>`,
  ];
  for (const v of xTicks)
    out.push(
      `<line x1="${x(v).toFixed(1)}" x2="${x(v).toFixed(1)}" y1="${PAD.top}" y2="${H - PAD.bottom}" stroke="#f0f0f0"/>`,
      `<text class="tick-x" x="${x(v).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${v.toLocaleString('en-US')}</text>`,
    );
  for (const v of yTicks)
    out.push(
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#f0f0f0"/>`,
      `<text class="tick-y" x="${PAD.left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toLocaleString('en-US')}</text>`,
    );
  if (frontier.length > 1)
    out.push(
      `<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="${frontier
        .map((p) => `${x(p.nodeHours).toFixed(1)},${y(p.pendingPodSeconds).toFixed(1)}`)
        .join(' ')}"/>`,
    );
  const labels = placeLabels(
    points.map((p) => ({ point: p, cx: x(p.nodeHours), cy: y(p.pendingPodSeconds) })),
    highlight,
  );
  for (const placed of labels) {
    const { point: p, cx, cy, lx, ly } = placed;
    const bold = p.label === highlight;
    const name = escapeXml(p.label);
    out.push(
      p.kind === 'bound'
        ? `<rect class="series" data-series="${name}" x="${(cx - 4).toFixed(1)}" y="${(cy - 4).toFixed(1)}" width="8" height="8" fill="#31a354"/>`
        : p.kind === 'policy'
          ? `<circle class="series" data-series="${name}" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="${bold ? 6 : 4}" fill="${bold ? '#3182bd' : '#555'}"/>`
          : `<circle class="series" data-series="${name}" cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="4" fill="none" stroke="#3182bd"/>`,
    );
    if (placed.inColumn)
      out.push(
        `<polyline fill="none" stroke="#bbb" stroke-width="0.8" points="${(cx + 6).toFixed(1)},${cy.toFixed(1)} ${(COLUMN_X - 10).toFixed(1)},${(ly - 4).toFixed(1)} ${(COLUMN_X - 3).toFixed(1)},${(ly - 4).toFixed(1)}"/>`,
      );
    out.push(
      `<text class="legend" x="${lx.toFixed(1)}" y="${ly.toFixed(1)}"${bold ? ' font-weight="bold"' : ''} fill="${p.kind === 'policy' ? '#222' : '#3182bd'}">${name}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
