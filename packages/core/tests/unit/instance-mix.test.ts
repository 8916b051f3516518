import { createMessage, type PendingPod } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  blendedHourlyUsd,
  decide,
  evaluate,
  type InstanceCatalog,
  K3S_MAX_PODS,
  parseConfig,
  planInstanceMix,
  priceBook,
  type ResolvedInstanceType,
  scaleUpHeadline,
  startAction,
  type TypeOffer,
} from '../../src/index.js';
import { classifyPendingPods } from '../../src/pending-pods.js';
import { fullNodes, MiB, NOW, pending, snapshot, state } from './fixtures.js';

function type(
  instanceType: string,
  vcpu: number,
  memoryMiB: number,
  architecture: 'x86_64' | 'arm64' = 'x86_64',
): ResolvedInstanceType {
  return {
    instanceType,
    vcpu,
    memoryMiB,
    architecture,
    currentGeneration: true,
    capacity: { cpuMillis: vcpu * 1000, memoryBytes: memoryMiB * MiB },
    network: { maxNetworkInterfaces: 3, ipv4AddressesPerInterface: 12, eniMaxPods: 35 },
    maxPods: K3S_MAX_PODS,
  };
}

const t3large = type('t3.large', 2, 8192);
const m7glarge = type('m7g.large', 2, 8192, 'arm64');
const m7gxlarge = type('m7g.xlarge', 4, 16384, 'arm64');
const c7ixlarge = type('c7i.xlarge', 4, 8192);
const config = parseConfig({ instance: { types: ['t3.large', 'm7g.large'] } });

const offer = (t: ResolvedInstanceType, hourlyUsd: number): TypeOffer => ({ type: t, hourlyUsd });
const arm = { nodeSelector: { 'kubernetes.io/arch': 'arm64' } };
const amd = { nodeSelector: { 'kubernetes.io/arch': 'amd64' } };
const pods = (n: number, over: Partial<PendingPod> = {}) => pending(n, 60, over);

