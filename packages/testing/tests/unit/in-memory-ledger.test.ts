// The in-memory ledger stands in for packages/aws's DynamoDB lock and state
// store in workflow tests, so it must refuse what they refuse (the same
// cases packages/aws/tests/integration/lock-state.test.ts checks on moto).
import { emptyClusterState } from '@smartscale/contracts';
import {
  InMemoryLedger,
  MovableClock,
  StaleLeaseError,
  VersionConflictError,
} from '@smartscale/testing';
import { describe, expect, it } from 'vitest';

function ledger(leaseMs = 10_000) {
  const clock = new MovableClock('2026-01-01T00:00:00Z');
  return { clock, ledger: new InMemoryLedger({ now: clock.now, leaseMs }) };
}

describe('InMemoryLedger lock', () => {
  it('one owner at a time; only the owner releases; the fence grows with every acquisition', () => {
    const { ledger: l } = ledger();
    const first = l.acquire('c', 'a');
    expect(first?.fence).toBe(1);
    expect(l.acquire('c', 'b')).toBeNull();
    if (!first) return;
    expect(l.release('c', { ...first, owner: 'b' })).toBe(false);
    expect(l.release('c', first)).toBe(true);
    expect(l.release('c', first)).toBe(false);
    expect(l.acquire('c', 'b')?.fence).toBe(2);
  });

  it('hands an expired lease to a new owner, and not a moment before', () => {
    const { clock, ledger: l } = ledger(10_000);
    l.acquire('c', 'a');
    clock.advance(9.999);
    expect(l.acquire('c', 'b')).toBeNull();
    clock.advance(0.001);
    expect(l.acquire('c', 'b')).toMatchObject({ owner: 'b', fence: 2 });
  });
});

describe('InMemoryLedger state', () => {
  it('writes version + 1 and copies in and out', async () => {
    const { ledger: l } = ledger();
    const lease = l.acquire('c');
    if (!lease) throw new Error('expected the lock');
    const v0 = await l.load('c');
    expect(v0).toEqual(emptyClusterState('c'));
    const v1 = await l.save({ ...v0, lastScaleUpAt: '2026-01-01T00:00:00.000Z' }, lease);
    expect(v1.version).toBe(1);
    v1.inFlight.push({
      actionId: 'A',
      kind: 'scale-up',
      startedAt: '2026-01-01T00:00:00.000Z',
      pendingJoins: 1,
      instanceIds: [],
      settledInstanceIds: [],
    });
    expect((await l.load('c')).inFlight).toEqual([]);
  });

  it('fences a stale owner out, whatever version it writes', async () => {
    const { clock, ledger: l } = ledger(10_000);
    const stale = l.acquire('c', 'old');
    if (!stale) throw new Error('expected the lock');
    const readByStale = await l.load('c');
    clock.advance(11);
    const fresh = l.acquire('c', 'new');
    if (!fresh) throw new Error('expected the lock');
    const written = await l.save({ ...(await l.load('c')), lastScaleUpAt: clock.at(0) }, fresh);

    await expect(l.save(readByStale, stale)).rejects.toBeInstanceOf(StaleLeaseError);
    await expect(l.save(written, stale)).rejects.toBeInstanceOf(StaleLeaseError);
    expect(l.stored('c')).toEqual(written);
  });

  it('refuses a write from a version that moved on', async () => {
    const { ledger: l } = ledger();
    const lease = l.acquire('c');
    if (!lease) throw new Error('expected the lock');
    const v0 = await l.load('c');
    const v1 = await l.save({ ...v0, lastScaleUpAt: '2026-01-01T00:00:00.000Z' }, lease);
    const v2 = await l.save({ ...v1, lastScaleDownAt: '2026-01-01T00:00:01.000Z' }, lease);
    await expect(l.save(v1, lease)).rejects.toBeInstanceOf(VersionConflictError);
    await expect(l.save(v0, lease)).rejects.toBeInstanceOf(VersionConflictError);
    expect(l.stored('c')).toEqual(v2);
  });
});
