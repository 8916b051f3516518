import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ClusterState,
  ClusterStateSchema,
  emptyClusterState,
  InvalidInputError,
  StaleLeaseError,
  VersionConflictError,
} from '@smartscale/contracts';
import { cancellationCodes } from './dynamo-errors.js';
import { type Lease, lockKey } from './lock.js';

// The ledger's refusals are contracts' errors, shared with @smartscale/testing's in-memory ledger.
export { StaleLeaseError, VersionConflictError } from '@smartscale/contracts';

export interface ClusterStateStoreOptions {
  readonly documents: DynamoDBDocumentClient;
  /** The `state` table (shared with the lock). */
  readonly tableName: string;
}

function stateKey(clusterId: string): { pk: string; sk: string } {
  return { pk: `cluster#${clusterId}`, sk: 'state' };
}

/**
 * The decider's versioned cluster state. `save` writes `version + 1` only if
 * the stored version is still the one read, and only while the caller's
 * lease is the lock's current one (same owner and fencing number), in one
 * DynamoDB transaction.
 *
 * @example
 * const state = await store.load('prod');
 * const saved = await store.save({ ...state, lastScaleUpAt: now }, lease);
 */
export class ClusterStateStore {
  readonly #options: ClusterStateStoreOptions;

  constructor(options: ClusterStateStoreOptions) {
    this.#options = options;
  }

  /** The stored state, or the empty state (version 0) of a new cluster. */
  async load(clusterId: string): Promise<ClusterState> {
    const res = await this.#options.documents.send(
      new GetCommand({
        TableName: this.#options.tableName,
        Key: stateKey(clusterId),
        ConsistentRead: true,
      }),
    );
    if (!res.Item) return emptyClusterState(clusterId);
    const parsed = ClusterStateSchema.safeParse({
      ...JSON.parse(String(res.Item.state)),
      version: Number(res.Item.version),
    });
    if (!parsed.success) {
      throw new InvalidInputError(
        `stored state of cluster ${clusterId} does not match ClusterStateSchema: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }

  /**
   * Writes `state` as version `state.version + 1`. Throws StaleLeaseError
   * when `lease` is no longer the lock's, VersionConflictError when the
   * stored version moved on. Returns the state as stored.
   */
  async save(state: ClusterState, lease: Pick<Lease, 'owner' | 'fence'>): Promise<ClusterState> {
    const checked = ClusterStateSchema.parse(state);
    const next = { ...checked, version: checked.version + 1 };
    const { version: _omit, ...body } = next;
    try {
      await this.#options.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.#options.tableName,
                Key: lockKey(checked.clusterId),
                ConditionExpression: '#owner = :owner AND fence = :fence',
                ExpressionAttributeNames: { '#owner': 'owner' },
                ExpressionAttributeValues: { ':owner': lease.owner, ':fence': lease.fence },
              },
            },
            {
              Put: {
                TableName: this.#options.tableName,
                Item: {
                  ...stateKey(checked.clusterId),
                  version: next.version,
                  fence: lease.fence,
                  state: JSON.stringify(body),
                  updatedAt: new Date().toISOString(),
                },
                ...(checked.version === 0
                  ? { ConditionExpression: 'attribute_not_exists(pk)' }
                  : {
                      // The fence check also refuses a writer older than the last one.
                      ConditionExpression: 'version = :version AND fence <= :fence',
                      ExpressionAttributeValues: {
                        ':version': checked.version,
                        ':fence': lease.fence,
                      },
                    }),
              },
            },
          ],
        }),
      );
    } catch (error) {
      const codes = cancellationCodes(error);
      if (codes[0] === 'ConditionalCheckFailed')
        throw new StaleLeaseError(checked.clusterId, lease.fence);
      if (codes[1] === 'ConditionalCheckFailed')
        throw new VersionConflictError(checked.clusterId, checked.version);
      throw error;
    }
    return next;
  }
}
