import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { type KubernetesObject, KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node';
import { createAwsClients, localAwsOptions } from '@smartscale/aws';
import { type Envelope, parseMessageJson } from '@smartscale/contracts';
import { ClusterClient, kubeConfigFromEnv } from '@smartscale/k8s';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundleWatch } from '../../../../services/sampler/watch-bundle.ts';
import { applyTopology } from '../../src/aws/bootstrap.ts';
import { type MotoServer, startMoto } from '../../src/aws/moto-server.ts';
import { kubeconfigYaml } from '../../src/cluster/certs.ts';
import { toServiceResources } from '../../src/services/run-services.ts';
import {
  adminClients,
  createNamespace,
  eventually,
  uniqueGroup,
} from '../support/cluster-fixtures.ts';

// The sampler watch Deployment's Kubernetes side against a real API server
// with RBAC: the ServiceAccount, ClusterRole and binding of
// k3s/manifests/sampler-watch.yaml, a token of that account mounted the way
// a pod gets it, and the in-cluster access the watch entry takes inside a
// pod (KUBERNETES_SERVICE_HOST set, no API URL). Shows the role is enough
// for a sample and no more. The Deployment itself is not created: nothing
// here could run its image.
const manifest = fileURLToPath(
  new URL('../../../../k3s/manifests/sampler-watch.yaml', import.meta.url),
);
const saDir = mkdtempSync(join(tmpdir(), 'smartscale-sa-'));
let cluster: ClusterClient;
let namespace: string;
let token: string;

const noSecrets = async (name: string): Promise<string> => {
  throw new Error(`in-cluster access must read no SSM parameter, asked for ${name}`);
};

beforeAll(async () => {
  const { kc, core } = adminClients();
  const api = KubernetesObjectApi.makeApiClient(kc);
  const objects = loadAllYaml(readFileSync(manifest, 'utf8')).filter(Boolean) as KubernetesObject[];
  for (const obj of objects.filter((o) =>
    ['Namespace', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind ?? ''),
  )) {
    await api.create(obj).catch((err: { code?: number }) => {
      if (err.code !== 409) throw err;
    });
  }
  const request = await core.createNamespacedServiceAccountToken({
    name: 'smartscale-sampler',
    namespace: 'smartscale-system',
    body: { spec: { audiences: [], expirationSeconds: 3600 } },
  });
  token = request.status?.token ?? '';
  writeFileSync(join(saDir, 'token'), token);
  writeFileSync(join(saDir, 'ca.crt'), readFileSync(inject('cluster').caCert));
  const server = new URL(inject('cluster').server);
  const podEnv = { KUBERNETES_SERVICE_HOST: server.hostname, KUBERNETES_SERVICE_PORT: server.port };
  cluster = new ClusterClient(
    await kubeConfigFromEnv(podEnv, noSecrets, { serviceAccountDir: saDir }),
  );
  namespace = uniqueGroup('watch-rbac');
  await createNamespace(core, namespace);
  // A pod no node can take: the scheduler marks it unschedulable.
  await core.createNamespacedPod({
    namespace,
    body: {
      metadata: { name: 'too-big' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'registry.k8s.io/pause:3.10',
            resources: { requests: { cpu: '1000' } },
          },
        ],
      },
    },
  });
});

afterAll(async () => {
  rmSync(saDir, { recursive: true, force: true });
  await adminClients()
    .core.deleteNamespace({ name: namespace })
    .catch(() => undefined);
});

describe('sampler watch in the cluster', () => {
  it('reads what a sample needs with its own ServiceAccount, TLS verified', async () => {
    // The scheduler marks it unschedulable; the watch must see it.
    const pending = await eventually('the unschedulable pod among the pending pods', async () => {
      const pods = await cluster.listPendingPods();
      return pods.find((p) => p.namespace === namespace && p.name === 'too-big');
    });
    expect(pending.cpuMillis).toBe(1_000_000);
    // Nodes with their pods and PodDisruptionBudgets: the rest of a sample.
    expect(Array.isArray(await cluster.listWorkerNodes())).toBe(true);
  });

  it('may not change anything: cordon and eviction are forbidden', async () => {
    await expect(cluster.cordon('any-node', 'any-action')).rejects.toThrow(/forbidden/i);
    const eviction = await cluster.evictPod({ namespace, name: 'too-big' });
    expect(eviction).toMatchObject({ outcome: 'failed', status: 403 });
  });
});

describe('the bundled watch process', () => {
  let moto: MotoServer;
  afterAll(async () => {
    await moto?.stop();
  });

  it('publishes a MetricsSampled for the unschedulable pod, with the ServiceAccount of the manifest', async () => {
    moto = await startMoto();
    const clients = createAwsClients(localAwsOptions(moto.endpoint));
    try {
      const applied = await applyTopology(clients, `t-watch-${randomBytes(3).toString('hex')}`);
      const resources = toServiceResources(applied, 'c-watch-e2e');
      const bundle = join(saDir, 'watch.mjs');
      expect((await bundleWatch(bundle)).errors).toEqual([]);
      // Outside a pod its ServiceAccount token comes in a kubeconfig.
      const kubeconfig = join(saDir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        kubeconfigYaml({
          server: inject('cluster').server,
          caCert: inject('cluster').caCert,
          user: { token },
        }),
      );
      const child = spawn(process.execPath, [bundle], {
        env: {
          PATH: process.env.PATH ?? '',
          AWS_REGION: 'us-east-1',
          SMARTSCALE_AWS_ENDPOINT: moto.endpoint,
          SMARTSCALE_RESOURCES: JSON.stringify(resources),
          SMARTSCALE_CLUSTER_ID: 'c-watch-e2e',
          SMARTSCALE_PROMETHEUS_URL: 'http://127.0.0.1:9',
          SMARTSCALE_KUBECONFIG: kubeconfig,
          SMARTSCALE_WATCH_INTERVAL_MS: '200',
          SMARTSCALE_WATCH_GRACE_MS: '0',
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      try {
        // The decider's queue is subscribed to MetricsSampled on the samples topic.
        const sample = await eventually(
          `a MetricsSampled in the decider queue (stderr: ${stderr})`,
          async () => {
            const received = await clients.sqs.send(
              new ReceiveMessageCommand({
                QueueUrl: resources.queues.decider.url,
                WaitTimeSeconds: 1,
              }),
            );
            // Parsed as the decider parses it: the wire form is compact.
            const parsed = (received.Messages ?? []).map((m) => parseMessageJson(m.Body ?? ''));
            const sampled = parsed.find((p) => p.ok && p.value.type === 'MetricsSampled');
            return sampled?.ok ? (sampled.value as Envelope<'MetricsSampled'>) : undefined;
          },
        );
        expect(sample.clusterId).toBe('c-watch-e2e');
        expect(sample.payload.pendingPods).toContainEqual(
          expect.objectContaining({ namespace, name: 'too-big' }),
        );
        // Logged once SNS accepted it, which may be after the queue has it.
        await eventually('the publish logged', async () =>
          stderr.includes(`sampler watch: published MetricsSampled ${sample.actionId}`),
        );
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
      } finally {
        child.kill('SIGKILL');
      }
      expect(stderr).not.toContain(token);
    } finally {
      clients.destroy();
    }
  }, 120_000);
});
