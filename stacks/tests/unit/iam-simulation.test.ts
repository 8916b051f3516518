// Least privilege proven by evaluation (issue #21): each function's policy,
// generated exactly as the deployment attaches it (iamFor + policyDocument),
// is evaluated by an IAM policy simulator against a table of requests: what
// each function must be allowed and what it must be denied. Shape checks
// (iam.test.ts) cannot catch a condition that never applies; evaluation can.
//
// @cloud-copilot/iam-simulate evaluates identity policies with every
// condition operator offline, and validates each request's action, resource
// type and context keys against AWS's published IAM data, so a condition key
// EC2 does not send for that resource fails the test instead of passing it.
// It is AGPL-3.0: a test-only devDependency, never bundled into a function.
import { type EvaluationResult, runSimulation } from '@cloud-copilot/iam-simulate';
import { describe, expect, it } from 'vitest';
import { iamFor, policyDocument, serverInstanceIam, serverWrittenParameters } from '../../iam.ts';
import {
  kubeIdentities,
  names,
  type ParameterName,
  type QueueName,
  type ServiceName,
  ServiceNames,
  topology,
} from '../../topology.ts';
import {
  account,
  clusterId,
  parameterKey,
  prefix,
  region,
  resolver,
  templateArn,
  topicKey,
} from './simulation.ts';

const DEFAULT_KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'Enable IAM User Permissions',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: 'kms:*',
      Resource: '*',
    },
  ],
};

type Context = Record<string, string | string[]>;

async function evaluate(
  service: ServiceName,
  action: string,
  resource: string,
  contextVariables: Context = {},
): Promise<EvaluationResult> {
  const response = await runSimulation(
    {
      identityPolicies: [
        { name: `${service}-policy`, policy: policyDocument(iamFor(service, resolver)) },
      ],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // A KMS key answers only through its key policy; the default one lets
      // the account's IAM policies decide, which is what is under test.
      ...(action.startsWith('kms:') ? { resourcePolicy: DEFAULT_KEY_POLICY } : {}),
      request: {
        principal: `arn:aws:sts::${account}:assumed-role/${prefix}-${service}/fn`,
        action,
        resource: { resource, accountId: account },
        contextVariables,
      },
    },
    {},
  );
  if (response.resultType === 'error')
    throw new Error(
      `the simulator refused ${action} on ${resource} for ${service}: ${JSON.stringify(response.errors)}`,
    );
  return response.overallResult;
}

const ec2 = (type: string, id: string) => `arn:aws:ec2:${region}:${account}:${type}/${id}`;

interface Launch {
  template: string;
  image: string;
  subnet: string;
  securityGroup: string;
  instanceType: string;
  tags: Record<string, string>;
  httpTokens: 'required' | 'optional';
  spot: boolean;
}

const goodLaunch: Launch = {
  template: templateArn,
  image: `arn:aws:ec2:${region}::image/ami-0aaaaaaaaaaaaaaaa`,
  subnet: ec2('subnet', 'subnet-0bbbbbbbbbbbbbbbb'),
  securityGroup: ec2('security-group', 'sg-0aaaaaaaaaaaaaaaa'),
  instanceType: 't3.medium',
  tags: { 'smartscale:cluster': clusterId, 'smartscale:managed': 'true' },
  httpTokens: 'required',
  spot: true,
};

/**
 * A RunInstances as EC2 authorizes it: once per resource it uses or
 * creates, each with that resource's context keys, plus CreateTags on each
 * resource tagged at launch. It succeeds only if every one is allowed; the
 * result lists the ones that were not.
 */
