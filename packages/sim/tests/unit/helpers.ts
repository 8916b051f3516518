import { type Policy, parseTrace, type Trace } from '../../src/index.js';

/** A trace from rows of [replicas, cpuUtil], one a minute. */
export function traceOf(rows: readonly (readonly [number, number])[], name = 'hand'): Trace {
  const body = rows.map(([r, u], m) => `${m * 60},${r},${u}`).join('\n');
  return parseTrace(`t,replicas,cpu_util\n${body}\n`, `${name}.csv`);
}

/** A scripted policy: `initial` workers, and launches at given seconds. */
export function scripted(initial: number, launches: Record<number, number> = {}): Policy {
  return {
    name: 'scripted',
    initialNodes: () => ({ count: initial, onDemandOnly: true }),
    step(ctx) {
      const count = launches[ctx.now];
      if (count) ctx.cluster.scaleUp(count, ctx.now);
    },
  };
}
