import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTrace, loadTrace, parseTrace, TraceError } from '../../src/index.js';

const header = 't,replicas,cpu_util';

function errorOf(fn: () => unknown): TraceError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TraceError) return err;
    throw err;
  }
  throw new Error('expected a TraceError');
}

describe('parseTrace', () => {
  it('reads rows a minute apart, names the trace after the file', () => {
    const trace = parseTrace(`${header}\n0,5,0.5\n60,7,0.25\r\n120,0,0\n\n`, 'dir/my-day.csv');
    expect(trace.name).toBe('my-day');
    expect(trace.points).toEqual([
      { t: 0, replicas: 5, cpuUtil: 0.5 },
      { t: 60, replicas: 7, cpuUtil: 0.25 },
      { t: 120, replicas: 0, cpuUtil: 0 },
    ]);
  });

  it('round-trips through formatTrace', () => {
    const points = [
      { t: 0, replicas: 3, cpuUtil: 0.123 },
      { t: 60, replicas: 4, cpuUtil: 1 },
    ];
    expect(parseTrace(formatTrace(points), 'x.csv').points).toEqual(points);
  });

  it.each([
    ['time,replicas,cpu', 1, "expected the header 't,replicas,cpu_util'"],
    [`${header}\n0,5`, 2, 'expected 3 comma-separated values, got 2'],
    [`${header}\n0,5,0.5\n120,5,0.5`, 3, "expected t=60 (one row a minute from 0), got '120'"],
    [`${header}\n60,5,0.5`, 2, 'expected t=0'],
    [`${header}\n0,2.5,0.5`, 2, "expected replicas to be a whole number >= 0, got '2.5'"],
    [`${header}\n0,-1,0.5`, 2, 'expected replicas to be a whole number >= 0'],
    [`${header}\n0,5,1.2`, 2, "expected cpu_util to be a number from 0 to 1, got '1.2'"],
    [`${header}\n0,5,abc`, 2, 'expected cpu_util to be a number from 0 to 1'],
    [`${header}\n0,5,`, 2, 'expected cpu_util'],
  ])('rejects %j at line %i', (text, line, expected) => {
    const err = errorOf(() => parseTrace(text, 'bad.csv'));
    expect(err.line).toBe(line);
    expect(err.message).toContain(`bad.csv:${line}: `);
    expect(err.message).toContain(expected);
  });

  it('rejects a trace without data rows', () => {
    expect(errorOf(() => parseTrace(`${header}\n`, 'empty.csv')).message).toBe(
      'empty.csv: expected at least one data row',
    );
  });
});

describe('loadTrace', () => {
  it('reads a file and names the file in errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-trace-'));
    const good = join(dir, 'good.csv');
    writeFileSync(good, `${header}\n0,1,0.1\n`);
    expect(loadTrace(good).points).toHaveLength(1);
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, `${header}\n0,1,0.1\n60,x,0.1\n`);
    expect(() => loadTrace(bad)).toThrow(`${bad}:3: expected replicas`);
    expect(() => loadTrace(join(dir, 'missing.csv'))).toThrow(
      /missing\.csv: expected a readable CSV file \(ENOENT\)/,
    );
  });
});