async function launch(service: ServiceName, l: Launch): Promise<string[]> {
  const requestTags: Context = Object.fromEntries(
    Object.entries(l.tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]),
  );
  const tagKeys = { 'aws:TagKeys': Object.keys(l.tags) };
  const fromTemplate = { 'ec2:LaunchTemplate': l.template, 'ec2:IsLaunchTemplateResource': 'true' };
  const checks: [string, string, Context][] = [
    ['ec2:RunInstances', l.template, {}],
    ['ec2:RunInstances', l.image, fromTemplate],
    ['ec2:RunInstances', l.subnet, fromTemplate],
    ['ec2:RunInstances', l.securityGroup, fromTemplate],
    [
      'ec2:RunInstances',
      ec2('instance', '*'),
      {
        ...fromTemplate,
        ...requestTags,
        ...tagKeys,
        'ec2:InstanceType': l.instanceType,
        'ec2:MetadataHttpTokens': l.httpTokens,
        'ec2:InstanceMarketType': l.spot ? 'spot' : 'on-demand',
      },
    ],
    ['ec2:RunInstances', ec2('volume', '*'), { ...fromTemplate, ...requestTags, ...tagKeys }],
    ['ec2:RunInstances', ec2('network-interface', '*'), fromTemplate],
    ...(l.spot
      ? ([['ec2:RunInstances', ec2('spot-instances-request', '*'), {}]] as [
          string,
          string,
          Context,
        ][])
      : []),
    ...(['instance', 'volume'] as const).map(
      (type) =>
        [
          'ec2:CreateTags',
          ec2(type, '*'),
          { 'ec2:CreateAction': 'RunInstances', ...requestTags, ...tagKeys },
        ] as [string, string, Context],
    ),
  ];
  const denied: string[] = [];
  for (const [action, resource, context] of checks) {
    if ((await evaluate(service, action, resource, context)) !== 'Allowed')
      denied.push(`${action} ${resource}`);
  }
  return denied;
}

/**
 * A CreateFleet of type instant as EC2 authorizes it: CreateFleet on the
 * fleet (tagged), the template, the subnets, and the instances it
 * launches (tagged, of a type), CreateTags on the fleet and instances with
 * ec2:CreateAction CreateFleet, and the RunInstances the fleet makes on the
 * caller's behalf (its volumes carry no request tags: CreateFleet cannot tag
 * them). Returns what was denied.
 */
async function fleetLaunch(service: ServiceName, l: Launch): Promise<string[]> {
  const requestTags: Context = Object.fromEntries(
    Object.entries(l.tags).map(([k, v]) => [`aws:RequestTag/${k}`, v]),
  );
  const tagKeys = { 'aws:TagKeys': Object.keys(l.tags) };
  const fromTemplate = { 'ec2:LaunchTemplate': l.template, 'ec2:IsLaunchTemplateResource': 'true' };
  const checks: [string, string, Context][] = [
    ['ec2:CreateFleet', ec2('fleet', '*'), { ...requestTags, ...tagKeys }],
    // CreateFleet's own resources (IAM data: no image or security group,
    // those are authorized by the RunInstances beneath).
    ['ec2:CreateFleet', l.template, {}],
    ['ec2:CreateFleet', l.subnet, {}],
    ['ec2:CreateFleet', ec2('volume', '*'), {}],
    [
      'ec2:CreateFleet',
      ec2('instance', '*'),
      { ...requestTags, ...tagKeys, 'ec2:InstanceType': l.instanceType },
    ],
    ['ec2:RunInstances', l.template, {}],
    ['ec2:RunInstances', l.image, fromTemplate],
    ['ec2:RunInstances', l.subnet, fromTemplate],
    ['ec2:RunInstances', l.securityGroup, fromTemplate],
    [
      'ec2:RunInstances',
      ec2('instance', '*'),
      {
        ...fromTemplate,
        ...requestTags,
        ...tagKeys,
        'ec2:InstanceType': l.instanceType,
        'ec2:MetadataHttpTokens': l.httpTokens,
        'ec2:InstanceMarketType': l.spot ? 'spot' : 'on-demand',
      },
    ],
    ['ec2:RunInstances', ec2('volume', '*'), fromTemplate],
    ['ec2:RunInstances', ec2('network-interface', '*'), fromTemplate],
    ...(['fleet', 'instance'] as const).map(
      (type) =>
        [
          'ec2:CreateTags',
          ec2(type, '*'),
          { 'ec2:CreateAction': 'CreateFleet', ...requestTags, ...tagKeys },
        ] as [string, string, Context],
    ),
  ];
  const denied: string[] = [];
  for (const [action, resource, context] of checks) {
    if ((await evaluate(service, action, resource, context)) !== 'Allowed')
      denied.push(`${action} ${resource}`);
  }
  return denied;
}

