export { StaleLeaseError, VersionConflictError } from '@smartscale/contracts';

import {
  type ClusterState,
  ClusterStateSchema,
  emptyClusterState,
  StaleLeaseError,
  VersionConflictError,
} from '@smartscale/contracts';

/** A held cluster lock, shaped like the DynamoDB lock's Lease. */
export interface LedgerLease {
  readonly owner: string;
  readonly fence: number;
  /** Epoch milliseconds after which another owner may take the lock. */
  readonly expiresAtMs: number;
}

/** One audit line, as the decider and the reconciler write them. */
export interface LedgerAuditRecord {
  readonly clusterId: string;
  readonly actionId: string;
  readonly at: string;
  readonly kind: string;
  readonly summary: string;
  readonly detail: Record<string, unknown>;
}

export interface InMemoryLedgerOptions {
  readonly now: () => Date;
  /** How long a lease lasts (the services use 30 s). */
  readonly leaseMs?: number;
  /** Stored states to start from, by cluster. */
  readonly states?: readonly ClusterState[];
}

type Hook = () => void | Promise<void>;
type HookPoint = 'load' | 'save';

interface LockItem {
  owner: string | null;
  fence: number;
  expiresAtMs: number;
}

interface StateItem {
  state: ClusterState;
  fence: number;
}

/**
 * The ledger of packages/aws (ClusterLock + ClusterStateStore + AuditLog)
 * in memory, with the same rules: the lock goes to one owner at a time
 * until released or its lease expires, each acquisition grows the fence,
 * and a save writes `version + 1` only while the caller's lease is the
 * lock's current one and the stored version is the one it read. Stored
 * states are copied in and out (parsed like the store parses them), so a
 * workflow cannot change what is stored except by saving.
 *
 * `beforeNext('load' | 'save', hook)` runs `hook` once, just before the next
 * load or save: another decider taking an expired lock, an outcome landing
 * between a read and a write.
 */
export class InMemoryLedger {
  readonly audited: LedgerAuditRecord[] = [];
  /** Every state written, in order (what a DynamoDB stream would show). */
  readonly saves: ClusterState[] = [];
  readonly #now: () => Date;
  readonly #leaseMs: number;
  readonly #locks = new Map<string, LockItem>();
  readonly #states = new Map<string, StateItem>();
  readonly #hooks: { point: HookPoint; hook: Hook }[] = [];
  #owners = 0;

  constructor(options: InMemoryLedgerOptions) {
    this.#now = options.now;
    this.#leaseMs = options.leaseMs ?? 30_000;
    for (const state of options.states ?? []) this.put(state);
  }

  /** Stores `state` as is, outside the lock (a test's arrangement). */
  put(state: ClusterState): void {
    this.#states.set(state.clusterId, { state: copy(state), fence: 0 });
  }

  beforeNext(point: HookPoint, hook: Hook): void {
    this.#hooks.push({ point, hook });
  }

  async #runHooks(point: HookPoint): Promise<void> {
    const due = this.#hooks.filter((h) => h.point === point);
    for (const h of due) this.#hooks.splice(this.#hooks.indexOf(h), 1);
    for (const h of due) await h.hook();
  }

  /** Takes the lock; null while another owner's lease is live. */
  acquire(clusterId: string, owner = `owner-${++this.#owners}`): LedgerLease | null {
    const now = this.#now().getTime();
    const item = this.#locks.get(clusterId);
    if (item && item.owner !== null && item.expiresAtMs > now) return null;
    const next = { owner, fence: (item?.fence ?? 0) + 1, expiresAtMs: now + this.#leaseMs };
    this.#locks.set(clusterId, next);
    return { ...next };
  }

  /** Releases the lock if `lease` still holds it; false when it was someone else's by then. */
  release(clusterId: string, lease: Pick<LedgerLease, 'owner' | 'fence'>): boolean {
    const item = this.#locks.get(clusterId);
    if (!item || item.owner !== lease.owner || item.fence !== lease.fence) return false;
    item.owner = null;
    item.expiresAtMs = 0;
    return true;
  }

  /** The lock as stored, like ClusterLock.holder. */
  holder(clusterId: string): { owner: string | null; fence: number; live: boolean } | null {
    const item = this.#locks.get(clusterId);
    if (!item) return null;
    const live = item.owner !== null && item.expiresAtMs > this.#now().getTime();
    return { owner: item.owner, fence: item.fence, live };
  }

  /** The stored state, or the empty state (version 0) of a new cluster. */
  async load(clusterId: string): Promise<ClusterState> {
    await this.#runHooks('load');
    const item = this.#states.get(clusterId);
    return item ? copy(item.state) : emptyClusterState(clusterId);
  }

  /** Writes `state` as version `state.version + 1`, refused like ClusterStateStore.save. */
  async save(
    state: ClusterState,
    lease: Pick<LedgerLease, 'owner' | 'fence'>,
  ): Promise<ClusterState> {
    await this.#runHooks('save');
    const checked = ClusterStateSchema.parse(state);
    const lock = this.#locks.get(checked.clusterId);
    if (!lock || lock.owner !== lease.owner || lock.fence !== lease.fence)
      throw new StaleLeaseError(checked.clusterId, lease.fence);
    const stored = this.#states.get(checked.clusterId);
    const storedVersion = stored?.state.version ?? 0;
    if (storedVersion !== checked.version || (stored && stored.fence > lease.fence))
      throw new VersionConflictError(checked.clusterId, checked.version);
    const next = { ...checked, version: checked.version + 1 };
    this.#states.set(next.clusterId, { state: copy(next), fence: lease.fence });
    this.saves.push(copy(next));
    return copy(next);
  }

  /** The stored state without running hooks (for assertions). */
  stored(clusterId: string): ClusterState {
    const item = this.#states.get(clusterId);
    return item ? copy(item.state) : emptyClusterState(clusterId);
  }

  readonly record = async (entry: LedgerAuditRecord): Promise<void> => {
    this.audited.push(structuredClone(entry));
  };

  /**
   * The ledger as the decider's and the reconciler's ports take it. Unlike
   * the service context's ports, a busy lock answers null at once instead of
   * retrying for a few hundred milliseconds: the test decides what happens next.
   */
  ports() {
    return {
      acquireLock: async (clusterId: string) => this.acquire(clusterId),
      releaseLock: async (clusterId: string, lease: LedgerLease) => {
        this.release(clusterId, lease);
      },
      loadState: (clusterId: string) => this.load(clusterId),
      saveState: async (state: ClusterState, lease: LedgerLease) => {
        await this.save(state, lease);
      },
      audit: this.record,
    };
  }
}

function copy(state: ClusterState): ClusterState {
  return ClusterStateSchema.parse(structuredClone(state));
}
