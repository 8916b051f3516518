/** One row of the demo timeline, taken every few seconds of demo time. */
export interface TimelinePoint {
  /** Seconds into the trace (virtual time). */
  readonly t: number;
  readonly desiredPods: number;
  readonly runningPods: number;
  readonly pendingPods: number;
  readonly readyNodes: number;
  readonly joiningNodes: number;
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

/** An SVG line chart of demand, Ready nodes and pending pods over trace time. */
export function timelineSvg(timeline: readonly TimelinePoint[], width = 900, height = 320): string {
  const pad = 40;
  const tMax = Math.max(1, ...timeline.map((p) => p.t));
  const yMax = Math.max(
    1,
    ...timeline.flatMap((p) => [p.desiredPods, p.readyNodes, p.pendingPods]),
  );
  const x = (t: number) => pad + ((width - 2 * pad) * t) / tMax;
  const y = (v: number) => height - pad - ((height - 2 * pad) * v) / yMax;
  const line = (pick: (p: TimelinePoint) => number, color: string, label: string) =>
    `<polyline fill="none" stroke="${color}" stroke-width="2" points="${timeline.map((p) => `${x(p.t).toFixed(1)},${y(pick(p)).toFixed(1)}`).join(' ')}"><title>${label}</title></polyline>`;
  const legend = [
    ['#1f77b4', 'desired pods'],
    ['#2ca02c', 'Ready nodes'],
    ['#d62728', 'pending pods'],
  ]
    .map(
      ([c, l], i) => `<text x="${pad + i * 150}" y="20" fill="${c}" font-size="13">■ ${l}</text>`,
    )
    .join('');
  const hours = Array.from(
    { length: Math.floor(tMax / 3600) + 1 },
    (_, h) =>
      `<text x="${x(h * 3600).toFixed(1)}" y="${height - 15}" font-size="11" text-anchor="middle">${h}h</text>`,
  ).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">${legend}<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#999"/><text x="8" y="${pad}" font-size="11">${yMax}</text>${hours}${line((p) => p.desiredPods, '#1f77b4', 'desired pods')}${line((p) => p.readyNodes, '#2ca02c', 'Ready nodes')}${line((p) => p.pendingPods, '#d62728', 'pending pods')}</svg>`;
}

const fmt = (v: number | null) => (v === null ? 'n/a' : `${v.toFixed(1)} s`);

/** The report as a self-contained HTML page. */
export function reportHtml(report: DemoReport): string {
  const rows = (['pendingToLaunch', 'launchToReady', 'pendingToRunning'] as const)
    .map(
      (k) =>
        `<tr><td>${k}</td><td>${report.latencies[k].count}</td><td>${fmt(report.latencies[k].p50)}</td><td>${fmt(report.latencies[k].p95)}</td></tr>`,
    )
    .join('');
  const decisions = report.decisions
    .map(
      (d) =>
        `<tr><td>${(d.t / 3600).toFixed(2)}h</td><td>${escapeHtml(d.kind)}</td><td>${escapeHtml(d.summary)}</td><td>${escapeHtml(d.reasons.join('; '))}</td></tr>`,
    )
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>SmartScale demo: ${escapeHtml(report.trace)}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}</style></head><body>
<h1>SmartScale demo: ${escapeHtml(report.trace)}</h1>
<p>${escapeHtml(report.startedAt)} to ${escapeHtml(report.finishedAt)}, trace time compressed ${report.speedup}×. Scale-ups ${report.totals.scaleUps}, scale-downs ${report.totals.scaleDowns}, max Ready nodes ${report.totals.maxNodes}, pending pod-seconds (trace time) ${report.totals.pendingPodSeconds}.</p>
${timelineSvg(report.timeline)}
<h2>Reaction latencies (wall clock)</h2><table><tr><th>measure</th><th>n</th><th>p50</th><th>p95</th></tr>${rows}</table>
<h2>Decisions</h2><table><tr><th>trace time</th><th>kind</th><th>summary</th><th>reasons</th></tr>${decisions}</table>
</body></html>`;
}
