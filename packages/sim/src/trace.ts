import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

/** One minute of a workload trace. */
export interface TracePoint {
  /** Seconds from the start of the trace. */
  readonly t: number;
  /** Desired pods of the web deployment. */
  readonly replicas: number;
  /** Share of each running pod's CPU request in use, 0 to 1. */
  readonly cpuUtil: number;
}

/** A validated workload trace: one row a minute, starting at t=0. */
export interface Trace {
  /** Short name (file name without `.csv`), used in reports. */
  readonly name: string;
  readonly source: string;
  readonly points: readonly TracePoint[];
}

/** Rows of a trace are this many seconds apart. */
export const TRACE_STEP_SECONDS = 60;
const HEADER = 't,replicas,cpu_util';

/** A trace that does not follow the format, with the place and what was expected. */
export class TraceError extends Error {
  override readonly name = 'TraceError';
  constructor(
    readonly source: string,
    readonly line: number | null,
    readonly expected: string,
  ) {
    super(`${source}${line === null ? '' : `:${line}`}: ${expected}`);
  }
}

function parseNumber(raw: string | undefined): number | null {
  if (raw === undefined || raw.trim() === '') return null;
  const value = Number(raw.trim());
  return Number.isFinite(value) ? value : null;
}

/**
 * Parses and validates a trace in the `t,replicas,cpu_util` format. Throws a
 * {@link TraceError} naming the source, the line and what was expected.
 *
 * @example
 * const trace = parseTrace('t,replicas,cpu_util\n0,5,0.4\n60,6,0.5\n', 'day.csv');
 */
export function parseTrace(text: string, source: string): Trace {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim().replace(/^\uFEFF/, '');
  if (header !== HEADER)
    throw new TraceError(source, 1, `expected the header '${HEADER}', got '${header ?? ''}'`);
  const points: TracePoint[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    const lineNo = i + 1;
    if (line === '') continue;
    const cells = line.split(',');
    if (cells.length !== 3)
      throw new TraceError(
        source,
        lineNo,
        `expected 3 comma-separated values, got ${cells.length}`,
      );
    const [t, replicas, cpuUtil] = cells.map(parseNumber);
    const expectedT = points.length * TRACE_STEP_SECONDS;
    if (t === null || t === undefined || t !== expectedT)
      throw new TraceError(
        source,
        lineNo,
        `expected t=${expectedT} (one row a minute from 0), got '${cells[0]}'`,
      );
    if (replicas === null || replicas === undefined || !Number.isInteger(replicas) || replicas < 0)
      throw new TraceError(
        source,
        lineNo,
        `expected replicas to be a whole number >= 0, got '${cells[1]}'`,
      );
    if (cpuUtil === null || cpuUtil === undefined || cpuUtil < 0 || cpuUtil > 1)
      throw new TraceError(
        source,
        lineNo,
        `expected cpu_util to be a number from 0 to 1, got '${cells[2]}'`,
      );
    points.push({ t, replicas, cpuUtil });
  }
  if (points.length === 0) throw new TraceError(source, null, 'expected at least one data row');
  return { name: basename(source).replace(/\.csv$/i, ''), source, points };
}

/**
 * Reads and validates a trace file.
 *
 * @example
 * const trace = loadTrace('../shared/scenarios/techflow-day.csv');
 */
export function loadTrace(path: string): Trace {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new TraceError(path, null, `expected a readable CSV file (${code})`);
  }
  return parseTrace(text, path);
}

/** Renders a trace back to CSV (for generated traces). */
export function formatTrace(points: readonly TracePoint[]): string {
  const rows = points.map((p) => `${p.t},${p.replicas},${p.cpuUtil.toFixed(3)}`);
  return `${HEADER}\n${rows.join('\n')}\n`;
}
