import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Io, main } from '../../src/index.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

const dir = mkdtempSync(join(tmpdir(), 'cli-sim-'));
const trace = join(dir, 'tiny.csv');
writeFileSync(trace, 't,replicas,cpu_util\n0,3,0.5\n60,6,0.5\n120,6,0.5\n180,6,0.5\n');

describe('smartscale sim', () => {
  it('--json prints one object with exactly the report keys', async () => {
    const io = capture();
    const code = await main(['sim', '--trace', trace, '--policy', 'smartscale', '--json'], io);
    expect(code).toBe(0);
    expect(io.stdout).toHaveLength(1);
    const report = JSON.parse(io.stdout[0] as string);
    expect(Object.keys(report).sort()).toEqual(
      [
        'cost_usd',
        'max_pending_seconds',
        'node_hours',
        'pending_pod_seconds',
        'policy',
        'scale_downs',
        'scale_ups',
        'trace',
      ].sort(),
    );
    expect(report.policy).toBe('smartscale');
    expect(report.trace).toBe('tiny');
    // 2 initial workers (min 2) hold 6 pods: nothing waits.
    expect(report.pending_pod_seconds).toBe(0);
    expect(report.node_hours).toBeCloseTo((2 * 240) / 3600, 3);
  });

  it('prints a readable table without --json', async () => {
    const io = capture();
    expect(await main(['sim', '--trace', trace, '--policy', 'static'], io)).toBe(0);
    expect(io.stdout[0]).toMatch(/^policy\s+static$/m);
    expect(io.stdout[0]).toMatch(/^node_hours\s+0\.333$/m);
  });

  it.each([
    [['sim', '--policy', 'seed'], '--trace: expected the path of a trace CSV file'],
    [
      ['sim', '--trace', trace],
      '--policy: expected one of static, seed, cluster-autoscaler, karpenter, smartscale, smartscale+predictive, smartscale+consolidation, smartscale+consolidation+headroom, oracle',
    ],
    [['sim', '--trace', trace, '--policy', 'magic'], "got 'magic'"],
    [
      ['sim', '--trace', trace, '--policy', 'seed', '--seed', '1.5'],
      "--seed: expected a whole number >= 0, got '1.5'",
    ],
    [
      ['sim', '--trace', trace, '--policy', 'seed', '--step-seconds', '7'],
      '--step-seconds: expected a divisor of 60',
    ],
    [['sim', '--trace', trace, '--policy', 'seed', '--frobnicate'], "'--frobnicate'"],
    [
      ['sim', '--trace', join(dir, 'none.csv'), '--policy', 'seed'],
      'none.csv: expected a readable CSV file',
    ],
    [['simulate'], "unknown command 'simulate'"],
  ])('%j exits 2 naming the argument', async (argv, message) => {
    const io = capture();
    expect(await main(argv, io)).toBe(2);
    expect(io.stderr.join('\n')).toContain(message);
    expect(io.stdout).toEqual([]);
  });

  it('names the line of a malformed trace', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 't,replicas,cpu_util\n0,3,0.5\n60,3,2\n');
    const io = capture();
    expect(await main(['sim', '--trace', bad, '--policy', 'seed'], io)).toBe(2);
    expect(io.stderr.join('\n')).toContain(
      `${bad}:3: expected cpu_util to be a number from 0 to 1, got '2'`,
    );
  });
});

describe('smartscale sim --config', () => {
  it('passes the configuration to the policy', async () => {
    const config = join(dir, 'min1.json');
    writeFileSync(config, JSON.stringify({ workers: { min: 1 } }));
    const io = capture();
    const argv = ['sim', '--trace', trace, '--policy', 'smartscale', '--json', '--config', config];
    expect(await main(argv, io)).toBe(0);
    // Min 1: one worker for 3 pods; at 60 s 3 more pend, a worker is
    // launched at 70 s (after the grace) and Ready at 160 s. Min 2 (default) waits 0 s.
    expect(JSON.parse(io.stdout[0] as string).pending_pod_seconds).toBe(300);
  });

  it.each([
    ['{"workers": {"min": 20}}', '--config: SmartScale configuration is invalid: workers.min'],
    ['{not json', '--config: expected JSON in'],
  ])('rejects %s', async (text, message) => {
    const config = join(dir, 'bad-config.json');
    writeFileSync(config, text);
    const io = capture();
    expect(await main(['sim', '--trace', trace, '--policy', 'seed', '--config', config], io)).toBe(
      2,
    );
    expect(io.stderr.join('\n')).toContain(message);
  });
});
