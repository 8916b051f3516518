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

const W = 720;
const H = 460;
const PAD = { left: 70, right: 30, top: 40, bottom: 50 };
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

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
  const x0 = Math.min(...xs) * 0.98;
  const x1 = Math.max(...xs) * 1.02;
  const y1 = Math.max(1, ...ys) * 1.05;
  const x = (v: number) => PAD.left + ((v - x0) / (x1 - x0 || 1)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / y1) * (H - PAD.top - PAD.bottom);
  const frontier = paretoFrontier(points);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">`,
    `<text x="${PAD.left}" y="20" font-size="14">${escape(trace)}: node-hours vs pending pod-seconds (lower left is better)</text>`,
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${H - PAD.bottom}" stroke="#333"/>`,
    `<text x="${W / 2}" y="${H - 12}" text-anchor="middle">node-hours</text>`,
    `<text x="16" y="${H / 2}" transform="rotate(-90 16 ${H / 2})" text-anchor="middle">pending pod-seconds</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const vx = x0 + ((x1 - x0) * i) / 4;
    const vy = (y1 * i) / 4;
    out.push(
      `<text x="${x(vx)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${vx.toFixed(1)}</text>`,
      `<text x="${PAD.left - 6}" y="${y(vy) + 4}" text-anchor="end">${Math.round(vy)}</text>`,
    );
  }
  if (frontier.length > 1)
    out.push(
      `<polyline fill="none" stroke="#999" stroke-dasharray="4 3" points="${frontier
        .map((p) => `${x(p.nodeHours).toFixed(1)},${y(p.pendingPodSeconds).toFixed(1)}`)
        .join(' ')}"/>`,
    );
  for (const p of points) {
    const cx = x(p.nodeHours).toFixed(1);
    const cy = y(p.pendingPodSeconds).toFixed(1);
    const bold = p.label === highlight;
    out.push(
      p.kind === 'bound'
        ? `<rect x="${Number(cx) - 4}" y="${Number(cy) - 4}" width="8" height="8" fill="#31a354"/>`
        : p.kind === 'policy'
          ? `<circle cx="${cx}" cy="${cy}" r="${bold ? 6 : 4}" fill="${bold ? '#3182bd' : '#555'}"/>`
          : `<circle cx="${cx}" cy="${cy}" r="4" fill="none" stroke="#3182bd"/>`,
      `<text x="${Number(cx) + 7}" y="${Number(cy) - 5}"${bold ? ' font-weight="bold"' : ''} fill="${p.kind === 'policy' ? '#222' : '#3182bd'}">${escape(p.label)}</text>`,
    );
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
