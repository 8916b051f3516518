import type { V1PersistentVolume, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { claimsOf, toPendingPod, volumeZonesOf } from '../../src/pods.ts';

const pod = (spec: Partial<NonNullable<V1Pod['spec']>>): V1Pod => ({
  metadata: { namespace: 'shop', name: 'db-0', creationTimestamp: new Date(0) },
  spec: { containers: [{ name: 'c' }], ...spec },
});

const zoneTerm = (values: string[], key = 'topology.kubernetes.io/zone') => ({
  matchExpressions: [{ key, operator: 'In', values }],
});

const volume = (
  terms: { matchExpressions: { key: string; operator: string; values?: string[] }[] }[] | null,
  labels?: Record<string, string>,
): V1PersistentVolume => ({
  metadata: { name: 'pv-1', ...(labels ? { labels } : {}) },
  spec: terms ? { nodeAffinity: { required: { nodeSelectorTerms: terms } } } : {},
});

describe('claimsOf: the claims a pending pod mounts', () => {
  it('persistentVolumeClaim volumes and generic ephemeral volumes (<pod>-<volume>), once each', () => {
    expect(
      claimsOf(
        pod({
          volumes: [
            { name: 'data', persistentVolumeClaim: { claimName: 'data-db-0' } },
            { name: 'again', persistentVolumeClaim: { claimName: 'data-db-0' } },
            { name: 'scratch', ephemeral: { volumeClaimTemplate: { spec: {} } } },
            { name: 'tmp', emptyDir: {} },
          ],
        }),
      ),
    ).toEqual(['shop/data-db-0', 'shop/db-0-scratch']);
  });

  it('a pod without volumes claims nothing', () => {
    expect(claimsOf(pod({}))).toEqual([]);
  });
});

describe('volumeZonesOf: the zones a PersistentVolume can be attached in', () => {
  it('a required zone term (EBS CSI writes one)', () => {
    expect(volumeZonesOf(volume([zoneTerm(['us-east-1c'])]))).toEqual(['us-east-1c']);
  });

  it('terms are ORed: the union of their zones', () => {
    expect(volumeZonesOf(volume([zoneTerm(['us-east-1a']), zoneTerm(['us-east-1b'])]))).toEqual([
      'us-east-1a',
      'us-east-1b',
    ]);
  });

  it('one term without a zone requirement means any zone: not pinned', () => {
    const hostOnly = {
      matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: ['n1'] }],
    };
    expect(volumeZonesOf(volume([zoneTerm(['us-east-1a']), hostOnly]))).toBeUndefined();
  });

  it('two zone requirements in one term: both must hold', () => {
    const term = {
      matchExpressions: [
        { key: 'topology.kubernetes.io/zone', operator: 'In', values: ['a1', 'b1'] },
        { key: 'failure-domain.beta.kubernetes.io/zone', operator: 'In', values: ['b1', 'c1'] },
      ],
    };
    expect(volumeZonesOf(volume([term]))).toEqual(['b1']);
  });

  it('the beta zone key counts as the zone', () => {
    expect(
      volumeZonesOf(volume([zoneTerm(['eu-west-1b'], 'failure-domain.beta.kubernetes.io/zone')])),
    ).toEqual(['eu-west-1b']);
  });

  it('older PVs: the zone label, several zones joined by __', () => {
    expect(
      volumeZonesOf(volume(null, { 'topology.kubernetes.io/zone': 'us-east-1a__us-east-1b' })),
    ).toEqual(['us-east-1a', 'us-east-1b']);
    expect(
      volumeZonesOf(volume(null, { 'failure-domain.beta.kubernetes.io/zone': 'us-east-1c' })),
    ).toEqual(['us-east-1c']);
  });

  it('no affinity and no zone label: not pinned', () => {
    expect(volumeZonesOf(volume(null))).toBeUndefined();
  });
});

describe('toPendingPod: tolerations', () => {
  it('carries the fields the matcher reads, leaving out the empty ones', () => {
    const p = toPendingPod(
      pod({
        tolerations: [
          { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' },
          { operator: 'Exists' },
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
        ],
      }),
    );
    expect(p.tolerations).toEqual([
      { key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' },
      { operator: 'Exists' },
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    ]);
  });

  it('an operator this version does not know tolerates anything: doubt never stops a launch', () => {
    const p = toPendingPod(pod({ tolerations: [{ key: 'size', operator: 'Gt', value: '3' }] }));
    expect(p.tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('no tolerations: none carried', () => {
    expect(toPendingPod(pod({})).tolerations).toBeUndefined();
  });
});
