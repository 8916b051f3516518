import { describe, expect, it } from 'vitest';
import {
  type ClusterSnapshot,
  createMessage,
  decodeSnapshot,
  encodeSnapshot,
  type PodInfo,
  parseDeliveredJson,
  parseMessage,
  sha256Hex,
} from '../../src/index.js';

const MiB = 1024 ** 2;
const takenAt = '2026-11-22T12:00:00.000Z';

function pod(name: string, overrides: Partial<PodInfo> = {}): PodInfo {
  return {
    namespace: 'shop',
    name,
    cpuMillis: 250,
    memoryBytes: 256 * MiB,
    ownerKind: 'ReplicaSet',
    ownerName: 'web-7d4',
    ownerReplicas: 30,
    hasPdb: false,
    doNotDisrupt: false,
    localStorage: false,
    ...overrides,
  };
}

/** `workers` nodes of `perNode` pods from three workloads, and pending pods from two. */
function cluster(workers: number, perNode: number, pendingCount: number): ClusterSnapshot {
  return {
    takenAt,
    nodes: Array.from({ length: workers }, (_, n) => ({
      name: `ip-10-0-${Math.floor(n / 250)}-${n % 250}.ec2.internal`,
      instanceId: `i-${(n + 1).toString(16).padStart(17, '0')}`,
      zone: 'us-east-1a',
      instanceType: 'm6i.xlarge',
      capacityType: 'spot' as const,
      managed: true,
      ready: true,
      unschedulable: false,
      createdAt: '2026-11-22T10:00:00.000Z',
      allocatable: { cpuMillis: 3920, memoryBytes: 15_000 * MiB },
      pods: Array.from({ length: perNode }, (_, p) =>
        p % 3 === 0
          ? pod(`api-5f9-${n}-${p}`, { ownerName: 'api-5f9', cpuMillis: 500, hasPdb: true })
          : p % 3 === 1
            ? pod(`web-7d4-${n}-${p}`)
            : pod(`cache-0-${n}-${p}`, { ownerKind: 'StatefulSet', ownerName: 'cache' }),
      ),
    })),
    pendingPods: Array.from({ length: pendingCount }, (_, i) => ({
      namespace: 'shop',
      name: `checkout-6c8-${i.toString(36).padStart(5, '0')}`,
      cpuMillis: i % 2 ? 500 : 1000,
      memoryBytes: 512 * MiB,
      pendingSince: i < pendingCount / 2 ? '2026-11-22T11:59:00.000Z' : '2026-11-22T11:59:50.000Z',
      // Constraints travel in the pending shape (issue #16).
      ...(i % 3 === 0
        ? {
            tolerations: [{ key: 'dedicated', operator: 'Equal' as const, value: 'shop' }],
            volumeZones: [{ claim: `shop/data-${i}`, volume: `pv-${i}`, zones: ['us-east-1c'] }],
          }
        : {}),
    })),
    utilization: {
      available: true,
      cpu: { now: 0.5, upWindowMin: 0.4, downWindowMax: 0.6 },
      memory: { now: 0.3, downWindowMax: 0.35 },
    },
    appSignals: { queueDepth: 12 },
  };
}

/** A pod's identity for comparison: the group keeps one real name per shape. */
const withoutNames = (s: ClusterSnapshot) => ({
  ...s,
  nodes: s.nodes.map((n) => ({ ...n, pods: n.pods.map(({ name: _, ...p }) => p) })),
  pendingPods: s.pendingPods.map(({ name: _, ...p }) => p),
});

