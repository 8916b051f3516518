import { emptyClusterState } from '@smartscale/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppliedTopology } from '../../../local/src/aws/bootstrap.js';
import {
  type AwsClients,
  ClusterLock,
  ClusterStateStore,
  StaleLeaseError,
  VersionConflictError,
} from '../../src/index.js';
import { freshTopology, motoClients } from './support.js';

let clients: AwsClients;
let topology: AppliedTopology;

beforeAll(async () => {
  clients = motoClients();
  topology = await freshTopology(clients, 'lock');
});
afterAll(() => clients.destroy());

function lockWith(now: () => Date, leaseMs = 30_000): ClusterLock {
  return new ClusterLock({
    documents: clients.documents,
    tableName: topology.tables.state.name,
    leaseMs,
    now,
  });
}

describe('ClusterLock', () => {
  it('lets exactly one of 10 concurrent takers win', async () => {
    const lock = lockWith(() => new Date());
    const leases = await Promise.all(
      Array.from({ length: 10 }, (_, i) => lock.acquire('race', `taker-${i}`)),
    );
    const winners = leases.filter((l) => l !== null);
    expect(winners).toHaveLength(1);
    expect(winners[0]?.fence).toBe(1);
  });

  it('releases only for its owner, and the fence keeps growing', async () => {
    const lock = lockWith(() => new Date());
    const first = await lock.acquire('release', 'a');
    expect(first).not.toBeNull();
    if (!first) return;
    expect(await lock.acquire('release', 'b')).toBeNull();
    expect(await lock.release('release', { ...first, owner: 'b' })).toBe(false);
    expect(await lock.acquire('release', 'b')).toBeNull();
    expect(await lock.release('release', first)).toBe(true);
    const second = await lock.acquire('release', 'b');
    expect(second?.fence).toBe(first.fence + 1);
  });

  it('hands an expired lease to a new owner and fences the stale owner out of the state', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const lock = lockWith(() => new Date(now), 10_000);
    const store = new ClusterStateStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
    });
    const stale = await lock.acquire('fenced', 'old-owner');
    expect(stale).not.toBeNull();
    if (!stale) return;
    const readByStale = await store.load('fenced');
    expect(readByStale).toEqual(emptyClusterState('fenced'));

    now += 5_000;
    expect(await lock.acquire('fenced', 'new-owner')).toBeNull();
    now += 6_000;
    const fresh = await lock.acquire('fenced', 'new-owner');
    expect(fresh?.fence).toBe(stale.fence + 1);
    if (!fresh) return;

    const readByFresh = await store.load('fenced');
    const written = await store.save(
      { ...readByFresh, lastScaleUpAt: '2026-01-01T00:00:11.000Z' },
      fresh,
    );
    expect(written.version).toBe(1);

    // The stale owner still believes it holds the lock: both its write of
    // what it read and a write at the current version are refused.
    await expect(
      store.save({ ...readByStale, lastScaleDownAt: '2026-01-01T00:00:12.000Z' }, stale),
    ).rejects.toBeInstanceOf(StaleLeaseError);
    await expect(
      store.save({ ...written, lastScaleDownAt: '2026-01-01T00:00:12.000Z' }, stale),
    ).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await lock.renew('fenced', stale)).toBeNull();
    expect(await lock.release('fenced', stale)).toBe(false);

    const stored = await store.load('fenced');
    expect(stored.version).toBe(1);
    expect(stored.lastScaleUpAt).toBe('2026-01-01T00:00:11.000Z');
    expect(stored.lastScaleDownAt).toBeNull();
  });

  it('refuses a write from a version that moved on', async () => {
    const lock = lockWith(() => new Date());
    const lease = await lock.acquire('versions', 'owner');
    if (!lease) throw new Error('lock not acquired');
    const store = new ClusterStateStore({
      documents: clients.documents,
      tableName: topology.tables.state.name,
    });
    const v0 = await store.load('versions');
    const v1 = await store.save({ ...v0, lastScaleUpAt: '2026-01-01T00:00:00.000Z' }, lease);
    const v2 = await store.save(
      {
        ...v1,
        inFlight: [
          {
            actionId: '01JAAAAAAAAAAAAAAAAAAAAAAA',
            kind: 'scale-up',
            startedAt: '2026-01-01T00:00:00.000Z',
            pendingJoins: 2,
            instanceIds: [],
            settledInstanceIds: [],
          },
        ],
      },
      lease,
    );
    expect(v2.version).toBe(2);
    await expect(store.save(v1, lease)).rejects.toBeInstanceOf(VersionConflictError);
    await expect(store.save(v0, lease)).rejects.toBeInstanceOf(VersionConflictError);
    expect(await store.load('versions')).toEqual(v2);
  });
});
