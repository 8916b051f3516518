import type { SimNode } from '../cluster.js';
import { nodesFor, type SimOptions } from '../model.js';
import type { Policy } from '../simulator.js';
import { TRACE_STEP_SECONDS, type Trace } from '../trace.js';

/**
 * Workers the oracle keeps at each minute: enough for that minute's pods
 * (within min and max), with dips shorter than a remove-and-relaunch
 * (drain + boot) filled in, since riding them out costs less.
 */
export function oraclePlan(trace: Trace, options: SimOptions): number[] {
  const { min, max } = options.config.workers;
  const need = trace.points.map((p) => Math.min(max, Math.max(min, nodesFor(p.replicas, options))));
  const gap = Math.ceil(
    (options.config.instance.bootSeconds + options.drainSeconds) / TRACE_STEP_SECONDS,
  );
  const n = need.length;
  // Highest need within `gap` minutes before and after each minute.
  const before = need.map((_, m) => Math.max(...need.slice(Math.max(0, m - gap), m + 1)));
  const after = need.map((_, m) => Math.max(...need.slice(m, Math.min(n, m + gap + 1))));
  return need.map((v, m) => Math.max(v, Math.min(before[m] as number, after[m] as number)));
}

/**
 * A lower bound that knows the future: every minute it has just the workers
 * that minute's pods need, each launched exactly one boot time ahead, and a
 * Spot replacement launched on the warning while the old node serves on.
 *
 * @example
 * simulate(trace, oraclePolicy(trace, options), options);
 */
export function oraclePolicy(trace: Trace, options: SimOptions): Policy {
  const plan = oraclePlan(trace, options);
  const boot = options.config.instance.bootSeconds;
  const last = plan.length - 1;
  const at = (seconds: number) =>
    plan[Math.min(last, Math.max(0, Math.floor(seconds / TRACE_STEP_SECONDS)))] as number;
  return {
    name: 'oracle',
    initialNodes: () => ({ count: plan[0] ?? 0 }),
    step(ctx) {
      const { cluster, now } = ctx;
      const active = cluster.active();
      const ahead = at(now + boot);
      if (active.length < ahead) {
        cluster.scaleUp(ahead - active.length, now);
        return;
      }
      let want = at(now);
      for (let s = now; s <= now + boot; s += TRACE_STEP_SECONDS) want = Math.max(want, at(s));
      const ready = active.filter((n) => n.ready);
      const surplus = Math.min(active.length - want, ready.length - at(now));
      if (surplus <= 0) return;
      const victims = [...ready].sort(
        (a: SimNode, b: SimNode) => a.pods.size - b.pods.size || b.id - a.id,
      );
      for (const v of victims.slice(0, surplus)) cluster.scaleDown(v, now);
    },
    onSpotWarning(node, ctx) {
      ctx.cluster.replace(node, ctx.now);
      return 'ride-out';
    },
  };
}
