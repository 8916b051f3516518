import type { ClusterSnapshot, SampleClaim } from '@smartscale/contracts';
import { auditedSnapshotDetail } from '@smartscale/core';
import { describe, expect, it } from 'vitest';

const snapshot: ClusterSnapshot = {
  takenAt: '2026-12-01T20:00:00.000Z',
  nodes: [
    {
      name: 'ip-10-0-1-1.ec2.internal',
      instanceId: 'i-00000000000000001',
      zone: 'us-east-1a',
      instanceType: 't3.medium',
      capacityType: 'on-demand',
      managed: true,
      ready: true,
      unschedulable: false,
      createdAt: '2026-12-01T19:00:00.000Z',
      allocatable: { cpuMillis: 1800, memoryBytes: 3584 * 1024 ** 2 },
      pods: [],
    },
  ],
  pendingPods: [],
  utilization: {
    available: true,
    cpu: { now: 0.5, upWindowMin: 0.4, downWindowMax: 0.6 },
    memory: { now: 0.3, downWindowMax: 0.35 },
  },
};
const claim: SampleClaim = {
  encoding: 'claim',
  key: 'samples/c/01JZ0000000000000000000000.json',
  sha256: 'a'.repeat(64),
  bytes: 123_456,
  takenAt: snapshot.takenAt,
  workers: 1,
};

// The limit is lowered so a one-node snapshot stands in for 1,000 workers.
describe('auditedSnapshotDetail', () => {
  it('keeps a snapshot that fits the item inline', () => {
    const detail = auditedSnapshotDetail(snapshot, claim);
    expect(Object.keys(detail)).toEqual(['snapshot']);
  });

  it('audits a summary and the claim when the snapshot is too big, never the snapshot', () => {
    const detail = auditedSnapshotDetail(snapshot, claim, 100);
    expect(detail).not.toHaveProperty('snapshot');
    expect(detail.snapshotRef).toEqual({ key: claim.key, sha256: claim.sha256, bytes: 123_456 });
    expect(detail.snapshotSummary).toMatchObject({
      workers: 1,
      readyWorkers: 1,
      pendingPods: 0,
      cpu: 0.5,
      memory: 0.3,
    });
    expect((detail.snapshotSummary as { compactBytes: number }).compactBytes).toBeGreaterThan(100);
  });

  it('says why the snapshot is missing when an inline sample is too big (no object to refer to)', () => {
    const detail = auditedSnapshotDetail(snapshot, undefined, 100);
    expect(detail).not.toHaveProperty('snapshot');
    expect(detail).not.toHaveProperty('snapshotRef');
    expect(detail.snapshotOmitted).toMatch(
      /over the 100-byte audit limit, and the sample came inline/,
    );
  });
});
