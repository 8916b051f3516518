import { CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterClient } from '../../src/cluster-client.ts';

// What the sampler's lists ask the API server for (issue #17): pages of
// `limit` with `continue`, and never a resourceVersion, so each list is a
// consistent read (served from the watch cache by the API server where it
// can prove the cache current; see forEachListed). The client's list calls
// are replaced so the options they are given are seen; no server is reached.
type Call = { api: string; options: Record<string, unknown> };
const calls: Call[] = [];

/** A list call answering two empty pages: the first names a continue token. */
function recorder(api: string) {
  return async (options: Record<string, unknown>) => {
    calls.push({ api, options });
    return { items: [], metadata: options._continue ? {} : { _continue: `${api}:page-2` } };
  };
}

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }],
    users: [{ name: 'u', token: 't' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return kc;
}

beforeEach(() => {
  calls.length = 0;
  vi.spyOn(CoreV1Api.prototype, 'listNode').mockImplementation(recorder('nodes') as never);
  vi.spyOn(CoreV1Api.prototype, 'listPodForAllNamespaces').mockImplementation(
    recorder('pods') as never,
  );
  vi.spyOn(PolicyV1Api.prototype, 'listPodDisruptionBudgetForAllNamespaces').mockImplementation(
    recorder('pdbs') as never,
  );
});

afterEach(() => {
  vi.restoreAllMocks();
});

const ALLOWED = new Set(['limit', '_continue', 'fieldSelector']);

describe('the sampler list requests', () => {
  it('lists nodes, pods and PDBs by pages of listPageSize, with no resourceVersion', async () => {
    await new ClusterClient(kubeConfig(), { listPageSize: 7 }).listWorkerNodes();
    expect(calls.map((c) => c.api).sort()).toEqual([
      'nodes',
      'nodes',
      'pdbs',
      'pdbs',
      'pods',
      'pods',
    ]);
    for (const { options } of calls) {
      expect(options.limit).toBe(7);
      expect(Object.keys(options).filter((k) => !ALLOWED.has(k))).toEqual([]);
    }
    expect(
      calls
        .map((c) => c.options._continue)
        .filter(Boolean)
        .sort(),
    ).toEqual(['nodes:page-2', 'pdbs:page-2', 'pods:page-2']);
  });

  it('lists pending pods by pages of 500 by default, with no resourceVersion', async () => {
    await new ClusterClient(kubeConfig()).listPendingPods();
    expect(calls).toHaveLength(2);
    for (const { api, options } of calls) {
      expect(api).toBe('pods');
      expect(options.fieldSelector).toBe('status.phase=Pending,spec.nodeName=');
      expect(options.limit).toBe(500);
      expect(options).not.toHaveProperty('resourceVersion');
      expect(options).not.toHaveProperty('resourceVersionMatch');
    }
  });
});