describe('the provisioner launches instant fleets of workers and nothing else', () => {
  it('may launch a tagged fleet from the template, on-demand or spot', async () => {
    expect(await fleetLaunch('provisioner', goodLaunch)).toEqual([]);
    expect(await fleetLaunch('provisioner', { ...goodLaunch, spot: false })).toEqual([]);
  });

  it.each([
    [
      'another launch template',
      { template: ec2('launch-template', 'lt-0ffffffffffffffff') },
      'ec2:CreateFleet arn:aws:ec2:eu-west-1:123456789012:launch-template/lt-0ffffffffffffffff',
    ],
    [
      'another subnet',
      { subnet: ec2('subnet', 'subnet-0ffffffffffffffff') },
      'ec2:CreateFleet arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0ffffffffffffffff',
    ],
    [
      'no cluster tag',
      { tags: { 'smartscale:managed': 'true' } },
      `ec2:CreateFleet ${ec2('fleet', '*')}`,
    ],
    [
      "another cluster's tag",
      { tags: { 'smartscale:cluster': 'staging', 'smartscale:managed': 'true' } },
      `ec2:CreateFleet ${ec2('fleet', '*')}`,
    ],
    [
      'an instance type the policy does not name',
      { instanceType: 'p5.48xlarge' },
      `ec2:CreateFleet ${ec2('instance', '*')}`,
    ],
  ] as [string, Partial<Launch>, string][])(
    'may not with %s',
    async (_what, change, deniedCheck) => {
      const denied = await fleetLaunch('provisioner', { ...goodLaunch, ...change });
      expect(denied, denied.join('; ')).toContain(deniedCheck);
    },
  );

  it('no other function may create a fleet', async () => {
    for (const service of ServiceNames.filter((s) => s !== 'provisioner'))
      expect(await fleetLaunch(service, goodLaunch), service).toContain(
        `ec2:CreateFleet ${ec2('fleet', '*')}`,
      );
  });

  it('may not tag an existing instance by claiming CreateFleet', async () => {
    expect(
      await evaluate('provisioner', 'ec2:CreateTags', ec2('instance', 'i-0server'), {
        'aws:RequestTag/smartscale:cluster': clusterId,
        'aws:TagKeys': ['smartscale:cluster'],
      }),
    ).toBe('ImplicitlyDenied');
  });
});

describe('the provisioner launches workers and nothing else', () => {
  it('may launch a tagged worker from the template, on-demand or spot', async () => {
    expect(await launch('provisioner', goodLaunch)).toEqual([]);
    expect(await launch('provisioner', { ...goodLaunch, spot: false })).toEqual([]);
  });

  const refused: [string, Partial<Launch>, string][] = [
    [
      'another launch template',
      { template: ec2('launch-template', 'lt-0ffffffffffffffff') },
      'launch-template/lt-0ffffffffffffffff',
    ],
    [
      'another AMI',
      { image: `arn:aws:ec2:${region}::image/ami-0fffffffffffffff0` },
      'image/ami-0fffffffffffffff0',
    ],
    [
      'another subnet',
      { subnet: ec2('subnet', 'subnet-0ffffffffffffffff') },
      'subnet/subnet-0ffffffffffffffff',
    ],
    [
      'another security group',
      { securityGroup: ec2('security-group', 'sg-0ffffffffffffffff') },
      'security-group/sg-0ffffffffffffffff',
    ],
    ['an instance type the policy does not name', { instanceType: 'p5.48xlarge' }, 'instance/*'],
    ['IMDSv1 allowed', { httpTokens: 'optional' }, 'instance/*'],
    ['no cluster tag', { tags: { 'smartscale:managed': 'true' } }, 'instance/*'],
    [
      "another cluster's tag",
      { tags: { 'smartscale:cluster': 'staging', 'smartscale:managed': 'true' } },
      'instance/*',
    ],
  ];
  it.each(refused)('may not launch with %s', async (_what, change, deniedResource) => {
    const denied = await launch('provisioner', { ...goodLaunch, ...change });
    expect(
      denied.some((d) => d.startsWith('ec2:RunInstances') && d.endsWith(deniedResource)),
      denied.join('; '),
    ).toBe(true);
  });

  it('may not tag an existing instance (the K3s server, a database) with the cluster tag', async () => {
    const tagCluster = {
      'aws:RequestTag/smartscale:cluster': clusterId,
      'aws:TagKeys': ['smartscale:cluster'],
    };
    expect(
      await evaluate('provisioner', 'ec2:CreateTags', ec2('instance', 'i-0server'), tagCluster),
    ).toBe('ImplicitlyDenied');
    // Also not by claiming another creating action.
    expect(
      await evaluate('provisioner', 'ec2:CreateTags', ec2('instance', 'i-0server'), {
        ...tagCluster,
        'ec2:CreateAction': 'CreateVolume',
      }),
    ).toBe('ImplicitlyDenied');
  });

  it('may pass only the workers role, and only to EC2', async () => {
    const worker = `arn:aws:iam::${account}:role/smartscale-worker`;
    expect(
      await evaluate('provisioner', 'iam:PassRole', worker, {
        'iam:PassedToService': 'ec2.amazonaws.com',
      }),
    ).toBe('Allowed');
    expect(
      await evaluate('provisioner', 'iam:PassRole', `arn:aws:iam::${account}:role/admin`, {
        'iam:PassedToService': 'ec2.amazonaws.com',
      }),
    ).toBe('ImplicitlyDenied');
    expect(
      await evaluate('provisioner', 'iam:PassRole', worker, {
        'iam:PassedToService': 'lambda.amazonaws.com',
      }),
    ).toBe('ImplicitlyDenied');
  });

  it.each(ServiceNames.filter((s) => s !== 'provisioner'))(
    '%s may not launch or tag at all',
    async (service) => {
      const denied = await launch(service, goodLaunch);
      expect(denied.length).toBeGreaterThan(0);
      expect(denied.filter((d) => d.startsWith('ec2:CreateTags'))).toHaveLength(2);
    },
  );
});

