import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AllocateAddressCommand,
  AssociateRouteTableCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateLaunchTemplateCommand,
  CreateNatGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  DescribeImagesCommand,
  DescribeSubnetsCommand,
  DisassociateRouteTableCommand,
  ModifySubnetAttributeCommand,
  RevokeSecurityGroupIngressCommand,
} from '@aws-sdk/client-ec2';
import {
  ListSubscriptionsByTopicCommand,
  SetSubscriptionAttributesCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import {
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import { DeleteParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { KubeConfig } from '@kubernetes/client-node';
import {
  type AwsClients,
  createAwsClients,
  localAwsOptions,
  ReconciliationLog,
  type ServiceResources,
} from '@smartscale/aws';
import {
  KubeIdentities,
  type KubeIdentity,
  kubeIdentities,
  names,
  type ParameterName,
  queueSendPolicy,
} from '@smartscale/stacks';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { applyTopology } from '../../../local/src/aws/bootstrap.ts';
import { freePort, type MotoServer, startMoto } from '../../../local/src/aws/moto-server.ts';
import { publishServerParameters } from '../../../local/src/cluster/server-parameters.ts';
import { type LocalPrometheus, startPrometheus } from '../../../local/src/prometheus/start.ts';
import { toServiceResources } from '../../../local/src/services/run-services.ts';
import {
  createWorkerNetwork,
  type WorkerNetwork,
} from '../../../local/src/services/worker-network.ts';
import type { DoctorReport } from '../../src/commands/doctor.js';
import { type Io, main } from '../../src/index.js';
import { createSpotServiceLinkedRole } from '../support/spot-role.ts';

// A deployment as a user has it after docs/deploy.md: the topology in moto,
// the parameters written, the worker network and launch template, the real
// control plane with the autoscaler's RBAC, a Prometheus and a reconciler pass.
let moto: MotoServer;
let prometheus: LocalPrometheus;
let clients: AwsClients;
let resources: ServiceResources;
let resourcesFile: string;
let network: WorkerNetwork;
/** The worker subnets' route table (0.0.0.0/0 to a NAT gateway) and each subnet's association. */
let natRoutes: { tableId: string; associations: Map<string, string> };

/** As docs/deploy.md asks: a NAT gateway in a public subnet, the workers' default route to it. */
async function routeThroughNat(net: WorkerNetwork) {
  const first = net.subnets[0]?.subnetId ?? '';
  const vpcId =
    (await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [first] }))).Subnets?.[0]
      ?.VpcId ?? '';
  const publicSubnet = await clients.ec2.send(
    new CreateSubnetCommand({
      VpcId: vpcId,
      CidrBlock: '10.0.200.0/24',
      AvailabilityZone: 'us-east-1a',
    }),
  );
  const eip = await clients.ec2.send(new AllocateAddressCommand({ Domain: 'vpc' }));
  const nat = await clients.ec2.send(
    new CreateNatGatewayCommand({
      SubnetId: publicSubnet.Subnet?.SubnetId,
      AllocationId: eip.AllocationId,
    }),
  );
  const table = await clients.ec2.send(new CreateRouteTableCommand({ VpcId: vpcId }));
  const tableId = table.RouteTable?.RouteTableId ?? '';
  await clients.ec2.send(
    new CreateRouteCommand({
      RouteTableId: tableId,
      DestinationCidrBlock: '0.0.0.0/0',
      NatGatewayId: nat.NatGateway?.NatGatewayId,
    }),
  );
  const associations = new Map<string, string>();
  for (const { subnetId } of net.subnets) {
    const a = await clients.ec2.send(
      new AssociateRouteTableCommand({ RouteTableId: tableId, SubnetId: subnetId }),
    );
    associations.set(subnetId, a.AssociationId ?? '');
  }
  return { tableId, associations };
}
/** The token of each identity, from the local control plane's kubeconfig for it. */
const tokens = {} as Record<KubeIdentity, string>;
const cluster = inject('cluster');

async function doctor(...extra: string[]): Promise<{ code: number; report: DoctorReport }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(
    [
      'doctor',
      '--json',
      '--resources',
      resourcesFile,
      '--kube-api-url',
      cluster.server,
      '--prometheus-url',
      prometheus.url,
      '--launch-template',
      network.launchTemplateId,
      '--server-security-group',
      network.serverSecurityGroupId,
      '--subnets',
      network.subnets.map((s) => `${s.zone}=${s.subnetId}`).join(','),
      ...extra,
    ],
    io,
  );
  if (out.length === 0) throw new Error(`doctor printed nothing (exit ${code}): ${err.join('\n')}`);
  return { code, report: JSON.parse(out.join('\n')) as DoctorReport };
}

