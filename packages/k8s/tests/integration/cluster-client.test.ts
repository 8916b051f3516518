import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import {
  adminClients,
  createKwokNode,
  createNamespace,
  deployment,
  eventually,
  runningPods,
  uniqueGroup,
} from '@smartscale/local/test-support';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { createClusterPki } from '../../../local/src/cluster/certs.ts';
import { ClusterClient } from '../../src/index.ts';

// Every test talks to the API server as the autoscaler's ServiceAccount
// (token, TLS verified against the cluster CA), so the RBAC manifest is under
// test too. Arranging is done with admin credentials.
const { core, apps, policy } = adminClients();
const autoscaler = ClusterClient.fromKubeconfigFile(inject('cluster').autoscalerKubeconfig);
const namespace = uniqueGroup('k8s-adapter');

beforeAll(async () => {
  await createNamespace(core, namespace);
});

afterAll(async () => {
  await core.deleteNamespace({ name: namespace }).catch(() => {});
});

describe('kwok nodes', () => {
  it('a kwok node becomes Ready and runs the pods scheduled onto it', async () => {
    const group = uniqueGroup('ready');
    await createKwokNode(core, { name: `${group}-1`, group, cpu: '2', memory: '4Gi' });

    const node = await eventually('node Ready', async () => {
      const nodes = await autoscaler.listNodes();
      return nodes.find((n) => n.name === `${group}-1` && n.ready);
    });
    expect(node.allocatable).toEqual({ cpuMillis: 2000, memoryBytes: 4 * 2 ** 30 });
    expect(node.unschedulable).toBe(false);

    await apps.createNamespacedDeployment({
      namespace,
      body: deployment({
        name: group,
        namespace,
        group,
        replicas: 2,
        cpu: '300m',
        memory: '100Mi',
      }),
    });
    await runningPods(core, namespace, group, 2);

    const pods = await autoscaler.listPodsOnNode(`${group}-1`);
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod).toMatchObject({
        namespace,
        ownerKind: 'ReplicaSet',
        ownerReplicas: 2,
        cpuMillis: 300,
        memoryBytes: 100 * 2 ** 20,
        hasPdb: false,
        doNotDisrupt: false,
        localStorage: false,
      });
    }
    const listed = (await autoscaler.listNodes()).find((n) => n.name === `${group}-1`);
    expect(listed?.pods.map((p) => p.name).sort()).toEqual(pods.map((p) => p.name).sort());
  });

  it('the join-verifier reads the pods the scheduler placed on one Node, DaemonSet pods left out', async () => {
    const group = uniqueGroup('placed');
    await createKwokNode(core, { name: `${group}-1`, group });
    const joinVerifier = ClusterClient.fromKubeconfigFile(
      inject('cluster').kubeconfigs['join-verifier'],
    );
    expect(await joinVerifier.podsPlacedOn(`${group}-1`)).toEqual([]);
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment({ name: group, namespace, group, replicas: 2 }),
    });
    const placed = (await runningPods(core, namespace, group, 2)).map(
      (p) => `${namespace}/${p.metadata?.name}`,
    );
    // A DaemonSet's pod lands on a Node whether or not it was ever Ready.
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: `${group}-agent`,
          annotations: { 'cluster-autoscaler.kubernetes.io/daemonset-pod': 'true' },
        },
        spec: {
          nodeName: `${group}-1`,
          automountServiceAccountToken: false,
          containers: [{ name: 'agent', image: 'registry.invalid/agent:1' }],
        },
      },
    });
    await eventually('the agent pod listed', async () =>
      (await autoscaler.listPodsOnNode(`${group}-1`)).some((p) => p.name === `${group}-agent`),
    );

    expect((await joinVerifier.podsPlacedOn(`${group}-1`)).sort()).toEqual(placed.sort());
    expect(await joinVerifier.podsPlacedOn(`${group}-elsewhere`)).toEqual([]);
  });

  it('reports bare pods, do-not-disrupt annotations and emptyDir volumes', async () => {
    const group = uniqueGroup('bare');
    await createKwokNode(core, { name: `${group}-1`, group });
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: {
          name: `${group}-pinned`,
          annotations: { 'smartscale.io/do-not-disrupt': 'true' },
        },
        spec: {
          nodeName: `${group}-1`,
          automountServiceAccountToken: false,
          containers: [
            {
              name: 'app',
              image: 'registry.invalid/app:1',
              resources: { requests: { cpu: '50m' } },
            },
          ],
          volumes: [{ name: 'scratch', emptyDir: {} }],
        },
      },
    });
    const [pod] = await eventually('pod listed on its node', async () => {
      const pods = await autoscaler.listPodsOnNode(`${group}-1`);
      return pods.length === 1 ? pods : undefined;
    });
    expect(pod).toMatchObject({
      ownerKind: 'None',
      doNotDisrupt: true,
      localStorage: true,
      cpuMillis: 50,
    });
  });
});

