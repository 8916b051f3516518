import type { V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  isMirrorPod,
  isUnschedulable,
  ownerOf,
  PodAnnotation,
  pdbSelects,
  podRequests,
  selectorMatches,
  tightestPdb,
  toPendingPod,
  toPodInfo,
  usesLocalStorage,
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
          {
            metadata: { namespace: 'shop', name: 'web' },
            spec: { selector: { matchLabels: { app: 'web' } } },
          },
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
      // No status yet: the disruption controller has not counted, so none is allowed.
      pdbDisruptionsAllowed: 0,
      pdbName: 'web',
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

const pdb = (
  name: string,
  namespace: string,
  matchLabels: Record<string, string>,
  disruptionsAllowed: number,
  spec: Partial<V1PodDisruptionBudget['spec']> = {},
): V1PodDisruptionBudget => ({
  metadata: { name, namespace },
  spec: { selector: { matchLabels }, ...spec },
  status: { disruptionsAllowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 },
});
const rsOwner = [
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'u', controller: true },
];
const emptyDirs = (...names: string[]) => names.map((name) => ({ name, emptyDir: {} }));

// Cluster Autoscaler, localstorage/rule_test.go: which emptyDir pods keep local
// storage once safe-to-evict-local-volumes is read (all replicated, Running).
describe('usesLocalStorage: safe-to-evict-local-volumes (Cluster Autoscaler cases)', () => {
  it.each<[string, string | undefined, string[], boolean]>([
    ['pod with emptyDir', undefined, ['scratch'], true],
    ['annotation names the volume', 'scratch', ['scratch'], false],
    ['annotation empty', '', ['scratch'], true],
    ['annotation names another volume', 'scratch-2', ['scratch-1'], true],
    [
      'annotation names all volumes',
      'scratch-1,scratch-2,scratch-3',
      ['scratch-1', 'scratch-2', 'scratch-3'],
      false,
    ],
    [
      'annotation names other volumes',
      'scratch-1,scratch-2,scratch-5',
      ['scratch-1', 'scratch-2', 'scratch-3'],
      true,
    ],
    [
      'annotation names some volumes',
      'scratch-1,scratch-2',
      ['scratch-1', 'scratch-2', 'scratch-3'],
      true,
    ],
    ['annotation is only a comma', ',', ['scratch-1', 'scratch-2', 'scratch-3'], true],
  ])('%s', (_desc, annotation, volumes, expected) => {
    const p = pod({
      metadata: {
        ownerReferences: rsOwner,
        ...(annotation !== undefined
          ? { annotations: { [PodAnnotation.SafeToEvictLocalVolumes]: annotation } }
          : {}),
      },
      spec: { containers: [container('app')], volumes: emptyDirs(...volumes) },
    });
    expect(usesLocalStorage(p)).toBe(expected);
    expect(toPodInfo(p, { pdbs: [] }).localStorage).toBe(expected);
  });

  it('counts hostPath like emptyDir and ignores other volume kinds', () => {
    const p = pod({
      metadata: { annotations: { [PodAnnotation.SafeToEvictLocalVolumes]: 'scratch' } },
      spec: {
        containers: [container('app')],
        volumes: [
          ...emptyDirs('scratch'),
          { name: 'h', hostPath: { path: '/d' } },
          { name: 'c', configMap: { name: 'c' } },
        ],
      },
    });
    expect(usesLocalStorage(p)).toBe(true);
  });
});

