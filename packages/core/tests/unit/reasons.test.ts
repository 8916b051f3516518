import { type NodeRefusal, type Reason, ReasonCode, ReasonSchema } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { reasons } from '../../src/decide/reasons.js';

const refusals: NodeRefusal[] = [
  { nodeName: 'w-1', code: 'pdb-allows-no-disruption', pod: 'shop/web-1', pdb: 'shop/web' },
  { nodeName: 'w-2', code: 'too-young' },
];
const unhostable = [
  {
    pod: 'ml/train-0',
    owner: 'Job/train',
    code: 'too-large-for-instance' as const,
    detail: '4000m CPU > 1800m',
  },
  {
    pod: 'ml/train-1',
    owner: 'Job/train',
    code: 'too-large-for-instance' as const,
    detail: '4000m CPU > 1800m',
  },
];

/** A constructor, the data it gets, and the sentence and data it must give (users and tests read them). */
type Case = [name: keyof typeof reasons, input: unknown, message: string, data?: Reason['data']];

const cases: Case[] = [
  [
    'PendingPods',
    { pods: 7, nodesNeeded: 3, podsOnIncoming: 1, instanceType: 't3.medium' },
    '7 pod(s) unschedulable; 3 t3.medium node(s) fit them',
    { pods: 7, nodesNeeded: 3, podsOnIncoming: 1 },
  ],
  [
    'PendingWithinGrace',
    { pods: 4, graceSeconds: 30 },
    '4 pod(s) pending for less than 30s',
    { pods: 4 },
  ],
  [
    'PendingCoveredByInFlight',
    { pods: 6, incoming: 2 },
    '6 pending pod(s) fit on free room of Ready nodes or on 2 node(s) already launching',
    { pods: 6, incoming: 2 },
  ],
  [
    'CpuHigh',
    { cpu: 0.9, windowMin: 0.81, threshold: 0.7, sustainSeconds: 180 },
    'CPU above 70% for 180s (lowest 81%)',
    { cpu: 0.9, windowMin: 0.81, threshold: 0.7 },
  ],
  [
    'MemoryHigh',
    { memory: 0.8, threshold: 0.75 },
    'memory at 80%, above 75%',
    { memory: 0.8, threshold: 0.75 },
  ],
  [
    'AppTrigger',
    { trigger: 'queue-depth', direction: 'above', value: 250, threshold: 100, sustainSeconds: 120 },
    'queue-depth above 100 for 120s (250)',
    { trigger: 'queue-depth', value: 250, threshold: 100 },
  ],
  ['BelowMin', { workers: 1, min: 2 }, '1 worker(s), below min 2', { workers: 1, min: 2 }],
  [
    'PredictedRise',
    {
      forecastCpuMillis: 13000.6,
      capacityCpuMillis: 9000.2,
      at: '2026-11-22T20:04:00.000Z',
      basis: 'median of 3 day(s)',
      daysUsed: 3,
      count: 2,
    },
    'demand of 13001m CPU expected at 20:04 UTC (median of 3 day(s)); adding 2 node(s) one boot time ahead',
    { forecastCpuMillis: 13001, capacityCpuMillis: 9000, daysUsed: 3 },
  ],
  [
    'PredictionUnavailable',
    { detail: '1 day(s) of history; need 2' },
    'pre-scaling off for now: 1 day(s) of history; need 2',
  ],
  [
    'PredictedRiseAhead',
    { forecastCpuMillis: 12999.7, at: '2026-11-22T20:10:00.000Z' },
    'the daily pattern expects 13000m CPU at 20:10 UTC; keeping the node',
    { forecastCpuMillis: 13000 },
  ],
  ['CappedByStep', { needed: 8, step: 5 }, 'capped by the step limit of 5', { needed: 8, step: 5 }],
  ['CappedByMax', { needed: 8, max: 10 }, 'capped at max 10 workers', { needed: 8, max: 10 }],
  ['AtMin', { min: 2 }, 'at min 2 workers', { min: 2 }],
  [
    'CooldownAfterScaleUp',
    { sinceSeconds: 59.6, cooldownSeconds: 180 },
    'last scale-up 60s ago; cooldown is 180s',
    { secondsLeft: 121 },
  ],
  [
    'CooldownAfterScaleDown',
    { sinceSeconds: 99.5, cooldownSeconds: 600 },
    'last scale-down 100s ago; cooldown is 600s',
    { secondsLeft: 501 },
  ],
  ['ScaleDownInFlight', { draining: 1 }, '1 node(s) already draining'],
  ['NodesNotReady', { nodes: 2 }, '2 node(s) not Ready', { nodes: 2 }],
  ['PendingPodsPresent', { pods: 3 }, '3 pod(s) pending'],
  ['NoTrigger', undefined, 'no scaling trigger holds'],
  [
    'MemoryNotLow',
    { windowMax: 0.66, threshold: 0.5 },
    'memory reached 66%; scale-down needs below 50%',
    { windowMax: 0.66 },
  ],
  [
    'MemoryLow',
    { windowMax: 0.3, threshold: 0.5 },
    'memory below 50% (highest 30%)',
    { windowMax: 0.3 },
  ],
  [
    'ProjectedCpuTooHigh',
    { projectedCpu: 0.625, target: 0.6 },
    'one node fewer would put CPU at 63%, above the 60% target',
    { projectedCpu: 0.625 },
  ],
  [
    'Paused',
    { by: 'ops@example.com', reason: 'maintenance' },
    'paused by ops@example.com: maintenance',
  ],
  [
    'SampleStale',
    { ageSeconds: 900, maxAgeSeconds: 300, takenAt: '2026-11-22T11:45:00.000Z' },
    'sample taken 900s ago (at 2026-11-22T11:45:00.000Z), older than the 300s limit; waiting for a fresh one',
    { ageSeconds: 900, maxAgeSeconds: 300, takenAt: '2026-11-22T11:45:00.000Z' },
  ],
  [
    'MetricsIncomplete',
    {
      coverage: { code: 'metrics-incomplete', reporting: 8, expected: 10, missing: ['w8', 'w9'] },
      detail: 'only 8 of 10 workers reported CPU and memory (80%, need 90%); missing w8, w9',
      scalingDown: true,
    },
    'only 8 of 10 workers reported CPU and memory (80%, need 90%); missing w8, w9; never scaling down on a partial reading',
    { reporting: 8, expected: 10, missing: 'w8, w9' },
  ],
  [
    'SampleUnreadable',
    { detail: 'NoSuchKey', key: 'samples/c/1.json', sha256: 'ab12' },
    "the sample's snapshot could not be read: NoSuchKey",
    { key: 'samples/c/1.json', sha256: 'ab12' },
  ],
];

