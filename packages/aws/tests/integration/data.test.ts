import { inspect } from 'node:util';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../local/src/aws/bootstrap.js';
import { AuditLog, type AwsClients, DedupStore, Parameters } from '../../src/index.js';
import { freshTopology, motoClients } from './support.js';

let clients: AwsClients;
let topology: AppliedTopology;

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'data');
});
afterAll(() => clients.destroy());

describe('Parameters', () => {
  it('round-trips a SecureString and never prints the value', async () => {
    const parameters = new Parameters({ ssm: clients.ssm });
    const name = topology.parameters.slackWebhook;
    const url = 'https://hooks.slack.com/services/T000/B000/very-secret';
    await parameters.putSecure(name, url, 'test webhook');
    expect(await parameters.typeOf(name)).toBe('SecureString');
    const secret = await parameters.getSecure(name);
    expect(secret.reveal()).toBe(url);
    for (const shown of [
      String(secret),
      JSON.stringify({ secret }),
      inspect(secret),
      `${secret}`,
    ]) {
      expect(shown).not.toContain('very-secret');
    }
    await parameters.putSecure(name, 'rotated');
    expect((await parameters.getSecure(name)).reveal()).toBe('rotated');
    await expect(parameters.getSecure(`${name}-missing`)).rejects.toThrow(/does not exist/);
    // Optional settings (the Slack webhook) read as absent instead.
    expect(await parameters.findSecure(`${name}-missing`)).toBeUndefined();
    expect((await parameters.findSecure(name))?.reveal()).toBe('rotated');
  });
});

describe('DedupStore', () => {
  it('claims a step once, reports it in progress, then returns its result', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const dedup = new DedupStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
      ttlSeconds: 3600,
      claimSeconds: 60,
      now: () => new Date(now),
    });
    const claims = await Promise.all(
      Array.from({ length: 5 }, () => dedup.claim<string[]>('01JACTION', 'launch')),
    );
    expect(claims.filter((c) => c.status === 'claimed')).toHaveLength(1);
    expect(claims.filter((c) => c.status === 'in-progress')).toHaveLength(4);
    await dedup.complete('01JACTION', 'launch', ['i-1', 'i-2']);
    expect(await dedup.claim('01JACTION', 'launch')).toEqual({
      status: 'done',
      result: ['i-1', 'i-2'],
    });
    // A different step of the same action is independent.
    expect((await dedup.claim('01JACTION', 'verify')).status).toBe('claimed');

    const raw = await clients.dynamodb.send(
      new GetItemCommand({
        TableName: topology.tables.state.name,
        Key: { pk: { S: 'action#01JACTION' }, sk: { S: 'dedup#launch' } },
      }),
    );
    expect(Number(raw.Item?.expiresAt?.N)).toBe(now / 1000 + 3600);

    // An abandoned claim can be taken again; so can a claim older than claimSeconds.
    await dedup.abandon('01JACTION', 'verify');
    expect((await dedup.claim('01JACTION', 'verify')).status).toBe('claimed');
    expect((await dedup.claim('01JACTION', 'verify')).status).toBe('in-progress');
    now += 61_000;
    expect((await dedup.claim('01JACTION', 'verify')).status).toBe('claimed');
    // A finished record past its TTL (moto never deletes it) counts as gone.
    now += 3600_000;
    expect((await dedup.claim('01JACTION', 'launch')).status).toBe('claimed');
  });
});

describe('AuditLog', () => {
  it('answers by action and by time range', async () => {
    const audit = new AuditLog({
      documents: clients.documents,
      tableName: topology.tables.audit.name,
    });
    const snapshot = { nodes: [{ name: 'n1', ready: true }], pendingPods: [] };
    await audit.record({
      clusterId: 'c1',
      actionId: 'A1',
      at: '2026-01-01T00:00:00.000Z',
      kind: 'decision',
      summary: 'scale-up',
      detail: { reasons: [{ code: 'pending-pods' }], snapshot },
    });
    await audit.record({
      clusterId: 'c1',
      actionId: 'A2',
      at: '2026-01-01T00:01:00.000Z',
      kind: 'decision',
      summary: 'hold',
      detail: { reasons: [{ code: 'no-trigger' }] },
    });
    await audit.record({
      clusterId: 'c1',
      actionId: 'A1',
      at: '2026-01-01T00:02:00+00:00',
      kind: 'outcome',
      summary: 'NodeJoined',
      detail: { instanceId: 'i-1' },
    });
    await audit.record({
      clusterId: 'c2',
      actionId: 'A3',
      at: '2026-01-01T00:00:30.000Z',
      kind: 'decision',
      summary: 'hold',
      detail: {},
    });

    const a1 = await audit.byAction('A1');
    expect(a1.map((e) => e.summary)).toEqual(['scale-up', 'NodeJoined']);
    expect(a1[0]?.detail).toEqual({ reasons: [{ code: 'pending-pods' }], snapshot });
    expect(a1[1]?.at).toBe('2026-01-01T00:02:00.000Z');

    const range = await audit.between(
      'c1',
      new Date('2026-01-01T00:00:00.000Z'),
      new Date('2026-01-01T00:02:00.000Z'),
    );
    expect(range.map((e) => e.actionId)).toEqual(['A1', 'A2']);
    const latest = await audit.between(
      'c1',
      new Date('2026-01-01T00:00:00.000Z'),
      new Date('2026-01-02T00:00:00.000Z'),
      { limit: 1, newestFirst: true },
    );
    expect(latest.map((e) => e.summary)).toEqual(['NodeJoined']);
    await expect(
      audit.record({
        clusterId: 'c1',
        actionId: 'A9',
        at: 'yesterday',
        kind: 'decision',
        summary: 'x',
        detail: {},
      }),
    ).rejects.toThrow(/not a date/);
  });
});
