import {
  type ClusterSnapshot,
  createMessage,
  encodeSnapshot,
  type NodeInfo,
} from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  type DecisionStamp,
  decisionStampOf,
  firstLogTimes,
  formatLatencyTable,
  freeSlots,
  joinHops,
  type LaunchOutcome,
  launchOutcomes,
  type PendingPodStamp,
  type PodLatency,
  parseLatencyArgs,
  summarizeLatency,
} from '../../src/bench/latency-hops.ts';

const MiB = 2 ** 20;
const OWNER = 'ReplicaSet/burst-5d8';
const T0 = Date.parse('2026-12-02T05:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();

function snapshot(takenAt: string, pending: { name: string; since: string }[]): ClusterSnapshot {
  return {
    takenAt,
    nodes: [],
    pendingPods: pending.map((p) => ({
      namespace: 'latency',
      name: p.name,
      cpuMillis: 500,
      memoryBytes: 512 * MiB,
      pendingSince: p.since,
      owner: OWNER,
    })),
    utilization: { available: false, reason: 'metrics unavailable: test' },
  } as ClusterSnapshot;
}

function auditDecision(
  actionId: string,
  decidedAt: string,
  kind: string,
  snap: ClusterSnapshot | null,
) {
  return {
    actionId,
    at: decidedAt,
    kind: 'decision',
    detail: { decision: { kind }, ...(snap ? { snapshot: encodeSnapshot(snap) } : {}) },
  };
}

const pod = (name: string, pendingAt: string): PendingPodStamp => ({
  namespace: 'latency',
  name,
  owner: OWNER,
  pendingAt,
});

describe('decisionStampOf', () => {
  it("reads the decision's time, its sample's takenAt and every pending pod of a compact group", () => {
    const snap = snapshot(at(10.2), [
      { name: 'burst-a', since: at(0) },
      { name: 'burst-b', since: at(0) },
      { name: 'burst-c', since: at(1) },
    ]);
    const stamp = decisionStampOf(auditDecision('A1', at(10.4), 'scale-up', snap));
    expect(stamp).toMatchObject({
      actionId: 'A1',
      decidedAt: at(10.4),
      sampledAt: at(10.2),
      kind: 'scale-up',
    });
    // Two alike pods share a group: the second is known by owner and time only.
    expect(stamp?.pending.map((p) => [p.name, p.pendingSince])).toEqual([
      ['burst-a', at(0)],
      ['burst-a+2', at(0)],
      ['burst-c', at(1)],
    ]);
  });

  it('skips outcomes and holds without a snapshot, and names a scale-up that has none', () => {
    expect(decisionStampOf({ actionId: 'O', at: at(1), kind: 'outcome', detail: {} })).toBeNull();
    expect(decisionStampOf(auditDecision('H', at(1), 'hold', null))).toBeNull();
    expect(() => decisionStampOf(auditDecision('S1', at(1), 'scale-up', null))).toThrow(
      /audit decision S1: expected its sample's snapshot inline/,
    );
  });
});

describe('firstLogTimes', () => {
  it("keeps each action's first line with the message, skipping other lines", () => {
    const line = (message: string, actionId: string, timestamp: string) =>
      JSON.stringify({ level: 'INFO', message, timestamp, actionId });
    const times = firstLogTimes(
      [
        'provisioner: running',
        line('launched', 'A1', at(1)),
        line('command received', 'A1', at(2)),
        line('command received', 'A1', at(9)),
        '{not json',
        line('command received', 'A2', at(3)),
      ],
      'command received',
    );
    expect([...times]).toEqual([
      ['A1', at(2)],
      ['A2', at(3)],
    ]);
  });
});

const ACTION_LAUNCHED = '01KBG4Z9N0000000000000000A';
const ACTION_FAILED = '01KBG4Z9N0000000000000000B';

describe('launchOutcomes', () => {
  it("takes InstancesLaunched's occurredAt as the launch's return and keeps ActionFailed's reason", () => {
    const launched = createMessage(
      'InstancesLaunched',
      {
        requested: 1,
        instances: [
          {
            instanceId: 'i-0abc12345',
            zone: 'us-east-1a',
            capacityType: 'on-demand',
            instanceType: 't3.medium',
          },
        ],
        unavailablePools: [],
      },
      { clusterId: 'c', actionId: ACTION_LAUNCHED },
      new Date(T0 + 11_500),
    );
    const failed = createMessage(
      'ActionFailed',
      { step: 'launch', reason: 'insufficient-capacity', detail: 'spot in us-east-1a: dry' },
      { clusterId: 'c', actionId: ACTION_FAILED },
      new Date(T0 + 12_000),
    );
    const outcomes = launchOutcomes([JSON.stringify(launched), JSON.stringify(failed)]);
    expect(outcomes.get(ACTION_LAUNCHED)).toEqual({ launched: true, at: at(11.5) });
    expect(outcomes.get(ACTION_FAILED)).toEqual({
      launched: false,
      at: at(12),
      reason: 'insufficient-capacity: spot in us-east-1a: dry',
    });
  });

  it('names a body that is not a message', () => {
    expect(() => launchOutcomes(['{"hello":1}'])).toThrow(/event body is not a SmartScale message/);
  });
});

describe('joinHops', () => {
  // Pods a, b pending from 0 s, c from 1 s (a ReplicaSet's second batch).
  const first = decisionStampOf(
    auditDecision(
      'A1',
      at(10.3),
      'scale-up',
      snapshot(at(10.1), [
        { name: 'burst-a', since: at(0) },
        { name: 'burst-b', since: at(0) },
        { name: 'burst-c', since: at(1) },
      ]),
    ),
  ) as DecisionStamp;
  const second = decisionStampOf(
    auditDecision(
      'A2',
      at(11.4),
      'scale-up',
      snapshot(at(11.2), [{ name: 'burst-c', since: at(1) }]),
    ),
  ) as DecisionStamp;
  const receipts = new Map([
    ['A1', at(10.5)],
    ['A2', at(11.6)],
  ]);
  const launches = new Map<string, LaunchOutcome>([
    ['A1', { launched: true, at: at(11.1) }],
    ['A2', { launched: true, at: at(12.0) }],
  ]);
  const pods = [pod('burst-a', at(0)), pod('burst-b', at(0)), pod('burst-c', at(1))];

  it('joins each pod to the first scale-up that acted on it, by action id to its receipt and launch', () => {
    const joined = joinHops({
      pods,
      decisions: [second, first],
      receipts,
      launches,
      graceSeconds: 10,
    });
    expect(joined.unmatched).toEqual([]);
    expect(joined.rows.map((r) => [r.pod, r.actionId])).toEqual([
      ['latency/burst-a', 'A1'],
      // burst-b is the unnamed second pod of burst-a's group, found by owner and time.
      ['latency/burst-b', 'A1'],
      // Listed by A1's sample, but 9.3 s pending at its decision: within the grace, held.
      ['latency/burst-c', 'A2'],
    ]);
    expect(joined.rows[2]).toEqual({
      pod: 'latency/burst-c',
      actionId: 'A2',
      pendingAt: T0 + 1000,
      sampledAt: T0 + 11_200,
      decidedAt: T0 + 11_400,
      receivedAt: T0 + 11_600,
      launchedAt: T0 + 12_000,
    });
  });

  it('lists a pod whose path misses a step, naming the step', () => {
    const joined = joinHops({
      pods: [...pods, pod('burst-z', at(40))],
      decisions: [first, second],
      receipts: new Map([['A1', at(10.5)]]),
      launches: new Map<string, LaunchOutcome>([
        ['A1', { launched: false, at: at(11), reason: 'insufficient-capacity' }],
      ]),
      graceSeconds: 10,
    });
    expect(joined.rows).toEqual([]);
    expect(joined.unmatched).toEqual([
      { pod: 'latency/burst-a', why: 'action A1: ActionFailed (insufficient-capacity)' },
      { pod: 'latency/burst-b', why: 'action A1: ActionFailed (insufficient-capacity)' },
      {
        pod: 'latency/burst-c',
        why: "action A2: no 'command received' in the provisioner's log",
      },
      {
        pod: 'latency/burst-z',
        why: 'no scale-up decision in the audit log lists it pending past the grace',
      },
    ]);
  });
});

function row(pendingAt: number, launchedAfter: number): PodLatency {
  // Hops of 10, 0.2, 0.1 s, then the rest until the launch returns.
  return {
    pod: `p${pendingAt}`,
    actionId: `A${pendingAt}`,
    pendingAt,
    sampledAt: pendingAt + 10_000,
    decidedAt: pendingAt + 10_200,
    receivedAt: pendingAt + 10_300,
    launchedAt: pendingAt + launchedAfter,
  };
}

describe('summarizeLatency', () => {
  it('gives nearest-rank p50/p95 per hop, the total and the total less the grace', () => {
    const rows = Array.from({ length: 20 }, (_, i) => row(T0 + i * 60_000, 11_000 + i * 100));
    const s = summarizeLatency('watch', { rows, unmatched: [] }, 10);
    expect(s.hops.map((h) => [h.name, h.p50, h.p95])).toEqual([
      ['pod pending -> sampled', 10, 10],
      ['sampled -> decided', 0.2, 0.2],
      ['decided -> command received', 0.1, 0.1],
      // 0.7 s for the first pod, 0.1 s more each: rank 10 and rank 19 of 20.
      ['command received -> launch returned', expect.closeTo(1.6, 9), expect.closeTo(2.5, 9)],
    ]);
    expect(s.total).toEqual({ p50: 11.9, p95: 12.8 });
    expect(s.ownShare.p50).toBeCloseTo(1.9, 9);
    expect(s.ownShare.p95).toBeCloseTo(2.8, 9);
    expect(s).toMatchObject({ pods: 20, actions: 20, targetSeconds: 2, pass: false });
  });

  it('passes at the target and fails just above it, and with no pod measured', () => {
    const at2 = summarizeLatency('watch', { rows: [row(T0, 12_000)], unmatched: [] }, 10);
    expect([at2.ownShare.p95, at2.pass]).toEqual([2, true]);
    expect(summarizeLatency('watch', { rows: [row(T0, 12_010)], unmatched: [] }, 10).pass).toBe(
      false,
    );
    const schedule = summarizeLatency('schedule', { rows: [row(T0, 74_000)], unmatched: [] }, 10);
    expect([schedule.targetSeconds, schedule.ownShare.p95, schedule.pass]).toEqual([65, 64, true]);
    const none = summarizeLatency(
      'schedule',
      { rows: [], unmatched: [{ pod: 'x', why: 'y' }] },
      10,
    );
    expect([none.ownShare.p95, none.pass, none.unmatched]).toEqual([null, false, 1]);
  });

  it('refuses a negative grace', () => {
    expect(() => summarizeLatency('watch', { rows: [], unmatched: [] }, -1)).toThrow(
      /graceSeconds is -1: expected seconds, 0 or more/,
    );
  });
});

describe('formatLatencyTable', () => {
  it('prints a p50/p95 pair per mode, every hop, the targets and pass/fail', () => {
    const watch = summarizeLatency('watch', { rows: [row(T0, 11_500)], unmatched: [] }, 10);
    const schedule = summarizeLatency('schedule', { rows: [row(T0, 80_000)], unmatched: [] }, 10);
    const table = formatLatencyTable([watch, schedule]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/watch\s+schedule$/);
    expect(lines.find((l) => l.startsWith('command received -> launch returned'))).toMatch(
      /1\.20 s\s+1\.20 s\s+69\.7 s\s+69\.7 s$/,
    );
    expect(lines.find((l) => l.startsWith('own share'))).toMatch(
      /1\.50 s\s+1\.50 s\s+70\.0 s\s+70\.0 s$/,
    );
    expect(lines.find((l) => l.startsWith('target'))).toMatch(/2 s\s+65 s$/);
    expect(lines.find((l) => l.startsWith('result'))).toMatch(/PASS\s+FAIL$/);
    expect(table).toContain('watch: 1 pods in 1 scale-ups, pending grace 10 s');
  });
});

function node(name: string, pods: number, extra: Partial<NodeInfo> = {}): NodeInfo {
  return {
    name,
    managed: true,
    ready: true,
    unschedulable: false,
    allocatable: { cpuMillis: 1900, memoryBytes: 3712 * MiB },
    pods: Array.from({ length: pods }, (_, i) => ({
      namespace: 'latency',
      name: `${name}-p${i}`,
      cpuMillis: 500,
      memoryBytes: 512 * MiB,
    })),
    ...extra,
  } as NodeInfo;
}

describe('freeSlots', () => {
  const POD = { cpuMillis: 500, memoryBytes: 512 * MiB };

  it('counts the pods that still fit by requests on Ready, schedulable workers', () => {
    expect(freeSlots([node('a', 0), node('b', 2), node('c', 3)], POD)).toBe(3 + 1 + 0);
    expect(
      freeSlots([node('a', 0, { ready: false }), node('b', 0, { unschedulable: true })], POD),
    ).toBe(0);
    // Memory binds first: 3712 MiB hold 3 pods of 1 GiB.
    expect(freeSlots([node('a', 0)], { cpuMillis: 100, memoryBytes: 1024 * MiB })).toBe(3);
  });

  it('refuses a pod without requests', () => {
    expect(() => freeSlots([node('a', 0)], { cpuMillis: 0, memoryBytes: 1 })).toThrow(
      /pod requests 0m CPU and 1 bytes: expected both above 0/,
    );
  });
});

describe('parseLatencyArgs', () => {
  it('defaults to watch mode, 3 bursts of 6 pods; both runs each mode', () => {
    expect(parseLatencyArgs([])).toEqual({ modes: ['watch'], bursts: 3, burstPods: 6 });
    expect(parseLatencyArgs(['--mode', 'both']).modes).toEqual(['watch', 'schedule']);
    expect(parseLatencyArgs(['--mode', 'schedule', '--bursts', '5', '--burst-pods', '3'])).toEqual({
      modes: ['schedule'],
      bursts: 5,
      burstPods: 3,
    });
  });

  it('names the bad option and what it expects', () => {
    expect(() => parseLatencyArgs(['--mode', 'fast'])).toThrow(
      "--mode 'fast': expected watch, schedule or both",
    );
    expect(() => parseLatencyArgs(['--bursts', '0'])).toThrow(
      "--bursts '0': expected a whole number from 1 to 20",
    );
    expect(() => parseLatencyArgs(['--bursts'])).toThrow('--bursts needs a value');
    expect(() => parseLatencyArgs(['--speed', '2'])).toThrow(
      "unknown option '--speed': expected --mode, --bursts or --burst-pods",
    );
  });
});