const build = (name: keyof typeof reasons, data: unknown): Reason =>
  (reasons[name] as (d: unknown) => Reason)(data);

describe('reasons catalogue', () => {
  it('has a constructor for every reason code core gives, keyed by the code name', () => {
    const retired = ['PodTooLargeForInstance'];
    const given = Object.keys(ReasonCode).filter((k) => !retired.includes(k));
    expect(Object.keys(reasons).sort()).toEqual(given.sort());
  });

  it.each(cases)('%s writes its code, sentence and data', (name, input, message, data) => {
    const r = build(name, input);
    expect(r).toEqual({
      code: ReasonCode[name as keyof typeof ReasonCode],
      message,
      ...(data ? { data } : {}),
    });
    // Audit records and messages carry reasons through the contract schema.
    expect(ReasonSchema.parse(r)).toEqual(r);
  });

  it('lists the unhostable pods it was given and counts all of them', () => {
    const r = reasons.PendingUnhostable({
      unhostable,
      listed: unhostable.slice(0, 1),
      instanceType: 't3.medium',
    });
    expect(r).toEqual({
      code: 'pending-unhostable',
      message:
        '2 pending pod(s) no new t3.medium worker could host, not counted (Job/train: too-large-for-instance, 4000m CPU > 1800m)',
      data: { pods: 2, owners: 1, listed: 1 },
      unhostable: unhostable.slice(0, 1),
    });
    expect(ReasonSchema.parse(r)).toEqual(r);
  });

  it('words at-max for pending pods and for a sustained trigger', () => {
    expect(reasons.AtMax({ max: 10, pods: 4 })).toEqual({
      code: 'at-max',
      message: '4 pod(s) pending but already at max 10 workers',
      data: { pods: 4, max: 10 },
    });
    expect(reasons.AtMax({ max: 10 })).toEqual({
      code: 'at-max',
      message: 'already at max 10 workers',
      data: { max: 10 },
    });
  });

  it('words scale-up-in-flight for the trigger it holds and for a scale-down', () => {
    expect(reasons.ScaleUpInFlight({ incoming: 2, holding: 'scale-up' })).toEqual({
      code: 'scale-up-in-flight',
      message: '2 node(s) still joining; their capacity counts first',
      data: { incoming: 2 },
    });
    expect(reasons.ScaleUpInFlight({ incoming: 2, holding: 'scale-down' })).toEqual({
      code: 'scale-up-in-flight',
      message: '2 node(s) still joining',
    });
  });

  it('says why metrics are missing, and that a scale-down never happens blind', () => {
    const detail = 'prometheus timed out';
    expect(reasons.MetricsUnavailable({ detail, scalingDown: true }).message).toBe(
      'metrics unavailable (prometheus timed out); never scaling down blind',
    );
    expect(reasons.MetricsUnavailable({ detail, scalingDown: false })).toEqual({
      code: 'metrics-unavailable',
      message: 'metrics unavailable (prometheus timed out)',
    });
  });

  it('words CPU low and not low on usage', () => {
    const usage = { windowMax: 0.42, sustainSeconds: 600, threshold: 0.3 } as const;
    expect(reasons.CpuNotLow(usage)).toEqual({
      code: 'cpu-not-low',
      message: 'CPU reached 42% in the last 600s; scale-down needs below 30%',
      data: { windowMax: 0.42 },
    });
    expect(reasons.CpuLow({ ...usage, windowMax: 0.2 })).toEqual({
      code: 'cpu-low',
      message: 'CPU below 30% for 600s (highest 20%)',
      data: { windowMax: 0.2 },
    });
  });

  it('words requests low and not low with the peak, the window, the headroom and the nodes', () => {
    const figures = {
      peak: { cpuMillis: 3000, memoryBytes: 3 * 1024 ** 3 },
      headroom: { pods: 0, share: 0 },
      windowSeconds: 600,
      nodes: 4,
      projected: 0.75,
    };
    expect(reasons.RequestsLow(figures)).toEqual({
      code: 'requests-low',
      message:
        'pods request at most 3000m CPU and 3.0 GiB over the last 600s; 3 of the 4 Ready nodes hold that at 75% of their room',
      data: { peakCpuMillis: 3000, peakMemoryBytes: 3 * 1024 ** 3, nodes: 4, projected: 0.75 },
    });
    const tight = { ...figures, headroom: { pods: 1, share: 0.1 }, projected: 1.2 };
    expect(reasons.RequestsNotLow(tight).message).toBe(
      'pods request at most 3000m CPU and 3.0 GiB over the last 600s, plus headroom of 1 pod(s) and 10% of the room; 3 of the 4 Ready nodes would need 120% of their room',
    );
    // One node: nothing is left to hold the pods, and no Infinity reaches the data.
    const alone = reasons.RequestsNotLow({ ...figures, nodes: 1, projected: Infinity });
    expect(alone.message).toContain(
      '0 of the 1 Ready nodes would need more than all of their room',
    );
    expect(alone.data).not.toHaveProperty('projected');
    expect(reasons.RequestsPeakUnavailable({ windowSeconds: 600 }).message).toBe(
      'the sample has no peak of pod requests over the last 600s (kube-state-metrics in Prometheus); requests-based consolidation waits for it',
    );
  });

  it('names every refused node, with pod and PDB on usage, with the refusals beside', () => {
    const usage = reasons.NoEligibleVictim({ rejected: refusals, basis: 'usage' });
    expect(usage).toEqual({
      code: 'no-eligible-victim',
      message:
        'no node can be removed safely (w-1: pdb-allows-no-disruption (shop/web-1, PDB shop/web), w-2: too-young)',
      data: { rejected: 2 },
      refusals,
    });
    const requests = reasons.VictimPodsWouldNotFit({ rejected: refusals, basis: 'requests' });
    expect(requests).toEqual({
      code: 'victim-pods-would-not-fit',
      message:
        'no node can be removed safely (w-1: pdb-allows-no-disruption (shop/web-1, PDB shop/web), w-2: too-young)',
      data: { rejected: 2 },
      refusals,
    });
    const until = { nodeName: 'w-3', code: 'recently-failed-drain' as const, until: 'T1' };
    expect(reasons.NoEligibleVictim({ rejected: [until], basis: 'usage' }).message).toBe(
      'no node can be removed safely (w-3: recently-failed-drain (until T1))',
    );
  });

  it('names the chosen victim, with the nodes passed over only when there were some', () => {
    expect(
      reasons.VictimChosen({ nodeName: 'w-4', podsToMove: 3, rejected: refusals, basis: 'usage' }),
    ).toEqual({
      code: 'victim-chosen',
      message: 'removing w-4: its 3 pod(s) fit on the other nodes',
      data: { podsToMove: 3 },
      refusals,
    });
    const byRequests = reasons.VictimChosen({
      nodeName: 'w-4',
      podsToMove: 0,
      rejected: [],
      basis: 'requests',
    });
    expect(byRequests).toEqual({
      code: 'victim-chosen',
      message: 'removing w-4: its 0 pod(s) fit on the other nodes by requests',
      data: { podsToMove: 0 },
    });
    expect(byRequests).not.toHaveProperty('refusals');
  });

  it('names the pods consolidation moves (five, then how many more) and what a removal saves', () => {
    const movingPods = Array.from({ length: 7 }, (_, i) => `shop/web-${i}`);
    const byRequests = reasons.VictimChosen({
      nodeName: 'w-4',
      podsToMove: 7,
      movingPods,
      rejected: [],
      basis: 'requests',
    });
    expect(byRequests.message).toBe(
      'removing w-4: its 7 pod(s) (shop/web-0, shop/web-1, shop/web-2, shop/web-3, shop/web-4, and 2 more) fit on the other nodes by requests',
    );
    const saving = reasons.VictimChosen({
      nodeName: 'w-5',
      podsToMove: 1,
      movingPods: ['shop/web-0'],
      rejected: [],
      basis: 'usage',
      savesHourlyUsd: 0.0832,
      instanceType: 't3.large',
    });
    expect(saving.message).toBe(
      'removing w-5: its 1 pod(s) fit on the other nodes; it saves $0.0832/h (t3.large), the most of the removable nodes',
    );
    expect(saving.data).toEqual({ podsToMove: 1, savesHourlyUsd: 0.0832 });
  });

  it('names at most five owners of unhostable pods, then says there are more', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({
      pod: `ml/p-${i}`,
      owner: `Job/j-${i}`,
      code: 'node-selector-unsatisfiable' as const,
      detail: 'disktype=ssd',
    }));
    const r = reasons.PendingUnhostable({
      unhostable: many,
      listed: many,
      instanceType: 'm5.large',
    });
    expect(r.message).toBe(
      '7 pending pod(s) no new m5.large worker could host, not counted (Job/j-0, Job/j-1, Job/j-2, Job/j-3, Job/j-4, ...: node-selector-unsatisfiable, disktype=ssd)',
    );
    expect(r.data).toEqual({ pods: 7, owners: 7, listed: 7 });
  });
});
