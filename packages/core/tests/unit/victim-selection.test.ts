import { describe, expect, it } from 'vitest';
import { defaultConfig as config, pickVictim } from '../../src/index.js';
import { ago, NOW, node, pod } from './fixtures.js';

describe('pickVictim', () => {
  it('prefers the node with the least to move', () => {
    const busy = node({ pods: [pod(), pod()] });
    const light = node({ pods: [pod()] });
    const other = node({ pods: [pod(), pod()] });
    const choice = pickVictim([busy, light, other], config, NOW);
    expect(choice.ok && choice.node.name).toBe(light.name);
  });

  it('prefers removing on-demand over spot when disruption is equal', () => {
    const spot = node({ capacityType: 'spot' });
    const onDemand = node({ capacityType: 'on-demand' });
    const choice = pickVictim([spot, onDemand, node({ capacityType: 'spot' })], config, NOW);
    expect(choice.ok && choice.node.name).toBe(onDemand.name);
  });

  it('skips a node whose pods fit nowhere and takes one whose pods do', () => {
    const a = node({ pods: [pod({ cpuMillis: 1000 })] });
    const b = node({ pods: [pod({ cpuMillis: 1200 })] });
    const c = node({ pods: [pod({ cpuMillis: 1700 })], managed: false });
    // a (1000m) fits on b's 600m free? no; on c's 100m? no -> rejected. b (1200m) fits on a's 800m? no.
    const none = pickVictim([a, b, c], config, NOW);
    expect(none).toMatchObject({ ok: false, reason: 'victim-pods-would-not-fit' });
    const d = node({ pods: [] });
    const choice = pickVictim([a, b, c, d], config, NOW);
    expect(choice.ok && choice.node.name).toBe(d.name);
  });

  it('never picks unmanaged, not-ready, cordoned, young or pinned nodes', () => {
    const fleet = [
      node({ managed: false }),
      node({ ready: false }),
      node({ unschedulable: true }),
      node({ createdAt: ago(30) }),
      node({ pods: [pod({ ownerKind: 'StatefulSet' })] }),
    ];
    const choice = pickVictim(fleet, config, NOW);
    expect(choice.ok).toBe(false);
    if (!choice.ok) {
      expect(choice.rejected.map((r) => r.code)).toEqual([
        'not-managed',
        'not-ready',
        'cordoned',
        'too-young',
        'stateful-set',
      ]);
    }
  });

  it('never picks a labelled node whose instance is not tagged ours, and names why (issue #21 item 9)', () => {
    // Joined by hand with the workers' user data: the kubelet labelled it
    // managed, but EC2 does not tag its instance as this cluster's worker.
    const byHand = node({ smartscaleInstance: false });
    const unchecked = node({ smartscaleInstance: undefined });
    const alone = pickVictim([byHand, unchecked], config, NOW);
    expect(alone).toEqual({
      ok: false,
      reason: 'no-eligible-victim',
      rejected: [
        { nodeName: byHand.name, code: 'not-smartscale-instance' },
        { nodeName: unchecked.name, code: 'not-smartscale-instance' },
      ],
    });
    // Emptier than our worker, it would be picked first on the label alone.
    const ours = node({ pods: [pod()] });
    const choice = pickVictim([byHand, ours], config, NOW);
    expect(choice.ok && choice.node.name).toBe(ours.name);
    // An unlabelled node stays not-managed whatever its tags.
    expect(pickVictim([node({ managed: false })], config, NOW).rejected).toEqual([
      expect.objectContaining({ code: 'not-managed' }),
    ]);
  });

  it('refuses a node whose pod a PDB allows no disruption of, naming pod and PDB (issue #16 livelock)', () => {
    const pinned = node({
      pods: [
        pod(),
        pod({
          name: 'api-0',
          ownerReplicas: 1,
          hasPdb: true,
          pdbDisruptionsAllowed: 0,
          pdbName: 'api',
        }),
      ],
    });
    const choice = pickVictim([pinned, node({ pods: [pod(), pod(), pod()] })], config, NOW);
    expect(choice.ok && choice.node.name).not.toBe(pinned.name);
    const alone = pickVictim([pinned], config, NOW);
    expect(alone).toEqual({
      ok: false,
      reason: 'no-eligible-victim',
      rejected: [
        {
          nodeName: pinned.name,
          code: 'pdb-allows-no-disruption',
          pod: 'shop/api-0',
          pdb: 'shop/api',
        },
      ],
    });
  });

  it('does not refuse a node holding more pods of a PDB than it allows at once, if it allows one', () => {
    // Both peers drain these one after another; the drainer retries a refused eviction.
    const pdb = { hasPdb: true, pdbDisruptionsAllowed: 1, pdbName: 'web' } as const;
    const victim = node({ pods: [pod(pdb), pod(pdb), pod(pdb)] });
    const choice = pickVictim([victim, node({ managed: false })], config, NOW);
    expect(choice.ok && choice.node.name).toBe(victim.name);
  });

  it('ignores mirror, finished and long-terminating pods, and leaves terminating pods out of the fit', () => {
    const big = { cpuMillis: 1700 };
    const victim = node({
      pods: [
        pod({ ...big, name: 'etcd-static', mirror: true, ownerKind: 'Other', ownerReplicas: 1 }),
        pod({ ...big, finished: true, ownerKind: 'None' }),
        pod({ ...big, ownerKind: 'None', deletionTimestamp: ago(120) }),
        pod({ ...big, deletionTimestamp: ago(5) }),
      ],
    });
    const full = node({ pods: [pod({ cpuMillis: 1800 })] });
    const choice = pickVictim([victim, full], config, NOW);
    expect(choice).toMatchObject({ ok: true, podsToMove: 0 });
    expect(choice.ok && choice.node.name).toBe(victim.name);
  });

  it('keeps a node whose DaemonSet pod carries do-not-disrupt or a PDB allowing none (Karpenter)', () => {
    const dnd = node({
      pods: [pod({ ownerKind: 'DaemonSet', doNotDisrupt: true, name: 'agent' })],
    });
    const pdb = node({
      pods: [
        pod({
          ownerKind: 'DaemonSet',
          pdbDisruptionsAllowed: 0,
          pdbName: 'agents',
          name: 'agent-2',
        }),
      ],
    });
    const choice = pickVictim([dnd, pdb], config, NOW);
    expect(choice.ok).toBe(false);
    if (!choice.ok)
      expect(choice.rejected).toEqual([
        { nodeName: dnd.name, code: 'do-not-disrupt', pod: 'shop/agent' },
        {
          nodeName: pdb.name,
          code: 'pdb-allows-no-disruption',
          pod: 'shop/agent-2',
          pdb: 'shop/agents',
        },
      ]);
  });

  it('reports one refusal per node: the first blocking pod', () => {
    const n = node({
      pods: [pod({ name: 'a', safeToEvict: false }), pod({ name: 'b', localStorage: true })],
    });
    const choice = pickVictim([n], config, NOW);
    expect(!choice.ok && choice.rejected).toEqual([
      { nodeName: n.name, code: 'safe-to-evict-false', pod: 'shop/a' },
    ]);
  });
});