const problems = (report: DoctorReport) => report.findings.filter((f) => f.status === 'problem');
const parameter = (key: ParameterName) => names.parameter(resources.prefix, key);
const tokenParameter = (id: KubeIdentity) => parameter(kubeIdentities[id].parameter);

async function put(name: string, value: string, type: 'String' | 'SecureString') {
  await clients.ssm.send(
    new PutParameterCommand({ Name: name, Value: value, Type: type, Overwrite: true }),
  );
}

beforeAll(async () => {
  moto = await startMoto();
  process.env.SMARTSCALE_AWS_ENDPOINT = moto.endpoint;
  process.env.AWS_REGION = 'us-east-1';
  clients = createAwsClients(localAwsOptions(moto.endpoint));
  const prefix = `smartscale-doc${Math.random().toString(36).slice(2, 6)}`;
  resources = toServiceResources(await applyTopology(clients, prefix), prefix);
  resourcesFile = join(await mkdtemp(join(tmpdir(), 'doctor-')), 'resources.json');
  writeFileSync(resourcesFile, JSON.stringify(resources));
  network = await createWorkerNetwork(clients.ec2, prefix, ['us-east-1a', 'us-east-1b']);
  natRoutes = await routeThroughNat(network);
  // The default policy buys Spot: docs/deploy.md has the account create this role once.
  await createSpotServiceLinkedRole(moto.endpoint);
  // What `npm run local:up` publishes, as the K3s server does (docs/deploy.md section 1).
  await publishServerParameters(clients.ssm, prefix, cluster);
  for (const id of KubeIdentities) {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.kubeconfigs[id]);
    tokens[id] = kc.getCurrentUser()?.token ?? '';
  }
  await new ReconciliationLog({
    documents: clients.documents,
    tableName: resources.tables.state,
  }).record(resources.clusterId, {
    at: new Date().toISOString(),
    found: { instances: 0, nodes: 0, inFlight: 0 },
    repaired: [],
    failed: [],
    ledgerLockBusy: false,
  });
  prometheus = await startPrometheus({ jobs: [] });
}, 120_000);

afterAll(async () => {
  clients?.destroy();
  await prometheus?.stop();
  await moto?.stop();
});

