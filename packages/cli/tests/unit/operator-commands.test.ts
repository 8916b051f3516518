import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredAuditEntry } from '@smartscale/aws';
import type { Decision } from '@smartscale/contracts';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cooldownText,
  cooldownUntil,
  countNodes,
  explainEntries,
  formatAge,
  formatExplanation,
  formatPairs,
  formatReconciliation,
  formatTable,
  historyLines,
  type Io,
  isMoveTaskUnavailable,
  main,
  networkErrorCode,
  parseCommandArgs,
  readLocalDeployment,
  sendableAttributes,
  timeArg,
  UsageError,
} from '../../src/index.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (t) => stdout.push(t), err: (t) => stderr.push(t) };
}

const dir = mkdtempSync(join(tmpdir(), 'cli-ops-'));

/** A resources file whose AWS endpoint nobody listens on. */
function resourcesFile(): string {
  const q = (name: string) => ({
    url: `http://127.0.0.1:1/000000000000/${name}`,
    arn: `arn:aws:sqs:us-east-1:000000000000:${name}`,
    dlqUrl: `http://127.0.0.1:1/000000000000/${name}-dlq`,
  });
  const file = join(dir, 'resources.json');
  writeFileSync(
    file,
    JSON.stringify({
      prefix: 'unit',
      clusterId: 'unit',
      topics: {
        samples: 'arn:aws:sns:us-east-1:000000000000:s',
        commands: 'arn:aws:sns:us-east-1:000000000000:c',
        events: 'arn:aws:sns:us-east-1:000000000000:e',
      },
      queues: Object.fromEntries(
        ['decider', 'provisioner', 'join-verifier', 'drainer', 'notifier', 'spot-listener'].map(
          (n) => [n, q(n)],
        ),
      ),
      tables: { state: 'unit-state', audit: 'unit-audit' },
      buckets: { samples: 'unit-samples' },
      parameters: { joinToken: '/unit/join', slackWebhook: '/unit/slack' },
    }),
  );
  return file;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

function entry(partial: Partial<StoredAuditEntry>): StoredAuditEntry {
  return {
    id: '01JD0000000000000000000000',
    clusterId: 'c',
    actionId: '01JD0000000000000000000001',
    at: '2026-01-01T00:00:00.000Z',
    kind: 'decision',
    summary: 'hold',
    detail: {},
    ...partial,
  };
}

const holdDecision = {
  kind: 'hold',
  reasons: [{ code: 'cooldown-after-scale-up', message: 'scale-up cooldown: 120s left' }],
};
const snapshot = {
  takenAt: '2026-01-01T00:00:00.000Z',
  nodes: [],
  pendingPods: [],
  utilization: { available: false, reason: 'Prometheus unreachable' },
};

describe('argument errors exit 2 naming the argument and what was expected', () => {
  it.each([
    [['status', '--bogus'], /Unknown option '--bogus'/],
    [['status', 'extra'], /unexpected argument 'extra': expected no positional arguments/],
    [['explain', 'not-an-id'], /ACTION_ID: expected 'latest' or an action id .* got 'not-an-id'/],
    [
      ['history', '--since', 'yesterday'],
      /--since: expected a duration back from now .* got 'yesterday'/,
    ],
    [['history', '--limit', '0'], /--limit: expected a whole number > 0, got '0'/],
    [['dlq'], /expected 'list' or 'replay' after dlq, got nothing/],
    [['dlq', 'purge'], /expected 'list' or 'replay' after dlq, got 'purge'/],
    [['dlq', 'replay'], /QUEUE: expected the queue to replay, one of decider, provisioner/],
    [['dlq', 'replay', 'orders'], /QUEUE: expected one of decider, .*spot-listener, got 'orders'/],
    [['dlq', 'replay', 'notifier', '--max=-3'], /--max: expected a whole number > 0, got '-3'/],
    [['dlq', 'list', '--dry-run'], /--dry-run: only replay takes it/],
    [['pause'], /--reason: expected why scaling is paused/],
    [['pause', '--reason', '  '], /--reason: expected why scaling is paused/],
    [['pause', '--reason', 'x', '--by', ''], /--by: expected a name/],
    [
      ['status', '--resources', join(dir, 'missing.json')],
      /--resources: expected a readable JSON file, .*missing\.json gave ENOENT/,
    ],
  ])('%j', async (argv, message) => {
    const io = capture();
    expect(await main(argv, io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(message);
    // The command's usage follows the error.
    expect(io.stderr.join('\n')).toMatch(/usage: smartscale/);
  });

  it('a resources file of the wrong shape names every bad field', async () => {
    const file = join(dir, 'wrong.json');
    writeFileSync(file, JSON.stringify({ prefix: 'p', clusterId: 'c', topics: {} }));
    const io = capture();
    expect(await main(['status', '--resources', file], io)).toBe(2);
    expect(io.stderr[0]).toMatch(
      /is not a SmartScale resources file \(topics\.samples: .*queues: /,
    );
  });

  it('every operator command answers --help with its usage and exit 0', async () => {
    for (const name of ['status', 'explain', 'history', 'dlq', 'pause', 'resume']) {
      const io = capture();
      expect(await main([name, '--help'], io)).toBe(0);
      expect(io.stdout[0]).toMatch(new RegExp(`^usage: smartscale ${name}`));
    }
  });
});

describe('an unreachable endpoint', () => {
  const saved = process.env.SMARTSCALE_AWS_ENDPOINT;
  afterEach(() => {
    if (saved === undefined) delete process.env.SMARTSCALE_AWS_ENDPOINT;
    else process.env.SMARTSCALE_AWS_ENDPOINT = saved;
  });

  it('exits 1 naming the endpoint and the network error', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    process.env.SMARTSCALE_AWS_ENDPOINT = endpoint;
    for (const argv of [
      ['status'],
      ['history'],
      ['dlq', 'list', 'notifier'],
      ['pause', '--reason', 'r'],
    ]) {
      const io = capture();
      expect(await main([...argv, '--resources', resourcesFile()], io)).toBe(1);
      expect(io.stderr.join('\n')).toContain(
        `cannot reach the AWS endpoint ${endpoint} (ECONNREFUSED)`,
      );
    }
  });
});

describe('parsing', () => {
  const now = new Date('2026-03-01T12:00:00.000Z');

  it('reads durations back from now and ISO times', () => {
    expect(timeArg('since', '90s', now).toISOString()).toBe('2026-03-01T11:58:30.000Z');
    expect(timeArg('since', '30m', now).toISOString()).toBe('2026-03-01T11:30:00.000Z');
    expect(timeArg('since', '6h', now).toISOString()).toBe('2026-03-01T06:00:00.000Z');
    expect(timeArg('since', '2d', now).toISOString()).toBe('2026-02-27T12:00:00.000Z');
    expect(timeArg('since', '2026-02-01T08:00:00Z', now).toISOString()).toBe(
      '2026-02-01T08:00:00.000Z',
    );
    for (const bad of ['1', 'May', '-5m', '5 minutes', ''])
      expect(() => timeArg('since', bad, now)).toThrow(UsageError);
  });

  it('caps positionals and keeps option values', () => {
    const parsed = parseCommandArgs(
      ['replay', 'notifier', '--max', '3'],
      { max: { type: 'string' } },
      2,
    );
    expect(parsed.positionals).toEqual(['replay', 'notifier']);
    expect(parsed.values.max).toBe('3');
    expect(() => parseCommandArgs(['a', 'b', 'c'], {}, 2)).toThrow(
      /unexpected argument 'c': expected at most 2/,
    );
  });

  it('tells network failures from other errors, also when wrapped', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(networkErrorCode(refused)).toBe('ECONNREFUSED');
    expect(networkErrorCode(new Error('outer', { cause: refused }))).toBe('ECONNREFUSED');
    expect(networkErrorCode(Object.assign(new Error('x'), { name: 'AccessDenied' }))).toBeNull();
  });

  it('falls back from the move task only when the endpoint lacks it', () => {
    const moto = Object.assign(new SyntaxError('Unexpected token <'), {
      $metadata: { httpStatusCode: 500 },
    });
    expect(isMoveTaskUnavailable(moto)).toBe(true);
    expect(
      isMoveTaskUnavailable(Object.assign(new Error('x'), { name: 'UnsupportedOperation' })),
    ).toBe(true);
    const denied = Object.assign(new Error('no'), {
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    expect(isMoveTaskUnavailable(denied)).toBe(false);
  });

  it('keeps every message attribute when re-sending a dead letter', () => {
    expect(
      sendableAttributes({
        type: { DataType: 'String', StringValue: 'ScaleUp' },
        attempt: { DataType: 'Number', StringValue: '3' },
        blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
      }),
    ).toEqual({
      type: { DataType: 'String', StringValue: 'ScaleUp' },
      attempt: { DataType: 'Number', StringValue: '3' },
      blob: { DataType: 'Binary', BinaryValue: new Uint8Array([1, 2]) },
    });
  });

  it('reads the local environment state file only when it records resources', () => {
    const file = join(dir, 'local.json');
    writeFileSync(
      file,
      JSON.stringify({
        pid: 999_999_999,
        startedAt: '',
        parts: [{ name: 'aws', details: { endpoint: 'http://127.0.0.1:5000' }, processes: [] }],
      }),
    );
    expect(readLocalDeployment(file)).toBeNull();
    expect(readLocalDeployment(join(dir, 'absent.json'))).toBeNull();
  });
});

describe('formatting', () => {
  it('pads columns to the widest cell, header first, no trailing spaces', () => {
    expect(
      formatTable(
        ['queue', 'dlq'],
        [
          ['decider', '0'],
          ['spot-listener', '12'],
        ],
      ),
    ).toBe('queue          dlq\ndecider        0\nspot-listener  12');
    expect(formatTable(['a', 'b'], [['x', '']])).toBe('a  b\nx');
    expect(
      formatPairs([
        ['cluster', 'prod'],
        ['paused', 'no'],
      ]),
    ).toBe('cluster  prod\npaused   no');
  });

  it('says ages coarsely', () => {
    const now = new Date('2026-01-01T12:00:00Z');
    expect(formatAge(new Date('2026-01-01T11:59:15Z'), now)).toBe('45s');
    expect(formatAge(new Date('2026-01-01T11:30:00Z'), now)).toBe('30m');
    expect(formatAge(new Date('2026-01-01T06:00:00Z'), now)).toBe('6h');
    expect(formatAge(new Date('2025-12-29T12:00:00Z'), now)).toBe('3d');
  });

  it('counts workers and cooldowns', () => {
    const node = (ready: boolean, unschedulable: boolean) => ({
      name: 'n',
      managed: true,
      ready,
      unschedulable,
      allocatable: { cpuMillis: 1, memoryBytes: 1 },
      pods: [],
    });
    expect(countNodes([node(true, false), node(true, true), node(false, false)])).toEqual({
      ready: 1,
      notReady: 1,
      cordoned: 1,
    });
    const now = new Date('2026-01-01T00:10:00Z');
    expect(cooldownUntil('2026-01-01T00:08:00.000Z', 300, now)).toBe('2026-01-01T00:13:00.000Z');
    expect(cooldownUntil('2026-01-01T00:00:00.000Z', 300, now)).toBeNull();
    expect(cooldownUntil(null, 300, now)).toBeNull();
  });

  it('says when a running scale-down cooldown is passed over for an idle fleet', () => {
    const now = new Date('2026-01-01T00:10:00Z');
    const running = { last: '2026-01-01T00:08:00.000Z', until: '2026-01-01T00:13:00.000Z' };
    expect(cooldownText({ ...running, skippedWhenSurplus: false }, now)).toBe(
      'until 2026-01-01T00:13:00.000Z (3m left), last 2026-01-01T00:08:00.000Z (2m ago)',
    );
    expect(cooldownText({ ...running, skippedWhenSurplus: true }, now)).toMatch(
      /\(2m ago\); passed over while the fleet stays idle with one node fewer \(scaleDown\.skipCooldownWhenSurplus\)$/,
    );
    // Over is over, whatever the setting.
    expect(cooldownText({ last: running.last, until: null, skippedWhenSurplus: true }, now)).toBe(
      'over, last 2026-01-01T00:08:00.000Z (2m ago)',
    );
  });

  it('explains a hold with its reasons, snapshot and timeline', () => {
    const x = explainEntries('01JD0000000000000000000001', [
      entry({ detail: { decision: holdDecision, snapshot } }),
      entry({ kind: 'outcome', summary: 'NodeJoined', at: '2026-01-01T00:01:00.000Z' }),
    ]);
    expect(x.decision?.kind).toBe('hold');
    const text = formatExplanation(x);
    expect(text).toMatch(/^decision\s+hold \(no action\)$/m);
    expect(text).toMatch(
      /why it held:\ncode\s+reason\ncooldown-after-scale-up\s+scale-up cooldown: 120s left/,
    );
    expect(text).toMatch(/^metrics\s+unavailable: Prometheus unreachable$/m);
    expect(text).toMatch(/^cpu\s+\?$/m);
    expect(text).toMatch(/2026-01-01T00:01:00.000Z\s+outcome\s+NodeJoined$/m);
  });

  it("shows a scale-down hold's refusals as a table: node, why, pod, PDB", () => {
    const refused: Decision = {
      kind: 'hold',
      reasons: [
        {
          code: 'no-eligible-victim',
          message: 'no node can be removed safely (2 rejected)',
          refusals: [
            {
              nodeName: 'ip-10-0-1-5',
              code: 'pdb-allows-no-disruption',
              pod: 'shop/api-0',
              pdb: 'shop/api',
            },
            { nodeName: 'ip-10-0-1-6', code: 'too-young' },
          ],
        },
      ],
    };
    const text = formatExplanation(
      explainEntries('01JD0000000000000000000001', [
        entry({ detail: { decision: refused, snapshot } }),
      ]),
    );
    expect(text).toMatch(
      /nodes not removed:\nnode\s+why\s+pod\s+pdb\nip-10-0-1-5\s+pdb-allows-no-disruption\s+shop\/api-0\s+shop\/api\nip-10-0-1-6\s+too-young\s+-\s+-$/m,
    );
    expect(
      formatExplanation(
        explainEntries('01JD0000000000000000000001', [
          entry({ detail: { decision: holdDecision, snapshot } }),
        ]),
      ),
    ).not.toContain('nodes not removed');
  });

  it('shows pending pods no new worker can host as a table: pod, owner, why, detail (issue #16)', () => {
    const reported: Decision = {
      kind: 'hold',
      reasons: [
        {
          code: 'pending-unhostable',
          message: '1 pending pod(s) no new t3.medium worker could host',
          unhostable: [
            {
              pod: 'ml/train-1',
              owner: 'ml/Job/train',
              code: 'node-selector-unsatisfiable',
              detail: 'nodeSelector gpu=a100; new workers have gpu=(none)',
            },
          ],
        },
      ],
    };
    const text = formatExplanation(
      explainEntries('01JD0000000000000000000001', [
        entry({ detail: { decision: reported, snapshot } }),
      ]),
    );
    expect(text).toMatch(
      /pending pods no new worker can host \(not counted\):\npod\s+owner\s+why\s+detail\nml\/train-1\s+ml\/Job\/train\s+node-selector-unsatisfiable\s+nodeSelector gpu=a100; new workers have gpu=\(none\)$/m,
    );
  });

  it('shows in the timeline which pools had no capacity when a launch fell back', () => {
    const launched = entry({
      kind: 'outcome',
      summary: 'InstancesLaunched',
      detail: {
        payload: {
          requested: 1,
          instances: [],
          unavailablePools: [
            { zone: 'us-east-1a', capacityType: 'spot', error: 'InsufficientInstanceCapacity' },
            {
              zone: 'us-east-1b',
              capacityType: 'spot',
              error: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
              reason: 'Spot is refused in this account',
            },
          ],
        },
      },
    });
    const x = explainEntries('01JD0000000000000000000001', [launched]);
    // A message from before pools carried a reason shows the code alone.
    expect(x.timeline[0]?.summary).toBe(
      'InstancesLaunched; unavailable: spot in us-east-1a (InsufficientInstanceCapacity), spot in us-east-1b (AuthFailure.ServiceLinkedRoleCreationNotPermitted: Spot is refused in this account)',
    );
    // A pool avoided by instance type (issue #23) names the type.
    const byType = entry({
      kind: 'outcome',
      summary: 'InstancesLaunched',
      detail: {
        payload: {
          requested: 1,
          instances: [],
          unavailablePools: [
            {
              zone: 'us-east-1a',
              capacityType: 'spot',
              error: 'InsufficientInstanceCapacity',
              instanceType: 't3.medium',
              avoidedUntil: '2026-12-02T01:03:00.000Z',
            },
          ],
        },
      },
    });
    expect(explainEntries('01JD0000000000000000000001', [byType]).timeline[0]?.summary).toBe(
      'InstancesLaunched; unavailable: t3.medium spot in us-east-1a (InsufficientInstanceCapacity)',
    );
    const plain = entry({ kind: 'outcome', summary: 'NodeJoined', detail: { payload: {} } });
    expect(explainEntries('01JD0000000000000000000001', [plain]).timeline[0]?.summary).toBe(
      'NodeJoined',
    );
  });

  it('explains a repair by its action id: what the reconciler found and repaired', () => {
    const repair = {
      code: 'ghost-node',
      nodeName: 'ip-10-0-1-7',
      instanceId: 'i-0123456789abcdef0',
      reason: 'Node ip-10-0-1-7: its instance i-0123456789abcdef0 is terminated',
    };
    const x = explainEntries('01JD0000000000000000000009', [
      entry({ kind: 'repair', summary: 'repair ghost-node: ip-10-0-1-7', detail: { repair } }),
    ]);
    expect(x.decision).toBeNull();
    expect(x.repair).toEqual(repair);
    const text = formatExplanation(x);
    expect(text).toMatch(/^repair\s+ghost-node \(by the reconciler\)$/m);
    expect(text).toMatch(/^node\s+ip-10-0-1-7$/m);
    expect(text).toMatch(
      /^why\s+Node ip-10-0-1-7: its instance i-0123456789abcdef0 is terminated$/m,
    );
  });

  it("shows the reconciler's last pass in status: when, what it compared, what it repaired", () => {
    const now = new Date('2026-01-01T00:10:00Z');
    expect(formatReconciliation(null, now)).toBe('reconciler: no pass yet');
    const quiet = {
      at: '2026-01-01T00:09:00.000Z',
      found: { instances: 3, nodes: 3, inFlight: 0 },
      repaired: [],
      failed: [],
      ledgerLockBusy: false,
    };
    expect(formatReconciliation(quiet, now)).toMatch(
      /^reconciler: last pass 2026-01-01T00:09:00.000Z \(60s ago\) compared 3 instances, 3 nodes, 0 actions in flight; nothing to repair$/,
    );
    const busy = {
      ...quiet,
      repaired: [
        {
          actionId: '01JD0000000000000000000009',
          code: 'orphan-instance',
          instanceId: 'i-0123456789abcdef0',
          reason: 'no Node for 900 s',
        },
      ],
      failed: [{ code: 'stale-cordon', subject: 'ip-10-0-1-8', error: 'forbidden' }],
    };
    const text = formatReconciliation(busy, now);
    expect(text).toMatch(
      /^orphan-instance\s+i-0123456789abcdef0\s+01JD0000000000000000000009\s+no Node for 900 s$/m,
    );
    expect(text).toMatch(/^ {2}FAILED stale-cordon ip-10-0-1-8: forbidden$/m);
    // Issue #21 item 9: a labelled Node whose instance is not ours is named, never repaired.
    const alone = formatReconciliation(
      {
        ...quiet,
        leftAlone: [{ nodeName: 'by-hand', reason: 'Node by-hand is labelled ...: left alone' }],
      },
      now,
    );
    expect(alone).toMatch(
      /nothing to repair\n {2}LEFT ALONE Node by-hand is labelled \.\.\.: left alone$/,
    );
    // A lease lost by the ledger repairs is named; the other repairs ran.
    expect(
      formatReconciliation(
        { ...busy, failed: [], ledgerLockLost: 'lock taken over since fence 1' },
        now,
      ),
    ).toMatch(
      /no Node for 900 s\n {2}ledger repairs lost the cluster lock: lock taken over since fence 1$/,
    );
  });

  it('lists history with reason codes and can leave out holds', () => {
    const entries = [
      entry({ detail: { decision: holdDecision, snapshot } }),
      entry({
        kind: 'operator',
        summary: 'paused by a: b',
        actionId: '01JD0000000000000000000002',
      }),
    ];
    expect(historyLines(entries).map((l) => [l.kind, l.reasons])).toEqual([
      ['decision', ['cooldown-after-scale-up']],
      ['operator', []],
    ]);
    expect(historyLines(entries, { hideHolds: true }).map((l) => l.kind)).toEqual(['operator']);
  });
});
