import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { KubernetesObject } from '@kubernetes/client-node';
import { CoreV1Api, KubeConfig, KubernetesObjectApi, loadAllYaml } from '@kubernetes/client-node';
import { KubeIdentities, type KubeIdentity, kubeIdentities } from '@smartscale/stacks';
import { type ClusterBinaries, ensureClusterBinaries } from './binaries.ts';
import { type ClientIdentity, createClusterPki, kubeconfigYaml } from './certs.ts';
import { freePort, ProcessGroup } from './processes.ts';
import { formatElapsed, log } from './progress.ts';

/** The autoscaler's RBAC, shared with the real K3s cluster. */
export const AUTOSCALER_RBAC_MANIFEST = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../k3s/manifests/rbac-autoscaler.yaml',
);

/**
 * The ValidatingAdmissionPolicy that narrows SmartScale's Node-writing
 * identities to Nodes labelled managed, as on the real cluster: local runs
 * meet the same limits as AWS (issue #21).
 */
export const ADMISSION_MANIFEST = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../../k3s/manifests/admission-smartscale.yaml',
);

/** Where the autoscaler's ServiceAccount lives (see the RBAC manifest). */
export const AUTOSCALER_SERVICE_ACCOUNT = {
  namespace: 'smartscale-system',
  name: 'smartscale',
} as const;

/** Nodes carrying this annotation are played by kwok (Ready, heartbeats, pods Running). */
export const KWOK_NODE_ANNOTATION = { key: 'kwok.x-k8s.io/node', value: 'fake' } as const;

/** A running local control plane. */
export interface LocalCluster {
  /** `https://127.0.0.1:<port>` */
  server: string;
  caCert: string;
  /** Kubeconfig of a cluster admin (client certificate, group system:masters). */
  adminKubeconfig: string;
  /** Kubeconfig of the autoscaler's writer ServiceAccount smartscale (bearer token, only its RBAC). */
  autoscalerKubeconfig: string;
  /**
   * A kubeconfig per SmartScale Kubernetes identity (stacks/topology.ts
   * kubeIdentities), each with a token of its own ServiceAccount, so every
   * local service runs with only the RBAC its deployed function has.
   */
  kubeconfigs: Record<KubeIdentity, string>;
  dataDir: string;
  /** The server processes started for this cluster, by component name. */
  pids: Record<string, number>;
  /** Stops exactly the processes this cluster started and removes its data. */
  stop(): Promise<void>;
}

export interface StartOptions {
  binaries?: ClusterBinaries;
  /** Keep the data folder (logs, PKI, database) after stop, for debugging. */
  keepDataDir?: boolean;
  /** How long to wait for each component to become ready. */
  readyTimeoutMs?: number;
}

interface ProbeTls {
  ca: string;
  cert: string;
  key: string;
  rejectUnauthorized?: boolean;
}