describe('tightestPdb and the PodInfo disruption fields', () => {
  const kubeSystemPod = pod({
    metadata: { name: 'dns-1', namespace: 'kube-system', labels: { 'k8s-app': 'bar' } },
  });

  // Cluster Autoscaler, system/rule_test.go and pdb/rule_test.go: which budgets select the pod.
  it.each<[string, V1Pod, V1PodDisruptionBudget[], boolean]>([
    [
      'kube-system PDB with matching kube-system pod',
      kubeSystemPod,
      [pdb('ks', 'kube-system', { 'k8s-app': 'bar' }, 1)],
      true,
    ],
    [
      'kube-system PDB with non-matching kube-system pod',
      kubeSystemPod,
      [pdb('ks', 'kube-system', { 'k8s-app': 'foo' }, 1)],
      false,
    ],
    [
      'kube-system PDB with default-namespace pod',
      pod({ metadata: { labels: { 'k8s-app': 'bar' } } }),
      [pdb('ks', 'kube-system', { 'k8s-app': 'bar' }, 1)],
      false,
    ],
    [
      'default-namespace PDB with matching labels, kube-system pod',
      kubeSystemPod,
      [pdb('d', 'default', { 'k8s-app': 'bar' }, 1)],
      false,
    ],
    ['no PDBs', pod(), [], false],
    [
      'PDBs only in another namespace or with other labels',
      pod({ metadata: { labels: { label: 'true' } } }),
      [pdb('a', 'bad', { label: 'true' }, 0), pdb('b', 'shop', { label: 'false' }, 0)],
      false,
    ],
  ])('%s', (_desc, p, pdbs, selected) => {
    expect(toPodInfo(p, { pdbs }).hasPdb).toBe(selected);
    expect(tightestPdb(p, pdbs) !== undefined).toBe(selected);
  });

  it('takes the budget allowing the fewest disruptions, with its name (CA: "pdb prevents scale-down")', () => {
    const p = pod({ metadata: { labels: { label: 'true' }, namespace: 'good' } });
    const pdbs = [
      pdb('other-ns', 'bad', { label: 'true' }, 0),
      pdb('loose', 'good', { label: 'true' }, 2),
      pdb('tight', 'good', { label: 'true' }, 0),
      pdb('other-labels', 'good', { label: 'false' }, 0),
    ];
    expect(toPodInfo(p, { pdbs })).toMatchObject({
      hasPdb: true,
      pdbDisruptionsAllowed: 0,
      pdbName: 'tight',
    });
  });

  // Karpenter, pkg/utils/pdb/suite_test.go: unhealthyPodEvictionPolicy AlwaysAllow.
  it.each<[string, 'AlwaysAllow' | undefined, 'True' | 'False', number | undefined]>([
    ['unhealthy pod, AlwaysAllow: the budget does not hold it', 'AlwaysAllow', 'False', undefined],
    ['unhealthy pod, no policy: the budget holds it', undefined, 'False', 0],
    ['healthy pod, AlwaysAllow: the budget holds it', 'AlwaysAllow', 'True', 0],
  ])('%s', (_desc, policy, ready, allowed) => {
    const p = pod({ status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready }] } });
    const budget = pdb(
      'all',
      'shop',
      { app: 'web' },
      0,
      policy ? { unhealthyPodEvictionPolicy: policy } : {},
    );
    expect(toPodInfo(p, { pdbs: [budget] }).pdbDisruptionsAllowed).toBe(allowed);
  });

  it('reads mirror pods by annotation or Node owner, and custom DaemonSet pods by annotation', () => {
    expect(isMirrorPod(pod({ metadata: { annotations: { [PodAnnotation.Mirror]: 'abc' } } }))).toBe(
      true,
    );
    expect(
      isMirrorPod(
        pod({
          metadata: {
            ownerReferences: [
              { apiVersion: 'v1', kind: 'Node', name: 'n1', uid: 'n', controller: true },
            ],
          },
        }),
      ),
    ).toBe(true);
    expect(isMirrorPod(pod({ metadata: { ownerReferences: rsOwner } }))).toBe(false);
    const custom = pod({
      metadata: {
        annotations: { [PodAnnotation.DaemonSetPod]: 'true' },
        ownerReferences: [
          { apiVersion: 'crd/v1', kind: 'CustomDaemonSet', name: 'ds', uid: 'd', controller: true },
        ],
      },
    });
    expect(ownerOf(custom)).toEqual({ kind: 'DaemonSet', name: 'ds' });
  });

  it('records safe-to-evict, phase, deletion and grace period', () => {
    const p = pod({
      metadata: {
        annotations: { [PodAnnotation.SafeToEvict]: 'false' },
        deletionTimestamp: new Date('2026-01-01T00:00:00Z'),
      },
      spec: { containers: [container('app')], terminationGracePeriodSeconds: 120 },
      status: { phase: 'Failed' },
    });
    expect(toPodInfo(p, { pdbs: [] })).toMatchObject({
      safeToEvict: false,
      finished: true,
      deletionTimestamp: '2026-01-01T00:00:00.000Z',
      terminationGracePeriodSeconds: 120,
    });
    const plain = toPodInfo(
      pod({ metadata: { annotations: { [PodAnnotation.SafeToEvict]: 'yes' } } }),
      { pdbs: [] },
    );
    expect(plain.safeToEvict).toBeUndefined();
    expect(plain.mirror).toBeUndefined();
    expect(plain.finished).toBeUndefined();
    expect(plain.pdbDisruptionsAllowed).toBeUndefined();
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
  it('carries its owner, nodeSelector and required node affinity for the hostability check (issue #16)', () => {
    const constrained = {
      ...pending,
      metadata: {
        ...pending.metadata,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: 'etl-7d9',
            uid: 'u1',
            controller: true,
          },
        ],
      },
      spec: {
        ...pending.spec,
        containers: pending.spec?.containers ?? [],
        nodeSelector: { disktype: 'ssd' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [{ key: 'gpu', operator: 'In', values: ['a100'] }] },
                // Node names are not labels: a term on them is taken as possible.
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
              ],
            },
          },
        },
      },
    };
    expect(toPendingPod(constrained)).toMatchObject({
      owner: 'ReplicaSet/etl-7d9',
      nodeSelector: { disktype: 'ssd' },
      nodeAffinityTerms: [[{ key: 'gpu', operator: 'In', values: ['a100'] }], []],
    });
  });
});
