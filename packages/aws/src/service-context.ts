import { Logger } from '@aws-lambda-powertools/logger';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { AnyEnvelope, ClusterState } from '@smartscale/contracts';
import { type AuditEntry, AuditLog } from './audit.js';
import { ClusterStateStore } from './cluster-state.js';
import { type AwsClients, awsOptionsFromEnv, createAwsClients } from './config.js';
import { DedupStore, StepInProgressError } from './dedup.js';
import { ClusterLock, type Lease } from './lock.js';
import { Parameters } from './parameters.js';
import { Publisher } from './publisher.js';
import { resourcesFromEnv, type ServiceResources } from './resources.js';
import { SampleClaims } from './sample-claims.js';
import { createServiceMetrics, metricsOf, recordMetrics } from './service-metrics.js';

/**
 * The cluster lock (taken with a short bounded wait), the versioned cluster
 * state and the audit log, shaped as the ports of the services that change
 * the ledger (the decider and the reconciler).
 */
export interface LedgerPorts {
  /** The lock, or null when another holder kept it through the whole wait. */
  acquireLock(clusterId: string): Promise<Lease | null>;
  releaseLock(clusterId: string, lease: Lease): Promise<void>;
  loadState(clusterId: string): Promise<ClusterState>;
  /** Versioned, fenced write: refuses when the lease is stale or the version moved. */
  saveState(state: ClusterState, lease: Lease): Promise<void>;
  audit(entry: AuditEntry): Promise<void>;
}

/** Everything on AWS a service's handler may use, built once per process. */
export interface ServiceContext {
  readonly service: string;
  readonly resources: ServiceResources;
  readonly clients: AwsClients;
  readonly logger: Logger;
  readonly tracer: Tracer;
  /** EMF metrics (namespace SmartScale, dimension service); createMessageHandler flushes them. */
  readonly metrics: Metrics;
  readonly publisher: Publisher;
  /** The samples claim check, when the deployment has its bucket. */
  readonly sampleClaims?: SampleClaims;
  readonly lock: ClusterLock;
  readonly state: ClusterStateStore;
  readonly dedup: DedupStore;
  readonly audit: AuditLog;
  readonly ledger: LedgerPorts;
  readonly parameters: Parameters;
  /**
   * Runs `effect` once per (actionId, step): true when it ran now, false when
   * it had already run. While another worker holds the step it throws, so
   * the message is redelivered rather than the effect lost or doubled.
   */
  once(actionId: string, step: string, effect: () => Promise<void>): Promise<boolean>;
  /** Reads a SecureString parameter's value (never logged). */
  readSecret(name: string): Promise<string>;
  /** Publishes a message to the topic of its type and counts what it reports (metricsOf). */
  publish(message: AnyEnvelope): Promise<void>;
  /** A function that re-delivers messages to `queue` after a delay (backoff without sleeping). */
  delayedTo(
    queue: keyof ServiceResources['queues'],
  ): (message: AnyEnvelope, delaySeconds: number) => Promise<void>;
}

async function runOnce(
  dedup: DedupStore,
  actionId: string,
  step: string,
  effect: () => Promise<void>,
): Promise<boolean> {
  const claim = await dedup.claim<true>(actionId, step);
  if (claim.status === 'done') return false;
  if (claim.status === 'in-progress') {
    throw new StepInProgressError(actionId, step, claim.claimedAt);
  }
  try {
    await effect();
  } catch (err) {
    await dedup.abandon(actionId, step);
    throw err;
  }
  await dedup.complete(actionId, step, true);
  return true;
}

function ledgerPorts(lock: ClusterLock, state: ClusterStateStore, audit: AuditLog): LedgerPorts {
  return {
    // The lock is held for milliseconds; a short bounded wait beats a
    // redelivery a whole visibility timeout later.
    async acquireLock(clusterId) {
      for (let attempt = 0; attempt < 20; attempt++) {
        const lease = await lock.acquire(clusterId);
        if (lease) return lease;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
      return null;
    },
    async releaseLock(clusterId, lease) {
      await lock.release(clusterId, lease);
    },
    loadState: (clusterId) => state.load(clusterId),
    async saveState(next, lease) {
      await state.save(next, lease);
    },
    async audit(entry) {
      await audit.record(entry);
    },
  };
}

/**
 * Builds a service's AWS context from the environment (`SMARTSCALE_RESOURCES`
 * and, locally, `SMARTSCALE_AWS_ENDPOINT`). Bad settings throw at start-up.
 * Clients are traced with Powertools Tracer inside Lambda; the logger writes
 * JSON with the service name, and handlers append `actionId` per message.
 *
 * @example
 * const ctx = createServiceContext('decider');
 */
export function createServiceContext(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): ServiceContext {
  const resources = resourcesFromEnv(env);
  const logger = new Logger({
    serviceName: `smartscale-${service}`,
    persistentKeys: { clusterId: resources.clusterId },
  });
  // X-Ray only exists in Lambda; locally the tracer stays off.
  const tracer = new Tracer({
    serviceName: `smartscale-${service}`,
    enabled: Boolean(env.AWS_LAMBDA_FUNCTION_NAME),
  });
  const raw = createAwsClients(awsOptionsFromEnv(env));
  const clients: AwsClients = {
    ...raw,
    sns: tracer.captureAWSv3Client(raw.sns),
    sqs: tracer.captureAWSv3Client(raw.sqs),
    dynamodb: tracer.captureAWSv3Client(raw.dynamodb),
    ec2: tracer.captureAWSv3Client(raw.ec2),
    ssm: tracer.captureAWSv3Client(raw.ssm),
    s3: tracer.captureAWSv3Client(raw.s3),
    destroy: () => raw.destroy(),
  };
  const metrics = createServiceMetrics(service);
  const table = resources.tables.state;
  const dedup = new DedupStore({
    documents: clients.documents,
    tableName: table,
    ttlSeconds: 7 * 86_400,
    claimSeconds: 120,
  });
  const parameters = new Parameters({ ssm: clients.ssm });
  const lock = new ClusterLock({ documents: clients.documents, tableName: table, leaseMs: 30_000 });
  const state = new ClusterStateStore({ documents: clients.documents, tableName: table });
  const audit = new AuditLog({ documents: clients.documents, tableName: resources.tables.audit });
  const sampleClaims = resources.buckets
    ? new SampleClaims(clients.s3, resources.buckets.samples)
    : undefined;
  const publisher = new Publisher({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArns: resources.topics,
    ...(sampleClaims ? { sampleClaims } : {}),
  });
  return {
    service,
    resources,
    clients,
    logger,
    tracer,
    metrics,
    publisher,
    ...(sampleClaims ? { sampleClaims } : {}),
    lock,
    state,
    dedup,
    audit,
    ledger: ledgerPorts(lock, state, audit),
    parameters,
    once: (actionId, step, effect) => runOnce(dedup, actionId, step, effect),
    readSecret: async (name) => (await parameters.getSecure(name)).reveal(),
    publish: async (message) => {
      await publisher.publish(message);
      recordMetrics(metrics, metricsOf(message));
    },
    delayedTo: (queue) => async (message, delaySeconds) => {
      await publisher.publishDelayed(message, resources.queues[queue].url, delaySeconds);
    },
  };
}
