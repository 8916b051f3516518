import { describe, expect, it } from 'vitest';
import { ClusterClient, forEachListed } from '../../src/cluster-client.ts';

describe('forEachListed', () => {
  it('follows the continue token until the server gives none, keeping every item in order', async () => {
    const items = Array.from({ length: 11 }, (_, i) => i);
    const requests: { limit: number; _continue?: string }[] = [];
    const seen: number[] = [];
    await forEachListed(
      async (page) => {
        requests.push(page);
        const from = page._continue ? Number(page._continue) : 0;
        const next = from + page.limit;
        return {
          items: items.slice(from, next),
          metadata: next < items.length ? { _continue: String(next) } : {},
        };
      },
      4,
      (item) => seen.push(item),
    );
    expect(seen).toEqual(items);
    expect(requests).toEqual([
      { limit: 4 },
      { limit: 4, _continue: '4' },
      { limit: 4, _continue: '8' },
    ]);
  });

  it('stops on an empty continue token (the API sends "" on the last page)', async () => {
    let calls = 0;
    await forEachListed(
      async () => {
        calls++;
        return { items: [1], metadata: { _continue: '' } };
      },
      500,
      () => {},
    );
    expect(calls).toBe(1);
  });
});

describe('ClusterClient page size', () => {
  it('refuses a page size that is not a whole number above 0, naming it', async () => {
    const { KubeConfig } = await import('@kubernetes/client-node');
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443' }],
      users: [{ name: 'u', token: 't' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    expect(() => new ClusterClient(kc, { listPageSize: 0 })).toThrow(/listPageSize.*got 0/);
    expect(() => new ClusterClient(kc, { listPageSize: 2.5 })).toThrow(/listPageSize/);
  });
});
