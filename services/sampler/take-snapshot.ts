import type {
  AnyEnvelope,
  ClusterSnapshot,
  DemandPoint,
  NodeInfo,
  PendingPod,
  Utilization,
} from '@smartscale/contracts';
import { ClusterSnapshotSchema, createMessage } from '@smartscale/contracts';

/** What the sampler reads; `packages/k8s` and `packages/metrics` implement it. */
export interface SamplerPorts {
  readonly clusterId: string;
  readonly now: () => Date;
  /** Worker nodes with their pods (control-plane nodes excluded). */
  listNodes(): Promise<NodeInfo[]>;
  listPendingPods(): Promise<PendingPod[]>;
  /**
   * CPU and memory with their windows, or why they are unavailable,
   * averaged over `workers` (what listNodes returned).
   */
  readUtilization(workers: readonly NodeInfo[]): Promise<Utilization>;
  /** Values of the configured application triggers, by name; a trigger with no data is left out. */
  readAppSignals?(): Promise<Record<string, number>>;
  /** Past demand for predictive pre-scaling (up to 7 days); only when it is enabled. */
  readDemandHistory?(): Promise<DemandPoint[]>;
  /** The peak of pod requests over the scale-down window; only for the consolidation profile. */
  readRequestsPeak?(): Promise<NonNullable<ClusterSnapshot['requestsWindowMax']>>;
  publish(message: AnyEnvelope): Promise<void>;
}

/** An optional reading; a failure leaves it out of the sample (the decider says what is missing). */
async function optional<T>(read: (() => Promise<T>) | undefined): Promise<T | undefined> {
  return read ? read().catch(() => undefined) : undefined;
}

/**
 * Gathers one snapshot. A Prometheus failure does not stop the sample: it is
 * recorded as unavailable metrics, so the decider can still add capacity for
 * pending pods and will refuse to scale down blind.
 */
export async function takeSnapshot(ports: SamplerPorts): Promise<ClusterSnapshot> {
  // Utilization waits for the node list: its average and coverage are over those workers.
  const listed = ports.listNodes();
  const [nodes, pendingPods, utilization, appSignals, demandHistory, requestsWindowMax] =
    await Promise.all([
      listed,
      ports.listPendingPods(),
      listed
        .then((workers) => ports.readUtilization(workers))
        .catch(
          (err: unknown): Utilization => ({
            available: false,
            reason: `metrics unavailable: ${(err as Error).message}`,
          }),
        ),
      optional(ports.readAppSignals?.bind(ports)),
      optional(ports.readDemandHistory?.bind(ports)),
      optional(ports.readRequestsPeak?.bind(ports)),
    ]);
  return ClusterSnapshotSchema.parse({
    takenAt: ports.now().toISOString(),
    nodes,
    pendingPods,
    utilization,
    ...(appSignals ? { appSignals } : {}),
    ...(demandHistory ? { demandHistory } : {}),
    ...(requestsWindowMax ? { requestsWindowMax } : {}),
  });
}

/** Takes a snapshot and publishes it as MetricsSampled (a new action id per sample). */
export async function publishSample(ports: SamplerPorts): Promise<AnyEnvelope> {
  const snapshot = await takeSnapshot(ports);
  const message = createMessage(
    'MetricsSampled',
    snapshot,
    { clusterId: ports.clusterId },
    ports.now(),
  );
  await ports.publish(message);
  return message;
}

/**
 * Watch mode: polls for unschedulable pods every `intervalMs` and publishes
 * a sample as soon as a pod newer than the last sample has waited out the
 * grace, so a flash sale is seen in seconds rather than at the next minute.
 * Returns a stop function.
 */
export function watchPendingPods(
  ports: SamplerPorts,
  options: { intervalMs: number; graceMs: number; onError?: (err: unknown) => void },
): () => Promise<void> {
  const seen = new Set<string>();
  let running = true;
  let current: Promise<void> = Promise.resolve();
  const tick = async () => {
    const pending = await ports.listPendingPods();
    const now = ports.now().getTime();
    const due = pending.filter((p) => now - Date.parse(p.pendingSince) >= options.graceMs);
    const fresh = due.filter((p) => !seen.has(`${p.namespace}/${p.name}`));
    const live = new Set(pending.map((p) => `${p.namespace}/${p.name}`));
    for (const key of seen) if (!live.has(key)) seen.delete(key);
    if (fresh.length === 0) return;
    // Seen only once published: a failed publish leaves them fresh, so the
    // next tick samples again instead of forgetting them.
    await publishSample(ports);
    for (const p of fresh) seen.add(`${p.namespace}/${p.name}`);
  };
  const timer = setInterval(() => {
    if (!running) return;
    current = current.then(tick).catch((err) => options.onError?.(err));
  }, options.intervalMs);
  return async () => {
    running = false;
    clearInterval(timer);
    await current;
  };
}
