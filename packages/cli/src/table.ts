/**
 * Columns padded to their widest cell, a header line first; the last
 * column is not padded so long text does not push trailing spaces.
 *
 * @example
 * formatTable(['queue', 'depth'], [['decider', '0']])
 */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/**
 * `key  value` lines with the keys aligned.
 *
 * @example
 * formatPairs([['policy', 'seed'], ['node_hours', '12.5']])
 */
export function formatPairs(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`.trimEnd()).join('\n');
}

/** How long ago (or ahead) `then` is from `now`, coarsely: `42s`, `5m`, `3h`, `2d`. */
export function formatAge(then: Date, now: Date): string {
  const seconds = Math.round(Math.abs(now.getTime() - then.getTime()) / 1000);
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)}m`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)}h`;
  return `${Math.round(seconds / 86_400)}d`;
}
