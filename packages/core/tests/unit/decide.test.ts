import { type Decision, DecisionSchema, type ReasonCode } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { defaultConfig as config, decide, parseConfig, startAction } from '../../src/index.js';
import { ago, fullNodes, NOW, node, nodes, pending, pod, snapshot, state } from './fixtures.js';

const codes = (d: Decision) => d.reasons.map((r) => r.code);
const expectHold = (d: Decision, code: ReasonCode) => {
  expect(d.kind).toBe('hold');
  expect(codes(d)).toContain(code);
};

describe('decide: scale up', () => {
  it('adds enough nodes for unschedulable pods past the grace', () => {
    const d = decide(snapshot(fullNodes(3), pending(7)), state(), config, NOW);
    expect(d).toMatchObject({ kind: 'scale-up', count: 3 });
    expect(codes(d)).toContain('pending-pods');
  });

  it('leaves pods pending for less than the grace to the scheduler', () => {
    const d = decide(snapshot(fullNodes(3), pending(4, 2)), state(), config, NOW);
    expectHold(d, 'pending-within-grace');
  });

  it('does not launch again for pods that fit on nodes already launching', () => {
    const s = startAction(
      state(),
      { kind: 'scale-up', count: 2, reasons: [{ code: 'pending-pods', message: '' }] },
      '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      new Date(NOW.getTime() - 30_000),
    );
    const d = decide(snapshot(fullNodes(3), pending(6)), s, config, NOW);
    expectHold(d, 'pending-covered-by-in-flight');
    const more = decide(snapshot(fullNodes(3), pending(9)), s, config, NOW);
    expect(more).toMatchObject({ kind: 'scale-up', count: 1 });
  });

  it('scales up on pending pods even inside the scale-up cooldown', () => {
    const d = decide(
      snapshot(fullNodes(3), pending(3)),
      state({ lastScaleUpAt: ago(60) }),
      config,
      NOW,
    );
    expect(d).toMatchObject({ kind: 'scale-up', count: 1 });
  });

  it('scales up on CPU sustained above 70% towards the target utilisation', () => {
    const d = decide(snapshot(fullNodes(4), [], { cpu: 0.9, cpuUpMin: 0.8 }), state(), config, NOW);
    // 4 nodes at 90% -> ceil(4*0.9/0.6) = 6 -> add 2
    expect(d).toMatchObject({ kind: 'scale-up', count: 2 });
    expect(codes(d)).toEqual(['cpu-high']);
  });

  it('does not scale up on a CPU spike that was not sustained', () => {
    const d = decide(
      snapshot(fullNodes(4), [], { cpu: 0.95, cpuUpMin: 0.5, cpuDownMax: 0.95 }),
      state(),
      config,
      NOW,
    );
    expect(d.kind).toBe('hold');
  });

  it('scales up on memory above 75%', () => {
    const d = decide(snapshot(fullNodes(4), [], { cpu: 0.4, memory: 0.8 }), state(), config, NOW);
    expect(d.kind).toBe('scale-up');
    expect(codes(d)).toContain('memory-high');
  });

  it('holds CPU-driven scale-up during the scale-up cooldown', () => {
    const d = decide(
      snapshot(fullNodes(4), [], { cpu: 0.9 }),
      state({ lastScaleUpAt: ago(120) }),
      config,
      NOW,
    );
    expectHold(d, 'cooldown-after-scale-up');
    expect(codes(d)).toContain('cpu-high');
  });

  it('holds at max and says so', () => {
    const d = decide(snapshot(fullNodes(10), pending(5)), state(), config, NOW);
    expectHold(d, 'at-max');
    const cpu = decide(snapshot(fullNodes(10), [], { cpu: 0.95 }), state(), config, NOW);
    expectHold(cpu, 'at-max');
  });

  it('caps a scale-up by max and by the step limit, with the reason', () => {
    const atEight = decide(snapshot(fullNodes(8), pending(20)), state(), config, NOW);
    expect(atEight).toMatchObject({ kind: 'scale-up', count: 2 });
    expect(codes(atEight)).toContain('capped-by-max');
    const stepped = parseConfig({ scaleUp: { maxStep: 3 }, workers: { max: 50 } });
    const d = decide(snapshot(fullNodes(3), pending(20)), state(), stepped, NOW);
    expect(d).toMatchObject({ kind: 'scale-up', count: 3 });
    expect(codes(d)).toContain('capped-by-step');
  });

  it('restores min workers', () => {
    const d = decide(snapshot(fullNodes(1)), state(), config, NOW);
    expect(d).toMatchObject({ kind: 'scale-up', count: 1 });
    expect(codes(d)).toEqual(['below-min']);
  });

  it('scales up on pending pods when Prometheus is down', () => {
    const d = decide(snapshot(fullNodes(3), pending(3), 'unavailable'), state(), config, NOW);
    expect(d.kind).toBe('scale-up');
  });

  it('reports pods larger than any node without launching for them (issue #16)', () => {
    const d = decide(
      snapshot(fullNodes(3), pending(1, 60, { cpuMillis: 4000 })),
      state(),
      config,
      NOW,
    );
    expectHold(d, 'pending-unhostable');
    expect(d.reasons.find((r) => r.code === 'pending-unhostable')?.unhostable).toEqual([
      expect.objectContaining({ pod: 'shop/web-pending-0', code: 'too-large-for-instance' }),
    ]);
  });
});

