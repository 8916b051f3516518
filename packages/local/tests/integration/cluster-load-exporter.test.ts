import { ClusterClient } from '@smartscale/k8s';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import {
  type ClusterLoadExporter,
  startClusterLoadExporter,
} from '../../src/prometheus/pod-load.ts';
import {
  adminClients,
  createKwokNode,
  createNamespace,
  deployment,
  eventually,
  runningPods,
  uniqueGroup,
} from '../support/cluster-fixtures.ts';

const { core, apps } = adminClients();
const namespace = uniqueGroup('load');
let exporter: ClusterLoadExporter;

beforeAll(async () => {
  await createNamespace(core, namespace);
  exporter = await startClusterLoadExporter({
    cluster: ClusterClient.fromKubeconfigFile(inject('cluster').autoscalerKubeconfig),
    trace: () => ({ cpu: 1.5, memory: 1 }),
    refreshMs: 500,
  });
});

afterAll(async () => {
  await exporter?.close();
  await core.deleteNamespace({ name: namespace }).catch(() => {});
});

it('reports node-exporter metrics computed from the pods running on each node', async () => {
  const group = uniqueGroup('load');
  const nodeName = `${group}-1`;
  await createKwokNode(core, { name: nodeName, group, cpu: '2', memory: '4Gi' });
  await apps.createNamespacedDeployment({
    namespace,
    body: deployment({ name: group, namespace, group, replicas: 2, cpu: '400m', memory: '1Gi' }),
  });
  await runningPods(core, namespace, group, 2);

  // 2 pods x 400m x 1.5 = 1200m of 2000m; 2 x 1Gi of 4Gi.
  const load = await eventually('the exporter to see both pods', async () => {
    await exporter.refresh();
    const l = exporter.currentLoads().get(nodeName);
    return l && l.cpu > 0.5 ? l : undefined;
  });
  expect(load).toEqual({ cpu: 0.6, memory: 0.5, cpus: 2, memoryBytes: 4 * 2 ** 30 });

  const text = await (await fetch(`http://${exporter.target}/metrics`)).text();
  expect(text).toContain(`node_memory_MemTotal_bytes{instance="${nodeName}"} ${4 * 2 ** 30}`);
  expect(text).toContain(`node_memory_MemAvailable_bytes{instance="${nodeName}"} ${2 * 2 ** 30}`);
  expect(text).toMatch(
    new RegExp(`node_cpu_seconds_total\\{instance="${nodeName}",cpu="1",mode="idle"\\} `),
  );
});
