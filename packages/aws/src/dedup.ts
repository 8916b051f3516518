import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { RedeliverLater } from '@smartscale/contracts';
import { isConditionFailure } from './dynamo-errors.js';

// Why not Powertools idempotency: it keys records on a hash of the Lambda
// event (or a JMESPath into it) and expires "in progress" records using the
// Lambda context's remaining time, one record per invocation. We need a key
// that several services and re-deliveries share, (actionId, step), whose
// stored result other steps read (the fleet keeps the launched instance ids
// here), and that also works under the local queue runner. A conditional
// put on the `state` table does exactly that.

/** Outcome of {@link DedupStore.claim}. */
export type Claim<T> =
  | { readonly status: 'claimed' }
  | { readonly status: 'in-progress'; readonly claimedAt: string }
  | { readonly status: 'done'; readonly result: T };

/**
 * Another worker holds the step now (a concurrent delivery of the same
 * message, or a second reconciler pass): the effect is neither lost nor
 * doubled; the caller retries later or leaves it to the holder.
 */
export class StepInProgressError extends RedeliverLater {
  constructor(actionId: string, step: string, claimedAt: string) {
    super(
      `step ${step} of action ${actionId} is in progress elsewhere (since ${claimedAt}); retry later`,
    );
    this.name = 'StepInProgressError';
  }
}

export interface DedupStoreOptions {
  readonly documents: DynamoDBDocumentClient;
  /** The `state` table, whose TTL attribute is `expiresAt` (epoch seconds). */
  readonly tableName: string;
  /** How long a finished record is kept (DynamoDB deletes it after that). */
  readonly ttlSeconds: number;
  /** How long a claim blocks others before it is considered abandoned. */
  readonly claimSeconds: number;
  readonly now?: () => Date;
}

function dedupKey(actionId: string, step: string): { pk: string; sk: string } {
  return { pk: `action#${actionId}`, sk: `dedup#${step}` };
}

/**
 * At-most-once steps: one record per (actionId, step), created by a
 * conditional put. `claim` tells the caller to do the step, that someone
 * else is doing it, or what it produced; `complete` stores the result and
 * `abandon` gives the step back after a failure so a retry can run it.
 *
 * @example
 * const claim = await dedup.claim<string[]>(actionId, 'launch');
 * if (claim.status === 'done') return claim.result;
 */
export class DedupStore {
  readonly #options: DedupStoreOptions;

  constructor(options: DedupStoreOptions) {
    this.#options = options;
  }

  #nowSeconds(): number {
    return Math.floor((this.#options.now?.() ?? new Date()).getTime() / 1000);
  }

  async claim<T>(actionId: string, step: string): Promise<Claim<T>> {
    const now = this.#nowSeconds();
    try {
      await this.#options.documents.send(
        new PutCommand({
          TableName: this.#options.tableName,
          Item: {
            ...dedupKey(actionId, step),
            status: 'in-progress',
            claimedAt: new Date(now * 1000).toISOString(),
            claimExpiresAt: now + this.#options.claimSeconds,
            expiresAt: now + this.#options.ttlSeconds,
          },
          // DynamoDB deletes expired items late (and moto never does), so
          // expiry is checked here too.
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt <= :now OR (#status = :inProgress AND claimExpiresAt <= :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':now': now, ':inProgress': 'in-progress' },
        }),
      );
      return { status: 'claimed' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const res = await this.#options.documents.send(
      new GetCommand({
        TableName: this.#options.tableName,
        Key: dedupKey(actionId, step),
        ConsistentRead: true,
      }),
    );
    const item = res.Item;
    if (item?.status === 'done')
      return { status: 'done', result: JSON.parse(String(item.result)) as T };
    return { status: 'in-progress', claimedAt: String(item?.claimedAt ?? '') };
  }

  /** Records the step's result; later claims return it. */
  async complete<T>(actionId: string, step: string, result: T): Promise<void> {
    const now = this.#nowSeconds();
    await this.#options.documents.send(
      new UpdateCommand({
        TableName: this.#options.tableName,
        Key: dedupKey(actionId, step),
        UpdateExpression:
          'SET #status = :done, #result = :result, expiresAt = :expires REMOVE claimExpiresAt',
        ExpressionAttributeNames: { '#status': 'status', '#result': 'result' },
        ExpressionAttributeValues: {
          ':done': 'done',
          ':result': JSON.stringify(result),
          ':expires': now + this.#options.ttlSeconds,
        },
      }),
    );
  }

  /** Gives up an in-progress claim (after a failure) so a retry can claim the step. */
  async abandon(actionId: string, step: string): Promise<void> {
    try {
      await this.#options.documents.send(
        new DeleteCommand({
          TableName: this.#options.tableName,
          Key: dedupKey(actionId, step),
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'in-progress' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
