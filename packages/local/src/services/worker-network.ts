import {
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateSecurityGroupCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DescribeImagesCommand,
  type EC2Client,
} from '@aws-sdk/client-ec2';

/** Where local workers launch: a VPC with one subnet per zone and a launch template. */
export interface WorkerNetwork {
  readonly launchTemplateId: string;
  readonly subnets: { readonly zone: string; readonly subnetId: string }[];
  /** The workers' security group, named by the launch template. */
  readonly workerSecurityGroupId: string;
  /** The K3s server's security group (Prometheus scrapes from there). */
  readonly serverSecurityGroupId: string;
}

/**
 * Creates, in moto, what a user prepares in their account before deploying:
 * a VPC with a subnet per zone, the server's and the workers' security groups
 * with the rules docs/deploy.md section 1 lists, and the workers' launch
 * template.
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
  const group = async (role: string) => {
    const created = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: `${name}-${role}`,
        Description: `SmartScale local ${role}`,
        VpcId: vpc.Vpc?.VpcId,
      }),
    );
    if (!created.GroupId) throw new Error(`CreateSecurityGroup returned no id for ${role}`);
    return created.GroupId;
  };
  const serverSecurityGroupId = await group('server');
  const workerSecurityGroupId = await group('workers');
  const from = (groupId: string, protocol: 'tcp' | 'udp', port: number) => ({
    IpProtocol: protocol,
    FromPort: port,
    ToPort: port,
    UserIdGroupPairs: [{ GroupId: groupId }],
  });
  await ec2.send(
    new AuthorizeSecurityGroupIngressCommand({
      GroupId: workerSecurityGroupId,
      IpPermissions: [
        from(workerSecurityGroupId, 'udp', 8472),
        from(serverSecurityGroupId, 'udp', 8472),
        from(serverSecurityGroupId, 'tcp', 10250),
        from(serverSecurityGroupId, 'tcp', 9100),
      ],
    }),
  );
  // The image docs/deploy.md asks for (Amazon Linux 2023 from Amazon's own
  // account), so the doctor's worker image line reads as in a good stage.
  const images = await ec2.send(
    new DescribeImagesCommand({
      Owners: ['137112412989'],
      Filters: [{ Name: 'name', Values: ['al2023-ami-2023.*-x86_64'] }],
    }),
  );
  const imageId = images.Images?.map((i) => ({ id: i.ImageId, name: i.Name ?? '' })).sort((a, b) =>
    b.name.localeCompare(a.name),
  )[0]?.id;
  if (!imageId)
    throw new Error(
      'moto offers no Amazon Linux 2023 image (owner 137112412989, al2023-ami-2023.*-x86_64) to build the worker launch template from',
    );
  const template = await ec2.send(
    new CreateLaunchTemplateCommand({
      LaunchTemplateName: `${name}-workers`,
      LaunchTemplateData: {
        ImageId: imageId,
        InstanceType: 't3.medium',
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        SecurityGroupIds: [workerSecurityGroupId],
      },
    }),
  );
  const launchTemplateId = template.LaunchTemplate?.LaunchTemplateId;
  if (!launchTemplateId) throw new Error('CreateLaunchTemplate returned no id');
  return { launchTemplateId, subnets, workerSecurityGroupId, serverSecurityGroupId };
}
