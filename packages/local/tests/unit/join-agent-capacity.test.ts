import type { Instance } from '@aws-sdk/client-ec2';
import { describe, expect, it } from 'vitest';
import { workerNode } from '../../src/join-agent.ts';

// Each local worker registers with its own instance type's capacity and
// architecture (issue #23), allocatable less instance.reserved, as a K3s
// kubelet on that type would; not one configured capacity for every type.
const instance: Instance = {
  InstanceId: 'i-0abc',
  InstanceType: 'm7g.xlarge',
  Placement: { AvailabilityZone: 'us-east-1a' },
};

describe('workerNode: capacity and architecture of the instance type', () => {
  it('a Graviton type registers arm64 with its vCPUs and memory', () => {
    const node = workerNode(
      instance,
      { reserved: { cpuMillis: 200, memoryBytes: 512 * 1024 ** 2 } },
      { vcpu: 4, memoryMiB: 16384, architecture: 'arm64' },
    );
    expect(node.metadata?.labels).toMatchObject({
      'kubernetes.io/arch': 'arm64',
      'node.kubernetes.io/instance-type': 'm7g.xlarge',
    });
    expect(node.status?.nodeInfo?.architecture).toBe('arm64');
    expect(node.status?.capacity).toEqual({ cpu: '4', memory: '16384Mi', pods: '110' });
    expect(node.status?.allocatable).toEqual({ cpu: '3800m', memory: '15872Mi', pods: '110' });
  });

  it('without a type, a t3.medium as before (2 vCPU, 4 GiB, amd64; default reserved)', () => {
    const node = workerNode({ ...instance, InstanceType: 't3.medium' }, {});
    expect(node.status?.capacity).toEqual({ cpu: '2', memory: '4096Mi', pods: '110' });
    expect(node.status?.allocatable).toEqual({ cpu: '1900m', memory: '3712Mi', pods: '110' });
    expect(node.metadata?.labels?.['kubernetes.io/arch']).toBe('amd64');
  });
});