const TERMINATORS: ServiceName[] = ['join-verifier', 'drainer', 'reconciler'];

describe('only SmartScale workers of this cluster can be terminated', () => {
  const worker = ec2('instance', 'i-0worker');
  const tagged = (tags: Record<string, string>): Context =>
    Object.fromEntries(Object.entries(tags).map(([k, v]) => [`aws:ResourceTag/${k}`, v]));
  const ours = tagged({ 'smartscale:cluster': clusterId, 'smartscale:managed': 'true' });

  it.each(ServiceNames)('%s', async (service) => {
    const may = TERMINATORS.includes(service);
    expect(await evaluate(service, 'ec2:TerminateInstances', worker, ours)).toBe(
      may ? 'Allowed' : 'ImplicitlyDenied',
    );
    // Untagged, another cluster's, and this cluster's server (cluster tag, not managed).
    for (const context of [
      {},
      tagged({ 'smartscale:cluster': 'staging', 'smartscale:managed': 'true' }),
      tagged({ 'smartscale:cluster': clusterId }),
    ])
      expect(
        await evaluate(service, 'ec2:TerminateInstances', worker, context),
        JSON.stringify(context),
      ).toBe('ImplicitlyDenied');
  });
});

// Who may touch each message resource and parameter, written out here on
// purpose (not read from topology.ts), so a grant that creeps in fails.
const PUBLISHERS: Record<'samples' | 'commands' | 'events', ServiceName[]> = {
  samples: ['sampler'],
  commands: ['decider', 'spot-listener'],
  events: ['decider', 'provisioner', 'join-verifier', 'drainer', 'spot-listener', 'reconciler'],
};
/** Queues a service sends to itself or another (delayed re-delivery), besides DLQs. */
const SENDERS: Partial<Record<QueueName, ServiceName[]>> = {
  'join-verifier': ['provisioner', 'join-verifier'],
  drainer: ['drainer'],
};
const PUBLISHES = new Set(Object.values(PUBLISHERS).flat());
const KUBE_USERS: ServiceName[] = [
  'sampler',
  'join-verifier',
  'drainer',
  'spot-listener',
  'reconciler',
];
const READERS: Record<ParameterName, ServiceName[]> = {
  joinToken: [],
  slackWebhook: ['notifier'],
  kubeTokenReader: ['sampler', 'spot-listener'],
  kubeTokenJoinVerifier: ['join-verifier'],
  kubeTokenWriter: ['drainer', 'reconciler'],
  kubeCa: KUBE_USERS,
};

