import { describe, expect, it } from 'vitest';
import { withInstanceOwnership } from '../../src/index.js';
import { NOW, node } from './fixtures.js';

describe('withInstanceOwnership', () => {
  const snapshot = (nodes: ReturnType<typeof node>[]) => ({
    takenAt: NOW.toISOString(),
    nodes,
    pendingPods: [],
    utilization: { available: false as const, reason: 'not needed here' },
  });

  it("marks a node ours only when EC2 tags its instance, whatever the Node's label says", () => {
    const ours = node({ instanceId: 'i-0aaa' });
    const byHand = node({ instanceId: 'i-0bbb', smartscaleInstance: true });
    const noProvider = node({ instanceId: undefined, smartscaleInstance: true });
    const marked = withInstanceOwnership(snapshot([ours, byHand, noProvider]), new Set(['i-0aaa']));
    expect(marked.nodes.map((n) => [n.name, n.smartscaleInstance])).toEqual([
      [ours.name, true],
      [byHand.name, false],
      [noProvider.name, false],
    ]);
    // Everything else is the sample as it came.
    expect(marked.nodes[1]).toEqual({ ...byHand, smartscaleInstance: false });
    expect(marked.takenAt).toBe(NOW.toISOString());
  });
});
