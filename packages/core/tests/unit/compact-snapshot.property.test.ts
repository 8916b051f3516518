import {
  type ClusterSnapshot,
  decodeSnapshot,
  encodeSnapshot,
  type NodeInfo,
  type PodInfo,
} from '@smartscale/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide, parseConfig, pickVictim } from '../../src/index.js';
import { ago, MiB, NOW, snapshot, state } from './fixtures.js';

// Workloads a generated node draws its pods from: replicas share a shape, and
// the shapes cover every pod rule victim selection and explain report.
const workloads: Omit<PodInfo, 'name'>[] = [
  { namespace: 'shop', ownerKind: 'ReplicaSet', ownerName: 'web', ownerReplicas: 6 },
  {
    namespace: 'shop',
    ownerKind: 'ReplicaSet',
    ownerName: 'api',
    ownerReplicas: 3,
    hasPdb: true,
    pdbName: 'api',
    pdbDisruptionsAllowed: 0,
  },
  {
    namespace: 'shop',
    ownerKind: 'ReplicaSet',
    ownerName: 'api2',
    ownerReplicas: 3,
    hasPdb: true,
    pdbName: 'api2',
    pdbDisruptionsAllowed: 1,
  },
  { namespace: 'shop', ownerKind: 'StatefulSet', ownerName: 'db', ownerReplicas: 3 },
  { namespace: 'shop', ownerKind: 'ReplicaSet', ownerName: 'solo', ownerReplicas: 1 },
  { namespace: 'kube-system', ownerKind: 'DaemonSet', ownerName: 'proxy' },
  { namespace: 'kube-system', ownerKind: 'ReplicaSet', ownerName: 'coredns', ownerReplicas: 2 },
  { namespace: 'shop', ownerKind: 'Job', ownerName: 'batch', finished: true },
  {
    namespace: 'shop',
    ownerKind: 'ReplicaSet',
    ownerName: 'tmp',
    ownerReplicas: 4,
    localStorage: true,
  },
  {
    namespace: 'shop',
    ownerKind: 'ReplicaSet',
    ownerName: 'pinned',
    ownerReplicas: 4,
    doNotDisrupt: true,
  },
  { namespace: 'shop', ownerKind: 'None', safeToEvict: true },
].map((w) => ({
  cpuMillis: 200,
  memoryBytes: 256 * MiB,
  hasPdb: false,
  doNotDisrupt: false,
  localStorage: false,
  ...w,
})) as Omit<PodInfo, 'name'>[];

const nodeArb = fc.record({
  managed: fc.constantFrom(true, true, true, true, false),
  ready: fc.boolean(),
  cordoned: fc.boolean(),
  ageSeconds: fc.integer({ min: 0, max: 7200 }),
  pods: fc.array(
    fc.record({
      workload: fc.nat({ max: workloads.length - 1 }),
      cpuMillis: fc.constantFrom(100, 200, 500),
    }),
    { maxLength: 12 },
  ),
});

type GeneratedNode = typeof nodeArb extends fc.Arbitrary<infer T> ? T : never;

function cluster(nodes: GeneratedNode[], pending: number, cpu: number): ClusterSnapshot {
  const built: NodeInfo[] = nodes.map((n, i) => ({
    name: `n${i}`,
    instanceId: `i-${(i + 1).toString(16).padStart(8, '0')}`,
    managed: n.managed,
    ready: n.ready || i % 4 !== 0,
    unschedulable: n.cordoned && i % 5 === 0,
    createdAt: ago(n.ageSeconds),
    allocatable: { cpuMillis: 1800, memoryBytes: 3584 * MiB },
    pods: n.pods.map((p, j) => ({
      ...(workloads[p.workload] as Omit<PodInfo, 'name'>),
      cpuMillis: p.cpuMillis,
      name: `${workloads[p.workload]?.ownerName ?? 'bare'}-${i}-${j}`,
    })),
  }));
  // Most tolerate the workers' taint; some claim a volume pinned to a zone
  // with workers, some one pinned to a zone without (unhostable).
  const pendingPods = Array.from({ length: pending }, (_, i) => ({
    namespace: 'shop',
    name: `rush-${i}`,
    cpuMillis: i % 3 === 0 ? 1000 : 300,
    memoryBytes: 512 * MiB,
    pendingSince: ago(i % 2 === 0 ? 60 : 2),
    owner: `ReplicaSet/rush-${i % 3}`,
    ...(i % 4 === 3 ? {} : { tolerations: [{ key: 'dedicated', operator: 'Exists' as const }] }),
    ...(i % 5 === 2
      ? {
          volumeZones: [
            {
              claim: `shop/data-rush-${i}`,
              volume: `pv-${i}`,
              zones: [i % 2 === 0 ? 'us-east-1c' : 'us-east-1a'],
            },
          ],
        }
      : {}),
  }));
  return snapshot(built, pendingPods, { cpu, cpuUpMin: cpu, cpuDownMax: cpu, memory: cpu / 2 });
}

function chosen(choice: ReturnType<typeof pickVictim>) {
  return choice.ok ? { node: choice.node.name, podsToMove: choice.podsToMove } : choice;
}

/**
 * The decision with the pod records it carries stripped of their names, and
 * the unhostable pending pods of theirs, as a set (the wire keeps one name
 * per group and groups them); refusals keep theirs.
 */
function unnamedPods(decision: object): unknown {
  return JSON.parse(
    JSON.stringify(decision, (key, value) =>
      // The wire groups pending pods by shape, so the listing's order may differ.
      key === 'unhostable' && Array.isArray(value)
        ? value
            .map(({ pod: _, ...u }) => u)
            .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))
        : value && typeof value === 'object' && 'ownerKind' in value
          ? { ...value, name: undefined }
          : value,
    ),
  );
}

const config = parseConfig({
  workers: { min: 1, max: 40 },
  instance: {
    zones: ['us-east-1a', 'us-east-1b'],
    taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
  },
});

describe('the compact snapshot decides as the full one', () => {
  it('victim selection, its refusals (explain) and the whole decision agree', () => {
    fc.assert(
      fc.property(
        fc.array(nodeArb, { minLength: 1, maxLength: 12 }),
        fc.nat({ max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (nodes, pending, cpu) => {
          const full = cluster(nodes, pending, cpu);
          const compact = decodeSnapshot(encodeSnapshot(full));
          // The chosen node carries its pods, whose names past each group's first
          // are not on the wire; everything a person or a command sees must agree.
          expect(chosen(pickVictim(compact.nodes, config, NOW))).toEqual(
            chosen(pickVictim(full.nodes, config, NOW)),
          );
          expect(unnamedPods(decide(compact, state(), config, NOW))).toEqual(
            unnamedPods(decide(full, state(), config, NOW)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
