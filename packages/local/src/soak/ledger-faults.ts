// Faults of the ledger in DynamoDB, made with SmartScale's own lock and
// state store: a lock taken by an owner that then dies without releasing
// it (the decider waits out the lease), and a second writer contending for
// the lock and the state item, as a concurrent decider would.
import { ClusterLock } from '@smartscale/aws';
import type { LocalStack } from '../stack.ts';
import { LEASE_MS, stateStore } from './observe.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function lockOf(stack: LocalStack): ClusterLock {
  return new ClusterLock({
    documents: stack.aws.documents,
    tableName: stack.applied.tables.state.name,
    leaseMs: LEASE_MS,
  });
}

/**
 * Takes the cluster lock as `owner` and never renews or releases it. The
 * decider holds the lock for milliseconds, so a few tries within `tryMs`
 * find it free. Returns the fence taken, or null if it never was free.
 */
export async function takeLockAndDie(
  stack: LocalStack,
  owner: string,
  tryMs = 3000,
): Promise<number | null> {
  const lock = lockOf(stack);
  const until = Date.now() + tryMs;
  while (Date.now() < until) {
    const lease = await lock.acquire(stack.clusterId, owner);
    if (lease) return lease.fence;
    await sleep(20);
  }
  return null;
}

/**
 * For `durationMs`, a second writer races the decider: take the lock when
 * free, load the state, save it back (its version moves on), release, and
 * again after a few ms. Returns how many writes it won and how many times
 * the lock was busy.
 */
export async function contendForState(
  stack: LocalStack,
  durationMs: number,
): Promise<{ writes: number; busy: number; conflicts: number }> {
  const lock = lockOf(stack);
  const store = stateStore(stack);
  const owner = `soak-contender-${Date.now().toString(36)}`;
  const until = Date.now() + durationMs;
  let writes = 0;
  let busy = 0;
  let conflicts = 0;
  while (Date.now() < until) {
    const lease = await lock.acquire(stack.clusterId, owner);
    if (!lease) {
      busy += 1;
    } else {
      try {
        await store.save(await store.load(stack.clusterId), lease);
        writes += 1;
      } catch {
        // A conditional write refused (the version or the lease moved): the contention itself.
        conflicts += 1;
      } finally {
        await lock.release(stack.clusterId, lease);
      }
    }
    await sleep(10 + Math.random() * 40);
  }
  return { writes, busy, conflicts };
}
