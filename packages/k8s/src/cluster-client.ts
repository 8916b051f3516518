import type {
  V1Node,
  V1PersistentVolume,
  V1PersistentVolumeClaim,
  V1PodDisruptionBudget,
  V1Status,
} from '@kubernetes/client-node';
import {
  type ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
} from '@kubernetes/client-node';
import type { NodeInfo, PendingPod, PodInfo, VolumeZones } from '@smartscale/contracts';
import {
  CORDONED_BY_ANNOTATION,
  DRAIN_DEADLINE_ANNOTATION,
  isControlPlaneNode,
  parseProviderId,
  toNodeInfo,
} from './nodes.ts';
import { type ParameterToken, parameterTokenOf } from './parameter-token.ts';
import {
  claimsOf,
  isUnschedulable,
  ownerOf,
  toPendingPod,
  toPodInfo,
  volumeZonesOf,
} from './pods.ts';

/** Reads by name in flight at once. */
const READS_IN_FLIGHT = 8;

/** Runs `each` over `items`, at most `limit` at a time. */
async function inBatches<T>(
  items: readonly T[],
  limit: number,
  each: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += limit)
    await Promise.all(items.slice(i, i + limit).map(each));
}

const splitName = (qualified: string) => {
  const slash = qualified.indexOf('/');
  return { namespace: qualified.slice(0, slash), name: qualified.slice(slash + 1) };
};

/** Outcome of one eviction through the Eviction API. */
export type EvictionResult =
  | { outcome: 'evicted' }
  /** A PodDisruptionBudget allows no disruption now (HTTP 429): retry later. */
  | { outcome: 'blocked-by-pdb'; detail: string }
  /** The pod no longer exists (HTTP 404): nothing left to do. */
  | { outcome: 'already-gone' }
  /** Anything else; `retryable` for throttling and server-side errors. */
  | { outcome: 'failed'; status: number | undefined; retryable: boolean; detail: string };

/** Options of {@link ClusterClient}. */
export interface ClusterClientOptions {
  /**
   * Objects per list request (`limit`, then `continue`): what one response
   * holds in memory while it is turned into the fields SmartScale keeps.
   * Default 500, the page size kubectl uses.
   */
  listPageSize?: number;
  /**
   * Up to this many of pending pods' claims (or their volumes) are read one
   * by one by name; more are found in one paged list of all of them, fewer
   * requests than a read each. Default 50.
   */
  readByNameUpTo?: number;
}

/** One page of a Kubernetes list call. */
interface ListPage<T> {
  items: T[];
  metadata?: { _continue?: string };
}

/**
 * Calls `list` page by page until the server gives no continue token,
 * handing each page's items to `each` so a page can be dropped before the
 * next one is read.
 *
 * No `resourceVersion` is sent, on purpose (issue #17): the node and
 * pending-pod lists feed decisions, so each is a consistent read, as fresh
 * as the datastore when the first page is served. That is already "from the
 * API server's cache where that is safe": since Kubernetes 1.31
 * (ConsistentListFromCache, on by default; K3s v1.35 here) the API server
 * serves such a list from its watch cache once the cache has caught up to
 * the store's current revision, and the `continue` pages, which ask for
 * that past revision, come from snapshots of the cache since 1.34
 * (ListFromCacheSnapshot, KEP-4988; alpha in 1.33) and from the store
 * before. `resourceVersion: "0"` (whatever the cache holds) is not used: it
 * may lag by any amount after an API server restart, so a node list could
 * miss a joined worker and a pending list still show pods already placed,
 * and a launch would be repeated (the ledger's incoming count bounds that
 * for SmartScale's own launches only); and the API server ignores `limit`
 * for it, returning 30,000 pods in one response, which paging is here to
 * avoid. Not checked live: whether kine (K3s's datastore) gives the API
 * server the progress notifications the cache needs to prove it is current;
 * without them the API server reads the store instead, still consistent.
 */
export async function forEachListed<T>(
  list: (page: { limit: number; _continue?: string }) => Promise<ListPage<T>>,
  pageSize: number,
  each: (item: T) => void,
): Promise<void> {
  let token: string | undefined;
  do {
    const page = await list({ limit: pageSize, ...(token ? { _continue: token } : {}) });
    for (const item of page.items) each(item);
    token = page.metadata?._continue || undefined;
  } while (token);
}

