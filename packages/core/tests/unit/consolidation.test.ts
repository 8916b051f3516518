import type { ClusterSnapshot, Decision, NodeInfo, PendingPod } from '@smartscale/contracts';
import { ReasonCode } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { type ConfigInput, decide, parseConfig } from '../../src/index.js';
import {
  ago,
  snapshot as fixtureSnapshot,
  type Load,
  MiB,
  NOW,
  node,
  pending,
  pod,
  state,
} from './fixtures.js';

// Requests-based consolidation as decide() gives it: scaleDown.profile
// "consolidation", fed the sample's peak of requests (requestsWindowMax).

const consolidating = (scaleDown: ConfigInput['scaleDown'] = {}) =>
  parseConfig({ scaleDown: { profile: 'consolidation', ...scaleDown } });
/** The profile without headroom, so the arithmetic below is the peak's alone. */
const config = consolidating({ headroom: { pods: 0, share: 0 } });
const seed = parseConfig({});

/** Total requests of `n` web pods (500m, 512Mi) over the 600 s window. */
const podsWorth = (n: number) => ({
  cpuMillis: n * 500,
  memoryBytes: n * 512 * MiB,
  windowSeconds: 600,
});

/**
 * A sample at 40 % CPU unless told (above the 30 % rule, and one node fewer
 * stays under the 60 % target) whose requests peaked at `peakPods` pods;
 * null leaves the peak out.
 */
function sample(
  nodes: NodeInfo[],
  peakPods: number | null,
  pendingPods: PendingPod[] = [],
  load: Load = { cpu: 0.4 },
): ClusterSnapshot {
  const base = fixtureSnapshot(nodes, pendingPods, load);
  return peakPods === null ? base : { ...base, requestsWindowMax: podsWorth(peakPods) };
}

const webNode = (pods: number, overrides: Partial<NodeInfo> = {}) =>
  node({
    pods: Array.from({ length: pods }, (_, i) => pod({ hasPdb: true, name: `web-${i}` })),
    ...overrides,
  });
const four = () => [webNode(1), webNode(1), webNode(1), webNode(1)];
const codes = (d: Decision) => d.reasons.map((r) => r.code);