describe('compact snapshot encoding', () => {
  it('round-trips every field but the names beyond the first of a group', () => {
    const full = cluster(4, 9, 10);
    const decoded = decodeSnapshot(encodeSnapshot(full));
    // Pods of one shape are contiguous after decoding; compare as multisets per node.
    const sorted = (s: ClusterSnapshot) => {
      const plain = withoutNames(s);
      return {
        ...plain,
        nodes: plain.nodes.map((n) => ({
          ...n,
          pods: n.pods.map((p) => JSON.stringify(p)).sort(),
        })),
        pendingPods: plain.pendingPods.map((p) => JSON.stringify(p)).sort(),
      };
    };
    expect(sorted(decoded)).toEqual(sorted(full));
    // The first pod of each group keeps its real name.
    expect(decoded.nodes[0]?.pods.map((p) => p.name).slice(0, 1)).toEqual(['api-5f9-0-0']);
    expect(decoded.pendingPods[0]?.name).toBe('checkout-6c8-00000');
    expect(decoded.nodes[0]?.pods.filter((p) => p.name.startsWith('api-5f9-0-0'))).toHaveLength(3);
  });

  it('keeps 1,000 workers x 30 pods far smaller than the full form', () => {
    const full = cluster(1000, 30, 2000);
    const fullBytes = Buffer.byteLength(JSON.stringify(full));
    const compactBytes = Buffer.byteLength(JSON.stringify(encodeSnapshot(full)));
    expect(fullBytes).toBeGreaterThan(6_000_000);
    // Node records and one example name per group stay; the per-pod fields go.
    expect(compactBytes).toBeLessThan(fullBytes / 8);
  });

  it('MetricsSampled accepts the compact form and still the full form, both as a ClusterSnapshot', () => {
    const full = cluster(2, 6, 4);
    const compact = createMessage(
      'MetricsSampled',
      encodeSnapshot(full),
      { clusterId: 'c' },
      new Date(takenAt),
    );
    const old = createMessage('MetricsSampled', full, { clusterId: 'c' }, new Date(takenAt));
    expect(compact.payload.nodes[1]?.pods).toHaveLength(6);
    expect(compact.payload.pendingPods).toHaveLength(4);
    expect(old.payload).toEqual(full);
  });

  it('refuses a group whose shape index is out of range, naming the node', () => {
    const wire = encodeSnapshot(cluster(1, 3, 0));
    const bad = { ...wire, nodes: wire.nodes.map((n) => ({ ...n, podGroups: [[7, 2, 'x']] })) };
    const parsed = parseMessage({
      ...createMessage('MetricsSampled', cluster(1, 0, 0), { clusterId: 'c' }, new Date(takenAt)),
      payload: bad,
    });
    expect(parsed.ok).toBe(false);
    if (!parsed.ok)
      expect(parsed.error.message).toMatch(
        /node ip-10-0-0-0.ec2.internal: shape index 7 is out of range: expected below 3/,
      );
  });
});

describe('claimed samples', () => {
  const message = createMessage(
    'MetricsSampled',
    cluster(1, 1, 0),
    { clusterId: 'c' },
    new Date(takenAt),
  );
  const claim = {
    encoding: 'claim',
    key: 'samples/c/x.json',
    sha256: sha256Hex('body'),
    bytes: 4,
    takenAt,
    workers: 1,
  };

  it('a claim on MetricsSampled parses as a claimed sample, anything else as a message', () => {
    const claimed = parseDeliveredJson(JSON.stringify({ ...message, payload: claim }));
    expect(claimed.ok && claimed.value.kind).toBe('claimed-sample');
    if (claimed.ok && claimed.value.kind === 'claimed-sample') {
      expect(claimed.value.claim.key).toBe('samples/c/x.json');
      expect(claimed.value.header.actionId).toBe(message.actionId);
    }
    const plain = parseDeliveredJson(JSON.stringify(message));
    expect(plain.ok && plain.value.kind).toBe('message');
  });

  it('refuses a claim with a malformed digest or on another message type', () => {
    const badDigest = parseDeliveredJson(
      JSON.stringify({ ...message, payload: { ...claim, sha256: 'abc' } }),
    );
    expect(!badDigest.ok && badDigest.error.message).toMatch(
      /payload.sha256: expected a hex sha256/,
    );
    const wrongType = parseDeliveredJson(
      JSON.stringify({ ...message, type: 'ScaleUp', payload: claim }),
    );
    expect(!wrongType.ok && wrongType.error.message).toMatch(/type/);
  });
});