function probe(url: string, tls: ProbeTls): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { ...tls, timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function waitFor(
  what: string,
  group: ProcessGroup,
  timeoutMs: number,
  check: () => Promise<boolean>,
): Promise<void> {
  const started = Date.now();
  let lastError = '';
  while (Date.now() - started < timeoutMs) {
    group.assertRunning();
    try {
      if (await check()) {
        log(`${what} ready after ${formatElapsed(Date.now() - started)}`);
        return;
      }
    } catch (error) {
      lastError = (error as Error).message;
    }
    await sleep(250);
  }
  throw new Error(
    `${what} not ready after ${formatElapsed(timeoutMs)}${lastError ? ` (last error: ${lastError})` : ''}`,
  );
}

/**
 * Starts kine (SQLite), kube-apiserver, kube-controller-manager,
 * kube-scheduler and kwok on 127.0.0.1, each on a free port, with a fresh PKI
 * in a temporary folder; applies the autoscaler RBAC and writes a token
 * kubeconfig for it. On any failure everything started is stopped again.
 *
 * @example
 * const cluster = await startLocalCluster();
 * try {
 *   const kc = new KubeConfig();
 *   kc.loadFromFile(cluster.autoscalerKubeconfig);
 * } finally {
 *   await cluster.stop();
 * }
 */
export async function startLocalCluster(options: StartOptions = {}): Promise<LocalCluster> {
  const started = Date.now();
  const bins = options.binaries ?? (await ensureClusterBinaries());
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'smartscale-cluster-'));
  const pkiDir = join(dataDir, 'pki');
  const logDir = join(dataDir, 'logs');
  mkdirSync(pkiDir);
  mkdirSync(logDir);
  const removeData = () => {
    if (!options.keepDataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  const group = new ProcessGroup({ cleanupSync: removeData });
  const stop = async () => {
    await group.stop();
    removeData();
  };
  try {
    const pki = createClusterPki(pkiDir);
    const [kinePort, apiPort, kcmPort, schedulerPort, kwokPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const server = `https://127.0.0.1:${apiPort}`;
    const kubeconfigFor = (who: ClientIdentity) => {
      const path = join(dataDir, `${who}.kubeconfig`);
      const client = pki.clients[who];
      writeFileSync(
        path,
        kubeconfigYaml({
          server,
          caCert: pki.caCert,
          user: { clientCert: client.cert, clientKey: client.key },
        }),
        { mode: 0o600 },
      );
      return path;
    };
    const adminKubeconfig = kubeconfigFor('admin');
    const admin: ProbeTls = {
      ca: readFileSync(pki.caCert, 'utf8'),
      cert: readFileSync(pki.clients.admin.cert, 'utf8'),
      key: readFileSync(pki.clients.admin.key, 'utf8'),
    };
    // The controller-manager and scheduler serve /healthz with a certificate
    // they sign themselves at start; that liveness probe is the only request
    // made without verifying the server.
    const selfSigned: ProbeTls = { ...admin, rejectUnauthorized: false };

    log(`starting kine on 127.0.0.1:${kinePort}`);
    group.start(
      'kine',
      bins.kine,
      [
        `--endpoint=sqlite://${join(dataDir, 'state.db')}?_journal=WAL&cache=shared&_busy_timeout=30000`,
        `--listen-address=127.0.0.1:${kinePort}`,
        '--metrics-bind-address=0',
      ],
      join(logDir, 'kine.log'),
    );

    log(`starting kube-apiserver on ${server}`);
    group.start(
      'kube-apiserver',
      bins.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${kinePort}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${pkiDir}`,
        `--tls-cert-file=${pki.apiserverCert}`,
        `--tls-private-key-file=${pki.apiserverKey}`,
        `--client-ca-file=${pki.caCert}`,
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${pki.serviceAccountPub}`,
        `--service-account-signing-key-file=${pki.serviceAccountKey}`,
        '--service-cluster-ip-range=10.96.0.0/16',
        '--authorization-mode=Node,RBAC',
        // The kubernetes Service endpoint cannot be a loopback address.
        '--endpoint-reconciler-type=none',
        '--allow-privileged=true',
        '--profiling=false',
        '--watch-cache=true',
      ],
      join(logDir, 'kube-apiserver.log'),
    );
    await waitFor('kube-apiserver', group, readyTimeoutMs, async () => {
      const r = await probe(`${server}/readyz`, admin);
      return r.status === 200;
    });

    const componentArgs = (who: ClientIdentity, port: number) => {
      const kubeconfig = kubeconfigFor(who);
      return [
        `--kubeconfig=${kubeconfig}`,
        `--authentication-kubeconfig=${kubeconfig}`,
        `--authorization-kubeconfig=${kubeconfig}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        '--leader-elect=false',
      ];
    };
    log('starting kube-controller-manager and kube-scheduler');
    group.start(
      'kube-controller-manager',
      bins.kubeControllerManager,
      [
        ...componentArgs('controller-manager', kcmPort),
        `--cert-dir=${join(dataDir, 'kcm-certs')}`,
        `--root-ca-file=${pki.caCert}`,
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        '--use-service-account-credentials=true',
        '--cluster-name=smartscale-local',
        // Nothing runs a cloud provider here; kwok nodes need no routes.
        '--controllers=*,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller',
      ],
      join(logDir, 'kube-controller-manager.log'),
    );
    group.start(
      'kube-scheduler',
      bins.kubeScheduler,
      [
        ...componentArgs('scheduler', schedulerPort),
        `--cert-dir=${join(dataDir, 'scheduler-certs')}`,
      ],
      join(logDir, 'kube-scheduler.log'),
    );
    log(
      `starting kwok (nodes annotated ${KWOK_NODE_ANNOTATION.key}=${KWOK_NODE_ANNOTATION.value})`,
    );
    group.start(
      'kwok',
      bins.kwok,
      [
        `--kubeconfig=${kubeconfigFor('kwok')}`,
        `--config=${bins.kwokStages}`,
        '--manage-all-nodes=false',
        `--manage-nodes-with-annotation-selector=${KWOK_NODE_ANNOTATION.key}=${KWOK_NODE_ANNOTATION.value}`,
        `--server-address=127.0.0.1:${kwokPort}`,
        '--node-ip=127.0.0.1',
        '--node-lease-duration-seconds=40',
      ],
      join(logDir, 'kwok.log'),
    );
    await Promise.all([
      waitFor('kube-controller-manager', group, readyTimeoutMs, async () => {
        return (await probe(`https://127.0.0.1:${kcmPort}/healthz`, selfSigned)).status === 200;
      }),
      waitFor('kube-scheduler', group, readyTimeoutMs, async () => {
        return (
          (await probe(`https://127.0.0.1:${schedulerPort}/healthz`, selfSigned)).status === 200
        );
      }),
    ]);

    const kc = new KubeConfig();
    kc.loadFromFile(adminKubeconfig);
    await applyManifest(kc, readFileSync(AUTOSCALER_RBAC_MANIFEST, 'utf8'));
    await applyManifest(kc, readFileSync(ADMISSION_MANIFEST, 'utf8'));
    const kubeconfigs = {} as Record<KubeIdentity, string>;
    for (const id of KubeIdentities) {
      kubeconfigs[id] = join(dataDir, `smartscale-${id}.kubeconfig`);
      const token = await requestToken(kc, kubeIdentities[id].serviceAccount);
      writeFileSync(
        kubeconfigs[id],
        kubeconfigYaml({ server, caCert: pki.caCert, user: { token } }),
        { mode: 0o600 },
      );
    }
    const autoscalerKubeconfig = kubeconfigs.writer;
    group.assertRunning();
    log(`local cluster up in ${formatElapsed(Date.now() - started)} (data: ${dataDir})`);
    return {
      server,
      caCert: pki.caCert,
      adminKubeconfig,
      autoscalerKubeconfig,
      kubeconfigs,
      dataDir,
      pids: group.pids(),
      stop,
    };
  } catch (error) {
    log(`local cluster failed to start; logs kept in ${logDir}`);
    await group.stop();
    throw error;
  }
}

/** Creates every object of a multi-document YAML manifest (already existing ones are left). */
export async function applyManifest(kc: KubeConfig, yaml: string): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(kc);
  for (const object of loadAllYaml(yaml) as KubernetesObject[]) {
    try {
      await client.create(object);
    } catch (error) {
      if ((error as { code?: number }).code !== 409) throw error;
    }
  }
}

async function requestToken(kc: KubeConfig, serviceAccount: string): Promise<string> {
  const core = kc.makeApiClient(CoreV1Api);
  const result = await core.createNamespacedServiceAccountToken({
    name: serviceAccount,
    namespace: AUTOSCALER_SERVICE_ACCOUNT.namespace,
    body: { spec: { audiences: [], expirationSeconds: 24 * 3600 } },
  });
  const token = result.status?.token;
  if (!token)
    throw new Error(
      `TokenRequest for the ServiceAccount ${AUTOSCALER_SERVICE_ACCOUNT.namespace}/${serviceAccount} returned no token`,
    );
  return token;
}