describe('decide: scale down', () => {
  const idle = { cpu: 0.1, memory: 0.2 };
  const young = ago(60);

  it('removes one node when CPU and memory are low for the window', () => {
    const fleet = nodes(4);
    const d = decide(snapshot(fleet, [], idle), state(), config, NOW);
    expect(d.kind).toBe('scale-down');
    expect(codes(d)).toEqual(['cpu-low', 'memory-low', 'victim-chosen']);
  });

  it.each([
    [
      'CPU not low for the whole window',
      { cpu: 0.1, cpuDownMax: 0.35, memory: 0.2 },
      'cpu-not-low',
    ],
    ['memory not low', { cpu: 0.1, memory: 0.55 }, 'memory-not-low'],
  ])('holds when %s', (_, load, code) => {
    expectHold(decide(snapshot(nodes(4), [], load), state(), config, NOW), code as ReasonCode);
  });

  it('never scales down blind when metrics are missing', () => {
    expectHold(
      decide(snapshot(nodes(4), [], 'unavailable'), state(), config, NOW),
      'metrics-unavailable',
    );
  });

  it('holds at min', () => {
    expectHold(decide(snapshot(nodes(2), [], idle), state(), config, NOW), 'at-min');
  });

  it('holds in both cooldowns', () => {
    expectHold(
      decide(snapshot(nodes(4), [], idle), state({ lastScaleUpAt: ago(200) }), config, NOW),
      'cooldown-after-scale-up',
    );
    // 4 nodes at 25% CPU: 33% with one fewer, not a clear surplus.
    expectHold(
      decide(
        snapshot(nodes(4), [], { cpu: 0.25, memory: 0.2 }),
        state({ lastScaleDownAt: ago(500) }),
        config,
        NOW,
      ),
      'cooldown-after-scale-down',
    );
    expect(
      decide(
        snapshot(nodes(4), [], idle),
        state({ lastScaleDownAt: ago(601), lastScaleUpAt: ago(301) }),
        config,
        NOW,
      ).kind,
    ).toBe('scale-down');
  });

  it('sheds a clear surplus without waiting out the scale-down cooldown, unless told to', () => {
    const s = state({ lastScaleDownAt: ago(120) });
    expect(decide(snapshot(nodes(6), [], idle), s, config, NOW).kind).toBe('scale-down');
    const strict = parseConfig({ scaleDown: { skipCooldownWhenSurplus: false } });
    expectHold(decide(snapshot(nodes(6), [], idle), s, strict, NOW), 'cooldown-after-scale-down');
  });

  it('removes one node at a time', () => {
    const fleet = nodes(5);
    const first = decide(snapshot(fleet, [], idle), state(), config, NOW);
    const s = startAction(
      { ...state(), lastScaleDownAt: ago(700) },
      first,
      '01HZZZZZZZZZZZZZZZZZZZZZZZ',
      new Date(NOW.getTime() - 700_000),
    );
    expectHold(decide(snapshot(fleet, [], idle), s, config, NOW), 'scale-down-in-flight');
  });

  it('holds while a node is not Ready', () => {
    expectHold(
      decide(snapshot([...nodes(3), node({ ready: false })], [], idle), state(), config, NOW),
      'nodes-not-ready',
    );
  });

  it('holds when one node fewer would push CPU past the target', () => {
    expectHold(
      decide(
        snapshot(nodes(3), [], { cpu: 0.29, memory: 0.2 }),
        state(),
        parseConfig({ scaleUp: { targetCpuUtilization: 0.4 } }),
        NOW,
      ),
      'projected-cpu-too-high',
    );
  });

  it('holds when every node is too young, pinned or unmanaged', () => {
    const fleet = [
      node({ createdAt: young }),
      node({ pods: [pod({ doNotDisrupt: true })] }),
      node({ managed: false }),
    ];
    const d = decide(snapshot(fleet, [], idle), state(), config, NOW);
    expectHold(d, 'no-eligible-victim');
    const held = d.reasons.find((r) => r.code === 'no-eligible-victim');
    expect(held?.refusals?.map((r) => [r.nodeName, r.code])).toEqual([
      [fleet[0]?.name, 'too-young'],
      [fleet[1]?.name, 'do-not-disrupt'],
      [fleet[2]?.name, 'not-managed'],
    ]);
    expect(held?.refusals?.[1]?.pod).toBe(`shop/${fleet[1]?.pods[0]?.name}`);
    expect(held?.message).toContain(`${fleet[1]?.name}: do-not-disrupt (shop/`);
    expect(DecisionSchema.parse(d)).toEqual(d);
  });

  it('holds when the victim pods would not fit elsewhere', () => {
    const full = () => node({ pods: [pod({ cpuMillis: 1500 })] });
    const d = decide(snapshot([full(), full(), full()], [], idle), state(), config, NOW);
    expectHold(d, 'victim-pods-would-not-fit');
  });

  it('holds everything when paused, with who and why', () => {
    const d = decide(
      snapshot(nodes(3), pending(10)),
      state({ paused: { by: 'alice', reason: 'incident 42', at: ago(10) } }),
      config,
      NOW,
    );
    expectHold(d, 'paused');
    expect(d.reasons[0]?.message).toContain('alice');
  });
});