describe('planInstanceMix: cheapest per fitted pod across types', () => {
  it('gives arm64 pods an arm64 type and amd64 pods an x86_64 type, whatever is cheaper', () => {
    const plan = planInstanceMix(
      {
        pendingPods: [
          ...pods(4, { ...arm, owner: 'ReplicaSet/web-arm' }),
          ...pods(2, { ...amd, owner: 'ReplicaSet/api' }),
        ],
        // x86 is the cheaper type: an arch-blind planner would put everything on it.
        offers: [offer(t3large, 0.05), offer(m7glarge, 0.08)],
        currentWorkers: 2,
      },
      config,
    );
    expect(plan.launches.map((l) => [l.instanceType, l.count, l.pods])).toEqual([
      ['t3.large', 1, 2],
      ['m7g.large', 2, 4],
    ]);
    expect(plan.nodesNeeded).toBe(3);
    expect(plan.launches[1]?.owners).toEqual(['shop/ReplicaSet/web-arm']);
  });

  it('picks the type with the lowest price per pod it hosts, not the cheapest node', () => {
    // 500m pods: a t3.large (1800m for pods) takes 3, a c7i.xlarge (3800m) takes 7.
    const pendingPods = pods(7);
    const cheapNode = planInstanceMix(
      { pendingPods, offers: [offer(t3large, 0.08), offer(c7ixlarge, 0.17)], currentWorkers: 0 },
      config,
    );
    // 0.17 / 7 = 0.024 per pod beats 0.08 / 3 = 0.027.
    expect(cheapNode.launches.map((l) => [l.instanceType, l.count])).toEqual([['c7i.xlarge', 1]]);
    const dearBig = planInstanceMix(
      { pendingPods, offers: [offer(t3large, 0.08), offer(c7ixlarge, 0.2)], currentWorkers: 0 },
      config,
    );
    // 0.2 / 7 = 0.0286 per pod loses to 0.0267: three t3.large hold the seven pods.
    expect(dearBig.launches.map((l) => [l.instanceType, l.count])).toEqual([['t3.large', 3]]);
    expect(dearBig.launches[0]?.perPodHourlyUsd).toBeCloseTo((0.08 * 3) / 7, 6);
  });

  it('honours a node selector on node.kubernetes.io/instance-type', () => {
    const plan = planInstanceMix(
      {
        pendingPods: pods(1, {
          nodeSelector: { 'node.kubernetes.io/instance-type': 'm7g.xlarge' },
        }),
        offers: [offer(t3large, 0.01), offer(m7glarge, 0.01), offer(m7gxlarge, 0.5)],
        currentWorkers: 0,
      },
      config,
    );
    expect(plan.launches.map((l) => l.instanceType)).toEqual(['m7g.xlarge']);
  });

  it('a pod too large for the smallest type goes to a type that fits it', () => {
    const plan = planInstanceMix(
      {
        pendingPods: pods(1, { cpuMillis: 3000 }),
        offers: [offer(t3large, 0.01), offer(c7ixlarge, 0.5)],
        currentWorkers: 0,
      },
      config,
    );
    expect(plan.launches.map((l) => l.instanceType)).toEqual(['c7i.xlarge']);
    expect(plan.tooLarge).toBe(0);
  });

  it('uses free room first, only on nodes whose type hosts the pod', () => {
    const input = {
      pendingPods: pods(1, arm),
      offers: [offer(t3large, 0.05), offer(m7glarge, 0.06)],
      currentWorkers: 3,
    };
    const room = { cpuMillis: 1000, memoryBytes: 2048 * MiB };
    // An x86 node's room cannot take an arm64 pod.
    const onX86 = planInstanceMix(
      { ...input, existingFree: [{ ...room, instanceType: 't3.large' }] },
      config,
    );
    expect(onX86.podsOnIncoming).toBe(0);
    expect(onX86.launches.map((l) => l.instanceType)).toEqual(['m7g.large']);
    const onArm = planInstanceMix(
      { ...input, existingFree: [{ ...room, instanceType: 'm7g.large' }] },
      config,
    );
    expect(onArm).toMatchObject({ podsOnIncoming: 1, nodesNeeded: 0, launches: [] });
    // A worker still launching: its type is unknown, the pod is given the benefit of the doubt.
    expect(planInstanceMix({ ...input, existingFree: [room] }, config).podsOnIncoming).toBe(1);
  });

  it('keeps to the step limit and max, launching the best value first', () => {
    const capped = parseConfig({
      instance: { types: ['t3.large', 'm7g.large'] },
      workers: { max: 10 },
      scaleUp: { maxStep: 2 },
    });
    const plan = planInstanceMix(
      {
        pendingPods: [...pods(9, arm), ...pods(3, amd)],
        offers: [offer(t3large, 0.05), offer(m7glarge, 0.03)],
        currentWorkers: 2,
      },
      capped,
    );
    expect(plan).toMatchObject({ nodesNeeded: 4, nodesToAdd: 2, cappedBy: 'step' });
    expect(plan.launches).toMatchObject([{ instanceType: 'm7g.large', count: 2 }]);
    const atMax = planInstanceMix(
      { pendingPods: pods(9, arm), offers: [offer(m7glarge, 0.03)], currentWorkers: 9 },
      capped,
    );
    expect(atMax).toMatchObject({ nodesToAdd: 1, cappedBy: 'max' });
  });

  it('packs ten thousand pods of a few shapes quickly (identical workers chosen at once)', () => {
    const many = [
      ...pods(5000, { ...arm, owner: 'ReplicaSet/a' }),
      ...pods(5000, { cpuMillis: 250, memoryBytes: 256 * MiB, owner: 'ReplicaSet/b' }),
    ];
    const offers = [
      offer(t3large, 0.08),
      offer(m7glarge, 0.06),
      offer(c7ixlarge, 0.17),
      offer(m7gxlarge, 0.13),
    ];
    const started = performance.now();
    const plan = planInstanceMix({ pendingPods: many, offers, currentWorkers: 0 }, config);
    expect(performance.now() - started).toBeLessThan(2000);
    const hosted = plan.nodesNeeded;
    expect(hosted).toBeGreaterThan(1000);
    expect(plan.nodesToAdd).toBe(10);
  });

  it('refuses an empty offer list, naming it', () => {
    expect(() =>
      planInstanceMix({ pendingPods: [], offers: [], currentWorkers: 0 }, config),
    ).toThrow(/expected at least one instance type offer/);
  });

  it('weighs Spot and on-demand prices by the share of new workers bought as Spot', () => {
    const book = priceBook(config, { spot: new Map([['m7g.large', 0.02]]) });
    expect(blendedHourlyUsd(book, 'm7g.large', 0.5)).toBeCloseTo((0.0816 + 0.02) / 2, 6);
    expect(blendedHourlyUsd(book, 'm7g.large', 0)).toBeCloseTo(0.0816, 6);
  });
});

