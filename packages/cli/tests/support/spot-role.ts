import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { clientConfig, localAwsOptions } from '@smartscale/aws';
import { SPOT_SERVICE_LINKED_ROLE } from '../../src/doctor-account.js';

/**
 * What `aws iam create-service-linked-role --aws-service-name
 * spot.amazonaws.com` leaves in an account, in the moto at `endpoint`.
 * moto 5.2.5's CreateServiceLinkedRole names that role AWSServiceRoleForspot,
 * not AWS's AWSServiceRoleForEC2Spot, so the role is created by its real
 * name and path.
 */
export async function createSpotServiceLinkedRole(endpoint: string): Promise<void> {
  const iam = new IAMClient(clientConfig(localAwsOptions(endpoint)));
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: SPOT_SERVICE_LINKED_ROLE,
        Path: '/aws-service-role/spot.amazonaws.com/',
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'spot.amazonaws.com' },
              Action: 'sts:AssumeRole',
            },
          ],
        }),
      }),
    );
  } finally {
    iam.destroy();
  }
}
