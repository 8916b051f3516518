import type { Toleration } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { decide, defaultConfig, parseConfig } from '../../src/index.js';
import { tolerates, untoleratedTaint, whyUnhostable } from '../../src/pending-pods.js';
import { fullNodes, NOW, nodes, pending, snapshot, state } from './fixtures.js';

const [one] = pending(1);
const pod = { ...(one as NonNullable<typeof one>), owner: 'StatefulSet/db' };
const idle = { cpu: 0.1, memory: 0.2 };

type Effect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
const taint = (key: string, effect: Effect, value?: string) => ({
  key,
  effect,
  ...(value !== undefined ? { value } : {}),
});

// Facts of the Kubernetes API's Toleration.ToleratesTaint, the matcher both
// Cluster Autoscaler (through the scheduler's TaintToleration plugin) and
// Karpenter (scheduling.Taints.Tolerates) use, ported as a table: toleration,
// taint, tolerated?
const matching: [string, Toleration, ReturnType<typeof taint>, boolean][] = [
  [
    'Exists with the same key and effect, taint without value',
    { key: 'foo', operator: 'Exists', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule'),
    true,
  ],
  [
    'Exists with the same key and effect, taint with a value',
    { key: 'foo', operator: 'Exists', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule', 'bar'),
    true,
  ],
  [
    'empty key with Exists matches every key',
    { operator: 'Exists', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule', 'bar'),
    true,
  ],
  [
    'empty key and effect with Exists tolerates everything',
    { operator: 'Exists' },
    taint('dedicated', 'NoExecute', 'gpu'),
    true,
  ],
  [
    'Equal with the same key, value and effect',
    { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule', 'bar'),
    true,
  ],
  [
    'no operator means Equal',
    { key: 'foo', value: 'bar', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule', 'bar'),
    true,
  ],
  [
    'Equal with another value',
    { key: 'foo', operator: 'Equal', value: 'baz', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule', 'bar'),
    false,
  ],
  [
    'Equal without value against a taint with a value',
    { key: 'foo', operator: 'Equal', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule', 'bar'),
    false,
  ],
  [
    'Equal without value against a taint without value',
    { key: 'foo', operator: 'Equal', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule'),
    true,
  ],
  [
    'the same key and value but another effect',
    { key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoExecute' },
    taint('foo', 'NoSchedule', 'bar'),
    false,
  ],
  [
    'an empty effect matches every effect',
    { key: 'foo', operator: 'Equal', value: 'bar' },
    taint('foo', 'NoExecute', 'bar'),
    true,
  ],
  [
    'another key',
    { key: 'other', operator: 'Exists', effect: 'NoSchedule' },
    taint('foo', 'NoSchedule'),
    false,
  ],
];

describe('tolerates: the API matcher, ported cases', () => {
  it.each(matching)('%s', (_name, toleration, t, expected) => {
    expect(tolerates(toleration, t)).toBe(expected);
  });
});

describe('untoleratedTaint: what keeps a pod off a new worker', () => {
  const taints = [taint('dedicated', 'NoSchedule', 'batch'), taint('spot', 'NoExecute')];

  it('every NoSchedule and NoExecute taint must be tolerated', () => {
    expect(untoleratedTaint([], taints)).toEqual(taints[0]);
    expect(
      untoleratedTaint([{ key: 'dedicated', operator: 'Equal', value: 'batch' }], taints),
    ).toEqual(taints[1]);
    expect(
      untoleratedTaint(
        [
          { key: 'dedicated', operator: 'Equal', value: 'batch' },
          { key: 'spot', operator: 'Exists', effect: 'NoExecute' },
        ],
        taints,
      ),
    ).toBeUndefined();
  });

  it('PreferNoSchedule is ignored: the scheduler may still place the pod there', () => {
    expect(untoleratedTaint([], [taint('soft', 'PreferNoSchedule')])).toBeUndefined();
  });

  it('a worker without taints keeps no pod off', () => {
    expect(untoleratedTaint([], [])).toBeUndefined();
  });
});

describe('whyUnhostable: worker taints (instance.taints)', () => {
  const tainted = parseConfig({
    instance: { taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] },
  });

  it('a pod without the toleration is unhostable, naming the taint', () => {
    expect(whyUnhostable(pod, tainted)).toEqual({
      code: 'taint-not-tolerated',
      detail:
        'new workers carry the taint dedicated=batch:NoSchedule, which the pod does not tolerate',
    });
  });

  it('a pod that tolerates it is hostable', () => {
    expect(
      whyUnhostable(
        { ...pod, tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch' }] },
        tainted,
      ),
    ).toBeNull();
    expect(whyUnhostable({ ...pod, tolerations: [{ operator: 'Exists' }] }, tainted)).toBeNull();
  });

  it('without worker taints tolerations change nothing', () => {
    expect(whyUnhostable(pod, defaultConfig)).toBeNull();
  });
});

describe('whyUnhostable: volumes pinned to a zone (instance.zones)', () => {
  const zoned = parseConfig({ instance: { zones: ['us-east-1a', 'us-east-1b'] } });
  const volume = (name: string, zones: string[]) => ({
    claim: `shop/data-${name}`,
    volume: `pvc-${name}`,
    zones,
  });

  it('a volume in a zone with no worker subnet is unhostable, naming volume, claim and zones', () => {
    expect(whyUnhostable({ ...pod, volumeZones: [volume('db-0', ['us-east-1c'])] }, zoned)).toEqual(
      {
        code: 'volume-zone-unavailable',
        detail:
          'volume pvc-db-0 (claim shop/data-db-0) is in us-east-1c; new workers launch in us-east-1a, us-east-1b',
      },
    );
  });

  it('a volume in a worker zone, or reachable from several zones one of which has workers, is hostable', () => {
    expect(
      whyUnhostable({ ...pod, volumeZones: [volume('db-0', ['us-east-1b'])] }, zoned),
    ).toBeNull();
    expect(
      whyUnhostable({ ...pod, volumeZones: [volume('db-0', ['us-east-1c', 'us-east-1a'])] }, zoned),
    ).toBeNull();
  });

  it('two volumes each in a worker zone but in different zones share no node', () => {
    const why = whyUnhostable(
      {
        ...pod,
        volumeZones: [volume('a', ['us-east-1a']), volume('b', ['us-east-1b'])],
      },
      zoned,
    );
    expect(why?.code).toBe('volume-zone-unavailable');
    expect(why?.detail).toBe(
      'volumes pvc-a (us-east-1a) and pvc-b (us-east-1b) share no zone where new workers launch (us-east-1a, us-east-1b)',
    );
  });

  it('worker zones not known: the volume gets the benefit of the doubt', () => {
    expect(
      whyUnhostable({ ...pod, volumeZones: [volume('db-0', ['us-east-1c'])] }, defaultConfig),
    ).toBeNull();
  });

  it('an unhostable volume pod launches nothing and does not keep an idle node', () => {
    const stuck = pending(1, 600, {
      owner: 'StatefulSet/db',
      volumeZones: [volume('db-0', ['us-east-1c'])],
    });
    const full = decide(snapshot(fullNodes(3), stuck, { cpu: 0.5 }), state(), zoned, NOW);
    expect(full.kind).toBe('hold');
    expect(full.reasons.find((r) => r.code === 'pending-unhostable')?.unhostable?.[0]?.code).toBe(
      'volume-zone-unavailable',
    );
    const quiet = decide(snapshot(nodes(4), stuck, idle), state(), zoned, NOW);
    expect(quiet.kind).toBe('scale-down');
  });
});

describe('config: instance.zones and instance.taints', () => {
  it('refuses a malformed zone, a malformed taint and a duplicate taint, naming each', () => {
    expect(() => parseConfig({ instance: { zones: ['east'] } })).toThrow(
      /instance\.zones\[0\]: expected an availability zone like eu-west-1a/,
    );
    expect(() =>
      parseConfig({ instance: { taints: [{ key: 'a b', effect: 'NoSchedule' }] } }),
    ).toThrow(/instance\.taints\[0\]\.key: expected a label-style key/);
    expect(() => parseConfig({ instance: { taints: [{ key: 'a', effect: 'Never' }] } })).toThrow(
      /instance\.taints\[0\]\.effect/,
    );
    expect(() =>
      parseConfig({
        instance: {
          taints: [
            { key: 'a', value: 'x', effect: 'NoSchedule' },
            { key: 'a', value: 'y', effect: 'NoSchedule' },
          ],
        },
      }),
    ).toThrow(/instance\.taints\[1\]: duplicate taint 'a:NoSchedule'/);
  });

  it('defaults: no taints, zones unknown', () => {
    expect(defaultConfig.instance.taints).toEqual([]);
    expect(defaultConfig.instance.zones).toBeUndefined();
  });
});
