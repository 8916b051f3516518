import type { V1Node } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import {
  isControlPlaneNode,
  isNodeReady,
  parseProviderId,
  providerIdFor,
  toNodeInfo,
} from '../../src/nodes.ts';

describe('parseProviderId', () => {
  it('reads zone and instance id from an AWS providerID', () => {
    expect(parseProviderId('aws:///eu-west-1a/i-0123456789abcdef0')).toEqual({
      zone: 'eu-west-1a',
      instanceId: 'i-0123456789abcdef0',
    });
    expect(parseProviderId(providerIdFor('us-east-1b', 'i-0abc'))).toEqual({
      zone: 'us-east-1b',
      instanceId: 'i-0abc',
    });
  });
  it.each([
    undefined,
    '',
    'kwok://node-1',
    'aws:///eu-west-1a/',
    'aws://eu-west-1a/i-0abc',
    'gce://p/z/i-0abc',
  ])('returns undefined for %j', (id) => {
    expect(parseProviderId(id)).toBeUndefined();
  });
});

describe('toNodeInfo', () => {
  const node: V1Node = {
    metadata: {
      name: 'worker-1',
      creationTimestamp: new Date('2026-01-01T00:00:00Z'),
      labels: {
        'smartscale.io/managed': 'true',
        'smartscale.io/capacity-type': 'spot',
        'node.kubernetes.io/instance-type': 'm7i.large',
      },
    },
    spec: { providerID: 'aws:///eu-west-1b/i-0aaa', unschedulable: true },
    status: {
      allocatable: { cpu: '1930m', memory: '7Gi', pods: '110' },
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  };

  it('maps identity, readiness, cordon state and allocatable', () => {
    expect(toNodeInfo(node, [])).toEqual({
      name: 'worker-1',
      instanceId: 'i-0aaa',
      zone: 'eu-west-1b',
      instanceType: 'm7i.large',
      capacityType: 'spot',
      managed: true,
      ready: true,
      unschedulable: true,
      createdAt: '2026-01-01T00:00:00.000Z',
      allocatable: { cpuMillis: 1930, memoryBytes: 7 * 2 ** 30 },
      pods: [],
    });
  });

  it('treats a missing or non-True Ready condition as not ready, and unlabelled nodes as unmanaged', () => {
    const bare: V1Node = {
      metadata: { name: 'n' },
      status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
    };
    expect(isNodeReady(bare)).toBe(false);
    expect(isNodeReady({ metadata: { name: 'n' } })).toBe(false);
    const info = toNodeInfo(bare, []);
    expect(info.managed).toBe(false);
    expect(info.instanceId).toBeUndefined();
    expect(info.unschedulable).toBe(false);
  });

  it("says since when a Node is not Ready: the Ready condition's last transition, else its registration", () => {
    const unknownSince = new Date('2026-01-01T01:00:00Z');
    const stopped: V1Node = {
      ...node,
      status: {
        ...node.status,
        conditions: [{ type: 'Ready', status: 'Unknown', lastTransitionTime: unknownSince }],
      },
    };
    expect(toNodeInfo(stopped, []).notReadySince).toBe('2026-01-01T01:00:00.000Z');
    // A kubelet that never posted a Ready condition: NotReady since it registered.
    const silent: V1Node = { ...node, status: { allocatable: node.status?.allocatable } };
    expect(toNodeInfo(silent, []).notReadySince).toBe('2026-01-01T00:00:00.000Z');
    expect(toNodeInfo(node, []).notReadySince).toBeUndefined();
  });
});

describe('isControlPlaneNode', () => {
  const withLabels = (labels: Record<string, string>): V1Node => ({
    metadata: { name: 'n', labels },
  });

  it.each<Record<string, string>>([
    // K3s server: role labels set to "true".
    { 'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true' },
    // kubeadm: role label present with an empty value.
    { 'node-role.kubernetes.io/control-plane': '' },
    { 'node-role.kubernetes.io/master': '' },
    { 'node-role.kubernetes.io/etcd': 'true' },
  ])('is true for a server node labelled %j', (labels) => {
    expect(isControlPlaneNode(withLabels(labels))).toBe(true);
  });

  it('is false for workers, managed or not', () => {
    expect(isControlPlaneNode(withLabels({ 'smartscale.io/managed': 'true' }))).toBe(false);
    expect(isControlPlaneNode(withLabels({ 'node-role.kubernetes.io/worker': 'true' }))).toBe(
      false,
    );
    expect(isControlPlaneNode({ metadata: { name: 'bare' } })).toBe(false);
  });
});
