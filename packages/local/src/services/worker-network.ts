import {
  CreateLaunchTemplateCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';

/** Where local workers launch: a VPC with one subnet per zone and a launch template. */
export interface WorkerNetwork {
  readonly launchTemplateId: string;
  readonly subnets: { readonly zone: string; readonly subnetId: string }[];
}

/**
 * Creates, in moto, what a user prepares in their account before deploying:
 * a VPC with a subnet per zone and the workers' launch template.
 *
 * @example
 * const net = await createWorkerNetwork(clients.ec2, 'demo', ['us-east-1a', 'us-east-1b']);
 */
export async function createWorkerNetwork(
  ec2: EC2Client,
  name: string,
  zones: readonly string[],
): Promise<WorkerNetwork> {
  // Moto-internal addresses; nothing is ever sent to them.
  const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
  const subnets: { zone: string; subnetId: string }[] = [];
  for (const [i, zone] of zones.entries()) {
    const subnet = await ec2.send(
      new CreateSubnetCommand({
        VpcId: vpc.Vpc?.VpcId,
        CidrBlock: `10.0.${i}.0/24`,
        AvailabilityZone: zone,
      }),
    );
    subnets.push({ zone, subnetId: subnet.Subnet?.SubnetId ?? '' });
  }
  const images = await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const imageId = images.Images?.[0]?.ImageId;
  if (!imageId)
    throw new Error('moto offers no Amazon image to build the worker launch template from');
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${name}-workers`,
      LaunchTemplateData: {
        ImageId: imageId,
        InstanceType: 't3.medium',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      },
    }),
  );
  const launchTemplateId = template.LaunchTemplate?.LaunchTemplateId;
  if (!launchTemplateId) throw new Error('CreateLaunchTemplate returned no id');
  return { launchTemplateId, subnets };
}
