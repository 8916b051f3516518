import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type CapacityType, CapacityType as CapacityTypes } from '@smartscale/contracts';

/**
 * An EC2 pool (instance type, zone, capacity type) that refused a launch
 * with "not here, not now" (insufficient capacity), and until when
 * launches leave it out.
 */
export interface AvoidedPool {
  readonly instanceType: string;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** ISO time after which the pool is offered again. */
  readonly until: string;
  /** EC2's error code, e.g. InsufficientInstanceCapacity. */
  readonly error: string;
  readonly reason: string;
}

export interface AvoidedPoolStoreOptions {
  readonly documents: DynamoDBDocumentClient;
  /** The `state` table (TTL attribute `expiresAt`, epoch seconds). */
  readonly tableName: string;
  readonly clusterId: string;
}

const PREFIX = 'pool:';
/** The item outlives its last pool by a day, then DynamoDB's TTL removes it. */
const KEEP_SECONDS = 86_400;

/** `pool:<type>/<zone>/<capacity type>`: the attribute holding one pool. */
export function avoidedPoolKey(pool: Pick<AvoidedPool, 'instanceType' | 'zone' | 'capacityType'>) {
  return `${PREFIX}${pool.instanceType}/${pool.zone}/${pool.capacityType}`;
}

function isAvoidedPool(v: unknown): v is AvoidedPool {
  const p = v as Partial<AvoidedPool> | undefined;
  return (
    typeof p?.instanceType === 'string' &&
    typeof p.zone === 'string' &&
    (Object.values(CapacityTypes) as string[]).includes(String(p.capacityType)) &&
    typeof p.until === 'string' &&
    typeof p.error === 'string' &&
    typeof p.reason === 'string'
  );
}

/**
 * The pools this cluster's launches avoid for now, in the `state` table
 * (pk `cluster#<id>`, sk `avoided-pools`, one attribute per pool), so every
 * provisioner invocation, in any Lambda container, sees what an earlier one
 * learnt. Writes set only their own pools' attributes in one UpdateItem, so
 * concurrent launches never overwrite each other's pools.
 *
 * @example
 * await pools.avoid([{ instanceType: 't3.medium', zone: 'us-east-1a', capacityType: 'spot', until, error, reason }]);
 * await pools.active(new Date()); // the pools still avoided
 */
export class AvoidedPoolStore {
  readonly #options: AvoidedPoolStoreOptions;

  constructor(options: AvoidedPoolStoreOptions) {
    this.#options = options;
  }

  get #key() {
    return { pk: `cluster#${this.#options.clusterId}`, sk: 'avoided-pools' };
  }

  /** Records pools to avoid; a pool already recorded gets the later `until`. */
  async avoid(pools: readonly AvoidedPool[]): Promise<void> {
    if (pools.length === 0) return;
    const latest = new Map<string, AvoidedPool>();
    for (const p of pools) {
      const k = avoidedPoolKey(p);
      const seen = latest.get(k);
      if (seen === undefined || seen.until < p.until) latest.set(k, p);
    }
    const entries = [...latest.entries()];
    const names: Record<string, string> = { '#ttl': 'expiresAt' };
    const values: Record<string, unknown> = {};
    const sets = entries.map(([k, p], n) => {
      names[`#p${n}`] = k;
      values[`:p${n}`] = { ...p };
      return `#p${n} = :p${n}`;
    });
    const lastUntil = Math.max(...entries.map(([, p]) => Date.parse(p.until)));
    values[':ttl'] = Math.ceil(lastUntil / 1000) + KEEP_SECONDS;
    await this.#options.documents.send(
      new UpdateCommand({
        TableName: this.#options.tableName,
        Key: this.#key,
        UpdateExpression: `SET ${sets.join(', ')}, #ttl = :ttl`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** Pools still avoided at `now` (their `until` is later). */
  async active(now: Date): Promise<AvoidedPool[]> {
    const res = await this.#options.documents.send(
      new GetCommand({ TableName: this.#options.tableName, Key: this.#key, ConsistentRead: true }),
    );
    const item = (res.Item ?? {}) as Record<string, unknown>;
    return Object.entries(item)
      .filter(([k]) => k.startsWith(PREFIX))
      .map(([, v]) => v)
      .filter(isAvoidedPool)
      .filter((p) => Date.parse(p.until) > now.getTime());
  }
}
