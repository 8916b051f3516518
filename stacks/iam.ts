// Maps the topology's per-service permissions to IAM statements. Pure, so
// the least-privilege test can read exactly what the deployment will grant.

import { type Config, parseConfig } from '@smartscale/core';
import {
  type ParameterName,
  type PermissionSpec,
  type ResourceRef,
  type ServiceName,
  ServiceNames,
  topology,
} from './topology.ts';

/** An IAM statement as SST's `permissions` takes it. */
export interface IamStatement {
  readonly actions: string[];
  readonly resources: string[];
  readonly conditions?: { test: string; variable: string; values: string[] }[];
}

/**
 * What a worker launch may use, all named by the deployment: RunInstances is
 * granted on these exact resources and on nothing else.
 */
export interface LaunchScope {
  /** The workers' launch template (lt-...), pinned by ARN and by `ec2:LaunchTemplate`. */
  readonly launchTemplateId: string;
  /** The AMI(s) the template launches (ami-...); another image is refused. */
  readonly imageIds: readonly string[];
  /** The workers' private subnets, one per zone. */
  readonly subnetIds: readonly string[];
  /** The workers' security groups, as the launch template names them. */
  readonly securityGroupIds: readonly string[];
  /**
   * The instance types the policy may launch, as `ec2:InstanceType` patterns
   * (StringLike): `instance.type` or each of `instance.types`, or `<family>.*`
   * per family of `instance.requirements` (see instanceTypePatterns).
   */
  readonly instanceTypes: readonly string[];
}

/** Resolves logical resources to ARNs (deploy time) or placeholders (tests). */
export interface ArnResolver {
  arn(
    ref: Exclude<
      ResourceRef,
      | { kind: 'ec2-managed' }
      | { kind: 'ec2-any' }
      | { kind: 'ec2-launch' }
      | { kind: 'worker-role' }
    >,
  ): string;
  readonly region: string;
  readonly account: string;
  readonly clusterId: string;
  /** Name of the IAM role of the workers' instance profile. */
  readonly workerRoleName: string;
  /** Only the provisioner's launch statements read it. */
  readonly launch: LaunchScope;
  /**
   * The stack's key the topics are encrypted with (messaging.ts): publishing
   * needs it, through SNS only.
   */
  readonly topicKeyArn: string;
  /**
   * The customer-managed key of the SecureString parameters, or undefined
   * when they use the AWS managed key `aws/ssm`, whose key policy already
   * admits this account's callers through SSM (no IAM grant needed).
   */
  readonly parameterKeyArn?: string;
}

const CLUSTER_TAG = 'smartscale:cluster';
const MANAGED_TAG = 'smartscale:managed';

function statementFor(p: PermissionSpec, r: ArnResolver): IamStatement | IamStatement[] {
  const actions = [...p.actions];
  switch (p.resource.kind) {
    case 'ec2-managed':
      // Terminate only instances tagged as this cluster's workers: the
      // cluster tag alone would also match the K3s server if someone tagged it.
      return {
        actions,
        resources: [`arn:aws:ec2:${r.region}:${r.account}:instance/*`],
        conditions: [
          {
            test: 'StringEquals',
            variable: `aws:ResourceTag/${CLUSTER_TAG}`,
            values: [r.clusterId],
          },
          { test: 'StringEquals', variable: `aws:ResourceTag/${MANAGED_TAG}`, values: ['true'] },
        ],
      };
    case 'ec2-launch':
      return launchStatements(actions, r);
    case 'ec2-any':
      // Describe* actions support no resource-level scoping in IAM.
      return { actions, resources: ['*'] };
    case 'table-index':
      return { actions, resources: [`${r.arn({ kind: 'table', name: p.resource.name })}/index/*`] };
    case 'bucket':
      return bucketStatements(actions, r.arn(p.resource), topology.buckets[p.resource.name]);
    case 'worker-role':
      return {
        actions,
        resources: [`arn:aws:iam::${r.account}:role/${r.workerRoleName}`],
        conditions: [
          { test: 'StringEquals', variable: 'iam:PassedToService', values: ['ec2.amazonaws.com'] },
        ],
      };
    case 'parameter':
      if (actions.includes('kms:Decrypt')) {
        // The parameter for SSM; its key only when it is a customer-managed
        // one, that exact key, and only through SSM. Binding the grant to
        // each parameter's kms:EncryptionContext:PARAMETER_ARN is not done:
        // the simulator that proves these policies ignores that key, and
        // the parameter grant above already decides which secrets are read.
        const read = {
          actions: actions.filter((a) => a !== 'kms:Decrypt'),
          resources: [r.arn(p.resource)],
        };
        if (!r.parameterKeyArn) return read;
        return [
          read,
          {
            actions: ['kms:Decrypt'],
            resources: [r.parameterKeyArn],
            conditions: [viaService('ssm', r.region)],
          },
        ];
      }
      return { actions, resources: [r.arn(p.resource)] };
    case 'topic':
      if (actions.includes('sns:Publish'))
        // The topics are encrypted with the stack's key: SNS asks KMS for a
        // data key as the publisher.
        return [
          { actions, resources: [r.arn(p.resource)] },
          {
            actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
            resources: [r.topicKeyArn],
            conditions: [viaService('sns', r.region)],
          },
        ];
      return { actions, resources: [r.arn(p.resource)] };
    default:
      return { actions, resources: [r.arn(p.resource)] };
  }
}