// Which Nodes are ours is their instances' EC2 tags (issue #21 item 9): the
// functions that act on Nodes read them, the decider to choose a victim. The
// sampler does not (its watch mode runs on the K3s server's role), nor the
// notifier; reading gives no right to terminate.
const READS_INSTANCES: ServiceName[] = [
  'decider',
  'provisioner',
  'join-verifier',
  'drainer',
  'spot-listener',
  'reconciler',
];

describe('reading which instances are ours', () => {
  it.each(ServiceNames)('%s: ec2:DescribeInstances', async (service) => {
    expect(await evaluate(service, 'ec2:DescribeInstances', '*')).toBe(
      READS_INSTANCES.includes(service) ? 'Allowed' : 'ImplicitlyDenied',
    );
  });

  it('the decider reads instances but may not terminate or tag one', async () => {
    const worker = ec2('instance', 'i-0aaaaaaaaaaaaaaaa');
    const ours = {
      'aws:ResourceTag/smartscale:cluster': clusterId,
      'aws:ResourceTag/smartscale:managed': 'true',
    };
    expect(await evaluate('decider', 'ec2:TerminateInstances', worker, ours)).toBe(
      'ImplicitlyDenied',
    );
    expect(await evaluate('decider', 'ec2:CreateTags', worker)).toBe('ImplicitlyDenied');
  });

  it('only the decider reads Spot prices (it weighs several instance types)', async () => {
    for (const service of ServiceNames)
      expect(await evaluate(service, 'ec2:DescribeSpotPriceHistory', '*'), service).toBe(
        service === 'decider' ? 'Allowed' : 'ImplicitlyDenied',
      );
  });
});

