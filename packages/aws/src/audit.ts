import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';

/** One line of the audit log: a decision (with its snapshot and reasons) or an outcome. */
export interface AuditEntry {
  readonly clusterId: string;
  readonly actionId: string;
  /** ISO time of the decision or outcome. */
  readonly at: string;
  /**
   * `operator`: a person's change through `smartscale` (pause, resume);
   * `repair`: one repair of the reconciler; `reconcile`: what one reconciler pass found.
   */
  readonly kind: 'decision' | 'outcome' | 'expired' | 'operator' | 'repair' | 'reconcile';
  /** One line for people, e.g. the decision kind or the event type. */
  readonly summary: string;
  /** Decision, snapshot, reasons, payload: whatever answers "why". */
  readonly detail: Readonly<Record<string, unknown>>;
}

/** An entry as stored, with its own id. */
export interface StoredAuditEntry extends AuditEntry {
  readonly id: string;
}

export interface AuditLogOptions {
  readonly documents: DynamoDBDocumentClient;
  /** The `audit` table with its `byAction` index. */
  readonly tableName: string;
  /** Days to keep entries (TTL); forever when absent. */
  readonly retentionDays?: number;
}

const BY_ACTION_INDEX = 'byAction';

function fromItem(item: Record<string, unknown>): StoredAuditEntry {
  return {
    id: String(item.id),
    clusterId: String(item.clusterId),
    actionId: String(item.actionId),
    at: String(item.at),
    kind: item.kind as AuditEntry['kind'],
    summary: String(item.summary),
    detail: JSON.parse(String(item.detail)) as Record<string, unknown>,
  };
}

/**
 * The audit log: entries keyed by cluster and time (sort key
 * `<at>#<id>`), with an index by actionId. Details are stored as JSON text
 * so any snapshot shape round-trips unchanged.
 *
 * @example
 * await audit.record({ clusterId, actionId, at, kind: 'decision', summary: 'scale-up', detail });
 * const story = await audit.byAction(actionId);
 */
export class AuditLog {
  readonly #options: AuditLogOptions;

  constructor(options: AuditLogOptions) {
    this.#options = options;
  }

  /** Appends an entry; returns it with its id. */
  async record(entry: AuditEntry): Promise<StoredAuditEntry> {
    const time = Date.parse(entry.at);
    if (Number.isNaN(time)) throw new RangeError(`audit entry time '${entry.at}' is not a date`);
    // One format (UTC, milliseconds) so the sort key orders by time.
    const at = new Date(time).toISOString();
    const id = ulid(time);
    const retention = this.#options.retentionDays;
    await this.#options.documents.send(
      new PutCommand({
        TableName: this.#options.tableName,
        Item: {
          pk: `cluster#${entry.clusterId}`,
          sk: `${at}#${id}`,
          id,
          clusterId: entry.clusterId,
          actionId: entry.actionId,
          at,
          kind: entry.kind,
          summary: entry.summary,
          detail: JSON.stringify(entry.detail),
          ...(retention ? { expiresAt: Math.floor(time / 1000) + retention * 86_400 } : {}),
        },
      }),
    );
    return { ...entry, at, id };
  }

  /** Every entry of one action, oldest first. */
  async byAction(actionId: string): Promise<StoredAuditEntry[]> {
    const items: StoredAuditEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.#options.documents.send(
        new QueryCommand({
          TableName: this.#options.tableName,
          IndexName: BY_ACTION_INDEX,
          KeyConditionExpression: 'actionId = :actionId',
          ExpressionAttributeValues: { ':actionId': actionId },
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(res.Items ?? []).map(fromItem));
      start = res.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /** Entries of a cluster with `from <= at < to`, oldest first (newest first with `newestFirst`). */
  async between(
    clusterId: string,
    from: Date,
    to: Date,
    options: { limit?: number; newestFirst?: boolean } = {},
  ): Promise<StoredAuditEntry[]> {
    const items: StoredAuditEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const res = await this.#options.documents.send(
        new QueryCommand({
          TableName: this.#options.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: {
            ':pk': `cluster#${clusterId}`,
            ':from': from.toISOString(),
            // `#` sorts before every ULID character, so this excludes `to` itself.
            ':to': `${to.toISOString()}#`,
          },
          ScanIndexForward: !options.newestFirst,
          ...(options.limit ? { Limit: options.limit - items.length } : {}),
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(res.Items ?? []).map(fromItem));
      start = res.LastEvaluatedKey;
    } while (start && (!options.limit || items.length < options.limit));
    return items.filter((e) => e.at < to.toISOString());
  }
}
