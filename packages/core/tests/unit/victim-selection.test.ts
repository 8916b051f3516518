import { describe, expect, it } from 'vitest';
import { defaultConfig as config, pickVictim, podBlocker } from '../../src/index.js';
import { ago, NOW, node, pod } from './fixtures.js';

describe('podBlocker', () => {
  it.each([
    ['do-not-disrupt', pod({ doNotDisrupt: true })],
    ['local-storage', pod({ localStorage: true })],
    ['stateful-set', pod({ ownerKind: 'StatefulSet' })],
    ['bare-pod', pod({ ownerKind: 'None' })],
    ['kube-system', pod({ namespace: 'kube-system' })],
    ['single-replica-without-pdb', pod({ ownerReplicas: 1, hasPdb: false })],
  ])('%s pins the node', (blocker, p) => {
    expect(podBlocker(p)).toBe(blocker);
  });

  it('lets movable pods go: replicated, a single replica with a PDB, DaemonSets anywhere', () => {
    expect(podBlocker(pod())).toBeNull();
    expect(podBlocker(pod({ ownerReplicas: 1, hasPdb: true }))).toBeNull();
    expect(
      podBlocker(pod({ ownerKind: 'DaemonSet', namespace: 'kube-system', localStorage: true })),
    ).toBeNull();
  });
});

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
      expect(choice.rejected.map((r) => r.why)).toEqual([
        'not-managed',
        'not-ready',
        'cordoned',
        'too-young',
        'stateful-set',
      ]);
    }
  });
});
