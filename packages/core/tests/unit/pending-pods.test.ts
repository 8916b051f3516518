import { describe, expect, it } from 'vitest';
import { defaultConfig as config, decide, parseConfig } from '../../src/index.js';
import { classifyPendingPods, whyUnhostable } from '../../src/pending-pods.js';
import { fullNodes, MiB, NOW, nodes, pending, snapshot, state } from './fixtures.js';

const [one] = pending(1);
const pendingPod = { ...(one as NonNullable<typeof one>), owner: 'ReplicaSet/etl-7d9' };
const idle = { cpu: 0.1, memory: 0.2 };

describe('whyUnhostable: what a new worker of the configured type could never host', () => {
  it('a pod that fits an empty worker, with no constraints, is hostable', () => {
    expect(whyUnhostable(pendingPod, config)).toBeNull();
  });

  it('requests above one worker’s room for pods (reserved and DaemonSets counted)', () => {
    expect(whyUnhostable({ ...pendingPod, cpuMillis: 1900 }, config)).toMatchObject({
      code: 'too-large-for-instance',
    });
    expect(whyUnhostable({ ...pendingPod, memoryBytes: 4096 * MiB }, config)).toMatchObject({
      code: 'too-large-for-instance',
    });
    expect(whyUnhostable({ ...pendingPod, cpuMillis: 1800 }, config)).toBeNull();
  });

  it('a nodeSelector on a label no new worker carries, or another instance type', () => {
    expect(whyUnhostable({ ...pendingPod, nodeSelector: { disktype: 'ssd' } }, config)).toEqual({
      code: 'node-selector-unsatisfiable',
      detail: 'nodeSelector disktype=ssd; new workers have disktype=(none)',
    });
    expect(
      whyUnhostable(
        { ...pendingPod, nodeSelector: { 'node.kubernetes.io/instance-type': 'p4d.24xlarge' } },
        config,
      ),
    ).toMatchObject({ code: 'node-selector-unsatisfiable' });
  });

  it('labels known only at launch (zone, capacity type, hostname) get the benefit of the doubt', () => {
    const pod = {
      ...pendingPod,
      nodeSelector: {
        'topology.kubernetes.io/zone': 'us-east-1c',
        'smartscale.io/capacity-type': 'spot',
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': 't3.medium',
      },
    };
    expect(whyUnhostable(pod, config)).toBeNull();
  });

  it('labels the operator declares for workers (instance.nodeLabels) count', () => {
    const pod = { ...pendingPod, nodeSelector: { disktype: 'ssd' } };
    expect(
      whyUnhostable(pod, parseConfig({ instance: { nodeLabels: { disktype: 'ssd' } } })),
    ).toBeNull();
  });

  it('required node affinity: unhostable only when no term can hold', () => {
    const gpu = { key: 'nvidia.com/gpu.present', operator: 'Exists' as const };
    const linux = { key: 'kubernetes.io/os', operator: 'In' as const, values: ['linux'] };
    const notWindows = { key: 'kubernetes.io/os', operator: 'NotIn' as const, values: ['windows'] };
    expect(whyUnhostable({ ...pendingPod, nodeAffinityTerms: [[gpu]] }, config)).toEqual({
      code: 'node-affinity-unsatisfiable',
      detail: 'required node affinity: nvidia.com/gpu.present Exists',
    });
    expect(
      whyUnhostable({ ...pendingPod, nodeAffinityTerms: [[gpu], [linux]] }, config),
    ).toBeNull();
    expect(
      whyUnhostable({ ...pendingPod, nodeAffinityTerms: [[linux, gpu]] }, config),
    ).toMatchObject({ code: 'node-affinity-unsatisfiable' });
    expect(
      whyUnhostable(
        {
          ...pendingPod,
          nodeAffinityTerms: [
            [notWindows, { key: 'smartscale.io/special', operator: 'DoesNotExist' }],
          ],
        },
        config,
      ),
    ).toBeNull();
  });

  it('names the owner, falling back to the pod itself for a bare pod', () => {
    const { hostable, unhostable } = classifyPendingPods(
      [
        { ...pendingPod, cpuMillis: 8000 },
        { ...pendingPod, name: 'debug', owner: undefined, nodeSelector: { gpu: 'a100' } },
        { ...pendingPod, name: 'fine' },
      ],
      config,
    );
    expect(hostable.map((p) => p.name)).toEqual(['fine']);
    expect(unhostable.map((u) => [u.pod, u.owner, u.code])).toEqual([
      ['shop/web-pending-0', 'shop/ReplicaSet/etl-7d9', 'too-large-for-instance'],
      ['shop/debug', 'shop/Pod/debug', 'node-selector-unsatisfiable'],
    ]);
  });
});

describe('decide: unhostable pending pods neither launch nor block scale-down (issue #16)', () => {
  const impossible = pending(2, 600, {
    owner: 'ReplicaSet/etl-7d9',
    nodeSelector: { gpu: 'a100' },
  });

  it('a cluster full of pods and only an impossible pod pending launches nothing', () => {
    const d = decide(snapshot(fullNodes(3), impossible, { cpu: 0.5 }), state(), config, NOW);
    expect(d.kind).toBe('hold');
    const report = d.reasons.find((r) => r.code === 'pending-unhostable');
    expect(report?.data).toEqual({ pods: 2, owners: 1, listed: 2 });
    expect(report?.unhostable?.map((u) => u.code)).toEqual([
      'node-selector-unsatisfiable',
      'node-selector-unsatisfiable',
    ]);
  });

  it('an idle cluster with only an impossible pod pending still removes a node', () => {
    const d = decide(snapshot(nodes(4), impossible, idle), state(), config, NOW);
    expect(d.kind).toBe('scale-down');
    expect(d.reasons.map((r) => r.code)).toContain('pending-unhostable');
    expect(d.reasons.map((r) => r.code)).not.toContain('pending-pods-present');
  });

  it('lists at most 50 pods, one per owner first, so a big backlog stays a small decision', () => {
    const backlog = [
      ...pending(200, 600, { owner: 'ReplicaSet/etl', nodeSelector: { gpu: 'a100' } }),
      ...pending(3, 600, { owner: 'Job/train', cpuMillis: 64_000 }),
    ];
    const d = decide(snapshot(fullNodes(3), backlog, { cpu: 0.5 }), state(), config, NOW);
    const report = d.reasons.find((r) => r.code === 'pending-unhostable');
    expect(report?.data).toEqual({ pods: 203, owners: 2, listed: 50 });
    expect(report?.unhostable).toHaveLength(50);
    expect(report?.unhostable?.slice(0, 2).map((u) => u.owner)).toEqual([
      'shop/ReplicaSet/etl',
      'shop/Job/train',
    ]);
  });

  it('a hostable pod beside the impossible one still launches, for that pod only', () => {
    const d = decide(
      snapshot(fullNodes(3), [...impossible, ...pending(1, 600)], { cpu: 0.5 }),
      state(),
      config,
      NOW,
    );
    expect(d).toMatchObject({ kind: 'scale-up', count: 1 });
    expect(d.reasons.find((r) => r.code === 'pending-pods')?.data).toMatchObject({ pods: 1 });
  });
});
