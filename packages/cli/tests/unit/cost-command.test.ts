import type { StoredAuditEntry } from '@smartscale/aws';
import { accountSpend, defaultConfig, priceBook } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { costCommand, fleetEvents, formatSpend } from '../../src/commands/cost.js';
import { UsageError } from '../../src/index.js';

const t0 = Date.parse('2026-11-22T08:00:00.000Z');
const at = (minutes: number) => new Date(t0 + minutes * 60_000).toISOString();
let seq = 0;
function entry(
  minutes: number,
  kind: StoredAuditEntry['kind'],
  summary: string,
  detail: Record<string, unknown>,
): StoredAuditEntry {
  seq += 1;
  return {
    id: `e${seq}`,
    clusterId: 'c1',
    actionId: `a${seq}`,
    at: at(minutes),
    kind,
    summary,
    detail,
  };
}
const node = (name: string, capacityType?: string) => ({
  name,
  instanceId: `i-${name}`,
  ...(capacityType ? { capacityType } : {}),
});
const sampleOf = (minutes: number, ...nodes: ReturnType<typeof node>[]) =>
  entry(minutes, 'decision', 'hold', {
    decision: { kind: 'hold', reasons: [] },
    snapshot: { nodes },
  });

describe('fleetEvents', () => {
  it('keeps each worker instance type, so spend is priced by type (issue #23)', () => {
    const events = fleetEvents([
      sampleOf(0, { ...node('a', 'on-demand'), instanceType: 't3.large' } as ReturnType<
        typeof node
      >),
      entry(1, 'outcome', 'InstancesLaunched', {
        payload: {
          requested: 1,
          instances: [{ instanceId: 'i-c', capacityType: 'on-demand', instanceType: 'm7i.large' }],
        },
      }),
    ]);
    expect(events.flatMap((e) => (e.type === 'terminated' ? [] : e.workers))).toEqual([
      { id: 'i-a', capacityType: 'on-demand', instanceType: 't3.large' },
      { id: 'i-c', capacityType: 'on-demand', instanceType: 'm7i.large' },
    ]);
    const to = new Date(t0 + 61 * 60_000);
    const account = accountSpend(
      events,
      new Date(t0),
      to,
      defaultConfig,
      0,
      priceBook(defaultConfig),
    );
    // t3.large for 61 minutes, m7i.large for the last 60.
    expect(account.usd).toBeCloseTo((61 / 60) * 0.0832 + 0.1008, 6);
  });

  it('reads samples, launches and terminations from the audit log and ignores the rest', () => {
    const events = fleetEvents([
      sampleOf(0, node('a', 'on-demand'), node('b')),
      entry(1, 'outcome', 'InstancesLaunched', {
        payload: { requested: 1, instances: [{ instanceId: 'i-c', capacityType: 'spot' }] },
      }),
      entry(2, 'outcome', 'NodeJoined', { payload: { instanceId: 'i-c' } }),
      entry(3, 'outcome', 'JoinFailed', { payload: { instanceId: 'i-x', terminated: false } }),
      entry(4, 'outcome', 'NodeRemoved', { payload: { instanceId: 'i-b', terminated: true } }),
      entry(5, 'operator', 'paused', { by: 'me' }),
    ]);
    expect(events).toEqual([
      {
        at: new Date(at(0)),
        type: 'observed',
        workers: [
          { id: 'i-a', capacityType: 'on-demand' },
          { id: 'i-b', capacityType: 'on-demand' },
        ],
      },
      { at: new Date(at(1)), type: 'launched', workers: [{ id: 'i-c', capacityType: 'spot' }] },
      { at: new Date(at(4)), type: 'terminated', id: 'i-b' },
    ]);
  });
});

describe('formatSpend', () => {
  it('prints spend by capacity type, the static fleet and the saving', () => {
    const entries = [
      sampleOf(0, node('a', 'on-demand'), node('b', 'on-demand')),
      entry(60, 'outcome', 'InstancesLaunched', {
        payload: { instances: [{ instanceId: 'i-s', capacityType: 'spot' }] },
      }),
    ];
    const account = accountSpend(
      fleetEvents(entries),
      new Date(at(0)),
      new Date(at(120)),
      defaultConfig,
      10,
    );
    const text = formatSpend(account);
    expect(text).toContain(`spend from ${at(0)} to ${at(120)}`);
    expect(text).toMatch(/on-demand\s+4\.00\s+0\.1664/);
    expect(text).toMatch(/spot\s+1\.00\s+0\.0125/);
    expect(text).toMatch(/total\s+5\.00\s+0\.1789/);
    expect(text).toContain('static fleet of 10 on-demand workers: 20.00 node-hours, 0.8320 USD');
    expect(text).toContain('saving: 0.6531 USD (78.5 %)');
  });

  it('says when there is nothing to account and when it costs more than the baseline', () => {
    const empty = accountSpend([], new Date(at(0)), new Date(at(60)), defaultConfig, 3);
    expect(formatSpend(empty)).toContain('no samples in the audit log');
    const over = accountSpend(
      fleetEvents([sampleOf(30, node('a'), node('b'))]),
      new Date(at(0)),
      new Date(at(90)),
      defaultConfig,
      1,
    );
    const text = formatSpend(over);
    expect(text).toContain(`(first sample after --since ${at(0)})`);
    expect(text).toContain('extra cost: 0.0416 USD');
  });
});

describe('smartscale cost arguments', () => {
  const io = { out: () => {}, err: () => {} };
  it.each([
    [['--since', 'yesterday'], /--since: expected a duration/],
    [['--baseline', '-1'], /--baseline/],
    [['--baseline', '2.5'], /--baseline/],
    [['--config', '/nonexistent/config.json'], /--config/],
    [['--frobnicate'], /frobnicate/],
  ])('%j is a usage error naming the argument', async (args, message) => {
    const run = costCommand.run(args, io);
    await expect(run).rejects.toBeInstanceOf(UsageError);
    await expect(costCommand.run(args, io)).rejects.toThrow(message);
  });

  it('prints its usage with --help', async () => {
    const out: string[] = [];
    expect(await costCommand.run(['--help'], { out: (t) => out.push(t), err: () => {} })).toBe(0);
    expect(out.join('')).toContain('usage: smartscale cost');
  });
});
