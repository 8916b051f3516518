import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from './dynamo-errors.js';

/** A held cluster lock. `fence` grows by one with every acquisition. */
export interface Lease {
  readonly owner: string;
  readonly fence: number;
  /** Epoch milliseconds after which another owner may take the lock. */
  readonly expiresAtMs: number;
}

export interface ClusterLockOptions {
  readonly documents: DynamoDBDocumentClient;
  /** The `state` table. */
  readonly tableName: string;
  /** How long a lease lasts without renewal. */
  readonly leaseMs: number;
  /** Clock, injectable so tests can move time. */
  readonly now?: () => Date;
}

/** Key of the lock item in the `state` table. */
export function lockKey(clusterId: string): { pk: string; sk: string } {
  return { pk: `cluster#${clusterId}`, sk: 'lock' };
}

/**
 * One lock per cluster in DynamoDB: a conditional update that succeeds only
 * when nobody holds the lock or the holder's lease has expired. Each
 * acquisition increments a fencing number that versioned state writes check
 * (see ClusterStateStore), so a holder whose lease ran out cannot overwrite
 * what a newer holder wrote. The item is never deleted, so the fence only grows.
 *
 * @example
 * const lease = await lock.acquire('prod');
 * if (lease) try { ... } finally { await lock.release('prod', lease); }
 */
export class ClusterLock {
  readonly #options: ClusterLockOptions;

  constructor(options: ClusterLockOptions) {
    if (!(options.leaseMs > 0)) throw new RangeError(`leaseMs must be > 0, got ${options.leaseMs}`);
    this.#options = options;
  }

  #now(): number {
    return (this.#options.now?.() ?? new Date()).getTime();
  }

  /** How long a lease lasts without renewal: the longest a dead holder keeps the lock. */
  get leaseMs(): number {
    return this.#options.leaseMs;
  }

  /** Takes the lock for a new owner; null when someone else holds a live lease. */
  async acquire(clusterId: string, owner: string = randomUUID()): Promise<Lease | null> {
    const now = this.#now();
    const expiresAtMs = now + this.#options.leaseMs;
    try {
      const res = await this.#options.documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: lockKey(clusterId),
          UpdateExpression:
            'SET #owner = :owner, expiresAtMs = :expires, fence = if_not_exists(fence, :zero) + :one',
          ConditionExpression:
            'attribute_not_exists(pk) OR attribute_not_exists(#owner) OR expiresAtMs <= :now',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': owner,
            ':expires': expiresAtMs,
            ':zero': 0,
            ':one': 1,
            ':now': now,
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { owner, fence: Number(res.Attributes?.fence), expiresAtMs };
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  }

  /** Extends a live lease; null when it was lost (expired and taken, or released). */
  async renew(clusterId: string, lease: Lease): Promise<Lease | null> {
    const expiresAtMs = this.#now() + this.#options.leaseMs;
    try {
      await this.#options.documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: lockKey(clusterId),
          UpdateExpression: 'SET expiresAtMs = :expires',
          ConditionExpression: '#owner = :owner AND fence = :fence',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: {
            ':owner': lease.owner,
            ':fence': lease.fence,
            ':expires': expiresAtMs,
          },
        }),
      );
      return { ...lease, expiresAtMs };
    } catch (error) {
      if (isConditionFailure(error)) return null;
      throw error;
    }
  }

  /**
   * The lock as stored: its owner while held (null once released), its
   * fence and expiry, and whether that lease is live now. Null for a cluster
   * whose lock was never taken.
   */
  async holder(
    clusterId: string,
  ): Promise<{ owner: string | null; fence: number; expiresAtMs: number; live: boolean } | null> {
    const res = await this.#options.documents.send(
      new GetCommand({
        TableName: this.#options.tableName,
        Key: lockKey(clusterId),
        ConsistentRead: true,
      }),
    );
    if (!res.Item) return null;
    const owner = typeof res.Item.owner === 'string' ? res.Item.owner : null;
    const expiresAtMs = Number(res.Item.expiresAtMs ?? 0);
    return {
      owner,
      fence: Number(res.Item.fence ?? 0),
      expiresAtMs,
      live: owner !== null && expiresAtMs > this.#now(),
    };
  }

  /** Releases the lock if `lease` still holds it; false when it was someone else's by then. */
  async release(clusterId: string, lease: Pick<Lease, 'owner' | 'fence'>): Promise<boolean> {
    try {
      await this.#options.documents.send(
        new UpdateCommand({
          TableName: this.#options.tableName,
          Key: lockKey(clusterId),
          UpdateExpression: 'REMOVE #owner SET expiresAtMs = :zero',
          ConditionExpression: '#owner = :owner AND fence = :fence',
          ExpressionAttributeNames: { '#owner': 'owner' },
          ExpressionAttributeValues: { ':owner': lease.owner, ':fence': lease.fence, ':zero': 0 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