describe('planInstanceMix: Spot alternatives within instance.spotFlexibility', () => {
  const t3alarge = type('t3a.large', 2, 8192);
  const m7ilarge = type('m7i.large', 2, 8192);
  const t3small = type('t3.small', 1, 2048);
  const offers = [
    offer(t3large, 0.08),
    offer(m7glarge, 0.081), // as cheap, other architecture
    offer(t3small, 0.05), // cheaper per hour, hosts 1 of the 3 pods
    offer(m7ilarge, 0.1), // hosts them, 25 % dearer per pod
    offer(t3alarge, 0.09), // hosts them, 12.5 % dearer per pod
  ];

  it("names the same-architecture types that host the worker's pods within the tolerance, cheapest first", () => {
    const plan = planInstanceMix({ pendingPods: pods(3, amd), offers, currentWorkers: 0 }, config);
    expect(plan.launches.map((l) => [l.instanceType, l.count, l.alternatives])).toEqual([
      ['t3.large', 1, ['t3a.large']],
    ]);
    const wide = planInstanceMix(
      { pendingPods: pods(3, amd), offers, currentWorkers: 0 },
      parseConfig({ instance: { types: ['t3.large'], spotFlexibility: 0.3 } }),
    );
    expect(wide.launches[0]?.alternatives).toEqual(['t3a.large', 'm7i.large']);
  });

  it("offers no type a pod's node selector refuses", () => {
    const pinned = { nodeSelector: { 'node.kubernetes.io/instance-type': 't3.large' } };
    const plan = planInstanceMix(
      { pendingPods: pods(3, pinned), offers, currentWorkers: 0 },
      config,
    );
    expect(plan.launches[0]?.alternatives).toEqual([]);
  });

  it('0 keeps the chosen type alone', () => {
    const plan = planInstanceMix(
      { pendingPods: pods(3, amd), offers, currentWorkers: 0 },
      parseConfig({ instance: { types: ['t3.large'], spotFlexibility: 0 } }),
    );
    expect(plan.launches[0]?.alternatives).toEqual([]);
  });

  it('refuses a tolerance outside 0..1, saying what it is', () => {
    expect(() => parseConfig({ instance: { spotFlexibility: 1.5 } })).toThrow(
      /instance\.spotFlexibility is a fraction of the chosen type's cost per pod/,
    );
    expect(parseConfig({}).instance.spotFlexibility).toBe(0.2);
  });

  it('the scale-up decision carries the alternatives in its launches', () => {
    const catalog: InstanceCatalog = {
      types: [t3large, t3alarge],
      prices: priceBook(config, {
        spot: new Map([
          ['t3.large', 0.03],
          ['t3a.large', 0.028],
        ]),
      }),
    };
    const cfg = parseConfig({ instance: { types: ['t3.large', 't3a.large'] } });
    const decision = decide(snapshot(fullNodes(2), pods(3)), state(), cfg, NOW, catalog);
    expect(decision.kind).toBe('scale-up');
    if (decision.kind !== 'scale-up') return;
    // t3a.large is cheaper on both markets (on-demand 0.0752 vs 0.0832): chosen, t3.large within 20 %.
    expect(decision.launches).toEqual([
      { instanceType: 't3a.large', count: 1, alternatives: ['t3.large'] },
    ]);
  });
});

describe('classifyPendingPods with several types', () => {
  it('an arm64 pod is hostable only when an arm64 type is resolved', () => {
    const [armPod] = pods(1, arm);
    const x86Only = classifyPendingPods([armPod as PendingPod], config, [t3large, c7ixlarge]);
    expect(x86Only.unhostable[0]).toMatchObject({
      code: 'node-selector-unsatisfiable',
      detail:
        'nodeSelector kubernetes.io/arch=arm64; new workers (t3.large) have kubernetes.io/arch=amd64',
    });
    expect(
      classifyPendingPods([armPod as PendingPod], config, [t3large, m7glarge]).hostable,
    ).toHaveLength(1);
  });

  it('a pod larger than every type names the largest', () => {
    const [huge] = pods(1, { cpuMillis: 8000 });
    expect(
      classifyPendingPods([huge as PendingPod], config, [t3large, c7ixlarge]).unhostable[0]?.detail,
    ).toContain('the largest, c7i.xlarge, offers pods 3800m');
  });
});