describe("no function reaches another one's queue, topic or parameter", () => {
  const queueNames = Object.keys(topology.queues) as QueueName[];
  const parameterNames = Object.keys(topology.parameters) as ParameterName[];
  const expected = (yes: boolean): EvaluationResult => (yes ? 'Allowed' : 'ImplicitlyDenied');

  it.each(ServiceNames)('%s: topics', async (service) => {
    for (const topic of Object.keys(PUBLISHERS) as (keyof typeof PUBLISHERS)[])
      expect(
        await evaluate(service, 'sns:Publish', resolver.arn({ kind: 'topic', name: topic })),
        topic,
      ).toBe(expected(PUBLISHERS[topic].includes(service)));
  });

  it.each(ServiceNames)('%s: queues and dead-letter queues', async (service) => {
    for (const queue of queueNames) {
      const own = topology.queues[queue].consumer === service;
      const url = resolver.arn({ kind: 'queue', name: queue });
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage'])
        expect(await evaluate(service, action, url), `${action} ${queue}`).toBe(expected(own));
      expect(await evaluate(service, 'sqs:SendMessage', url), `send ${queue}`).toBe(
        expected(SENDERS[queue]?.includes(service) ?? false),
      );
      const dlq = resolver.arn({ kind: 'dlq', name: queue });
      expect(await evaluate(service, 'sqs:SendMessage', dlq), `send ${queue}-dlq`).toBe(
        expected(own),
      );
      expect(await evaluate(service, 'sqs:ReceiveMessage', dlq), `receive ${queue}-dlq`).toBe(
        'ImplicitlyDenied',
      );
    }
  });

  it.each(ServiceNames)('%s: parameters, and their key only through SSM', async (service) => {
    for (const parameter of parameterNames) {
      const arn = resolver.arn({ kind: 'parameter', name: parameter });
      expect(await evaluate(service, 'ssm:GetParameter', arn), parameter).toBe(
        expected(READERS[parameter].includes(service)),
      );
      expect(await evaluate(service, 'ssm:PutParameter', arn), `put ${parameter}`).toBe(
        'ImplicitlyDenied',
      );
    }
    const decrypts = ['notifier', ...KUBE_USERS].includes(service);
    const viaSsm = { 'kms:ViaService': `ssm.${region}.amazonaws.com` };
    expect(await evaluate(service, 'kms:Decrypt', parameterKey, viaSsm)).toBe(expected(decrypts));
    expect(
      await evaluate(service, 'kms:Decrypt', parameterKey, {
        'kms:ViaService': `s3.${region}.amazonaws.com`,
      }),
    ).toBe('ImplicitlyDenied');
    // Only the parameters' key (issue #21 finding 11: it was key/*).
    for (const other of [
      topicKey,
      `arn:aws:kms:${region}:${account}:key/0000abcd-0000-0000-0000-000000000000`,
    ])
      expect(await evaluate(service, 'kms:Decrypt', other, viaSsm), other).toBe('ImplicitlyDenied');
  });

  it('with the AWS managed aws/ssm key on the parameters, no function is granted any KMS key for SSM', () => {
    const { parameterKeyArn: _, ...managed } = resolver;
    for (const service of ServiceNames)
      expect(
        iamFor(service, managed).filter((s) =>
          s.conditions?.some((c) => c.values.includes(`ssm.${region}.amazonaws.com`)),
        ),
        service,
      ).toEqual([]);
  });

  it.each(ServiceNames)(
    '%s: the topic key, for publishing only, through SNS only',
    async (service) => {
      const viaSns = { 'kms:ViaService': `sns.${region}.amazonaws.com` };
      for (const action of ['kms:GenerateDataKey', 'kms:Decrypt'])
        expect(await evaluate(service, action, topicKey, viaSns), action).toBe(
          expected(PUBLISHES.has(service)),
        );
      expect(
        await evaluate(service, 'kms:Decrypt', topicKey, {
          'kms:ViaService': `ssm.${region}.amazonaws.com`,
        }),
      ).toBe('ImplicitlyDenied');
      // That key only: not another stage's topic key, not the parameters' key.
      for (const other of [
        `arn:aws:kms:${region}:${account}:key/0000abcd-0000-0000-0000-000000000000`,
        parameterKey,
      ])
        expect(await evaluate(service, 'kms:GenerateDataKey', other, viaSns), other).toBe(
          'ImplicitlyDenied',
        );
      for (const action of ['kms:Encrypt', 'kms:ReEncryptFrom', 'kms:CreateGrant'])
        expect(await evaluate(service, action, topicKey, viaSns), action).toBe('ImplicitlyDenied');
    },
  );

  // The rows of issue #21 item 3 spelled out: a token that cordons, evicts
  // and deletes Nodes is out of reach of the services that only read.
  it.each([
    ['sampler', 'kubeTokenWriter'],
    ['sampler', 'kubeTokenJoinVerifier'],
    ['spot-listener', 'kubeTokenWriter'],
    ['join-verifier', 'kubeTokenWriter'],
    ['join-verifier', 'kubeTokenReader'],
    ['drainer', 'kubeTokenReader'],
    ['reconciler', 'kubeTokenJoinVerifier'],
    ['decider', 'kubeTokenReader'],
    ['notifier', 'kubeTokenWriter'],
  ] as [ServiceName, ParameterName][])('the %s cannot read %s', async (service, parameter) => {
    expect(
      await evaluate(
        service,
        'ssm:GetParameter',
        resolver.arn({ kind: 'parameter', name: parameter }),
      ),
    ).toBe('ImplicitlyDenied');
  });

  it('the sampler can read the reader token, the drainer the writer token', async () => {
    for (const [service, parameter] of [
      ['sampler', 'kubeTokenReader'],
      ['drainer', 'kubeTokenWriter'],
      ['join-verifier', 'kubeTokenJoinVerifier'],
    ] as [ServiceName, ParameterName][])
      expect(
        await evaluate(
          service,
          'ssm:GetParameter',
          resolver.arn({ kind: 'parameter', name: parameter }),
        ),
        `${service} ${parameter}`,
      ).toBe('Allowed');
  });

  it('the audit log is appended by the decider and the reconciler only, and read by none', async () => {
    const audit = resolver.arn({ kind: 'table', name: 'audit' });
    for (const service of ServiceNames) {
      expect(await evaluate(service, 'dynamodb:PutItem', audit), service).toBe(
        expected(service === 'decider' || service === 'reconciler'),
      );
      for (const action of ['dynamodb:Query', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'])
        expect(await evaluate(service, action, audit), `${service} ${action}`).toBe(
          'ImplicitlyDenied',
        );
    }
  });
});

// The claim-check bucket (issue #17): the sampler may put samples, the
// decider read them back (and list within the prefix, so a missing object
// is NoSuchKey rather than AccessDenied); nobody else touches it, and
// neither reaches past `samples/` or into another bucket.
describe('the samples bucket', () => {
  const bucket = `arn:aws:s3:::${names.bucket(prefix, 'samples')}`;
  const sample = `${bucket}/samples/${clusterId}/01JZ0000000000000000000000.json`;
  const outside = `${bucket}/audit/${clusterId}/x.json`;
  const otherBucket = 'arn:aws:s3:::someone-elses-bucket/samples/x.json';
  const expected = (yes: boolean): EvaluationResult => (yes ? 'Allowed' : 'ImplicitlyDenied');

  it.each(ServiceNames)('%s', async (service) => {
    expect(await evaluate(service, 's3:PutObject', sample), 'put a sample').toBe(
      expected(service === 'sampler'),
    );
    expect(await evaluate(service, 's3:GetObject', sample), 'get a sample').toBe(
      expected(service === 'decider'),
    );
    expect(
      await evaluate(service, 's3:ListBucket', bucket, { 's3:prefix': `samples/${clusterId}/` }),
      'list within samples/',
    ).toBe(expected(service === 'decider'));
    expect(
      await evaluate(service, 's3:ListBucket', bucket, { 's3:prefix': '' }),
      'list the whole bucket',
    ).toBe('ImplicitlyDenied');
    for (const action of ['s3:PutObject', 's3:GetObject', 's3:DeleteObject'])
      for (const resource of [outside, otherBucket])
        expect(await evaluate(service, action, resource), `${action} ${resource}`).toBe(
          'ImplicitlyDenied',
        );
    expect(await evaluate(service, 's3:DeleteObject', sample), 'delete a sample').toBe(
      'ImplicitlyDenied',
    );
  });
});

// Issue #22 finding 2: the guide uploads the join token, the three identity
// tokens and the CA from the K3s server with its instance role. That role
// may write exactly those parameters of its own stage, and nothing else.
describe("the K3s server's instance role (serverInstanceIam)", () => {
  async function server(action: string, resource: string): Promise<EvaluationResult> {
    const response = await runSimulation(
      {
        identityPolicies: [
          { name: 'k3s-server', policy: policyDocument(serverInstanceIam(resolver)) },
        ],
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        request: {
          principal: `arn:aws:sts::${account}:assumed-role/k3s-server/i-0123456789abcdef0`,
          action,
          resource: { resource, accountId: account },
          contextVariables: {},
        },
      },
      {},
    );
    if (response.resultType === 'error')
      throw new Error(
        `the simulator refused ${action} on ${resource}: ${JSON.stringify(response.errors)}`,
      );
    return response.overallResult;
  }
  const arnOf = (name: ParameterName) => resolver.arn({ kind: 'parameter', name });

  it.each(serverWrittenParameters)('may put %s and not read or delete it', async (parameter) => {
    expect(await server('ssm:PutParameter', arnOf(parameter))).toBe('Allowed');
    expect(await server('ssm:GetParameter', arnOf(parameter))).toBe('ImplicitlyDenied');
    expect(await server('ssm:DeleteParameter', arnOf(parameter))).toBe('ImplicitlyDenied');
  });

  it('writes every Kubernetes identity token the functions read, and the CA', () => {
    const read = new Set(Object.values(kubeIdentities).map((i) => i.parameter));
    for (const parameter of read) expect(serverWrittenParameters).toContain(parameter);
    expect(serverWrittenParameters).toContain('kubeCa');
  });

  it('may not write the Slack webhook, another stage, or a path beside its own', async () => {
    expect(await server('ssm:PutParameter', arnOf('slackWebhook'))).toBe('ImplicitlyDenied');
    const own = arnOf('joinToken');
    for (const other of [
      own.replace(`/${prefix}/`, '/smartscale-staging/'),
      `${own}-copy`,
      own.replace('/k3s/join-token', '/k3s/anything'),
      `arn:aws:ssm:${region}:210987654321:parameter/${prefix}/k3s/join-token`,
    ])
      expect(await server('ssm:PutParameter', other), other).toBe('ImplicitlyDenied');
  });
});
