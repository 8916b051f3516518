import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  isUnschedulable,
  ownerOf,
  pdbSelects,
  podRequests,
  selectorMatches,
  toPendingPod,
  toPodInfo,
} from '../../src/pods.ts';

const container = (name: string, cpu?: string, memory?: string) => ({
  name,
  resources: { requests: { ...(cpu ? { cpu } : {}), ...(memory ? { memory } : {}) } },
});

function pod(overrides: Partial<V1Pod> = {}): V1Pod {
  return {
    metadata: { name: 'web-1', namespace: 'shop', labels: { app: 'web' }, ...overrides.metadata },
    spec: { containers: [container('app', '250m', '128Mi')], ...overrides.spec },
    status: overrides.status ?? { phase: 'Running' },
  };
}

describe('podRequests', () => {
  it('sums the containers', () => {
    expect(
      podRequests({ containers: [container('a', '250m', '64Mi'), container('b', '1', '1Gi')] }),
    ).toEqual({
      cpuMillis: 1250,
      memoryBytes: 64 * 2 ** 20 + 2 ** 30,
    });
  });

  it('takes the largest init container when it exceeds the containers', () => {
    expect(
      podRequests({
        containers: [container('a', '100m', '64Mi')],
        initContainers: [container('init', '2', '32Mi')],
      }),
    ).toEqual({ cpuMillis: 2000, memoryBytes: 64 * 2 ** 20 });
  });

  it('adds restartable sidecar init containers and the pod overhead', () => {
    expect(
      podRequests({
        containers: [container('a', '100m')],
        initContainers: [{ ...container('proxy', '50m'), restartPolicy: 'Always' }],
        overhead: { cpu: '10m' },
      }),
    ).toEqual({ cpuMillis: 160, memoryBytes: 0 });
  });

  it('treats containers without requests as zero', () => {
    expect(podRequests({ containers: [{ name: 'a' }] })).toEqual({ cpuMillis: 0, memoryBytes: 0 });
  });
});

describe('ownerOf', () => {
  it('reads the controlling owner and collapses unknown kinds to Other', () => {
    const ref = (kind: string, controller: boolean) => ({
      apiVersion: 'v1',
      kind,
      name: `x-${kind}`,
      uid: kind,
      controller,
    });
    expect(
      ownerOf(
        pod({ metadata: { ownerReferences: [ref('ConfigMap', false), ref('StatefulSet', true)] } }),
      ),
    ).toEqual({
      kind: 'StatefulSet',
      name: 'x-StatefulSet',
    });
    expect(ownerOf(pod({ metadata: { ownerReferences: [ref('Rollout', true)] } })).kind).toBe(
      'Other',
    );
    expect(ownerOf(pod()).kind).toBe('None');
  });
});

describe('selectorMatches', () => {
  const labels = { app: 'web', tier: 'front' };
  it('applies matchLabels and every matchExpressions operator', () => {
    expect(selectorMatches({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: 'db' } }, labels)).toBe(false);
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
        labels,
      ),
    ).toBe(true);
    expect(
      selectorMatches(
        { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['front'] }] },
        labels,
      ),
    ).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'Exists' }] }, labels),
    ).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'zone', operator: 'DoesNotExist' }] }, labels),
    ).toBe(true);
    expect(selectorMatches({}, labels)).toBe(true);
  });
});

describe('pdbSelects', () => {
  const pdb = (
    namespace: string,
    selector?: V1PodDisruptionBudget['spec'],
  ): V1PodDisruptionBudget => ({
    metadata: { name: 'pdb', namespace },
    spec: selector,
  });
  it('only selects pods of its own namespace', () => {
    expect(pdbSelects(pdb('shop', { selector: { matchLabels: { app: 'web' } } }), pod())).toBe(
      true,
    );
    expect(pdbSelects(pdb('other', { selector: { matchLabels: { app: 'web' } } }), pod())).toBe(
      false,
    );
  });
  it('selects nothing without a selector and everything with an empty one', () => {
    expect(pdbSelects(pdb('shop', {}), pod())).toBe(false);
    expect(pdbSelects(pdb('shop', { selector: {} }), pod())).toBe(true);
  });
});

describe('toPodInfo', () => {
  it('reports do-not-disrupt, local storage, owner, replicas and PDB coverage', () => {
    const info = toPodInfo(
      pod({
        metadata: {
          annotations: { 'karpenter.sh/do-not-disrupt': 'true' },
          ownerReferences: [
            {
              apiVersion: 'apps/v1',
              kind: 'ReplicaSet',
              name: 'web-abc',
              uid: '1',
              controller: true,
            },
          ],
        },
        spec: {
          containers: [container('app', '250m', '128Mi')],
          volumes: [{ name: 'scratch', emptyDir: {} }],
        },
      }),
      {
        pdbs: [
          { metadata: { namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'web' } } } },
        ],
        siblings: 3,
      },
    );
    expect(info).toEqual({
      namespace: 'shop',
      name: 'web-1',
      cpuMillis: 250,
      memoryBytes: 128 * 2 ** 20,
      ownerKind: 'ReplicaSet',
      ownerName: 'web-abc',
      ownerReplicas: 3,
      hasPdb: true,
      doNotDisrupt: true,
      localStorage: true,
    });
  });

  it('does not treat other annotation values or config volumes as blockers', () => {
    const info = toPodInfo(
      pod({
        metadata: { annotations: { 'smartscale.io/do-not-disrupt': 'false' } },
        spec: {
          containers: [container('app')],
          volumes: [{ name: 'cfg', configMap: { name: 'cfg' } }],
        },
      }),
      { pdbs: [] },
    );
    expect(info.doNotDisrupt).toBe(false);
    expect(info.localStorage).toBe(false);
    expect(info.ownerKind).toBe('None');
    expect(info.ownerReplicas).toBeUndefined();
  });

  it('honours the SmartScale annotation and hostPath volumes', () => {
    const info = toPodInfo(
      pod({
        metadata: { annotations: { 'smartscale.io/do-not-disrupt': 'true' } },
        spec: {
          containers: [container('app')],
          volumes: [{ name: 'h', hostPath: { path: '/data' } }],
        },
      }),
      { pdbs: [] },
    );
    expect(info.doNotDisrupt).toBe(true);
    expect(info.localStorage).toBe(true);
  });
});

describe('isUnschedulable / toPendingPod', () => {
  const pending = pod({
    status: {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          lastTransitionTime: new Date('2026-01-01T00:00:10Z'),
        },
      ],
    },
  });
  it('is true only for pending pods the scheduler marked Unschedulable', () => {
    expect(isUnschedulable(pending)).toBe(true);
    expect(isUnschedulable(pod({ status: { phase: 'Pending' } }))).toBe(false);
    expect(isUnschedulable(pod())).toBe(false);
  });
  it('carries the requests and the time the pod became unschedulable', () => {
    expect(toPendingPod(pending)).toEqual({
      namespace: 'shop',
      name: 'web-1',
      cpuMillis: 250,
      memoryBytes: 128 * 2 ** 20,
      pendingSince: '2026-01-01T00:00:10.000Z',
    });
  });
});