describe('smartscale doctor against moto and the local control plane', () => {
  it('passes a healthy deployment, each part checked', async () => {
    const { code, report } = await doctor();
    expect(problems(report)).toEqual([]);
    expect(code).toBe(0);
    const ok = report.findings.filter((f) => f.status === 'ok').map((f) => f.check);
    expect(ok).toEqual(
      expect.arrayContaining([
        `queue ${resources.prefix}-decider`,
        `queue ${resources.prefix}-decider-dlq`,
        `table ${resources.prefix}-state`,
        `parameter ${tokenParameter('reader')}`,
        `parameter ${tokenParameter('join-verifier')}`,
        `parameter ${tokenParameter('writer')}`,
        `launch template ${network.launchTemplateId}`,
        `worker security groups of ${network.launchTemplateId}`,
        `kubernetes ${cluster.server} as smartscale-reader`,
        `kubernetes ${cluster.server} as smartscale-join-verifier`,
        `kubernetes ${cluster.server} as smartscale`,
        'kubernetes RBAC as smartscale-reader',
        'kubernetes RBAC as smartscale-join-verifier',
        'kubernetes RBAC as smartscale',
        'reconciler',
        `delivery to ${resources.prefix}-decider`,
        `delivery to ${resources.prefix}-spot-listener`,
      ]),
    );
    expect(
      report.findings.find((f) => f.check === `delivery to ${resources.prefix}-decider`),
    ).toMatchObject({
      detail: `from topic ${resources.prefix}-samples, topic ${resources.prefix}-events`,
    });
    // The worker network's template launches Amazon Linux 2023, as the guide asks.
    expect(report.findings.find((f) => f.check.startsWith('worker image ami-'))?.status).toBe('ok');
    // The Slack webhook is optional: a warning with the CLI v1 caveat, not a problem.
    const slack = report.findings.find((f) => f.check.endsWith('/slack/webhook-url'));
    expect(slack?.status).toBe('warning');
    expect(slack?.fix).toContain('cli_follow_urlparam');
  });

  it('names a missing parameter with the put-parameter command, and skips Kubernetes for it', async () => {
    await clients.ssm.send(new DeleteParameterCommand({ Name: parameter('kubeCa') }));
    try {
      const { code, report } = await doctor();
      expect(code).toBe(1);
      const missing = problems(report).find((f) => f.check === `parameter ${parameter('kubeCa')}`);
      expect(missing?.fix).toBe(
        `aws ssm put-parameter --type String --name ${parameter('kubeCa')} --value file://<file>`,
      );
      expect(problems(report).find((f) => f.check.startsWith('kubernetes'))?.detail).toContain(
        'parameter is missing',
      );
    } finally {
      await put(parameter('kubeCa'), readFileSync(cluster.caCert, 'utf8'), 'String');
    }
  });

  it('warns of a token stored with its trailing newline (the functions drop it)', async () => {
    await put(tokenParameter('join-verifier'), `${tokens['join-verifier']}\n`, 'SecureString');
    try {
      const { report } = await doctor();
      const found = report.findings.find((f) => f.check === 'kube token smartscale-join-verifier');
      expect(found?.status).toBe('warning');
      expect(found?.detail).toContain('trailing whitespace');
      expect(problems(report)).toEqual([]);
    } finally {
      await put(tokenParameter('join-verifier'), tokens['join-verifier'], 'SecureString');
    }
  });

  it("finds the writer's token stored as the reader's, and a token about to expire", async () => {
    await put(tokenParameter('reader'), tokens.writer, 'SecureString');
    try {
      const { code, report } = await doctor();
      expect(code).toBe(1);
      const found = problems(report).find(
        (f) => f.check === 'kubernetes RBAC as smartscale-reader',
      );
      expect(found?.detail).toBe(
        'also allows patch nodes: this is not a token of smartscale-system/smartscale-reader',
      );
    } finally {
      await put(tokenParameter('reader'), tokens.reader, 'SecureString');
    }
    // The local tokens live 24 h: ok against the 12-hour default, inside a
    // 48-hour warning window; each identity's parameter is checked for
    // expiry, not one token.
    const fresh = await doctor();
    const warned = await doctor('--token-warning-hours', '48');
    for (const sa of ['smartscale-reader', 'smartscale-join-verifier', 'smartscale']) {
      const check = `kube token ${sa} expiry`;
      expect(fresh.report.findings.find((f) => f.check === check)?.status, sa).toBe('ok');
      const expiry = warned.report.findings.find((f) => f.check === check);
      expect(expiry?.status, sa).toBe('warning');
      expect(expiry?.detail).toContain('under 48 h');
      expect(expiry?.fix).toContain(`smartscale-system/${sa})`);
    }
  });

  it('reports an unreachable Kubernetes API by its address', async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    const { code, report } = await doctor('--kube-api-url', closed);
    expect(code).toBe(1);
    const found = problems(report).find((f) => f.check === `kubernetes ${closed} as smartscale`);
    expect(found?.detail).toContain('not reachable');
    expect(found?.fix).toContain('SMARTSCALE_KUBE_API_URL');
  });

  it('reports a token the API server refuses', async () => {
    await put(tokenParameter('writer'), 'not-a-token', 'SecureString');
    try {
      const { report: denied } = await doctor();
      expect(
        problems(denied).find((f) => f.check === `kubernetes ${cluster.server} as smartscale`)
          ?.detail,
      ).toMatch(/not reachable with the autoscaler's credentials \(401/);
      // The other identities are checked on their own tokens and pass.
      expect(
        problems(denied)
          .filter((f) => f.check.startsWith('kubernetes'))
          .map((f) => f.check),
      ).toEqual([`kubernetes ${cluster.server} as smartscale`]);
    } finally {
      await put(tokenParameter('writer'), tokens.writer, 'SecureString');
    }
  });

  it('reports a launch template without IMDSv2', async () => {
    const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const lt = await clients.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: `${resources.prefix}-imdsv1`,
        LaunchTemplateData: { ImageId: images.Images?.[0]?.ImageId, InstanceType: 't3.medium' },
      }),
    );
    const id = lt.LaunchTemplate?.LaunchTemplateId ?? '';
    const { code, report } = await doctor('--launch-template', id);
    expect(code).toBe(1);
    const found = problems(report).find((f) => f.check === `launch template ${id}`);
    expect(found?.detail).toContain('HttpTokens=optional');
    expect(found?.fix).toContain('HttpTokens=required');
  });

  it("names each missing rule of the workers' security group, and a template without one", async () => {
    const sg = network.workerSecurityGroupId;
    const server = network.serverSecurityGroupId;
    const rule = (source: string, protocol: string, port: number) => ({
      GroupId: sg,
      IpPermissions: [
        {
          IpProtocol: protocol,
          FromPort: port,
          ToPort: port,
          UserIdGroupPairs: [{ GroupId: source }],
        },
      ],
    });
    const check = `worker security groups of ${network.launchTemplateId}`;
    await clients.ec2.send(new RevokeSecurityGroupIngressCommand(rule(server, 'tcp', 9100)));
    await clients.ec2.send(new RevokeSecurityGroupIngressCommand(rule(sg, 'udp', 8472)));
    try {
      const { code, report } = await doctor();
      expect(code).toBe(1);
      const found = problems(report)
        .filter((f) => f.check === check)
        .map((f) => f.detail);
      expect(found).toEqual([
        expect.stringContaining('no inbound 8472/udp (flannel VXLAN) from the workers'),
        expect.stringContaining(`no inbound 9100/tcp (node-exporter) from the server ${server}`),
      ]);
      // The kubelet rule is still there, so it is not named.
      expect(found.join(' ')).not.toContain('10250');
    } finally {
      await clients.ec2.send(new AuthorizeSecurityGroupIngressCommand(rule(server, 'tcp', 9100)));
      await clients.ec2.send(new AuthorizeSecurityGroupIngressCommand(rule(sg, 'udp', 8472)));
    }

    const images = await clients.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }));
    const bare = await clients.ec2.send(
      new CreateLaunchTemplateCommand({
        LaunchTemplateName: 'doctor-no-security-group',
        LaunchTemplateData: {
          ImageId: images.Images?.[0]?.ImageId,
          MetadataOptions: { HttpTokens: 'required' },
        },
      }),
    );
    const id = bare.LaunchTemplate?.LaunchTemplateId ?? '';
    const { report } = await doctor('--launch-template', id);
    expect(
      problems(report).find((f) => f.check === `worker security groups of ${id}`)?.detail,
    ).toContain('names no security group');
  });

  it('refuses a server security group that is not an id', async () => {
    await expect(doctor('--server-security-group', 'my-server')).rejects.toThrow(
      /--server-security-group: expected a security group id like sg-0abc1234, got 'my-server'/,
    );
  });

  it('reports a public worker subnet and a subnet in the wrong zone', async () => {
    const [a, b] = network.subnets;
    if (!a || !b) throw new Error('expected two subnets');
    await clients.ec2.send(
      new ModifySubnetAttributeCommand({
        SubnetId: a.subnetId,
        MapPublicIpOnLaunch: { Value: true },
      }),
    );
    try {
      const { report } = await doctor(
        '--subnets',
        `${a.zone}=${a.subnetId},us-east-1c=${b.subnetId}`,
      );
      const found = Object.fromEntries(problems(report).map((f) => [f.check, f.detail]));
      expect(found[`subnet ${a.subnetId}`]).toContain('public IP');
      expect(found[`subnet ${b.subnetId}`]).toBe('is in us-east-1b, expected us-east-1c');
    } finally {
      await clients.ec2.send(
        new ModifySubnetAttributeCommand({
          SubnetId: a.subnetId,
          MapPublicIpOnLaunch: { Value: false },
        }),
      );
    }
  });

  it('reports a worker subnet whose default route does not lead to a NAT gateway', async () => {
    const [a, b] = network.subnets;
    if (!a || !b) throw new Error('expected two subnets');
    const healthy = await doctor();
    expect(healthy.report.findings.find((f) => f.check === `subnet ${a.subnetId}`)?.detail).toMatch(
      /0\.0\.0\.0\/0 via nat-/,
    );
    // Back on the VPC's main table, which has only the local route.
    await clients.ec2.send(
      new DisassociateRouteTableCommand({ AssociationId: natRoutes.associations.get(a.subnetId) }),
    );
    try {
      const { code, report } = await doctor();
      expect(code).toBe(1);
      const found = problems(report).find((f) => f.check === `subnet ${a.subnetId}`);
      expect(found?.detail).toContain('has no route 0.0.0.0/0 to a NAT gateway');
      expect(found?.detail).toContain('JoinFailed');
      expect(found?.fix).toContain('aws ec2 create-route');
      expect(problems(report).find((f) => f.check === `subnet ${b.subnetId}`)).toBeUndefined();
    } finally {
      const again = await clients.ec2.send(
        new AssociateRouteTableCommand({ RouteTableId: natRoutes.tableId, SubnetId: a.subnetId }),
      );
      natRoutes.associations.set(a.subnetId, again.AssociationId ?? '');
    }
  });

  it('reports a dead-lettered message and a deleted queue by name', async () => {
    const dlq = await clients.sqs.send(
      new GetQueueUrlCommand({ QueueName: `${resources.prefix}-notifier-dlq` }),
    );
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: dlq.QueueUrl, MessageBody: '{}' }));
    await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: resources.queues.drainer.url }));
    const { code, report } = await doctor();
    expect(code).toBe(1);
    const found = Object.fromEntries(problems(report).map((f) => [f.check, f]));
    expect(found[`queue ${resources.prefix}-notifier-dlq`]?.fix).toContain(
      'npx smartscale dlq replay notifier',
    );
    expect(found[`queue ${resources.prefix}-drainer`]?.detail).toMatch(/^not found/);
    expect(found[`queue ${resources.prefix}-drainer`]?.fix).toContain(
      `npx sst deploy --stage ${resources.prefix.slice('smartscale-'.length)}`,
    );
  });

  it('names a queue that gets nothing: a subscription gone, one wrapped or filtered, a policy that forgot a sender', async () => {
    const arnOf = async (url: string) =>
      (
        await clients.sqs.send(
          new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }),
        )
      ).Attributes?.QueueArn ?? '';
    const subscriptionTo = async (topicArn: string, queueUrl: string) => {
      const queueArn = await arnOf(queueUrl);
      const subs = await clients.sns.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn }),
      );
      return subs.Subscriptions?.find((x) => x.Endpoint === queueArn)?.SubscriptionArn ?? '';
    };
    const commands = resources.topics.commands;
    // The decider: someone unsubscribed it from the samples topic.
    await clients.sns.send(
      new UnsubscribeCommand({
        SubscriptionArn: await subscriptionTo(
          resources.topics.samples,
          resources.queues.decider.url,
        ),
      }),
    );
    // The provisioner: raw delivery turned off.
    await clients.sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: await subscriptionTo(commands, resources.queues.provisioner.url),
        AttributeName: 'RawMessageDelivery',
        AttributeValue: 'false',
      }),
    );
    // The join verifier: its filter lost VerifyJoin.
    await clients.sns.send(
      new SetSubscriptionAttributesCommand({
        SubscriptionArn: await subscriptionTo(commands, resources.queues['join-verifier'].url),
        AttributeName: 'FilterPolicy',
        AttributeValue: JSON.stringify({ type: ['ScaleUp'] }),
      }),
    );
    // The spot listener: a policy that names no rule.
    const spotQueue = resources.queues['spot-listener'].url;
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: spotQueue,
        Attributes: {
          Policy: queueSendPolicy(await arnOf(spotQueue), { topicArns: [], ruleArns: [] }),
        },
      }),
    );

    const { code, report } = await doctor();

    expect(code).toBe(1);
    const found = Object.fromEntries(problems(report).map((f) => [f.check, f.detail]));
    const prefix = resources.prefix;
    expect(found[`delivery to ${prefix}-decider`]).toBe(
      `not subscribed to ${resources.topics.samples}: its messages are dropped or dead-lettered before SmartScale sees them`,
    );
    expect(found[`delivery to ${prefix}-provisioner`]).toContain('raw message delivery off');
    expect(found[`delivery to ${prefix}-join-verifier`]).toContain(
      `its subscription to ${commands} filters out VerifyJoin`,
    );
    expect(found[`delivery to ${prefix}-spot-listener`]).toMatch(
      new RegExp(`^its policy does not let arn:aws:events:[^ ]+:rule/${prefix}-[a-z-]+ send; `),
    );
    // The notifier's subscriptions and policy were left alone.
    expect(report.findings.find((f) => f.check === `delivery to ${prefix}-notifier`)?.status).toBe(
      'ok',
    );
  });
});