describe('decide with scaleDown.profile "consolidation"', () => {
  it('removes a node whose pods fit on the others by requests while CPU is above 30 %, naming node and pods', () => {
    // 4 workers of 1800m, 1 pod each, busy pods: CPU 40 %, so the CPU rule holds.
    const snap = sample(four(), 4);
    const byThresholds = decide(snap, state(), seed, NOW);
    expect(byThresholds.kind).toBe('hold');
    expect(codes(byThresholds)).toContain(ReasonCode.CpuNotLow);
    const d = decide(snap, state(), config, NOW);
    expect(d.kind).toBe('scale-down');
    expect(codes(d)).toEqual([ReasonCode.RequestsLow, ReasonCode.VictimChosen]);
    const victim = d.kind === 'scale-down' ? d.victim.nodeName : '';
    expect(d.reasons[0]?.message).toBe(
      'pods request at most 2000m CPU and 2.0 GiB over the last 600s; 3 of the 4 Ready nodes hold that at 37% of their room',
    );
    expect(d.reasons[1]?.message).toBe(
      `removing ${victim}: its 1 pod(s) (shop/web-0) fit on the other nodes by requests`,
    );
  });

  it('leaves the seed profile as it was: the peak in the sample changes nothing', () => {
    const nodes = four();
    expect(decide(sample(nodes, 4), state(), seed, NOW)).toEqual(
      decide(sample(nodes, null), state(), seed, NOW),
    );
  });

  it('lets the CPU rule remove a node first, with its own reasons', () => {
    const d = decide(sample(four(), 4, [], { cpu: 0.1, memory: 0.2 }), state(), config, NOW);
    expect(d.kind).toBe('scale-down');
    expect(codes(d)).toEqual([ReasonCode.CpuLow, ReasonCode.MemoryLow, ReasonCode.VictimChosen]);
  });

  it('holds when one node fewer would put CPU above the scale-up target', () => {
    // 40 % on 4 nodes is 53 % on 3 (fine); 50 % is 67 %, above the 60 % target.
    const d = decide(sample(four(), 4, [], { cpu: 0.5 }), state(), config, NOW);
    expect(d.kind).toBe('hold');
    expect(codes(d)).toContain(ReasonCode.ProjectedCpuTooHigh);
  });

  it('holds when the peak of the window would not fit on one node fewer, or the requests now', () => {
    // 3 nodes hold 10 pods (5400m / 500m); a peak of 11 in the window keeps all 4.
    expect(decide(sample(four(), 10), state(), config, NOW).kind).toBe('scale-down');
    const d = decide(sample(four(), 11), state(), config, NOW);
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual([
      ReasonCode.NoTrigger,
      ReasonCode.CpuNotLow,
      ReasonCode.RequestsNotLow,
    ]);
    expect(d.reasons[2]?.message).toContain('would need 102% of their room');
    // A window peak below what runs now (a sample newer than the query) counts what runs.
    const busy = [webNode(3), webNode(3), webNode(3), webNode(2)];
    expect(codes(decide(sample(busy, 0), state(), config, NOW))).toContain(
      ReasonCode.RequestsNotLow,
    );
  });

  it('keeps the headroom it is asked for, in pods and as a share', () => {
    // 3 nodes hold 10 pods: 4 + 6 fits, 4 + 7 does not.
    const snap = sample(four(), 4);
    expect(decide(snap, state(), consolidating({ headroom: { pods: 6 } }), NOW).kind).toBe(
      'scale-down',
    );
    const seven = decide(snap, state(), consolidating({ headroom: { pods: 7 } }), NOW);
    expect(seven.kind).toBe('hold');
    expect(seven.reasons.find((r) => r.code === ReasonCode.RequestsNotLow)?.message).toContain(
      'plus headroom of 7 pod(s) and 0% of the room',
    );
    // Half of 5400m kept free leaves 2700m: 4 pods (2000m) fit, 6 (3000m) do not.
    const half = consolidating({ headroom: { share: 0.5 } });
    expect(decide(snap, state(), half, NOW).kind).toBe('scale-down');
    expect(decide(sample(four(), 6), state(), half, NOW).kind).toBe('hold');
  });

  it('holds without the peak, saying so beside the CPU rule', () => {
    const d = decide(sample(four(), null), state(), config, NOW);
    expect(d.kind).toBe('hold');
    expect(codes(d)).toEqual([
      ReasonCode.NoTrigger,
      ReasonCode.CpuNotLow,
      ReasonCode.RequestsPeakUnavailable,
    ]);
  });

  it('refuses nodes with the same blockers as the CPU rule, naming node, pod and PDB', () => {
    const pinned = (name: string) =>
      node({ pods: [pod({ name, hasPdb: true, doNotDisrupt: true })], createdAt: ago(3600) });
    const young = webNode(1, { createdAt: ago(60) });
    const d = decide(
      sample([pinned('a'), pinned('b'), pinned('c'), young], 4),
      state(),
      config,
      NOW,
    );
    expect(d.kind).toBe('hold');
    const refused = d.reasons.find((r) => r.code === ReasonCode.NoEligibleVictim);
    expect(refused?.refusals?.map((r) => r.code).sort()).toEqual([
      'do-not-disrupt',
      'do-not-disrupt',
      'do-not-disrupt',
      'too-young',
    ]);
    expect(refused?.message).toContain('do-not-disrupt (shop/a)');
  });

  it('respects the budgets: nothing pending, above min, scale-up cooldown', () => {
    // A pending pod, even one the free room will take, holds any scale-down.
    const withPending = decide(sample(four(), 4, pending(1)), state(), config, NOW);
    expect(withPending.kind).toBe('hold');
    expect(codes(withPending)).not.toContain(ReasonCode.RequestsLow);
    expect(codes(decide(sample([webNode(1), webNode(1)], 2), state(), config, NOW))).toContain(
      ReasonCode.AtMin,
    );
    expect(
      codes(decide(sample(four(), 4), state({ lastScaleUpAt: ago(60) }), config, NOW)),
    ).toContain(ReasonCode.CooldownAfterScaleUp);
  });

  it('skips the scale-down cooldown only while two nodes fewer would still hold the peak', () => {
    const recent = state({ lastScaleDownAt: ago(60) });
    // 2 nodes hold 7 pods: a peak of 4 is a clear surplus, a peak of 8 is not.
    expect(decide(sample(four(), 4), recent, config, NOW).kind).toBe('scale-down');
    expect(codes(decide(sample(four(), 8), recent, config, NOW))).toContain(
      ReasonCode.CooldownAfterScaleDown,
    );
  });

  it('passes over a node whose drain failed within the backoff', () => {
    const nodes = four();
    const first = decide(sample(nodes, 4), state(), config, NOW);
    const victim = first.kind === 'scale-down' ? first.victim : null;
    expect(victim).not.toBeNull();
    const failed = state({
      failedVictims: [
        {
          nodeName: victim?.nodeName ?? '',
          instanceId: victim?.instanceId ?? '',
          actionId: 'a-1',
          failedAt: ago(60),
        },
      ],
    });
    const again = decide(sample(nodes, 4), failed, config, NOW);
    expect(again.kind).toBe('scale-down');
    expect(again.kind === 'scale-down' && again.victim.nodeName).not.toBe(victim?.nodeName);
    const chosen = again.reasons.find((r) => r.code === ReasonCode.VictimChosen);
    expect(chosen?.refusals).toEqual([
      expect.objectContaining({ nodeName: victim?.nodeName, code: 'recently-failed-drain' }),
    ]);
  });

  it('counts DaemonSet pods as staying with their node: neither room nor demand', () => {
    const agent = () => pod({ ownerKind: 'DaemonSet', cpuMillis: 600, memoryBytes: 64 * MiB });
    // Each node gives 1200m to pods that move; 3 nodes give 3600m: 7 web pods fit, 8 do not.
    const withAgents = () => [0, 1, 2, 3].map(() => webNode(1, { pods: [agent()] }));
    expect(decide(sample(withAgents(), 7), state(), config, NOW).kind).toBe('scale-down');
    expect(codes(decide(sample(withAgents(), 8), state(), config, NOW))).toContain(
      ReasonCode.RequestsNotLow,
    );
  });

  it('with several instance types, removes only a node whose loss leaves room for the peak', () => {
    // Three small nodes (1800m) and a big one (7800m): a peak of 12 pods
    // (6000m) fits without a small node (11400m left), not without the big
    // one (5400m). The big one saves the most per hour, so it comes first
    // and is refused.
    const big = webNode(1, {
      instanceType: 't3.2xlarge',
      allocatable: { cpuMillis: 7800, memoryBytes: 31 * 1024 * MiB },
    });
    const d = decide(sample([big, webNode(1), webNode(1), webNode(1)], 12), state(), config, NOW);
    expect(d.kind).toBe('scale-down');
    expect(d.kind === 'scale-down' && d.victim.nodeName).not.toBe(big.name);
    const chosen = d.reasons.find((r) => r.code === ReasonCode.VictimChosen);
    expect(chosen?.refusals).toEqual([{ nodeName: big.name, code: 'room-needed-for-peak' }]);
  });
});