const viaService = (service: 'ssm' | 'sns', region: string) => ({
  test: 'StringEquals',
  variable: 'kms:ViaService',
  values: [`${service}.${region}.amazonaws.com`],
});

const OBJECT_ACTIONS = new Set(['s3:GetObject', 's3:PutObject']);

/**
 * A bucket's grants never reach past its `objectPrefix`: object actions on
 * `<bucket>/<prefix>*`, ListBucket on the bucket only for listings (and
 * existence checks) within the prefix.
 */
function bucketStatements(
  actions: readonly string[],
  bucketArn: string,
  spec: { readonly objectPrefix: string },
): IamStatement[] {
  const unknown = actions.filter((a) => !OBJECT_ACTIONS.has(a) && a !== 's3:ListBucket');
  if (unknown.length > 0)
    throw new Error(
      `a bucket grants only s3:GetObject, s3:PutObject and s3:ListBucket, got ${unknown.join(', ')}`,
    );
  const objects = actions.filter((a) => OBJECT_ACTIONS.has(a));
  return [
    ...(objects.length > 0
      ? [{ actions: objects, resources: [`${bucketArn}/${spec.objectPrefix}*`] }]
      : []),
    ...(actions.includes('s3:ListBucket')
      ? [
          {
            actions: ['s3:ListBucket'],
            resources: [bucketArn],
            conditions: [
              { test: 'StringLike', variable: 's3:prefix', values: [`${spec.objectPrefix}*`] },
            ],
          },
        ]
      : []),
  ];
}

/**
 * RunInstances and CreateFleet (and tagging at launch) on exactly what a
 * worker launch uses, after Karpenter's controller policy: the named launch
 * template, images, subnets and security groups by ARN; the resources the
 * launch creates (instance, volume, network interface, spot request) only
 * from that template, the instance only of a configured type with IMDSv2
 * required and carrying this cluster's tag (plain StringEquals: a request
 * without the tag is refused). An instant fleet launches through
 * RunInstances on the caller's behalf, so both actions are granted; the
 * fleet itself must carry the cluster tag. Volumes are bound to the
 * template but not to a tag: CreateFleet cannot tag volumes. CreateTags
 * only as part of RunInstances or CreateFleet (`ec2:CreateAction`), so no
 * existing instance can be given the cluster tag and with it become
 * terminable by the other services.
 */