describe('cordon', () => {
  it('a cordoned node gets no new pods, and takes them again once uncordoned', async () => {
    const group = uniqueGroup('cordon');
    const name = `${group}-1`;
    // A worker's label: the admission policy lets SmartScale cordon no other Node.
    await createKwokNode(core, { name, group, labels: { 'smartscale.io/managed': 'true' } });
    await eventually('node Ready', async () =>
      (await autoscaler.listNodes()).find((n) => n.name === name && n.ready),
    );

    await autoscaler.cordon(name, '01JCORDONACTION0000000000A');
    const cordoned = (await autoscaler.listNodes()).find((n) => n.name === name);
    expect(cordoned?.unschedulable).toBe(true);
    expect(cordoned?.cordonedBy).toBe('01JCORDONACTION0000000000A');

    await apps.createNamespacedDeployment({
      namespace,
      body: deployment({ name: group, namespace, group, replicas: 1, cpu: '250m', memory: '32Mi' }),
    });
    const pending = await eventually('the pod reported unschedulable', async () => {
      const pods = await autoscaler.listPendingPods();
      return pods.find((p) => p.namespace === namespace && p.name.startsWith(`${group}-`));
    });
    expect(pending).toMatchObject({ cpuMillis: 250, memoryBytes: 32 * 2 ** 20 });
    const stillPending = await core.listNamespacedPod({ namespace, labelSelector: `app=${group}` });
    expect(stillPending.items.every((p) => !p.spec?.nodeName)).toBe(true);

    await autoscaler.uncordon(name);
    const lifted = (await autoscaler.listNodes()).find((n) => n.name === name);
    expect(lifted?.unschedulable).toBe(false);
    expect(lifted?.cordonedBy).toBeUndefined();
    const [running] = await runningPods(core, namespace, group, 1);
    expect(running?.spec?.nodeName).toBe(name);
  });
});

describe('pending pods', () => {
  it('a Deployment scaled beyond capacity leaves Pending pods reported with their requests', async () => {
    const group = uniqueGroup('full');
    await createKwokNode(core, { name: `${group}-1`, group, cpu: '2', memory: '4Gi' });
    await eventually('node Ready', async () =>
      (await autoscaler.listNodes()).find((n) => n.name === `${group}-1` && n.ready),
    );
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment({
        name: group,
        namespace,
        group,
        replicas: 2,
        cpu: '800m',
        memory: '512Mi',
      }),
    });
    await runningPods(core, namespace, group, 2);
    expect(
      (await autoscaler.listPendingPods()).filter(
        (p) => p.namespace === namespace && p.name.startsWith(`${group}-`),
      ),
    ).toEqual([]);
    // 2 cores fit two 800m pods; scaled to four, the third and fourth cannot be placed.
    await apps.patchNamespacedDeployment(
      { name: group, namespace, body: { spec: { replicas: 4 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const pending = await eventually('two unschedulable pods', async () => {
      const pods = (await autoscaler.listPendingPods()).filter(
        (p) => p.namespace === namespace && p.name.startsWith(`${group}-`),
      );
      return pods.length === 2 ? pods : undefined;
    });
    for (const pod of pending) {
      expect(pod.cpuMillis).toBe(800);
      expect(pod.memoryBytes).toBe(536_870_912);
      expect(Number.isNaN(Date.parse(pod.pendingSince))).toBe(false);
    }
  });
});

describe('eviction', () => {
  it('is refused while a PodDisruptionBudget allows no disruption and allowed once it is relaxed', async () => {
    const group = uniqueGroup('pdb');
    await createKwokNode(core, { name: `${group}-1`, group });
    await apps.createNamespacedDeployment({
      namespace,
      body: deployment({ name: group, namespace, group, replicas: 2 }),
    });
    const pods = await runningPods(core, namespace, group, 2);
    await policy.createNamespacedPodDisruptionBudget({
      namespace,
      body: {
        metadata: { name: group },
        spec: { minAvailable: 2, selector: { matchLabels: { app: group } } },
      },
    });
    // Wait for the disruption controller to count both pods healthy, so the
    // refusal below comes from the budget itself, not from a fresh PDB.
    await eventually('PDB observed with 2 healthy pods', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ name: group, namespace });
      return (
        pdb.status?.currentHealthy === 2 &&
        pdb.status.observedGeneration === pdb.metadata?.generation
      );
    });
    const victim = { namespace, name: pods[0]?.metadata?.name ?? '' };

    const refused = await autoscaler.evictPod(victim);
    expect(refused.outcome).toBe('blocked-by-pdb');
    if (refused.outcome === 'blocked-by-pdb') expect(refused.detail).toMatch(/disruption budget/i);
    const onNode = await autoscaler.listPodsOnNode(`${group}-1`);
    expect(onNode.every((p) => p.hasPdb)).toBe(true);

    await policy.patchNamespacedPodDisruptionBudget(
      { name: group, namespace, body: { spec: { minAvailable: 1 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await eventually('PDB allows one disruption', async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ name: group, namespace });
      return (pdb.status?.disruptionsAllowed ?? 0) >= 1;
    });
    expect(await autoscaler.evictPod(victim)).toEqual({ outcome: 'evicted' });
    await eventually('evicted pod gone', async () => {
      try {
        await core.readNamespacedPod(victim);
        return false;
      } catch (error) {
        return (error as { code?: number }).code === 404;
      }
    });
    expect(await autoscaler.evictPod(victim)).toEqual({ outcome: 'already-gone' });
  });
});

