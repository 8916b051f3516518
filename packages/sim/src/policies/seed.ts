import type { SimNode } from '../cluster.js';
import { nodesFor } from '../model.js';
import type { Policy, PolicyContext } from '../simulator.js';

/** The rules of the documents SmartScale was built from, as numbers. */
export interface SeedRules {
  readonly intervalSeconds: number;
  readonly cpuUp: number;
  readonly cpuUpSamples: number;
  readonly cpuUpBig: number;
  readonly pendingUpSeconds: number;
  readonly pendingUpBigPods: number;
  readonly memoryUp: number;
  readonly cpuDown: number;
  readonly cpuDownSeconds: number;
  readonly memoryDown: number;
  readonly cooldownAfterUpSeconds: number;
  readonly cooldownAfterDownSeconds: number;
  readonly min: number;
  readonly max: number;
}

export const seedRules: SeedRules = {
  intervalSeconds: 120,
  cpuUp: 0.7,
  cpuUpSamples: 3,
  cpuUpBig: 0.85,
  pendingUpSeconds: 180,
  pendingUpBigPods: 5,
  memoryUp: 0.75,
  cpuDown: 0.3,
  cpuDownSeconds: 600,
  memoryDown: 0.5,
  cooldownAfterUpSeconds: 300,
  cooldownAfterDownSeconds: 600,
  min: 2,
  max: 10,
};

/** What the seed policy does at one sample. */
export type SeedAction = { kind: 'up'; count: number } | { kind: 'down' } | { kind: 'hold' };

/** The seed policy's memory between samples. */
export interface SeedMemory {
  highStreak: number;
  /** First sample of the current run of CPU below the scale-down threshold. */
  lowSince: number | null;
  lastUpAt: number | null;
  lastDownAt: number | null;
}

/** One sample as the seed policy reads it. */
export interface SeedSample {
  readonly now: number;
  readonly cpu: number;
  readonly memory: number;
  readonly pendingPods: number;
  readonly oldestPendingSeconds: number;
  /** Workers counted by the seed (running and launching, not draining). */
  readonly workers: number;
}

/**
 * The seed rules on one sample (pure, so they can be tested rule by rule).
 * Up when CPU > 70% for 3 consecutive samples, a pod pending > 3 min, or
 * memory > 75%: +2 if CPU > 85% or more than 5 pods pending, else +1.
 * Down by 1 when CPU < 30% for 10 min with nothing pending and memory < 50%.
 * Cooldowns: nothing for 5 min after a scale-up, 10 min after a scale-down.
 * Min 2, max 10.
 *
 * @example
 * const action = seedDecision(sample, memory, seedRules);
 */
export function seedDecision(sample: SeedSample, memory: SeedMemory, rules: SeedRules): SeedAction {
  const { now, cpu } = sample;
  memory.highStreak = cpu > rules.cpuUp ? memory.highStreak + 1 : 0;
  if (cpu < rules.cpuDown) memory.lowSince ??= now;
  else memory.lowSince = null;

  const sinceUp = memory.lastUpAt === null ? Number.POSITIVE_INFINITY : now - memory.lastUpAt;
  const sinceDown = memory.lastDownAt === null ? Number.POSITIVE_INFINITY : now - memory.lastDownAt;
  if (sinceUp < rules.cooldownAfterUpSeconds || sinceDown < rules.cooldownAfterDownSeconds)
    return { kind: 'hold' };

  const up =
    memory.highStreak >= rules.cpuUpSamples ||
    sample.oldestPendingSeconds > rules.pendingUpSeconds ||
    sample.memory > rules.memoryUp;
  if (up) {
    const step = cpu > rules.cpuUpBig || sample.pendingPods > rules.pendingUpBigPods ? 2 : 1;
    const count = Math.min(step, rules.max - sample.workers);
    if (count <= 0) return { kind: 'hold' };
    memory.lastUpAt = now;
    return { kind: 'up', count };
  }
  const down =
    memory.lowSince !== null &&
    now - memory.lowSince >= rules.cpuDownSeconds &&
    sample.pendingPods === 0 &&
    sample.memory < rules.memoryDown &&
    sample.workers > rules.min;
  if (down) {
    memory.lastDownAt = now;
    return { kind: 'down' };
  }
  return { kind: 'hold' };
}

/**
 * The seed policy in the simulator: samples every 2 minutes, no Spot
 * handling (an interrupted node's pods go Pending when it is reclaimed),
 * removes the node with the fewest pods without checking where they go.
 *
 * @example
 * simulate(trace, seedPolicy(), options);
 */
export function seedPolicy(rules: SeedRules = seedRules): Policy {
  const memory: SeedMemory = { highStreak: 0, lowSince: null, lastUpAt: null, lastDownAt: null };
  let nextSample = 0;
  return {
    name: 'seed',
    initialNodes: (trace, options) => ({
      count: Math.min(
        rules.max,
        Math.max(rules.min, nodesFor(trace.points[0]?.replicas ?? 0, options)),
      ),
    }),
    step(ctx: PolicyContext) {
      if (ctx.now < nextSample) return;
      nextSample += rules.intervalSeconds;
      const { cluster, now } = ctx;
      let oldest = 0;
      for (const pod of cluster.pending) oldest = Math.max(oldest, now - (pod.pendingSince ?? now));
      const active = cluster.active();
      const action = seedDecision(
        {
          now,
          cpu: ctx.cpuNow(),
          memory: ctx.memoryNow(),
          pendingPods: cluster.pending.length,
          oldestPendingSeconds: oldest,
          workers: active.length,
        },
        memory,
        rules,
      );
      if (action.kind === 'up') cluster.scaleUp(action.count, now);
      if (action.kind === 'down') {
        let victim: SimNode | null = null;
        for (const n of active)
          if (
            n.ready &&
            (!victim ||
              n.pods.size < victim.pods.size ||
              (n.pods.size === victim.pods.size && n.id > victim.id))
          )
            victim = n;
        if (victim) cluster.scaleDown(victim, now);
      }
    },
  };
}
