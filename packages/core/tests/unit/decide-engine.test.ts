import type { ClusterSnapshot, ClusterState, Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { belowMin } from '../../src/decide/below-min.js';
import type { DecideContext } from '../../src/decide/context.js';
import { pendingPods } from '../../src/decide/pending-pods.js';
import { sustainedPressure } from '../../src/decide/pressure.js';
import { demandPattern } from '../../src/forecast.js';
import {
  type Config,
  countFleet,
  decide,
  defaultConfig,
  parseConfig,
  startAction,
} from '../../src/index.js';
import { classifyPendingPods } from '../../src/pending-pods.js';
import { ago, fullNodes, NOW, node, nodes, pending, snapshot, state } from './fixtures.js';

const codes = (d: Decision) => d.reasons.map((r) => r.code);
const idle = { cpu: 0.1, memory: 0.2 };
const hot = { cpu: 0.9, cpuUpMin: 0.85 };
const joining = (s: ClusterState = state()) =>
  startAction(
    s,
    { kind: 'scale-up', count: 1, reasons: [{ code: 'pending-pods', message: '' }] },
    '01HZZZZZZZZZZZZZZZZZZZZZZZ',
    new Date(NOW.getTime() - 30_000),
  );

/** The context decide() builds, so a trigger can be asked on its own. */
function contextFor(snap: ClusterSnapshot, s: ClusterState, config: Config): DecideContext {
  const { hostable } = classifyPendingPods(snap.pendingPods, config);
  return {
    snapshot: { ...snap, pendingPods: hostable },
    state: s,
    config,
    now: NOW,
    fleet: countFleet(snap, s),
    pattern: demandPattern(snap.demandHistory ?? [], NOW, defaultConfig),
  };
}

describe('decision engine: gates before triggers', () => {
  it('a stale sample holds before any trigger is asked, and before a pause', () => {
    const stale = { ...snapshot(fullNodes(1), pending(9), hot), takenAt: ago(600) };
    const paused = state({ paused: { by: 'ops', reason: 'upgrade', at: ago(5) } });
    expect(codes(decide(stale, paused, defaultConfig, NOW))).toEqual(['sample-stale']);
    const fresh = snapshot(fullNodes(1), pending(9), hot);
    expect(decide(fresh, paused, defaultConfig, NOW)).toEqual({
      kind: 'hold',
      reasons: [{ code: 'paused', message: 'paused by ops: upgrade' }],
    });
  });

  it('the scale-up cooldown holds a sustained trigger that would propose, and only the first hold is said', () => {
    const snap = snapshot(fullNodes(4), [], hot);
    const free = decide(snap, state(), defaultConfig, NOW);
    expect(free).toMatchObject({ kind: 'scale-up', reasons: [{ code: 'cpu-high' }] });

    const cooling = state({ lastScaleUpAt: ago(60) });
    expect(codes(decide(snap, cooling, defaultConfig, NOW))).toEqual([
      'cpu-high',
      'cooldown-after-scale-up',
    ]);
    // In cooldown with a node joining too: the cooldown is named, the join is not.
    expect(codes(decide(snap, joining(cooling), defaultConfig, NOW))).toEqual([
      'cpu-high',
      'cooldown-after-scale-up',
    ]);
    // startAction marks the scale-up; an older one leaves only the join to hold.
    const joinedLongAgo = { ...joining(), lastScaleUpAt: ago(3600) };
    expect(codes(decide(snap, joinedLongAgo, defaultConfig, NOW))).toEqual([
      'cpu-high',
      'scale-up-in-flight',
    ]);
  });

  it('a held trigger makes a hold where low CPU alone would remove a node', () => {
    const config = parseConfig({ workers: { min: 1 } });
    const lowCpuHighMemory = snapshot(nodes(4), [], { cpu: 0.1, memory: 0.8, memoryDownMax: 0.4 });
    const d = decide(lowCpuHighMemory, state({ lastScaleUpAt: ago(60) }), config, NOW);
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual(['memory-high', 'cooldown-after-scale-up']);
  });

  it('every scale-down gate that holds is named, in order, instead of a removal', () => {
    const config = parseConfig({ workers: { min: 3 } });
    const ready = snapshot(nodes(4), [], idle);
    expect(decide(ready, state(), config, NOW).kind).toBe('scale-down');

    const oneNotReady = snapshot([...nodes(2), node({ ready: false })], [], idle);
    const d = decide(oneNotReady, state({ lastScaleUpAt: ago(60) }), config, NOW);
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual(['at-min', 'nodes-not-ready', 'cooldown-after-scale-up']);
  });

  it('usage that is not low says no trigger holds, before any other gate', () => {
    const d = decide(
      snapshot(nodes(1), [], { cpu: 0.5, memory: 0.6 }),
      state({ lastScaleUpAt: ago(60) }),
      defaultConfig,
      NOW,
    );
    // Below min proposes; without it the usage gates speak first.
    expect(d.kind).toBe('scale-up');
    const atThree = decide(
      snapshot(nodes(3), [], { cpu: 0.5, memory: 0.6 }),
      state({ lastScaleUpAt: ago(60) }),
      defaultConfig,
      NOW,
    );
    expect(codes(atThree)).toEqual(['no-trigger', 'cpu-not-low', 'memory-not-low']);
  });
});

describe('decision engine: triggers combined', () => {
  it('adds the most any trigger asks for, up to max, with reasons in trigger order then held notes then info', () => {
    const config = parseConfig({ workers: { min: 4, max: 10 }, scaleUp: { maxStep: 10 } });
    const snap = snapshot(
      fullNodes(2),
      [...pending(5), ...pending(2, 2), ...pending(1, 60, { cpuMillis: 4000 })].map((p, i) => ({
        ...p,
        name: `p-${i}`,
      })),
      hot,
    );
    const ctx = contextFor(snap, state(), config);
    const asked = [belowMin(ctx), pendingPods(ctx), sustainedPressure(ctx)].map(
      (o) => o.proposal?.count ?? 0,
    );
    expect(asked.every((n) => n > 0)).toBe(true);

    const d = decide(snap, state(), config, NOW);
    expect(d).toMatchObject({
      kind: 'scale-up',
      count: Math.min(Math.max(...asked), config.workers.max - 2),
    });
    expect(codes(d)).toEqual([
      'below-min',
      'pending-pods',
      'cpu-high',
      'pending-within-grace',
      'pending-unhostable',
    ]);
  });

  it('caps the combined count at the room left under max', () => {
    const config = parseConfig({ workers: { min: 5, max: 5 } });
    const d = decide(snapshot(fullNodes(3), pending(20), hot), state(), config, NOW);
    expect(d).toMatchObject({ kind: 'scale-up', count: 2 });
  });

  it('asks the forecast only when neither pending pods nor pressure proposes', () => {
    const config = parseConfig({ predictive: { enabled: true } });
    const off = (d: Decision) => codes(d).includes('prediction-unavailable');
    expect(off(decide(snapshot(fullNodes(3), [], { cpu: 0.5 }), state(), config, NOW))).toBe(true);
    // Below min does not stop the forecast from being asked.
    expect(off(decide(snapshot(fullNodes(1), [], { cpu: 0.5 }), state(), config, NOW))).toBe(true);
    expect(off(decide(snapshot(fullNodes(3), pending(3)), state(), config, NOW))).toBe(false);
    expect(off(decide(snapshot(fullNodes(4), [], hot), state(), config, NOW))).toBe(false);
  });

  it('information never turns a removal into a hold, and comes after its reasons', () => {
    const config = parseConfig({ workers: { min: 1 }, predictive: { enabled: true } });
    const snap = snapshot(nodes(4), pending(1, 60, { cpuMillis: 4000 }), idle);
    const d = decide(snap, state(), config, NOW);
    expect(d.kind).toBe('scale-down');
    expect(codes(d)).toEqual([
      'cpu-low',
      'memory-low',
      'victim-chosen',
      'pending-unhostable',
      'prediction-unavailable',
    ]);
  });

  it('pods pending with no trigger able to act hold, naming missing metrics beside them', () => {
    const d = decide(snapshot(nodes(3), pending(2, 2), 'unavailable'), state(), defaultConfig, NOW);
    expect(codes(d)).toEqual(['pending-within-grace', 'metrics-unavailable']);
    expect(d.reasons[1]?.message).toBe('metrics unavailable (prometheus timed out)');
    const blind = decide(snapshot(nodes(3), [], 'unavailable'), state(), defaultConfig, NOW);
    expect(blind.reasons).toEqual([
      {
        code: 'metrics-unavailable',
        message: 'metrics unavailable (prometheus timed out); never scaling down blind',
      },
    ]);
  });
});
