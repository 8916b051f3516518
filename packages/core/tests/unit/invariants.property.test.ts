import type { ClusterState, Decision, NodeInfo, PendingPod } from '@smartscale/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstFit } from '../../src/binpack.js';
import {
  type Config,
  countFleet,
  decide,
  parseConfig,
  planScaleUp,
  podAllocatable,
  startAction,
} from '../../src/index.js';
import { classifyPendingPods } from '../../src/pending-pods.js';
import { ago, MiB, NOW, snapshot, state } from './fixtures.js';

const configArb = fc
  .record({
    min: fc.integer({ min: 0, max: 5 }),
    extra: fc.integer({ min: 0, max: 10 }),
    step: fc.integer({ min: 1, max: 6 }),
  })
  .map(({ min, extra, step }) =>
    parseConfig({ workers: { min, max: Math.max(1, min + extra) }, scaleUp: { maxStep: step } }),
  );

const podArb = fc.record({
  cpuMillis: fc.integer({ min: 50, max: 2500 }),
  memoryBytes: fc.integer({ min: 64, max: 4096 }).map((m) => m * MiB),
});

const nodeArb = fc.record({
  ready: fc.boolean(),
  managed: fc.boolean(),
  /** Its instance carries the cluster's EC2 tags (a labelled node joined by hand does not). */
  ours: fc.boolean(),
  ageSeconds: fc.integer({ min: 0, max: 7200 }),
  pods: fc.array(
    fc.record({ cpuMillis: fc.integer({ min: 50, max: 800 }), single: fc.boolean() }),
    { maxLength: 3 },
  ),
});

const clusterArb = fc.record({
  nodes: fc.array(nodeArb, { maxLength: 14 }),
  pending: fc.array(fc.record({ pod: podArb, age: fc.integer({ min: 0, max: 600 }) }), {
    maxLength: 30,
  }),
  cpu: fc.double({ min: 0, max: 1, noNaN: true }),
  cpuUpMin: fc.double({ min: 0, max: 1, noNaN: true }),
  cpuDownMax: fc.double({ min: 0, max: 1, noNaN: true }),
  memory: fc.double({ min: 0, max: 1, noNaN: true }),
  metrics: fc.boolean(),
  sinceUp: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: null }),
  sinceDown: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: null }),
  incoming: fc.integer({ min: 0, max: 3 }),
});

type Cluster = typeof clusterArb extends fc.Arbitrary<infer T> ? T : never;

function build(c: Cluster) {
  const nodes: NodeInfo[] = c.nodes.map((n, i) => ({
    name: `n${i}`,
    instanceId: `i-${(i + 1).toString(16).padStart(8, '0')}`,
    managed: n.managed,
    smartscaleInstance: n.ours,
    ready: n.ready,
    unschedulable: false,
    createdAt: ago(n.ageSeconds),
    allocatable: { cpuMillis: 1800, memoryBytes: 3584 * MiB },
    pods: n.pods.map((p, j) => ({
      namespace: 'shop',
      name: `p${i}-${j}`,
      cpuMillis: p.cpuMillis,
      memoryBytes: 256 * MiB,
      ownerKind: 'ReplicaSet' as const,
      ownerReplicas: p.single ? 1 : 3,
      hasPdb: false,
      doNotDisrupt: false,
      localStorage: false,
    })),
  }));
  const pendingPods: PendingPod[] = c.pending.map((p, i) => ({
    namespace: 'shop',
    name: `q${i}`,
    ...p.pod,
    pendingSince: ago(p.age),
  }));
  let s: ClusterState = state({
    lastScaleUpAt: c.sinceUp === null ? null : ago(c.sinceUp),
    lastScaleDownAt: c.sinceDown === null ? null : ago(c.sinceDown),
  });
  if (c.incoming > 0) {
    s = startAction(
      s,
      { kind: 'scale-up', count: c.incoming, reasons: [{ code: 'pending-pods', message: '' }] },
      '01JAAAAAAAAAAAAAAAAAAAAAAA',
      new Date(NOW.getTime() - 20_000),
    );
    s = { ...s, lastScaleUpAt: c.sinceUp === null ? null : ago(c.sinceUp) };
  }
  const snap = c.metrics
    ? snapshot(nodes, pendingPods, {
        cpu: c.cpu,
        cpuUpMin: c.cpuUpMin,
        cpuDownMax: c.cpuDownMax,
        memory: c.memory,
        memoryDownMax: c.memory,
      })
    : snapshot(nodes, pendingPods, 'unavailable');
  return { snap, s };
}