function launchStatements(actions: readonly string[], r: ArnResolver): IamStatement[] {
  const known = ['ec2:RunInstances', 'ec2:CreateFleet', 'ec2:CreateTags'];
  const unknown = actions.filter((a) => !known.includes(a));
  if (unknown.length > 0)
    throw new Error(`ec2-launch grants only ${known.join(', ')}, got ${unknown.join(', ')}`);
  const l = r.launch;
  const empty = (
    [
      ['launchTemplateId', l.launchTemplateId ? [l.launchTemplateId] : []],
      ['imageIds', l.imageIds],
      ['subnetIds', l.subnetIds],
      ['securityGroupIds', l.securityGroupIds],
      ['instanceTypes', l.instanceTypes],
    ] as const
  ).filter(([, v]) => v.length === 0);
  if (empty.length > 0)
    throw new Error(
      `the launch scope is incomplete: ${empty.map(([k]) => k).join(', ')} empty; expected the launch template id, its AMI, the worker subnets and security groups and the configured instance types`,
    );
  const ec2 = (type: string, id: string, account = r.account) =>
    `arn:aws:ec2:${r.region}:${account}:${type}/${id}`;
  const template = ec2('launch-template', l.launchTemplateId);
  const fromTemplate = { test: 'StringEquals', variable: 'ec2:LaunchTemplate', values: [template] };
  const clusterTag = {
    test: 'StringEquals',
    variable: `aws:RequestTag/${CLUSTER_TAG}`,
    values: [r.clusterId],
  };
  const statements: IamStatement[] = [];
  const fleet = actions.includes('ec2:CreateFleet');
  if (actions.includes('ec2:RunInstances')) {
    statements.push(
      {
        actions: ['ec2:RunInstances'],
        resources: [
          template,
          // Public and shared AMIs live under no account in their ARN.
          ...l.imageIds.map((id) => ec2('image', id, '')),
          ...l.subnetIds.map((id) => ec2('subnet', id)),
          ...l.securityGroupIds.map((id) => ec2('security-group', id)),
        ],
      },
      {
        actions: ['ec2:RunInstances'],
        resources: [ec2('instance', '*')],
        conditions: [
          fromTemplate,
          clusterTag,
          { test: 'StringLike', variable: 'ec2:InstanceType', values: [...l.instanceTypes] },
          { test: 'StringEquals', variable: 'ec2:MetadataHttpTokens', values: ['required'] },
        ],
      },
      {
        actions: ['ec2:RunInstances'],
        resources: [ec2('volume', '*')],
        // A fleet's volumes carry no request tags (CreateFleet tags only the
        // fleet and its instances), so the tag is required only without one.
        conditions: fleet ? [fromTemplate] : [fromTemplate, clusterTag],
      },
      {
        actions: ['ec2:RunInstances'],
        resources: [ec2('network-interface', '*')],
        conditions: [fromTemplate],
      },
      // A spot launch also creates a spot request; its keys are only the
      // request's tags, so it is bound to the rest of the launch, which must
      // pass the statements above.
      { actions: ['ec2:RunInstances'], resources: [ec2('spot-instances-request', '*')] },
    );
  }
  if (fleet) {
    statements.push(
      // CreateFleet is authorized on what the request itself names: the
      // template and the overrides' subnets. What the template names (AMI,
      // security groups) is authorized only by the RunInstances the fleet
      // makes on the caller's behalf, which the statements above pin.
      {
        actions: ['ec2:CreateFleet'],
        resources: [template, ...l.subnetIds.map((id) => ec2('subnet', id))],
      },
      { actions: ['ec2:CreateFleet'], resources: [ec2('fleet', '*')], conditions: [clusterTag] },
      {
        actions: ['ec2:CreateFleet'],
        resources: [ec2('instance', '*')],
        conditions: [
          clusterTag,
          { test: 'StringLike', variable: 'ec2:InstanceType', values: [...l.instanceTypes] },
        ],
      },
      { actions: ['ec2:CreateFleet'], resources: [ec2('volume', '*')] },
    );
  }
  if (actions.includes('ec2:CreateTags')) {
    statements.push({
      actions: ['ec2:CreateTags'],
      resources: [ec2('instance', '*'), ec2('volume', '*'), ...(fleet ? [ec2('fleet', '*')] : [])],
      conditions: [
        {
          test: 'StringEquals',
          variable: 'ec2:CreateAction',
          values: fleet ? ['RunInstances', 'CreateFleet'] : ['RunInstances'],
        },
        clusterTag,
      ],
    });
  }
  return statements;
}

/**
 * The `ec2:InstanceType` patterns a configuration may launch: its type or
 * types exactly; for requirements, `<family>.*` per family (vCPU and memory
 * ranges cannot be said in IAM; the types are resolved at start-up), or any
 * type when the requirements name no family.
 *
 * @example
 * instanceTypePatterns(parseConfig({ instance: { requirements: { families: ['t3'] } } })) // ['t3.*']
 */
export function instanceTypePatterns(config: Config): string[] {
  const i = config.instance;
  if (i.types) return [...i.types];
  if (i.requirements) return i.requirements.families?.map((f) => `${f}.*`) ?? ['*'];
  return [i.type];
}

/** An IAM policy document, as the deployment attaches it and the simulator reads it. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: {
    Effect: 'Allow';
    Action: string[];
    Resource: string[];
    Condition?: Record<string, Record<string, string[]>>;
  }[];
}

/**
 * The statements as an IAM policy document: conditions of one statement are
 * ANDed (one operator block per test, one key per variable), as SST's
 * `permissions` renders them.
 */
