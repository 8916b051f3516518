import { ReasonCode } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  type ConsolidationOptions,
  defaultConsolidation,
  planConsolidation,
} from '../../src/consolidation.js';
import { defaultConfig as config, decide } from '../../src/index.js';
import {
  ago,
  snapshot as fixtureSnapshot,
  MiB,
  NOW,
  node,
  pending,
  pod,
  state,
} from './fixtures.js';

/** A snapshot at 40 % CPU unless told: low enough that one node fewer stays under the 60 % target. */
const snapshot = (...args: Parameters<typeof fixtureSnapshot>) =>
  fixtureSnapshot(args[0], args[1] ?? [], args[2] ?? { cpu: 0.4 });

/** Total requests of `n` web pods (500m, 512Mi). */
const podsWorth = (n: number) => ({ cpuMillis: n * 500, memoryBytes: n * 512 * MiB });
const webNode = (pods: number, overrides = {}) =>
  node({ pods: Array.from({ length: pods }, () => pod({ hasPdb: true })), ...overrides });
const codes = (d: { reasons: readonly { code: string }[] }) => d.reasons.map((r) => r.code);

describe('planConsolidation (requests-based scale-down)', () => {
  it('removes a node whose pods fit on the others by requests while CPU is above 30 %', () => {
    // 4 workers of 1800m, 1 pod each, busy pods: CPU 40 %, so the CPU rule holds.
    const snap = snapshot([webNode(1), webNode(1), webNode(1), webNode(1)]);
    expect(decide(snap, state(), config, NOW).kind).toBe('hold');
    const d = planConsolidation(snap, state(), config, NOW, { requestsWindowMax: podsWorth(4) });
    expect(d.kind).toBe('scale-down');
    expect(codes(d)).toEqual([ReasonCode.CpuLow, ReasonCode.VictimChosen]);
  });

  it('holds when one node fewer would put CPU above the scale-up target', () => {
    // 40 % on 4 nodes is 53 % on 3 (fine); 50 % is 67 %, above the 60 % target.
    const four = () => [webNode(1), webNode(1), webNode(1), webNode(1)];
    const input = { requestsWindowMax: podsWorth(4) };
    expect(
      planConsolidation(snapshot(four(), [], { cpu: 0.4 }), state(), config, NOW, input).kind,
    ).toBe('scale-down');
    const d = planConsolidation(snapshot(four(), [], { cpu: 0.5 }), state(), config, NOW, input);
    expect(codes(d)).toContain(ReasonCode.ProjectedCpuTooHigh);
  });

  it('holds when the peak of the window would not fit on one node fewer', () => {
    const snap = snapshot([webNode(1), webNode(1), webNode(1), webNode(1)]);
    // 3 nodes hold 10 pods (5400m / 500m); a peak of 11 in the window keeps all 4.
    expect(
      planConsolidation(snap, state(), config, NOW, { requestsWindowMax: podsWorth(10) }).kind,
    ).toBe('scale-down');
    const d = planConsolidation(snap, state(), config, NOW, { requestsWindowMax: podsWorth(11) });
    expect(d.kind).toBe('hold');
    expect(codes(d)).toContain(ReasonCode.CpuNotLow);
  });

  it('keeps the headroom it is asked for, in pods and as a share', () => {
    const snap = snapshot([webNode(1), webNode(1), webNode(1), webNode(1)]);
    const input = { requestsWindowMax: podsWorth(4) };
    const withPods = (headroomPods: number): ConsolidationOptions => ({
      ...defaultConsolidation,
      headroomPods,
    });
    // 3 nodes hold 10 pods: 4 + 6 fits, 4 + 7 does not.
    expect(planConsolidation(snap, state(), config, NOW, input, withPods(6)).kind).toBe(
      'scale-down',
    );
    expect(planConsolidation(snap, state(), config, NOW, input, withPods(7)).kind).toBe('hold');
    // Half of 5400m kept free leaves 2700m: 4 pods (2000m) fit, 6 (3000m) do not.
    const half = { ...defaultConsolidation, headroomShare: 0.5 };
    expect(planConsolidation(snap, state(), config, NOW, input, half).kind).toBe('scale-down');
    expect(
      planConsolidation(snap, state(), config, NOW, { requestsWindowMax: podsWorth(6) }, half).kind,
    ).toBe('hold');
  });

  it('refuses nodes with the same blockers as the CPU rule, naming them', () => {
    const pinned = () =>
      node({ pods: [pod({ hasPdb: true, doNotDisrupt: true })], createdAt: ago(3600) });
    const young = webNode(1, { createdAt: ago(60) });
    const snap = snapshot([pinned(), pinned(), pinned(), young]);
    const d = planConsolidation(snap, state(), config, NOW, { requestsWindowMax: podsWorth(4) });
    expect(d.kind).toBe('hold');
    expect(codes(d)).toContain(ReasonCode.NoEligibleVictim);
    const refusals = d.reasons.flatMap((r) => ('refusals' in r ? (r.refusals ?? []) : []));
    expect(refusals.map((r) => r.code).sort()).toEqual([
      'do-not-disrupt',
      'do-not-disrupt',
      'do-not-disrupt',
      'too-young',
    ]);
  });

  it('respects the budgets: nothing pending, above min, scale-up cooldown', () => {
    const four = () => [webNode(1), webNode(1), webNode(1), webNode(1)];
    const input = { requestsWindowMax: podsWorth(4) };
    expect(
      codes(planConsolidation(snapshot(four(), pending(1)), state(), config, NOW, input)),
    ).toContain(ReasonCode.PendingPodsPresent);
    expect(
      codes(planConsolidation(snapshot([webNode(1), webNode(1)]), state(), config, NOW, input)),
    ).toContain(ReasonCode.AtMin);
    expect(
      codes(
        planConsolidation(snapshot(four()), state({ lastScaleUpAt: ago(60) }), config, NOW, input),
      ),
    ).toContain(ReasonCode.CooldownAfterScaleUp);
  });

  it('skips the scale-down cooldown only while two nodes fewer would still hold the peak', () => {
    const four = () => [webNode(1), webNode(1), webNode(1), webNode(1)];
    const recent = state({ lastScaleDownAt: ago(60) });
    // 2 nodes hold 7 pods: a peak of 4 is a clear surplus, a peak of 8 is not.
    expect(
      planConsolidation(snapshot(four()), recent, config, NOW, { requestsWindowMax: podsWorth(4) })
        .kind,
    ).toBe('scale-down');
    expect(
      codes(
        planConsolidation(snapshot(four()), recent, config, NOW, {
          requestsWindowMax: podsWorth(8),
        }),
      ),
    ).toContain(ReasonCode.CooldownAfterScaleDown);
  });
});