describe('scaleDown.profile and scaleDown.headroom settings', () => {
  it('defaults to the seed thresholds and no headroom; the consolidation profile to 1 pod + 10 %', () => {
    expect(seed.scaleDown.profile).toBe('seed-thresholds');
    expect(seed.scaleDown.headroom).toEqual({ pods: 0, share: 0 });
    expect(consolidating().scaleDown.headroom).toEqual({ pods: 1, share: 0.1 });
    expect(consolidating({ headroom: { pods: 2 } }).scaleDown.headroom).toEqual({
      pods: 2,
      share: 0,
    });
    // A parsed config passed on as JSON parses to itself.
    const parsed = consolidating();
    expect(parseConfig(JSON.parse(JSON.stringify(parsed)))).toEqual(parsed);
  });

  it('refuses headroom without the consolidation profile, and bad values, naming the setting', () => {
    expect(() => parseConfig({ scaleDown: { headroom: { pods: 1 } } })).toThrow(
      /scaleDown\.headroom: applies only to scaleDown\.profile "consolidation" \(requests-based\), got profile "seed-thresholds"/,
    );
    expect(() => consolidating({ headroom: { share: 0.95 } })).toThrow(
      /scaleDown\.headroom\.share: at most 0\.9/,
    );
    expect(() => consolidating({ headroom: { pods: 1.5 } })).toThrow(/scaleDown\.headroom\.pods/);
    expect(() => consolidating({ headroom: { pod: 1 } as never })).toThrow(/scaleDown\.headroom/);
    expect(() => parseConfig({ scaleDown: { profile: 'karpenter' } })).toThrow(
      /scaleDown\.profile/,
    );
  });
});