const onlyPressure = (d: Decision) =>
  d.reasons.every((r) => !['pending-pods', 'below-min'].includes(r.code));

describe('decide: invariants', () => {
  it('never plans above max, never removes at or below min, respects cooldowns', () => {
    fc.assert(
      fc.property(configArb, clusterArb, (config: Config, c) => {
        const { snap, s } = build(c);
        const d = decide(snap, s, config, NOW);
        const fleet = countFleet(snap, s);
        if (d.kind === 'scale-up') {
          expect(d.count).toBeGreaterThan(0);
          expect(fleet.workers + d.count).toBeLessThanOrEqual(config.workers.max);
          expect(d.count).toBeLessThanOrEqual(config.scaleUp.maxStep);
          if (onlyPressure(d) && s.lastScaleUpAt) {
            expect(NOW.getTime() - Date.parse(s.lastScaleUpAt)).toBeGreaterThanOrEqual(
              config.scaleUp.cooldownSeconds * 1000,
            );
          }
        }
        if (d.kind === 'scale-down') {
          expect(fleet.workers).toBeGreaterThan(config.workers.min);
          // Pods no new worker could host do not hold a scale-down (#16).
          expect(classifyPendingPods(snap.pendingPods, config).hostable).toHaveLength(0);
          expect(snap.utilization.available).toBe(true);
          const since = (at: string | null) =>
            at ? NOW.getTime() - Date.parse(at) : Number.POSITIVE_INFINITY;
          expect(since(s.lastScaleUpAt)).toBeGreaterThanOrEqual(
            config.scaleUp.cooldownSeconds * 1000,
          );
          if (since(s.lastScaleDownAt) < config.scaleDown.cooldownSeconds * 1000) {
            // Only a clear surplus skips the scale-down cooldown.
            const u = snap.utilization;
            const ready = fleet.ready;
            expect(
              u.available && (u.cpu.downWindowMax * ready) / Math.max(ready - 1, 1),
            ).toBeLessThan(config.scaleDown.cpuThreshold);
          }
          const victim = snap.nodes.find((n) => n.name === d.victim.nodeName);
          expect(victim?.managed).toBe(true);
          // The label is a hint: only a node whose instance is tagged ours goes.
          expect(victim?.smartscaleInstance).toBe(true);
        }
        expect(d.reasons.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });

  it('never scales up and down in one evaluation, and never reverses within a cooldown', () => {
    fc.assert(
      fc.property(
        clusterArb,
        fc.array(fc.boolean(), { minLength: 5, maxLength: 20 }),
        (c, busy) => {
          const config = parseConfig({});
          const { snap } = build(c);
          let s = state();
          let t = NOW.getTime();
          let lastUp = Number.NEGATIVE_INFINITY;
          for (const [i, hot] of busy.entries()) {
            t += 60_000;
            const load = hot
              ? { cpu: 0.9, cpuUpMin: 0.85, cpuDownMax: 0.9, memory: 0.3 }
              : { cpu: 0.1, memory: 0.2 };
            const d = decide(
              { ...snapshot(snap.nodes, [], load), takenAt: new Date(t).toISOString() },
              s,
              config,
              new Date(t),
            );
            if (d.kind === 'scale-down')
              expect(t - lastUp).toBeGreaterThanOrEqual(config.scaleUp.cooldownSeconds * 1000);
            if (d.kind === 'scale-up') lastUp = t;
            // Settle the action at once so the next evaluation sees a quiet ledger.
            s = {
              ...startAction(
                s,
                d,
                `01JAAAAAAAAAAAAAAAAAAAAA${i.toString().padStart(2, '0')}`,
                new Date(t),
              ),
              inFlight: [],
            };
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('decide: scale-down cooldown', () => {
  it('removes within the scale-down cooldown only a clear surplus', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 10 }),
        fc.double({ min: 0, max: 0.29, noNaN: true }),
        fc.integer({ min: 0, max: 1200 }),
        (count, cpu, sinceDown) => {
          const config = parseConfig({});
          const fleet = Array.from({ length: count }, (_, i) => ({
            name: `n${i}`,
            instanceId: `i-${(i + 1).toString(16).padStart(8, '0')}`,
            managed: true,
            smartscaleInstance: true,
            ready: true,
            unschedulable: false,
            createdAt: ago(7200),
            allocatable: { cpuMillis: 1800, memoryBytes: 3584 * MiB },
            pods: [],
          }));
          const d = decide(
            snapshot(fleet, [], { cpu, memory: 0.2 }),
            state({ lastScaleDownAt: ago(sinceDown) }),
            config,
            NOW,
          );
          if (d.kind === 'scale-down' && sinceDown < config.scaleDown.cooldownSeconds) {
            expect((cpu * count) / (count - 1)).toBeLessThan(config.scaleDown.cpuThreshold);
          }
          if (
            sinceDown >= config.scaleDown.cooldownSeconds &&
            (cpu * count) / (count - 1) < config.scaleUp.targetCpuUtilization
          ) {
            expect(d.kind).toBe('scale-down');
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('planScaleUp: invariants', () => {
  it('a planned scale-up really fits the pods it was planned for', () => {
    fc.assert(
      fc.property(fc.array(podArb, { maxLength: 60 }), (pods) => {
        const config = parseConfig({ workers: { max: 1000 }, scaleUp: { maxStep: 1000 } });
        const node = podAllocatable(config);
        const plan = planScaleUp(
          { pendingPods: pods, currentWorkers: 0, incomingWorkers: 0 },
          config,
        );
        const placeable = pods.filter(
          (p) => p.cpuMillis <= node.cpuMillis && p.memoryBytes <= node.memoryBytes,
        );
        expect(plan.tooLarge).toBe(pods.length - placeable.length);
        // Enough: a bin of free room per planned node holds every placeable pod.
        const bins = Array.from({ length: plan.nodesNeeded }, () => ({ ...node }));
        const sorted = [...placeable].sort(
          (a, b) =>
            Math.max(b.cpuMillis / node.cpuMillis, b.memoryBytes / node.memoryBytes) -
            Math.max(a.cpuMillis / node.cpuMillis, a.memoryBytes / node.memoryBytes),
        );
        expect(firstFit(sorted, bins).every((i) => i >= 0)).toBe(true);
        for (const b of bins) {
          expect(b.cpuMillis).toBeGreaterThanOrEqual(0);
          expect(b.memoryBytes).toBeGreaterThanOrEqual(0);
        }
        // Not wasteful: never more than twice the volume lower bound (FFD's guarantee is far tighter).
        const lower = Math.max(
          Math.ceil(placeable.reduce((s, p) => s + p.cpuMillis, 0) / node.cpuMillis),
          Math.ceil(placeable.reduce((s, p) => s + p.memoryBytes, 0) / node.memoryBytes),
        );
        expect(plan.nodesNeeded).toBeGreaterThanOrEqual(lower);
        expect(plan.nodesNeeded).toBeLessThanOrEqual(Math.max(2 * lower, lower + 1));
      }),
      { numRuns: 300 },
    );
  });
});
