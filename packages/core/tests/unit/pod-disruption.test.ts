import type { PodInfo } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { classifyPod } from '../../src/index.js';
import type { PodDisruption } from '../../src/pod-disruption.js';
import { ago, NOW, pod } from './fixtures.js';

type Verdict = 'evict' | 'skip' | `block:${string}`;

/** The verdict as one comparable string ("block:<code>"). */
function verdictOf(d: PodDisruption): Verdict {
  return d.verdict === 'block' ? `block:${d.blocker}` : d.verdict;
}

const ds = { ownerKind: 'DaemonSet' } as const;
const mirror = { mirror: true, ownerKind: 'Other', ownerReplicas: 1 } as const;
const bare = { ownerKind: 'None', ownerReplicas: undefined } as const;
const blockingPdb = { hasPdb: true, pdbDisruptionsAllowed: 0, pdbName: 'web-pdb' } as const;
// Deleted at `seconds` ago with the given grace period.
const deleted = (seconds: number, grace?: number): Partial<PodInfo> => ({
  deletionTimestamp: ago(seconds),
  ...(grace !== undefined ? { terminationGracePeriodSeconds: grace } : {}),
});

// Facts from Cluster Autoscaler's drainability rule tests
// (cluster-autoscaler/simulator/drainability/rules/*/rule_test.go), restated
// as PodInfo inputs. "evict" where CA says drainable or undefined (no rule blocks).
const clusterAutoscalerCases: [string, Partial<PodInfo>, Verdict][] = [
  // localstorage
  ['localstorage: pod with emptyDir', { localStorage: true }, 'block:local-storage'],
  // (the volume-list cases map to localStorage in pods.ts; see pods.test.ts)
  ['localstorage: emptyDir, failed pod', { ...bare, localStorage: true, finished: true }, 'skip'],
  [
    'localstorage: emptyDir, succeeded pod',
    { ...bare, localStorage: true, finished: true },
    'skip',
  ],
  ['localstorage: emptyDir, safe-to-evict true', { ...bare, safeToEvict: true }, 'evict'],
  [
    'localstorage: emptyDir, long terminating with 0 grace',
    { ...bare, localStorage: true, ...deleted(60, 0) },
    'skip',
  ],
  [
    'localstorage: emptyDir, long terminating with extended grace (6 min)',
    { ...bare, localStorage: true, ...deleted(720, 360) },
    'skip',
  ],
  // longterminating
  ['longterminating: regular pod', {}, 'evict'],
  ['longterminating: 0 grace, deleted 60 s ago', deleted(60, 0), 'skip'],
  ['longterminating: 6 min grace, deleted 12 min ago', deleted(720, 360), 'skip'],
  // notsafetoevict
  [
    'notsafetoevict: kube-system bare pod with safe-to-evict true',
    { ...bare, namespace: 'kube-system', safeToEvict: true },
    'evict',
  ],
  ['notsafetoevict: controller-managed pod, no annotation', {}, 'evict'],
  [
    'notsafetoevict: controller-managed pod, safe-to-evict false',
    { safeToEvict: false },
    'block:safe-to-evict-false',
  ],
  ['notsafetoevict: job pod, no annotation', { ownerKind: 'Job' }, 'evict'],
  [
    'notsafetoevict: job pod, safe-to-evict false',
    { ownerKind: 'Job', safeToEvict: false },
    'block:safe-to-evict-false',
  ],
  // safetoevict
  ['safetoevict: regular pod', {}, 'evict'],
  ['safetoevict: bare pod with safe-to-evict true', { ...bare, safeToEvict: true }, 'evict'],
  // mirror
  ['mirror: regular pod', {}, 'evict'],
  ['mirror: mirror pod', mirror, 'skip'],
  // daemonset
  ['daemonset: regular pod', {}, 'evict'],
  ['daemonset: DaemonSet pod', ds, 'skip'],
  // terminal
  ['terminal: running pod', {}, 'evict'],
  ['terminal: succeeded bare pod', { ...bare, finished: true }, 'skip'],
  ['terminal: failed bare pod', { ...bare, finished: true }, 'skip'],
  // replicated
  ['replicated: ReplicaSet pod', {}, 'evict'],
  ['replicated: bare pod', bare, 'block:bare-pod'],
  ['replicated: bare pod, safe-to-evict true', { ...bare, safeToEvict: true }, 'evict'],
  ['replicated: bare pod, terminal', { ...bare, finished: true }, 'skip'],
  ['replicated: bare pod, long terminating', { ...bare, ...deleted(120, 0) }, 'skip'],
  // system
  ['system: default-namespace pod', {}, 'evict'],
  [
    'system: kube-system pod with a matching PDB',
    { namespace: 'kube-system', hasPdb: true, pdbDisruptionsAllowed: 1, pdbName: 'dns' },
    'evict',
  ],
  [
    'system: kube-system pod, PDB does not match',
    { namespace: 'kube-system', hasPdb: false },
    'block:kube-system',
  ],
  ['system: kube-system DaemonSet pod', { ...ds, namespace: 'kube-system' }, 'skip'],
  [
    'system: kube-system pod, safe-to-evict true',
    { namespace: 'kube-system', safeToEvict: true },
    'evict',
  ],
  // pdb
  ['pdb: no PDB', {}, 'evict'],
  [
    'pdb: PDB allowing one disruption',
    { hasPdb: true, pdbDisruptionsAllowed: 1, pdbName: 'p' },
    'evict',
  ],
  ['pdb: PDB allowing none prevents scale-down', blockingPdb, 'block:pdb-allows-no-disruption'],
];

