import { describe, expect, it } from 'vitest';
import { NeverJoinSwitch } from '../../src/soak/cluster-faults.ts';
import type { PodFact } from '../../src/soak/invariants.ts';
import { TerminationWatch } from '../../src/soak/observe.ts';

const pod = (name: string, nodeName: string, terminating = false): PodFact => ({
  name,
  phase: 'Running',
  nodeName,
  terminating,
  requests: { cpuMilli: 500, memoryBytes: 0 },
});
const inst = (instanceId: string, state: string) => ({ instanceId, state, actionId: 'A' });

describe('the termination watch', () => {
  it("records SmartScale's terminations once, with the pods still on the Node, not the soak's own", () => {
    const watch = new TerminationWatch();
    const at = new Date('2026-12-01T20:00:00Z');
    watch.observe(
      [inst('i-a', 'running'), inst('i-b', 'running'), inst('i-c', 'running')],
      [],
      new Set(),
    );
    const pods = [
      pod('shop/web-1', 'i-a'),
      pod('shop/web-2', 'i-a', true),
      pod('shop/web-3', 'i-c'),
    ];
    watch.observe(
      [inst('i-a', 'shutting-down'), inst('i-b', 'terminated'), inst('i-c', 'terminated')],
      pods,
      new Set(['i-c']),
      at,
    );
    watch.observe([inst('i-a', 'terminated'), inst('i-b', 'terminated')], pods, new Set(), at);
    expect(watch.terminations).toEqual([
      { instanceId: 'i-a', seenAt: at.toISOString(), state: 'shutting-down', pods: ['shop/web-1'] },
      { instanceId: 'i-b', seenAt: at.toISOString(), state: 'terminated', pods: [] },
    ]);
  });

  it('ignores an instance it never saw live (terminated before the run)', () => {
    const watch = new TerminationWatch();
    watch.observe([inst('i-old', 'terminated')], [pod('p', 'i-old')], new Set());
    expect(watch.terminations).toEqual([]);
  });
});

describe('the never-join switch', () => {
  it('holds back the first new instance after it is armed, for good, and nothing else', () => {
    const s = new NeverJoinSwitch();
    expect(s.neverJoins('i-new')).toBe(false);
    s.arm(['i-a', 'i-b']);
    expect(s.neverJoins('i-a')).toBe(false);
    expect(s.neverJoins('i-c')).toBe(true);
    expect(s.neverJoins('i-d')).toBe(false);
    expect(s.neverJoins('i-c')).toBe(true);
    expect(s.held).toEqual(['i-c']);
  });
});