describe('decide with a catalog of several types', () => {
  const catalog: InstanceCatalog = {
    types: [t3large, m7glarge],
    prices: priceBook(config, {
      spot: new Map([
        ['t3.large', 0.03],
        ['m7g.large', 0.025],
      ]),
    }),
  };

  it('names the chosen types and why in the scale-up', () => {
    const s = snapshot(fullNodes(2), [
      ...pods(2, { ...arm, owner: 'ReplicaSet/web-1' }),
      ...pods(1, amd),
    ]);
    const decision = decide(s, state(), config, NOW, catalog);
    expect(decision).toMatchObject({
      kind: 'scale-up',
      count: 2,
      launches: [
        { instanceType: 'm7g.large', count: 1 },
        { instanceType: 't3.large', count: 1 },
      ],
    });
    const why = decision.reasons.find((r) => r.code === 'pending-pods');
    expect(why?.message).toMatch(
      /^3 pod\(s\) unschedulable; 2 node\(s\) fit them, cheapest per pod: 1 x m7g\.large \(arm64; 2 pod\(s\) of shop\/ReplicaSet\/web-1; \$0\.\d{4}\/h per pod\) \+ 1 x t3\.large/,
    );
  });

  it('with one type, decides as before: no launches', () => {
    const single = parseConfig({});
    const s = snapshot(fullNodes(2), pods(3));
    const decision = decide(s, state(), single, NOW, {
      types: [type('t3.medium', 2, 4096)],
      prices: priceBook(single),
    });
    expect(decision).toEqual(decide(s, state(), single, NOW));
    expect(decision).toMatchObject({ kind: 'scale-up', count: 1 });
    expect('launches' in decision).toBe(false);
  });

  it('places pending pods on workers still launching as the types chosen for them', () => {
    const big = type('m7g.4xlarge', 16, 65536, 'arm64');
    const wide: InstanceCatalog = { types: [t3large, m7glarge, big], prices: catalog.prices };
    const s = snapshot(fullNodes(2), pods(20, arm));
    const first = decide(s, state(), config, NOW, wide);
    expect(first).toMatchObject({ kind: 'scale-up' });
    if (first.kind !== 'scale-up') return;
    // A minute later the same pods are still pending and the worker is still booting.
    const started = startAction(state(), first, 'a-1', NOW);
    expect(started.inFlight[0]?.instanceTypes).toEqual(
      first.launches?.flatMap((l) => Array.from({ length: l.count }, () => l.instanceType)),
    );
    const again = decide(s, started, config, NOW, wide);
    expect(again.kind).toBe('hold');
    expect(again.reasons.map((r) => r.code)).toContain('pending-covered-by-in-flight');
    // Without the recorded types the launching workers count as the smallest type: more would launch.
    const untyped = {
      ...started,
      inFlight: started.inFlight.map(({ instanceTypes: _, ...a }) => a),
    };
    expect(decide(s, untyped, config, NOW, wide).kind).toBe('scale-up');
  });

  it('a redelivered sample sends its ScaleUp again with the recorded types of the workers still to join', () => {
    const sample = createMessage(
      'MetricsSampled',
      snapshot(fullNodes(2)),
      { clusterId: 'test' },
      NOW,
    );
    const before = state({
      inFlight: [
        {
          actionId: sample.actionId,
          kind: 'scale-up',
          startedAt: NOW.toISOString(),
          pendingJoins: 3,
          instanceIds: [],
          settledInstanceIds: [],
          instanceTypes: ['m7g.large', 'm7g.large', 't3.large'],
        },
      ],
    });
    const replayed = evaluate(before, sample, config, NOW, { catalog });
    expect(replayed.status).toBe('replayed');
    expect(replayed.commands[0]?.payload).toEqual({
      count: 3,
      reason: 'redelivered',
      launches: [
        { instanceType: 'm7g.large', count: 2 },
        { instanceType: 't3.large', count: 1 },
      ],
    });
  });

  it('says the types in the headline of the audit, explain and Slack', () => {
    expect(
      scaleUpHeadline({
        count: 3,
        launches: [
          { instanceType: 'm7g.large', count: 2 },
          { instanceType: 't3.large', count: 1 },
        ],
      }),
    ).toBe('scale up by 3 (2 x m7g.large + 1 x t3.large)');
    expect(scaleUpHeadline({ count: 3 })).toBe('scale up by 3');
  });
});