describe('decide: application triggers', () => {
  const queue = parseConfig({
    appTriggers: [
      { name: 'queue-depth', query: 'sum(rabbitmq_queue_messages)', threshold: 1000, addNodes: 2 },
    ],
  });

  it('scales up when a sustained application signal crosses its threshold', () => {
    const d = decide(
      { ...snapshot(nodes(3), [], { cpu: 0.4 }), appSignals: { 'queue-depth': 4200 } },
      state(),
      queue,
      NOW,
    );
    expect(d).toMatchObject({ kind: 'scale-up', count: 2 });
    expect(d.reasons[0]).toMatchObject({
      code: 'app-trigger',
      data: { trigger: 'queue-depth', value: 4200 },
    });
  });

  it('ignores a trigger below its threshold or without a value, and respects the cooldown', () => {
    expect(
      decide(
        { ...snapshot(nodes(3), [], { cpu: 0.4 }), appSignals: { 'queue-depth': 10 } },
        state(),
        queue,
        NOW,
      ).kind,
    ).toBe('hold');
    expect(decide(snapshot(nodes(3), [], { cpu: 0.4 }), state(), queue, NOW).kind).toBe('hold');
    const cooling = decide(
      { ...snapshot(nodes(3), [], { cpu: 0.4 }), appSignals: { 'queue-depth': 4200 } },
      state({ lastScaleUpAt: ago(60) }),
      queue,
      NOW,
    );
    expect(cooling.reasons.map((r) => r.code)).toEqual(['app-trigger', 'cooldown-after-scale-up']);
  });

  it('rejects a bad trigger at start-up', () => {
    expect(() =>
      parseConfig({ appTriggers: [{ name: 'Queue Depth', query: 'x', threshold: 1 }] }),
    ).toThrow('appTriggers[0].name: expected a lowercase name');
    expect(() =>
      parseConfig({
        appTriggers: [
          { name: 'a', query: 'x', threshold: 1 },
          { name: 'a', query: 'y', threshold: 2 },
        ],
      }),
    ).toThrow("duplicate trigger name 'a'");
  });
});

describe('decide: below min with pods waiting', () => {
  it('restores min and sizes for the pending pods in one step', () => {
    const d = decide(snapshot([], pending(14)), state(), config, NOW);
    expect(d).toMatchObject({ kind: 'scale-up', count: 5 });
    expect(d.reasons.map((r) => r.code)).toEqual(['below-min', 'pending-pods']);
  });
});

describe('decide: pods waiting for the scheduler', () => {
  it('does not launch for pending pods that fit free room on a node that just joined', () => {
    const fresh = node({ pods: [] });
    const busy = nodes(2, { pods: [pod(), pod(), pod()] });
    const d = decide(snapshot([...busy, fresh], pending(3)), state(), config, NOW);
    expectHold(d, 'pending-covered-by-in-flight');
    expect(decide(snapshot([...busy, fresh], pending(5)), state(), config, NOW)).toMatchObject({
      kind: 'scale-up',
      count: 1,
    });
  });
});