// Facts from Karpenter's disruption and PDB suites
// (pkg/controllers/disruption/suite_test.go, pkg/utils/pdb/suite_test.go).
const karpenterCases: [string, Partial<PodInfo>, Verdict][] = [
  ['do-not-disrupt pod', { doNotDisrupt: true }, 'block:do-not-disrupt'],
  ['do-not-disrupt mirror pod', { ...mirror, doNotDisrupt: true }, 'block:do-not-disrupt'],
  ['do-not-disrupt DaemonSet pod', { ...ds, doNotDisrupt: true }, 'block:do-not-disrupt'],
  ['do-not-disrupt terminating pod', { doNotDisrupt: true, ...deleted(1) }, 'evict'],
  ['do-not-disrupt succeeded pod', { doNotDisrupt: true, finished: true }, 'skip'],
  ['do-not-disrupt failed pod', { doNotDisrupt: true, finished: true }, 'skip'],
  ['fully blocking PDB (maxUnavailable 0)', blockingPdb, 'block:pdb-allows-no-disruption'],
  ['two PDBs allowing none on one pod', blockingPdb, 'block:pdb-allows-no-disruption'],
  [
    'fully blocking PDB on a DaemonSet pod',
    { ...ds, ...blockingPdb },
    'block:pdb-allows-no-disruption',
  ],
  ['fully blocking PDB on a mirror pod', { ...mirror, ...blockingPdb }, 'skip'],
  ['no PDB matches', { hasPdb: false }, 'evict'],
  // The AlwaysAllow / not-Ready pairs are facts about which PDB counts: pods.test.ts.
];

describe('classifyPod: Cluster Autoscaler cases', () => {
  it.each(clusterAutoscalerCases)('%s', (_desc, overrides, expected) => {
    expect(verdictOf(classifyPod(pod(overrides), NOW))).toBe(expected);
  });
});

describe('classifyPod: Karpenter cases', () => {
  it.each(karpenterCases)('%s', (_desc, overrides, expected) => {
    expect(verdictOf(classifyPod(pod(overrides), NOW))).toBe(expected);
  });
});

describe('classifyPod: SmartScale rules and precedence', () => {
  it.each<[string, Partial<PodInfo>, Verdict]>([
    ['StatefulSet pod', { ownerKind: 'StatefulSet' }, 'block:stateful-set'],
    ['single replica without PDB', { ownerReplicas: 1 }, 'block:single-replica-without-pdb'],
    [
      'single replica with a PDB allowing one',
      { ownerReplicas: 1, hasPdb: true, pdbDisruptionsAllowed: 1 },
      'evict',
    ],
    [
      'single replica with minAvailable 1 (allows none)',
      { ownerReplicas: 1, ...blockingPdb },
      'block:pdb-allows-no-disruption',
    ],
    [
      'safe-to-evict true lets a StatefulSet pod move',
      { ownerKind: 'StatefulSet', safeToEvict: true },
      'evict',
    ],
    [
      'safe-to-evict true does not beat a PDB allowing none',
      { safeToEvict: true, ...blockingPdb },
      'block:pdb-allows-no-disruption',
    ],
    [
      'safe-to-evict true does not beat do-not-disrupt',
      { safeToEvict: true, doNotDisrupt: true },
      'block:do-not-disrupt',
    ],
    [
      'safe-to-evict false on a DaemonSet pod (CA: DaemonSet rule first)',
      { ...ds, safeToEvict: false },
      'skip',
    ],
    ['safe-to-evict false on a mirror pod', { ...mirror, safeToEvict: false }, 'skip'],
    [
      'terminating within its grace period: evicted, no blocker',
      { ...bare, localStorage: true, ...deleted(10) },
      'evict',
    ],
    [
      'terminating DaemonSet pod with a blocking PDB',
      { ...ds, ...blockingPdb, ...deleted(10) },
      'skip',
    ],
    [
      'DaemonSet pod in kube-system with local storage',
      { ...ds, namespace: 'kube-system', localStorage: true },
      'skip',
    ],
  ])('%s', (_desc, overrides, expected) => {
    expect(verdictOf(classifyPod(pod(overrides), NOW))).toBe(expected);
  });

  it('takes a pod as gone only past grace period plus 30 s (default grace 30 s)', () => {
    expect(verdictOf(classifyPod(pod(deleted(59)), NOW))).toBe('evict');
    expect(verdictOf(classifyPod(pod(deleted(61)), NOW))).toBe('skip');
    expect(verdictOf(classifyPod(pod(deleted(89, 60)), NOW))).toBe('evict');
    expect(verdictOf(classifyPod(pod(deleted(91, 60)), NOW))).toBe('skip');
  });

  it('names the PDB and says why a pod is skipped', () => {
    expect(classifyPod(pod(blockingPdb), NOW)).toEqual({
      verdict: 'block',
      blocker: 'pdb-allows-no-disruption',
      pdb: 'web-pdb',
    });
    expect(classifyPod(pod(mirror), NOW)).toEqual({ verdict: 'skip', why: 'mirror' });
    expect(classifyPod(pod(deleted(10)), NOW)).toEqual({ verdict: 'evict', terminating: true });
  });
});