export function policyDocument(statements: readonly IamStatement[]): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: statements.map((s) => {
      const condition: Record<string, Record<string, string[]>> = {};
      for (const c of s.conditions ?? []) {
        const block = condition[c.test] ?? {};
        if (block[c.variable])
          throw new Error(`statement on ${s.resources.join(', ')} repeats ${c.test} ${c.variable}`);
        block[c.variable] = c.values;
        condition[c.test] = block;
      }
      return {
        Effect: 'Allow' as const,
        Action: [...s.actions],
        Resource: [...s.resources],
        ...(s.conditions?.length ? { Condition: condition } : {}),
      };
    }),
  };
}

/**
 * The IAM statements one service's function gets: only its declared actions
 * on its declared resources.
 *
 * @example
 * new sst.aws.Function('Decider', { permissions: iamFor('decider', resolver) });
 */
export function iamFor(service: ServiceName, resolver: ArnResolver): IamStatement[] {
  const statements = topology.permissions[service].flatMap((p) => statementFor(p, resolver));
  // Publishing to two topics needs the one topic key once.
  const seen = new Set<string>();
  return statements.filter((s) => {
    const key = JSON.stringify(s);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every service's statements, for review and tests. */
export function allIam(resolver: ArnResolver): Record<ServiceName, IamStatement[]> {
  return Object.fromEntries(ServiceNames.map((s) => [s, iamFor(s, resolver)])) as Record<
    ServiceName,
    IamStatement[]
  >;
}

/**
 * The parameters the K3s server writes, and nothing else does: the join
 * token (k3s/server-install.sh), one token per Kubernetes identity
 * (k3s/store-kube-tokens.sh) and the CA (docs/deploy.md section 1). The
 * Slack webhook is a person's to write, never the server's.
 */
export const serverWrittenParameters = [
  'joinToken',
  'kubeTokenReader',
  'kubeTokenJoinVerifier',
  'kubeTokenWriter',
  'kubeCa',
] as const satisfies readonly ParameterName[];

/**
 * What the K3s server's instance role needs to publish its secrets: only
 * `ssm:PutParameter`, only on the parameters it writes (issue #22 finding 2).
 * No GetParameter (the server keeps its own copies) and no DeleteParameter.
 * SecureStrings under the AWS managed key `aws/ssm` need no KMS grant; with a
 * customer-managed key add kms:Encrypt and kms:GenerateDataKey on that key
 * with kms:ViaService ssm.<region>.amazonaws.com. docs/deploy.md prints this
 * policy, and deploy-guide.test.ts holds it to this function.
 *
 * @example
 * policyDocument(serverInstanceIam(resolver)) // attach to the server's role
 */
export function serverInstanceIam(resolver: Pick<ArnResolver, 'arn'>): IamStatement[] {
  return [
    {
      actions: ['ssm:PutParameter'],
      resources: serverWrittenParameters.map((name) => resolver.arn({ kind: 'parameter', name })),
    },
  ];
}

/** What `sst deploy` reads of the workers' launch template. */
export interface LaunchTemplateFacts {
  readonly imageId: string;
  readonly vpcSecurityGroupIds: readonly string[];
}

/**
 * The launch scope of a deployment: the template and subnets from the
 * settings, its AMI and security groups as the template names them, the
 * instance types and any other architecture's AMI (instance.imageIds) from
 * the policy. Throws naming what is missing.
 *
 * @example
 * launchScopeOf({ launchTemplateId: 'lt-0abc', subnetIds: ['subnet-1'], policyJson: '{}' },
 *   { imageId: 'ami-0abc', vpcSecurityGroupIds: ['sg-0abc'] });
 */
export function launchScopeOf(
  settings: { launchTemplateId: string; subnetIds: readonly string[]; policyJson: string },
  template: LaunchTemplateFacts,
): LaunchScope {
  if (!template.imageId)
    throw new Error(
      `launch template ${settings.launchTemplateId} names no image: expected ImageId in its default version (the provisioner may launch only that AMI)`,
    );
  if (template.vpcSecurityGroupIds.length === 0)
    throw new Error(
      `launch template ${settings.launchTemplateId} names no security group: expected SecurityGroupIds (k3s/worker-launch-template.json)`,
    );
  const policy = parseConfig(JSON.parse(settings.policyJson));
  // Types of the architecture the template's AMI is not launch the AMI the
  // policy names for it (instance.imageIds): that image, and no other.
  const otherImages = Object.values(policy.instance.imageIds ?? {}).filter(
    (id): id is string => id !== undefined && id !== template.imageId,
  );
  return {
    launchTemplateId: settings.launchTemplateId,
    imageIds: [template.imageId, ...new Set(otherImages)],
    subnetIds: [...settings.subnetIds],
    securityGroupIds: [...template.vpcSecurityGroupIds],
    instanceTypes: instanceTypePatterns(policy),
  };
}
