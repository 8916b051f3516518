// Lambda entry of the reconciler: runs on its schedule, compares EC2,
// Kubernetes and the ledger, and repairs what the message flows left wrong.
import type { Lease } from '@smartscale/aws';
import {
  configFromEnv,
  createServiceContext,
  fleetFromEnv,
  ReconciliationLog,
  StepInProgressError,
} from '@smartscale/aws';
import { ClusterClient, kubeConfigFromEnv } from '@smartscale/k8s';
import { type ReconcilerPorts, reconcileCluster } from './reconcile-cluster.js';

const ctx = createServiceContext('reconciler');
const config = configFromEnv();
const fleet = fleetFromEnv(ctx.clients.ec2, ctx.resources.clusterId, ctx.dedup);
const cluster = new ClusterClient(await kubeConfigFromEnv(process.env, ctx.readSecret));
const passes = new ReconciliationLog({
  documents: ctx.clients.documents,
  tableName: ctx.resources.tables.state,
});

export const reconcilerPorts: ReconcilerPorts<Lease> = {
  clusterId: ctx.resources.clusterId,
  config,
  now: () => new Date(),
  describeInstances: () => fleet.describeAllWorkers(),
  listNodes: () => cluster.listNodesWithoutPods(),
  async terminate(instanceId) {
    const { refused } = await fleet.terminate([instanceId]);
    if (refused.length > 0)
      throw new Error(`${instanceId} is not a worker of cluster ${ctx.resources.clusterId}`);
  },
  async deleteNode(nodeName) {
    await cluster.deleteNode(nodeName);
  },
  uncordon: (nodeName) => cluster.uncordon(nodeName),
  // Named one by one (not spread) so the IAM usage check can follow each call.
  acquireLock: ctx.ledger.acquireLock,
  releaseLock: ctx.ledger.releaseLock,
  loadState: ctx.ledger.loadState,
  saveState: ctx.ledger.saveState,
  audit: ctx.ledger.audit,
  publish: ctx.publish,
  recordPass: (summary) => passes.record(ctx.resources.clusterId, summary),
  async once(actionId, step, effect) {
    try {
      return await ctx.once(actionId, step, effect);
    } catch (err) {
      // A pass running at the same time is making this repair: leave it to it.
      if (err instanceof StepInProgressError) return false;
      throw err;
    }
  },
};

/** One reconciliation pass; a repair that failed fails the invocation (and its alarm) after the others ran. */
export async function handler(): Promise<void> {
  try {
    const result = await reconcileCluster(reconcilerPorts);
    ctx.logger.info(
      result.repaired.length > 0
        ? `reconciled: ${result.repaired.length} repaired`
        : 'reconciled: nothing to repair',
      {
        found: result.found,
        repaired: result.repaired.map(
          (r) => `${r.code} ${r.nodeName ?? r.instanceId ?? r.repairedActionId}`,
        ),
        ...(result.ledgerLockBusy ? { ledgerLockBusy: true } : {}),
        ...(result.ledgerLockLost ? { ledgerLockLost: result.ledgerLockLost } : {}),
      },
    );
    for (const node of result.leftAlone) ctx.logger.warn('node left alone', { ...node });
    if (result.failed.length > 0) {
      throw new Error(
        `reconciler: ${result.failed.length} repair(s) failed: ${result.failed.map((f) => `${f.code} ${f.subject}: ${f.error}`).join('; ')}`,
      );
    }
  } finally {
    ctx.metrics.publishStoredMetrics();
  }
}
