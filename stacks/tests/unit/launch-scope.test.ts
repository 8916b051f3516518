// The provisioner may launch only the images a deployment names: the launch
// template's, and the AMI the policy gives the other architecture
// (instance.imageIds, for Graviton beside x86 types; issue #23).
import { describe, expect, it } from 'vitest';
import { launchScopeOf } from '../../iam.ts';

const template = { imageId: 'ami-0aaaaaaaaaaaaaaaa', vpcSecurityGroupIds: ['sg-0abc'] };
const settings = (policy: unknown) => ({
  launchTemplateId: 'lt-0abc',
  subnetIds: ['subnet-1'],
  policyJson: JSON.stringify(policy),
});

describe('launchScopeOf', () => {
  it("allows the template's AMI only, for one architecture", () => {
    expect(launchScopeOf(settings({}), template).imageIds).toEqual(['ami-0aaaaaaaaaaaaaaaa']);
  });

  it("adds the other architecture's AMI named in instance.imageIds", () => {
    const scope = launchScopeOf(
      settings({
        instance: {
          requirements: { families: ['t3', 'm7g'], architecture: ['x86_64', 'arm64'] },
          imageIds: { arm64: 'ami-0bbbbbbbbbbbbbbbb', x86_64: 'ami-0aaaaaaaaaaaaaaaa' },
        },
      }),
      template,
    );
    expect(scope.imageIds).toEqual(['ami-0aaaaaaaaaaaaaaaa', 'ami-0bbbbbbbbbbbbbbbb']);
    expect(scope.instanceTypes).toEqual(['t3.*', 'm7g.*']);
  });
});