describe('worker nodes', () => {
  it('leaves the K3s server (control-plane role) out of the workers', async () => {
    const group = uniqueGroup('roles');
    await createKwokNode(core, {
      name: `${group}-server`,
      group,
      labels: {
        'node-role.kubernetes.io/control-plane': 'true',
        'node-role.kubernetes.io/master': 'true',
      },
    });
    await createKwokNode(core, {
      name: `${group}-worker`,
      group,
      providerID: 'aws:///us-east-1a/i-0feed0000000000a1',
    });
    onTestFinished(async () => {
      for (const name of [`${group}-server`, `${group}-worker`])
        await core.deleteNode({ name }).catch(() => {});
    });

    const all = (await autoscaler.listNodes()).map((n) => n.name);
    expect(all).toEqual(expect.arrayContaining([`${group}-server`, `${group}-worker`]));
    const workers = (await autoscaler.listWorkerNodes()).map((n) => n.name);
    expect(workers).toContain(`${group}-worker`);
    expect(workers).not.toContain(`${group}-server`);
  });
});

describe('nodes by instance id', () => {
  it('finds a node by its EC2 instance id and deletes it', async () => {
    const group = uniqueGroup('ec2');
    const instanceId = `i-0${Date.now().toString(16)}`;
    await createKwokNode(core, {
      name: `${group}-1`,
      group,
      providerID: `aws:///eu-west-1a/${instanceId}`,
      labels: { 'smartscale.io/managed': 'true', 'smartscale.io/capacity-type': 'spot' },
    });
    await createKwokNode(core, {
      name: `${group}-2`,
      group,
      providerID: 'aws:///eu-west-1a/i-0fffffffffff',
    });

    const found = await autoscaler.findNodeByInstanceId(instanceId);
    expect(found).toMatchObject({
      name: `${group}-1`,
      instanceId,
      zone: 'eu-west-1a',
      managed: true,
      capacityType: 'spot',
    });
    expect(await autoscaler.findNodeByInstanceId('i-0000000000000000')).toBeUndefined();
    // The join-verifier's identity may not list PDBs (403), which the full
    // lookup reads: its own lookups read Nodes, and pods by Node only.
    const joinVerifier = ClusterClient.fromKubeconfigFile(
      inject('cluster').kubeconfigs['join-verifier'],
    );
    await expect(joinVerifier.findNodeByInstanceId(instanceId)).rejects.toMatchObject({
      code: 403,
    });
    // kwok turns a new Node Ready on its own schedule (later under a loaded
    // parallel run), so the Ready status is awaited, not read at once.
    expect(
      await eventually('the join-verifier to see the Node Ready', async () => {
        const status = await joinVerifier.findNodeStatusByInstanceId(instanceId);
        return status?.ready ? status : undefined;
      }),
    ).toEqual({ name: `${group}-1`, ready: true });
    expect(await joinVerifier.findNodeStatusByInstanceId('i-0000000000000000')).toBeUndefined();

    expect(await autoscaler.deleteNode(`${group}-1`)).toEqual({ outcome: 'deleted' });
    expect(await autoscaler.findNodeByInstanceId(instanceId)).toBeUndefined();
    expect(await autoscaler.deleteNode(`${group}-1`)).toEqual({ outcome: 'already-gone' });
    expect((await autoscaler.listNodes()).some((n) => n.name === `${group}-2`)).toBe(true);
  });
});

describe('credentials', () => {
  it('the autoscaler token cannot do more than its RBAC allows', async () => {
    const kc = new KubeConfig();
    kc.loadFromFile(inject('cluster').autoscalerKubeconfig);
    const asAutoscaler = kc.makeApiClient(CoreV1Api);
    await expect(asAutoscaler.listSecretForAllNamespaces()).rejects.toMatchObject({ code: 403 });
    await expect(
      asAutoscaler.createNamespace({ body: { metadata: { name: 'nope' } } }),
    ).rejects.toMatchObject({
      code: 403,
    });
  });

  it('refuses a server whose certificate does not chain to the configured CA', async () => {
    const { server } = inject('cluster');
    const kc = new KubeConfig();
    const otherPkiDir = mkdtempSync(join(tmpdir(), 'other-ca-'));
    onTestFinished(() => rmSync(otherPkiDir, { recursive: true, force: true }));
    const otherCa = createClusterPki(otherPkiDir).caCert;
    kc.loadFromOptions({
      clusters: [{ name: 'c', server, caData: readFileSync(otherCa).toString('base64') }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    await expect(new ClusterClient(kc).listNodes()).rejects.toThrow(
      /certificate|self.signed|verify/i,
    );
  });

  it('rejects a kubeconfig that turns TLS verification off', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u', token: 'x' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    expect(() => new ClusterClient(kc)).toThrow(/insecure-skip-tls-verify/);
  });
});