/** Outcome of deleting a Node object. */
export type NodeDeleteResult = { outcome: 'deleted' } | { outcome: 'already-gone' };

/** Identifies a pod. */
export interface PodRef {
  namespace: string;
  name: string;
}

// Duck-typed rather than `instanceof ApiException`: a second copy of the
// client library in node_modules would make instanceof fail silently.
function asApiError(error: unknown): { code: number; body: unknown; message: string } | undefined {
  if (
    error &&
    typeof error === 'object' &&
    typeof (error as ApiException<unknown>).code === 'number'
  ) {
    return error as ApiException<unknown>;
  }
  return undefined;
}

function statusOf(error: unknown): number | undefined {
  return asApiError(error)?.code;
}

function detailOf(error: unknown): string {
  const apiError = asApiError(error);
  if (apiError) {
    const body = apiError.body;
    if (typeof body === 'string') {
      try {
        const parsed = JSON.parse(body) as Partial<V1Status>;
        return parsed.message ?? body;
      } catch {
        return body;
      }
    }
    if (body && typeof body === 'object' && 'message' in body)
      return String((body as V1Status).message);
    return apiError.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * A 429 from the eviction subresource means a disruption budget refused; a 429
 * from API Priority and Fairness means throttling. Tell them apart by the
 * Status the API server returns.
 */
function isDisruptionBudgetRefusal(error: unknown): boolean {
  const apiError = asApiError(error);
  if (apiError?.code !== 429) return false;
  const text =
    typeof apiError.body === 'string' ? apiError.body : JSON.stringify(apiError.body ?? '');
  return /DisruptionBudget|disruption budget/i.test(text);
}

/**
 * The Kubernetes side of SmartScale: reads nodes and pods, cordons, evicts
 * (PodDisruptionBudget aware) and deletes nodes. TLS is verified against the
 * kubeconfig's CA; nothing here turns verification off.
 *
 * @example
 * const cluster = ClusterClient.fromKubeconfigFile('/etc/smartscale/kubeconfig');
 * const nodes = await cluster.listNodes();
 * const result = await cluster.evictPod({ namespace: 'shop', name: 'web-1' });
 * if (result.outcome === 'blocked-by-pdb') { // try again later }
 */
export class ClusterClient {
  readonly #core: CoreV1Api;
  readonly #policy: PolicyV1Api;
  readonly #pageSize: number;
  readonly #readByNameUpTo: number;
  /** The rotating token of the KubeConfig, if it has one: renewed after a 401. */
  readonly #token: ParameterToken | undefined;

  constructor(kubeConfig: KubeConfig, options: ClusterClientOptions = {}) {
    const pageSize = options.listPageSize ?? 500;
    if (!Number.isInteger(pageSize) || pageSize < 1)
      throw new Error(`listPageSize must be a whole number of objects above 0, got ${pageSize}`);
    this.#pageSize = pageSize;
    this.#readByNameUpTo = options.readByNameUpTo ?? 50;
    const cluster = kubeConfig.getCurrentCluster();
    if (cluster?.skipTLSVerify) {
      throw new Error(
        `Kubeconfig cluster '${cluster.name}' sets insecure-skip-tls-verify; SmartScale requires a verified API server (set certificate-authority)`,
      );
    }
    this.#core = kubeConfig.makeApiClient(CoreV1Api);
    this.#policy = kubeConfig.makeApiClient(PolicyV1Api);
    this.#token = parameterTokenOf(kubeConfig);
  }

  /**
   * Sends `request`; when the API server answers 401 and the token rotates
   * (its parameter holds another one now), sends it once more with that
   * one. A warm function whose token was revoked or replaced thus carries
   * on without a redeploy; a token that is simply wrong still fails.
   */
  async #send<T>(request: () => Promise<T>): Promise<T> {
    const used = this.#token?.held();
    try {
      return await request();
    } catch (error) {
      if (statusOf(error) !== 401 || !this.#token || !(await this.#token.renew(used))) throw error;
      return request();
    }
  }

  /** Loads a kubeconfig file (token or client certificate). */
  static fromKubeconfigFile(path: string, options: ClusterClientOptions = {}): ClusterClient {
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    return new ClusterClient(kc, options);
  }

  /** Every node with its readiness, providerID-derived instance id and the pods bound to it. */
  async listNodes(): Promise<NodeInfo[]> {
    return this.#listNodes(() => true);
  }

  /**
   * Every node without its pods (one list call, no pod or PDB listing): what
   * the reconciler compares with EC2.
   */
  async listNodesWithoutPods(): Promise<NodeInfo[]> {
    const nodes = await this.#allNodes();
    return nodes.map((node) => toNodeInfo(node, []));
  }

  /** The worker nodes (control-plane nodes left out) with their pods: what the sampler reports. */
  async listWorkerNodes(): Promise<NodeInfo[]> {
    return this.#listNodes((node) => !isControlPlaneNode(node));
  }

  async #listNodes(keep: (node: V1Node) => boolean): Promise<NodeInfo[]> {
    const [nodes, podInfos] = await Promise.all([this.#allNodes(), this.#podInfosByNode()]);
    return nodes
      .filter(keep)
      .map((node) => toNodeInfo(node, podInfos.get(node.metadata?.name ?? '') ?? []));
  }

  /** Every Node, read by pages. */
  async #allNodes(): Promise<V1Node[]> {
    const nodes: V1Node[] = [];
    await forEachListed(
      (page) => this.#send(() => this.#core.listNode(page)),
      this.#pageSize,
      (n) => nodes.push(n),
    );
    return nodes;
  }

  /**
   * Name and readiness of an EC2 instance's Node, without reading its pods:
   * what the join-verifier and spot-listener need, so their identities need
   * no access to pods (issue #21).
   */
  async findNodeStatusByInstanceId(
    instanceId: string,
  ): Promise<{ name: string; ready: boolean } | undefined> {
    const nodes = await this.#allNodes();
    const node = nodes.find((n) => parseProviderId(n.spec?.providerID)?.instanceId === instanceId);
    if (!node) return undefined;
    const { name, ready } = toNodeInfo(node, []);
    return { name, ready };
  }

  /**
   * Pods the scheduler placed on a Node (`namespace/name`), leaving out
   * DaemonSet pods (they land on every Node, Ready or not) and finished ones.
   * The scheduler places others only on a Ready Node, so any such pod shows
   * the Node was Ready once: what the join-verifier asks of a worker found
   * NotReady at its deadline. One field-selected list, no PDBs read.
   */
  async podsPlacedOn(nodeName: string): Promise<string[]> {
    const placed: string[] = [];
    await forEachListed(
      (page) =>
        this.#send(() =>
          this.#core.listPodForAllNamespaces({
            ...page,
            fieldSelector: `spec.nodeName=${nodeName}`,
          }),
        ),
      this.#pageSize,
      (pod) => {
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
        if (ownerOf(pod).kind === 'DaemonSet') return;
        placed.push(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
      },
    );
    return placed;
  }

  /** The node of an EC2 instance (providerID `aws:///<az>/<instance-id>`), if it has joined. */
  async findNodeByInstanceId(instanceId: string): Promise<NodeInfo | undefined> {
    const nodes = await this.#allNodes();
    const node = nodes.find((n) => parseProviderId(n.spec?.providerID)?.instanceId === instanceId);
    if (!node) return undefined;
    const podInfos = await this.#podInfosByNode(node.metadata?.name);
    return toNodeInfo(node, podInfos.get(node.metadata?.name ?? '') ?? []);
  }

  /**
   * Pods the scheduler could not place, with their requests (millicores,
   * bytes), constraints, and the zones their bound volumes are pinned to.
   */
  async listPendingPods(): Promise<PendingPod[]> {
    const pending: PendingPod[] = [];
    const claimed = new Map<PendingPod, string[]>();
    await forEachListed(
      (page) =>
        this.#send(() =>
          this.#core.listPodForAllNamespaces({
            fieldSelector: 'status.phase=Pending,spec.nodeName=',
            ...page,
          }),
        ),
      this.#pageSize,
      (pod) => {
        if (!isUnschedulable(pod)) return;
        const entry = toPendingPod(pod);
        pending.push(entry);
        const claims = claimsOf(pod);
        if (claims.length > 0) claimed.set(entry, claims);
      },
    );
    if (claimed.size === 0) return pending;
    const pinned = await this.#zonesOfClaims(new Set([...claimed.values()].flat()));
    return pending.map((p) => {
      const volumeZones = (claimed.get(p) ?? []).flatMap((c) => pinned.get(c) ?? []);
      return volumeZones.length > 0 ? { ...p, volumeZones } : p;
    });
  }

  /**
   * The zones each claim's bound volume is pinned to. A claim not bound yet
   * (WaitForFirstConsumer waits for the pod to be scheduled) pins nothing,
   * nor does a volume without zone affinity; neither is in the map.
   */
  async #zonesOfClaims(claims: ReadonlySet<string>): Promise<Map<string, VolumeZones>> {
    const boundTo = new Map<string, string>();
    const noteClaim = (pvc: V1PersistentVolumeClaim) => {
      const key = `${pvc.metadata?.namespace}/${pvc.metadata?.name}`;
      if (claims.has(key) && pvc.spec?.volumeName && pvc.status?.phase === 'Bound')
        boundTo.set(key, pvc.spec.volumeName);
    };
    if (claims.size <= this.#readByNameUpTo) {
      await inBatches([...claims], READS_IN_FLIGHT, async (claim) => {
        const { namespace, name } = splitName(claim);
        const list = await this.#send(() =>
          this.#core.listNamespacedPersistentVolumeClaim({
            namespace,
            fieldSelector: `metadata.name=${name}`,
          }),
        );
        for (const pvc of list.items) noteClaim(pvc);
      });
    } else {
      await forEachListed(
        (page) => this.#send(() => this.#core.listPersistentVolumeClaimForAllNamespaces(page)),
        this.#pageSize,
        noteClaim,
      );
    }
    const volumes = new Set(boundTo.values());
    const zonesOf = new Map<string, string[]>();
    const noteVolume = (pv: V1PersistentVolume) => {
      const name = pv.metadata?.name ?? '';
      const zones = volumes.has(name) ? volumeZonesOf(pv) : undefined;
      if (zones) zonesOf.set(name, zones);
    };
    if (volumes.size <= this.#readByNameUpTo) {
      await inBatches([...volumes], READS_IN_FLIGHT, async (name) => {
        const list = await this.#send(() =>
          this.#core.listPersistentVolume({ fieldSelector: `metadata.name=${name}` }),
        );
        for (const pv of list.items) noteVolume(pv);
      });
    } else {
      await forEachListed(
        (page) => this.#send(() => this.#core.listPersistentVolume(page)),
        this.#pageSize,
        noteVolume,
      );
    }
    const pinned = new Map<string, VolumeZones>();
    for (const [claim, volume] of boundTo) {
      const zones = zonesOf.get(volume);
      if (zones) pinned.set(claim, { claim, volume, zones });
    }
    return pinned;
  }

  /** The live pods bound to one node, with what decides whether they may move. */
  async listPodsOnNode(nodeName: string): Promise<PodInfo[]> {
    return (await this.#podInfosByNode(nodeName)).get(nodeName) ?? [];
  }

  /**
   * Marks the node unschedulable so no new pods land on it, annotated with
   * the action that cordoned it ({@link CORDONED_BY_ANNOTATION}) and the
   * drain's deadline ({@link DRAIN_DEADLINE_ANNOTATION}).
   */
  async cordon(nodeName: string, actionId: string, drainDeadline?: string): Promise<void> {
    await this.#setUnschedulable(nodeName, true, {
      actionId,
      drainDeadline: drainDeadline ?? null,
    });
  }

  /** Makes the node schedulable again (a drain that gave up) and drops the cordon's mark. */
  async uncordon(nodeName: string): Promise<void> {
    await this.#setUnschedulable(nodeName, false, { actionId: null, drainDeadline: null });
  }

  /**
   * Evicts one pod through the Eviction API, which honours
   * PodDisruptionBudgets. Never throws for an API answer; see EvictionResult.
   */
  async evictPod(pod: PodRef): Promise<EvictionResult> {
    try {
      await this.#send(() =>
        this.#core.createNamespacedPodEviction({
          name: pod.name,
          namespace: pod.namespace,
          body: {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: pod.name, namespace: pod.namespace },
          },
        }),
      );
      return { outcome: 'evicted' };
    } catch (error) {
      const status = statusOf(error);
      if (status === 404) return { outcome: 'already-gone' };
      if (isDisruptionBudgetRefusal(error))
        return { outcome: 'blocked-by-pdb', detail: detailOf(error) };
      return {
        outcome: 'failed',
        status,
        retryable: status === undefined || status === 429 || status >= 500,
        detail: detailOf(error),
      };
    }
  }

  /** Deletes the Node object; a node already gone is not an error. */
  async deleteNode(nodeName: string): Promise<NodeDeleteResult> {
    try {
      await this.#send(() => this.#core.deleteNode({ name: nodeName }));
      return { outcome: 'deleted' };
    } catch (error) {
      if (statusOf(error) === 404) return { outcome: 'already-gone' };
      throw new Error(`Deleting node '${nodeName}' failed: ${detailOf(error)}`, { cause: error });
    }
  }

  async #setUnschedulable(
    nodeName: string,
    unschedulable: boolean,
    mark: { readonly actionId: string | null; readonly drainDeadline: string | null },
  ): Promise<void> {
    try {
      // One merge patch, so the mark and the cordon never disagree; null removes the annotation.
      await this.#send(() =>
        this.#core.patchNode(
          {
            name: nodeName,
            body: {
              metadata: {
                annotations: {
                  [CORDONED_BY_ANNOTATION]: mark.actionId,
                  [DRAIN_DEADLINE_ANNOTATION]: mark.drainDeadline,
                },
              },
              spec: { unschedulable },
            },
          },
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
    } catch (error) {
      throw new Error(
        `${unschedulable ? 'Cordoning' : 'Uncordoning'} node '${nodeName}' failed: ${detailOf(error)}`,
        { cause: error },
      );
    }
  }

  /**
   * The live pods (not Succeeded or Failed) bound to nodes, as PodInfo, read
   * by pages: each page is turned into the fields scale-down needs and
   * dropped, so the sampler's memory follows the pods it keeps, not the
   * API's full objects. Replica counts come from every live pod of the
   * owner, wherever it runs, so they are filled in once all pages are read.
   */
  async #podInfosByNode(onlyNode?: string): Promise<Map<string, PodInfo[]>> {
    const pdbs: V1PodDisruptionBudget[] = [];
    await forEachListed(
      (page) => this.#send(() => this.#policy.listPodDisruptionBudgetForAllNamespaces(page)),
      this.#pageSize,
      (pdb) => pdbs.push(pdb),
    );
    const siblings = new Map<string, number>();
    const byNode = new Map<string, PodInfo[]>();
    await forEachListed(
      (page) => this.#send(() => this.#core.listPodForAllNamespaces(page)),
      this.#pageSize,
      (pod) => {
        if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
        const owner = ownerOf(pod);
        if (owner.name !== undefined) {
          const key = ownerKey(pod.metadata?.namespace, owner.kind, owner.name);
          siblings.set(key, (siblings.get(key) ?? 0) + 1);
        }
        const nodeName = pod.spec?.nodeName;
        if (!nodeName || (onlyNode !== undefined && nodeName !== onlyNode)) return;
        const list = byNode.get(nodeName) ?? [];
        list.push(toPodInfo(pod, { pdbs }));
        byNode.set(nodeName, list);
      },
    );
    for (const pods of byNode.values())
      for (const info of pods) {
        if (info.ownerName === undefined || info.ownerKind === 'None') continue;
        const count = siblings.get(ownerKey(info.namespace, info.ownerKind, info.ownerName));
        if (count !== undefined) info.ownerReplicas = count;
      }
    return byNode;
  }
}

function ownerKey(namespace: string | undefined, kind: string, name: string): string {
  return `${namespace}/${kind}/${name}`;
}
