import type { Instance } from '@aws-sdk/client-ec2';
import { parseConfig } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { workerNode } from '../../src/join-agent.ts';

// The local join agent plays the worker user data: the policy's
// instance.taints are on the Node from its registration, as --node-taint does.
const instance: Instance = {
  InstanceId: 'i-0abc',
  InstanceType: 't3.medium',
  Placement: { AvailabilityZone: 'us-east-1a' },
};

describe('workerNode: the Node a local worker registers', () => {
  it('carries the configured taints, value left out when the taint has none', () => {
    const { taints } = parseConfig({
      instance: {
        taints: [
          { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
          { key: 'spot', effect: 'NoExecute' },
        ],
      },
    }).instance;
    expect(workerNode(instance, { taints }).spec?.taints).toEqual([
      { key: 'dedicated', value: 'batch', effect: 'NoSchedule' },
      { key: 'spot', effect: 'NoExecute' },
    ]);
  });

  it('no taints configured: none on the Node', () => {
    expect(workerNode(instance, { taints: [] }).spec?.taints).toBeUndefined();
    expect(workerNode(instance, {}).spec?.providerID).toBe('aws:///us-east-1a/i-0abc');
  });
});
