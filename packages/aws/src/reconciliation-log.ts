import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';

/** What the last reconciler pass saw and did, as `smartscale status` shows it. */
export interface ReconciliationSummary {
  readonly at: string;
  readonly found: { readonly instances: number; readonly nodes: number; readonly inFlight: number };
  /** Each repair with its own action id (`smartscale explain <id>`). */
  readonly repaired: readonly {
    readonly actionId: string;
    readonly code: string;
    readonly reason: string;
    readonly nodeName?: string | undefined;
    readonly instanceId?: string | undefined;
  }[];
  readonly failed: readonly {
    readonly code: string;
    readonly subject: string;
    readonly error: string;
  }[];
  readonly ledgerLockBusy: boolean;
  /** The ledger repairs lost the lock before their write: the refusal (absent otherwise, and in older passes). */
  readonly ledgerLockLost?: string | undefined;
  /** Nodes labelled managed whose instance is not ours: left alone (absent in older passes). */
  readonly leftAlone?: readonly {
    readonly nodeName: string;
    readonly instanceId?: string | undefined;
    readonly reason: string;
  }[];
}

export interface ReconciliationLogOptions {
  readonly documents: DynamoDBDocumentClient;
  /** The `state` table; the summary is one item per cluster beside the state. */
  readonly tableName: string;
}

const key = (clusterId: string) => ({ pk: `cluster#${clusterId}`, sk: 'reconciliation' });

/**
 * The last reconciler pass per cluster, overwritten each pass: one small
 * item, so a pass that finds nothing leaves no trace in the audit log but
 * status can still say when the net last looked.
 *
 * @example
 * await log.record('prod', summary);
 * const last = await log.latest('prod');
 */
export class ReconciliationLog {
  readonly #options: ReconciliationLogOptions;

  constructor(options: ReconciliationLogOptions) {
    this.#options = options;
  }

  async record(clusterId: string, summary: ReconciliationSummary): Promise<void> {
    await this.#options.documents.send(
      new PutCommand({
        TableName: this.#options.tableName,
        Item: { ...key(clusterId), summary: JSON.stringify(summary) },
      }),
    );
  }

  /** The last pass's summary, or null when the reconciler never ran for this cluster. */
  async latest(clusterId: string): Promise<ReconciliationSummary | null> {
    const res = await this.#options.documents.send(
      new GetCommand({ TableName: this.#options.tableName, Key: key(clusterId) }),
    );
    const text = res.Item?.summary;
    return typeof text === 'string' ? (JSON.parse(text) as ReconciliationSummary) : null;
  }
}
