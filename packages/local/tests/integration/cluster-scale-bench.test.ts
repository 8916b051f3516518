import { SAMPLE_INLINE_LIMIT_BYTES } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  benchNamespace,
  formatScaleTable,
  growCluster,
  measureSample,
} from '../../src/bench/scale-bench.ts';
import { adminClients, uniqueGroup } from '../support/cluster-fixtures.ts';

// The CI size of `npm run bench:scale`: it runs end to end on the real
// kube-apiserver with kwok and prints its numbers. Speed is not asserted.
const { core } = adminClients();
const prefix = uniqueGroup('bench');
const size = { nodes: 20, pods: 600 };

beforeAll(async () => {
  await benchNamespace(core, prefix);
}, 120_000);

afterAll(async () => {
  await core.deleteNamespace({ name: prefix }).catch(() => {});
  for (let i = 0; i < size.nodes; i++)
    await core.deleteNode({ name: `${prefix}-node-${i}` }).catch(() => {});
});

describe('bench:scale, short', () => {
  it('grows the cluster to 20 nodes x 600 pods and measures one sampler pass over pages', async () => {
    const grow = await growCluster(core, prefix, { nodes: 0, pods: 0 }, size, { prefix });
    // A page of 100 makes the 600 pods span at least 6 pages.
    const measured = await measureSample(inject('cluster').kubeconfigs.reader, 100);
    console.log(
      formatScaleTable([{ ...measured, size, createSeconds: grow.nodeSeconds + grow.podSeconds }]),
    );
    // Other test files share the cluster: at least the bench's objects are listed.
    expect(measured.nodes).toBeGreaterThanOrEqual(size.nodes);
    expect(measured.pods).toBeGreaterThanOrEqual(size.pods);
    expect(measured.pageSize).toBe(100);
    expect(measured.compactBytes).toBeGreaterThan(0);
    expect(measured.compactBytes).toBeLessThan(measured.fullBytes);
    expect(measured.claimCheck).toBe(measured.compactBytes > SAMPLE_INLINE_LIMIT_BYTES);
    expect(measured.rssPeakMiB).toBeGreaterThanOrEqual(measured.rssBeforeMiB);
  }, 240_000);
});
