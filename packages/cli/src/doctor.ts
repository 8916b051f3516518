// `smartscale doctor`: checks a deployment from the outside, the way the
// functions will meet it, and says for each thing what is wrong and what to
// do. Each check is one function returning findings; none changes anything.

import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  type IpPermission,
} from '@aws-sdk/client-ec2';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetTopicAttributesCommand } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { AuthorizationV1Api, type KubeConfig, VersionApi } from '@kubernetes/client-node';
import type { AwsClients, ReconciliationLog } from '@smartscale/aws';
import { kubeConfigFor, tokenExpiry } from '@smartscale/k8s';
import {
  deploymentPlan,
  KubeIdentities,
  type KubeIdentity,
  kubeIdentities,
  type ParameterName,
  topology,
} from '@smartscale/stacks';
import { topicArnOf } from './doctor-delivery.js';
import { type DoctorFinding, ok, problem, redeploy, warning } from './doctor-finding.js';

export type { DoctorFinding } from './doctor-finding.js';

const errorName = (error: unknown) =>
  error instanceof Error ? error.name : typeof error === 'string' ? error : 'Error';
const errorText = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Every topic, queue (with its DLQ and redrive), table and EventBridge rule
 * of the stage's deployment plan exists; each DLQ is empty.
 */
export async function checkPlannedResources(
  clients: AwsClients,
  prefix: string,
  topicArns: Readonly<Record<string, string>>,
): Promise<DoctorFinding[]> {
  const plan = deploymentPlan(prefix);
  const findings: DoctorFinding[] = [];
  for (const topic of plan.topics) {
    const check = `topic ${topic.name}`;
    const arn = topicArnOf(topicArns, topic);
    try {
      await clients.sns.send(new GetTopicAttributesCommand({ TopicArn: arn }));
      findings.push(ok(check, 'exists'));
    } catch (error) {
      findings.push(problem(check, `not found (${errorName(error)})`, redeploy(prefix)));
    }
  }
  for (const queue of plan.queues) {
    for (const [name, isDlq] of [
      [queue.name, false],
      [queue.dlqName, true],
    ] as const) {
      const check = `queue ${name}`;
      let url: string | undefined;
      try {
        url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
      } catch (error) {
        findings.push(problem(check, `not found (${errorName(error)})`, redeploy(prefix)));
        continue;
      }
      const attrs =
        (
          await clients.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: ['RedrivePolicy', 'ApproximateNumberOfMessages'],
            }),
          )
        ).Attributes ?? {};
      if (isDlq) {
        const waiting = Number(attrs.ApproximateNumberOfMessages ?? 0);
        findings.push(
          waiting === 0
            ? ok(check, 'empty')
            : problem(
                check,
                `${waiting} message(s) dead-lettered`,
                `'npx smartscale dlq list ${queue.key}' shows each with its reason; fix the cause, then 'npx smartscale dlq replay ${queue.key}'`,
              ),
        );
        continue;
      }
      const redrive = attrs.RedrivePolicy
        ? (JSON.parse(attrs.RedrivePolicy) as {
            deadLetterTargetArn?: string;
            maxReceiveCount?: number;
          })
        : null;
      if (
        !redrive?.deadLetterTargetArn?.endsWith(`:${queue.dlqName}`) ||
        Number(redrive.maxReceiveCount) !== queue.maxReceiveCount
      ) {
        findings.push(
          problem(
            check,
            `redrive is ${attrs.RedrivePolicy ?? 'not set'}: expected ${queue.dlqName} after ${queue.maxReceiveCount} receives`,
            redeploy(prefix),
          ),
        );
      } else
        findings.push(
          ok(check, `exists, DLQ ${queue.dlqName} after ${queue.maxReceiveCount} receives`),
        );
    }
  }
  for (const table of plan.tables) {
    const check = `table ${table.name}`;
    try {
      const res = await clients.dynamodb.send(new DescribeTableCommand({ TableName: table.name }));
      findings.push(ok(check, `exists (${res.Table?.TableStatus ?? 'unknown status'})`));
    } catch (error) {
      findings.push(problem(check, `not found (${errorName(error)})`, redeploy(prefix)));
    }
  }
  for (const rule of plan.rules) {
    const check = `rule ${rule.name}`;
    try {
      const res = await clients.eventbridge.send(new DescribeRuleCommand({ Name: rule.name }));
      findings.push(
        res.State === 'DISABLED'
          ? problem(
              check,
              'disabled: Spot warnings and instance changes do not reach the spot-listener',
              `aws events enable-rule --name ${rule.name}`,
            )
          : ok(check, 'exists'),
      );
    } catch (error) {
      findings.push(problem(check, `not found (${errorName(error)})`, redeploy(prefix)));
    }
  }
  return findings;
}

/** What `checkParameters` found readable, by parameter, for the Kubernetes check. */
export type ParameterValues = Readonly<Partial<Record<ParameterName, string>>>;

/**
 * Every SSM parameter of the plan exists with its declared type; the Slack
 * webhook is optional (notifications are off without it).
 */
export async function checkParameters(
  clients: AwsClients,
  prefix: string,
): Promise<{ findings: DoctorFinding[]; values: ParameterValues }> {
  const findings: DoctorFinding[] = [];
  const values: Record<string, string> = {};
  for (const { key, name } of deploymentPlan(prefix).parameters) {
    const spec = topology.parameters[key];
    const type = spec.secure ? 'SecureString' : 'String';
    const check = `parameter ${name}`;
    const put = `aws ssm put-parameter --type ${type} --name ${name} --value file://<file>`;
    try {
      const res = await clients.ssm.send(
        new GetParameterCommand({ Name: name, WithDecryption: true }),
      );
      const found = res.Parameter?.Type;
      if (found !== type) {
        findings.push(
          problem(
            check,
            `is a ${found}: expected a ${type}`,
            `aws ssm delete-parameter --name ${name}; then ${put}`,
          ),
        );
        continue;
      }
      values[key] = res.Parameter?.Value ?? '';
      findings.push(ok(check, `exists (${type})`));
    } catch (error) {
      if (errorName(error) !== 'ParameterNotFound') throw error;
      if (key === 'slackWebhook')
        findings.push(
          warning(
            check,
            'not set: notifications are off',
            `${put} (with AWS CLI v1 first 'aws configure set cli_follow_urlparam false', or it stores the page the URL points to)`,
          ),
        );
      else findings.push(problem(check, `missing (${spec.description})`, put));
    }
  }
  return { findings, values };
}

/** The launch template exists and its default version requires IMDSv2. */
export async function checkLaunchTemplate(
  clients: AwsClients,
  launchTemplateId: string,
): Promise<DoctorFinding[]> {
  const check = `launch template ${launchTemplateId}`;
  let version:
    | {
        VersionNumber?: number | undefined;
        LaunchTemplateData?: {
          MetadataOptions?: { HttpTokens?: string | undefined } | undefined;
          ImageId?: string | undefined;
          InstanceType?: string | undefined;
        };
      }
    | undefined;
  try {
    const res = await clients.ec2.send(
      new DescribeLaunchTemplateVersionsCommand({
        LaunchTemplateId: launchTemplateId,
        Versions: ['$Default'],
      }),
    );
    version = res.LaunchTemplateVersions?.[0];
  } catch (error) {
    return [
      problem(
        check,
        `not found (${errorName(error)})`,
        'create it with k3s/create-launch-template.sh (docs/deploy.md section 2) and set SMARTSCALE_LAUNCH_TEMPLATE_ID to the id it prints',
      ),
    ];
  }
  const data = version?.LaunchTemplateData;
  const tokens = data?.MetadataOptions?.HttpTokens ?? 'optional';
  const findings: DoctorFinding[] = [];
  findings.push(
    tokens === 'required'
      ? ok(check, `default version ${version?.VersionNumber} requires IMDSv2`)
      : problem(
          check,
          `default version ${version?.VersionNumber} has HttpTokens=${tokens}: workers would answer IMDSv1`,
          `create a new version with MetadataOptions HttpTokens=required (k3s/create-launch-template.sh does) and make it the default: aws ec2 modify-launch-template --launch-template-id ${launchTemplateId} --default-version <n>`,
        ),
  );
  if (!data?.ImageId)
    findings.push(problem(check, 'names no AMI', 'recreate it with k3s/create-launch-template.sh'));
  return findings;
}

/** An inbound rule docs/deploy.md section 1 asks of the workers' security group. */
interface WorkerPort {
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  readonly what: string;
  /** Whose traffic: the workers' own group, or the K3s server's. */
  readonly from: 'workers' | 'server';
  /** What breaks without it. */
  readonly breaks: string;
}

const WORKER_PORTS: readonly WorkerPort[] = [
  {
    protocol: 'udp',
    port: 8472,
    what: 'flannel VXLAN',
    from: 'workers',
    breaks: 'pods on different workers cannot reach each other',
  },
  {
    protocol: 'udp',
    port: 8472,
    what: 'flannel VXLAN',
    from: 'server',
    breaks: 'pods on the server (Prometheus, CoreDNS) cannot reach pods on workers',
  },
  {
    protocol: 'tcp',
    port: 10250,
    what: 'kubelet',
    from: 'server',
    breaks: 'kubectl logs/exec and the metrics the API server reads from workers fail',
  },
  {
    protocol: 'tcp',
    port: 9100,
    what: 'node-exporter',
    from: 'server',
    breaks: 'Prometheus sees no worker, so nothing scales on CPU or memory',
  },
];

/** Whether `rule` admits `protocol`/`port` from the security group `source`. */
function admits(rule: IpPermission, protocol: string, port: number, source: string): boolean {
  const anyProtocol = rule.IpProtocol === '-1';
  if (!anyProtocol && rule.IpProtocol !== protocol) return false;
  if (!anyProtocol && !((rule.FromPort ?? 0) <= port && port <= (rule.ToPort ?? 65535)))
    return false;
  return (rule.UserIdGroupPairs ?? []).some((pair) => pair.GroupId === source);
}

/**
 * The workers' security group (as the launch template names it) admits
 * flannel VXLAN from the workers and the server, and the kubelet and
 * node-exporter from the server (Prometheus runs there). Without the
 * server's group only the VXLAN between workers is checked.
 */
export async function checkWorkerSecurityGroups(
  clients: AwsClients,
  launchTemplateId: string,
  serverSecurityGroupId: string | undefined,
): Promise<DoctorFinding[]> {
  let groupIds: string[];
  try {
    const data = (
      await clients.ec2.send(
        new DescribeLaunchTemplateVersionsCommand({
          LaunchTemplateId: launchTemplateId,
          Versions: ['$Default'],
        }),
      )
    ).LaunchTemplateVersions?.[0]?.LaunchTemplateData;
    groupIds = [
      ...(data?.SecurityGroupIds ?? []),
      ...(data?.NetworkInterfaces ?? []).flatMap((n) => n.Groups ?? []),
    ];
  } catch {
    return []; // checkLaunchTemplate reports the missing template
  }
  const check = `worker security groups of ${launchTemplateId}`;
  if (groupIds.length === 0)
    return [
      problem(
        check,
        'the launch template names no security group: workers would get the VPC default group',
        "recreate it with k3s/create-launch-template.sh, passing the workers' security group",
      ),
    ];
  let rules: IpPermission[];
  try {
    rules = (
      (await clients.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: groupIds })))
        .SecurityGroups ?? []
    ).flatMap((g) => g.IpPermissions ?? []);
  } catch (error) {
    return [
      problem(
        check,
        `${groupIds.join(', ')} not found (${errorName(error)})`,
        "create the workers' security group (docs/deploy.md section 1) and recreate the launch template with it",
      ),
    ];
  }
  const findings: DoctorFinding[] = [];
  const checked: string[] = [];
  for (const need of WORKER_PORTS) {
    const sources =
      need.from === 'workers' ? groupIds : serverSecurityGroupId ? [serverSecurityGroupId] : [];
    if (sources.length === 0) continue;
    const label = `${need.port}/${need.protocol} (${need.what}) from ${need.from === 'workers' ? 'the workers' : `the server ${serverSecurityGroupId}`}`;
    if (sources.some((source) => rules.some((r) => admits(r, need.protocol, need.port, source))))
      checked.push(label);
    else
      findings.push(
        problem(
          check,
          `no inbound ${label}: ${need.breaks}`,
          `aws ec2 authorize-security-group-ingress --group-id ${groupIds[0]} --protocol ${need.protocol} --port ${need.port} --source-group ${sources[0]}`,
        ),
      );
  }
  if (findings.length === 0)
    findings.push(ok(check, `${groupIds.join(', ')} admit ${checked.join('; ')}`));
  if (!serverSecurityGroupId)
    findings.push(
      warning(
        `${check} from the server`,
        "not checked: 8472/udp, 10250/tcp and 9100/tcp must come from the K3s server's security group",
        'pass --server-security-group SG',
      ),
    );
  return findings;
}

/**
 * Each worker subnet exists, is in the zone given for it, hands out no
 * public IP and routes 0.0.0.0/0 to a NAT gateway.
 */
export async function checkSubnets(
  clients: AwsClients,
  subnets: readonly { readonly zone: string; readonly subnetId: string }[],
): Promise<DoctorFinding[]> {
  const findings: DoctorFinding[] = [];
  for (const { zone, subnetId } of subnets) {
    const check = `subnet ${subnetId}`;
    let found:
      | {
          AvailabilityZone?: string | undefined;
          MapPublicIpOnLaunch?: boolean | undefined;
          VpcId?: string | undefined;
        }
      | undefined;
    try {
      found = (await clients.ec2.send(new DescribeSubnetsCommand({ SubnetIds: [subnetId] })))
        .Subnets?.[0];
    } catch (error) {
      findings.push(
        problem(check, `not found (${errorName(error)})`, 'fix SMARTSCALE_SUBNET_IDS and redeploy'),
      );
      continue;
    }
    if (found?.AvailabilityZone !== zone)
      findings.push(
        problem(
          check,
          `is in ${found?.AvailabilityZone}, expected ${zone}`,
          'list SMARTSCALE_SUBNET_IDS in the order of SMARTSCALE_ZONES and redeploy',
        ),
      );
    else if (found.MapPublicIpOnLaunch)
      findings.push(
        problem(
          check,
          'gives new instances a public IP (MapPublicIpOnLaunch)',
          `use a private subnet (with a NAT gateway or VPC endpoints), or: aws ec2 modify-subnet-attribute --subnet-id ${subnetId} --no-map-public-ip-on-launch`,
        ),
      );
    else {
      const nat = await defaultRouteOf(clients, subnetId, found.VpcId);
      if (nat.startsWith('nat-'))
        findings.push(ok(check, `private, in ${zone}, 0.0.0.0/0 via ${nat}`));
      else
        findings.push(
          problem(
            check,
            `private, in ${zone}, but its route table ${nat}: workers cannot download K3s or pull images (every launch ends in JoinFailed) and the notifier cannot reach Slack`,
            'add a route 0.0.0.0/0 to a NAT gateway in a public subnet of the zone: aws ec2 create-route --route-table-id <table> --destination-cidr-block 0.0.0.0/0 --nat-gateway-id <nat-id> (docs/deploy.md, "Before you start")',
          ),
        );
    }
  }
  return findings;
}

/**
 * The NAT gateway id a subnet's default route (0.0.0.0/0) leads to, or a
 * phrase saying what it has instead. A subnet without its own route table
 * uses the VPC's main one, as EC2 does.
 */
async function defaultRouteOf(
  clients: AwsClients,
  subnetId: string,
  vpcId: string | undefined,
): Promise<string> {
  const tables = async (filters: { Name: string; Values: string[] }[]) =>
    (await clients.ec2.send(new DescribeRouteTablesCommand({ Filters: filters }))).RouteTables ??
    [];
  const own = await tables([{ Name: 'association.subnet-id', Values: [subnetId] }]);
  const table =
    own[0] ??
    (vpcId === undefined
      ? undefined
      : (
          await tables([
            { Name: 'vpc-id', Values: [vpcId] },
            { Name: 'association.main', Values: ['true'] },
          ])
        )[0]);
  if (table === undefined) return 'was not found';
  const route = table.Routes?.find((r) => r.DestinationCidrBlock === '0.0.0.0/0');
  if (route?.NatGatewayId !== undefined && route.State !== 'blackhole') return route.NatGatewayId;
  const id = table.RouteTableId ?? '';
  if (route?.GatewayId?.startsWith('igw-'))
    return `${id} sends 0.0.0.0/0 to ${route.GatewayId}, not a NAT gateway`;
  return `${id} has no route 0.0.0.0/0 to a NAT gateway`;
}

/** What the autoscaler does in Kubernetes (k3s/manifests/rbac-autoscaler.yaml grants exactly this). */
export const AUTOSCALER_ACCESS: readonly Access[] = [
  { verb: 'list', resource: 'nodes' },
  { verb: 'patch', resource: 'nodes' },
  { verb: 'delete', resource: 'nodes' },
  { verb: 'list', resource: 'pods' },
  { verb: 'create', resource: 'pods', subresource: 'eviction' },
  { verb: 'list', resource: 'poddisruptionbudgets', group: 'policy' },
  { verb: 'list', resource: 'persistentvolumeclaims' },
  { verb: 'list', resource: 'persistentvolumes' },
];
/** One Kubernetes API permission, as a SelfSubjectAccessReview asks it. */
export interface Access {
  readonly verb: string;
  readonly resource: string;
  readonly subresource?: string;
  readonly group?: string;
}

/**
 * What each identity's services call, and one thing it must not be able to
 * do: a token of the wrong ServiceAccount stored in a parameter (the writer's
 * in the reader's) works, so only this check notices it.
 */
export const IDENTITY_ACCESS: Record<
  KubeIdentity,
  { readonly needs: readonly Access[]; readonly mustNot: Access }
> = {
  reader: {
    needs: AUTOSCALER_ACCESS.filter((a) => a.verb === 'list'),
    mustNot: { verb: 'patch', resource: 'nodes' },
  },
  'join-verifier': {
    // Pods only listed: a NotReady worker past its deadline that runs pods joined once.
    needs: AUTOSCALER_ACCESS.filter(
      (a) =>
        (a.resource === 'nodes' && (a.verb === 'list' || a.verb === 'delete')) ||
        (a.resource === 'pods' && a.verb === 'list' && a.subresource === undefined),
    ),
    mustNot: { verb: 'patch', resource: 'nodes' },
  },
  writer: {
    needs: AUTOSCALER_ACCESS,
    mustNot: { verb: 'list', resource: 'secrets' },
  },
};

/** How the doctor reaches Kubernetes: as the functions do (SSM token and CA) or through a kubeconfig. */
export type KubeAccessForDoctor =
  | { readonly kind: 'parameters'; readonly server: string; readonly values: ParameterValues }
  | { readonly kind: 'kubeconfig'; readonly path: string };

// One reading of a token's expiry, the functions' own (they renew before it).
export { tokenExpiry };

const describeAccess = (a: Access) =>
  `${a.verb} ${a.resource}${a.subresource ? `/${a.subresource}` : ''}`;

async function allowed(kc: KubeConfig, a: Access): Promise<boolean> {
  const review = await kc.makeApiClient(AuthorizationV1Api).createSelfSubjectAccessReview({
    body: {
      spec: {
        resourceAttributes: {
          verb: a.verb,
          resource: a.resource,
          ...(a.subresource ? { subresource: a.subresource } : {}),
          ...(a.group ? { group: a.group } : {}),
        },
      },
    },
  });
  return review.status?.allowed === true;
}

/** Reachable with `kc`, TLS verified; then `access.needs` allowed and `access.mustNot` denied. */
async function checkIdentity(
  kc: KubeConfig,
  server: string,
  label: string,
  serviceAccount: string,
  access: { readonly needs: readonly Access[]; readonly mustNot?: Access },
): Promise<DoctorFinding[]> {
  const check = `kubernetes ${server}${label}`;
  try {
    const version = await kc.makeApiClient(VersionApi).getCode();
    const findings = [ok(check, `reachable, ${version.gitVersion}, TLS verified`)];
    const denied: string[] = [];
    for (const a of access.needs) if (!(await allowed(kc, a))) denied.push(describeAccess(a));
    const rbac = `kubernetes RBAC${label}`;
    const fix = `kubectl apply -f k3s/manifests/rbac-autoscaler.yaml, and store a token of smartscale-system/${serviceAccount} (docs/deploy.md, Kubernetes tokens)`;
    findings.push(
      denied.length > 0
        ? problem(rbac, `denies ${denied.join(', ')}`, fix)
        : access.mustNot && (await allowed(kc, access.mustNot))
          ? problem(
              rbac,
              `also allows ${describeAccess(access.mustNot)}: this is not a token of smartscale-system/${serviceAccount}`,
              fix,
            )
          : ok(
              rbac,
              `allows the ${access.needs.length} verbs of ${serviceAccount}${access.mustNot ? `, not ${describeAccess(access.mustNot)}` : ''}`,
            ),
    );
    return findings;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    return [
      problem(
        check,
        `not reachable with the autoscaler's credentials (${typeof code === 'string' || typeof code === 'number' ? `${code}: ` : ''}${errorText(error)})`,
        'check SMARTSCALE_KUBE_API_URL, that the functions security group may reach 6443 on the server, and that the token and CA parameters are current',
      ),
    ];
  }
}

/** How many hours before a token's expiry the doctor warns, unless told otherwise. */
export const TOKEN_WARNING_HOURS = 12;

/**
 * Whitespace around a stored token, and its expiry: a problem once expired,
 * a warning within `warningHours`. The server's timer stores a 24-hour token
 * every 6 hours (k3s/store-kube-tokens.sh on a timer), so a stored token has 18 hours
 * or more left while it runs; under 12 means two runs failed in a row.
 */
export function checkTokenValue(
  token: string,
  serviceAccount: string,
  now: Date,
  warningHours = TOKEN_WARNING_HOURS,
): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  const fix = `on the K3s server: systemctl status smartscale-kube-tokens.timer and journalctl -u smartscale-kube-tokens.service (why the rotation did not store a new token of smartscale-system/${serviceAccount}); to rotate now: systemctl start smartscale-kube-tokens.service (docs/deploy.md, Kubernetes tokens)`;
  if (token !== token.trim())
    // The functions drop a trailing newline since #21; kubectl users may not.
    findings.push(
      warning(
        `kube token ${serviceAccount}`,
        'has leading or trailing whitespace (a newline from the file it was stored from)',
        "store it again without the newline: kubectl create token ... | tr -d '\\n' > /tmp/t",
      ),
    );
  const expiry = tokenExpiry(token.trim());
  if (!expiry) return findings;
  const check = `kube token ${serviceAccount} expiry`;
  const hours = (expiry.getTime() - now.getTime()) / 3_600_000;
  const left = hours >= 48 ? `${Math.floor(hours / 24)} days` : `${Math.floor(hours)} h`;
  findings.push(
    hours <= 0
      ? problem(
          check,
          `expired ${expiry.toISOString()}: every function of smartscale-system/${serviceAccount} gets 401`,
          fix,
        )
      : hours < warningHours
        ? warning(
            check,
            `expires ${expiry.toISOString()} (in ${left}, under ${warningHours} h): the rotation has not stored a newer one`,
            fix,
          )
        : ok(check, `expires ${expiry.toISOString()} (in ${left})`),
  );
  return findings;
}

/**
 * The API server answers with each identity's credentials (its own token
 * parameter), TLS verified, and allows what that identity's services call
 * and not more; no token is expired or within `tokenWarningHours` of it. With a kubeconfig, that one
 * user is checked for everything the autoscaler does.
 */
export async function checkKubernetes(
  access: KubeAccessForDoctor,
  now: Date,
  tokenWarningHours = TOKEN_WARNING_HOURS,
): Promise<DoctorFinding[]> {
  if (access.kind === 'kubeconfig') {
    const kc = kubeConfigFor({ kubeconfigPath: access.path });
    const server = kc.getCurrentCluster()?.server ?? access.path;
    return checkIdentity(kc, server, '', 'smartscale', { needs: AUTOSCALER_ACCESS });
  }
  const { server, values } = access;
  const kubeCa = values.kubeCa;
  const findings: DoctorFinding[] = [];
  for (const id of KubeIdentities) {
    const { serviceAccount, parameter } = kubeIdentities[id];
    const token = values[parameter];
    const label = ` as ${serviceAccount}`;
    if (!token || !kubeCa) {
      findings.push(
        problem(
          `kubernetes ${server}${label}`,
          `not checked: the ${!kubeCa ? 'CA' : `${serviceAccount} token`} parameter is missing (above)`,
          'store it as docs/deploy.md section 1 says',
        ),
      );
      continue;
    }
    findings.push(...checkTokenValue(token, serviceAccount, now, tokenWarningHours));
    const kc = kubeConfigFor({ server, caPem: kubeCa, token: token.trim() });
    findings.push(...(await checkIdentity(kc, server, label, serviceAccount, IDENTITY_ACCESS[id])));
  }
  return findings;
}

/** Prometheus answers and node-exporter reports (its `up` series). */
export async function checkPrometheus(url: string): Promise<DoctorFinding[]> {
  const check = `prometheus ${url}`;
  let body: { status?: string; data?: { result?: { value?: [number, string] }[] } };
  try {
    const res = await fetch(
      `${url.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent('up')}`,
      { signal: AbortSignal.timeout(5000) },
    );
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    body = (await res.json()) as typeof body;
  } catch (error) {
    return [
      problem(
        check,
        `not reachable (${errorText(error)})`,
        'check SMARTSCALE_PROMETHEUS_URL (the NodePort 30090 of k3s/manifests/monitoring.yaml), the server security group and the NetworkPolicy ipBlock',
      ),
    ];
  }
  const targets = body.data?.result ?? [];
  const down = targets.filter((t) => t.value?.[1] !== '1').length;
  return [
    targets.length === 0
      ? warning(
          check,
          'answers but scrapes nothing',
          'kubectl apply -f k3s/manifests/monitoring.yaml',
        )
      : down > 0
        ? warning(
            check,
            `${down} of ${targets.length} scrape targets down`,
            "open Prometheus' /targets page; on workers allow 9100/tcp (node-exporter) from the server",
          )
        : ok(check, `reachable, ${targets.length} scrape targets up`),
  ];
}

/** The reconciler's last pass is recent (it runs every 2 minutes). */
export async function checkReconciler(
  log: ReconciliationLog,
  clusterId: string,
  now: Date,
  maxAgeSeconds: number,
): Promise<DoctorFinding[]> {
  const check = 'reconciler';
  const last = await log.latest(clusterId);
  const fix =
    'read its log group /aws/lambda/<prefix>-reconciler; its schedule (rate 2 minutes) must be enabled';
  if (!last) return [problem(check, `has never run for cluster ${clusterId}`, fix)];
  const age = (now.getTime() - Date.parse(last.at)) / 1000;
  if (age > maxAgeSeconds)
    return [
      problem(
        check,
        `last pass ${last.at}, ${Math.round(age)} s ago (more than ${maxAgeSeconds} s)`,
        fix,
      ),
    ];
  if (last.failed.length > 0)
    return [
      warning(
        check,
        `last pass ${last.at} had ${last.failed.length} failed repair(s): ${last.failed.map((f) => `${f.code} ${f.subject}`).join(', ')}`,
        "'npx smartscale status' shows each failure",
      ),
    ];
  return [ok(check, `last pass ${last.at}, ${Math.round(age)} s ago`)];
}

/**
 * `npm run local:up` is moto, the control plane and the parameters the K3s
 * server would publish, and nothing else: no SmartScale service runs (so no
 * reconciler pass), there is no worker network or Prometheus, and its tokens
 * last a day (packages/local/src/cluster/start.ts). What is so by design
 * there says "local: skipped because ..." instead of a problem; everything
 * else is checked as in a deployed stage.
 */
export function forLocalEnvironment(findings: readonly DoctorFinding[]): DoctorFinding[] {
  const skipped: Record<string, string> = {
    'launch template': 'local:up creates no worker launch template (npm start does, in moto)',
    'worker subnets': 'local:up creates no worker network (npm start does, in moto)',
    prometheus: 'local:up runs no Prometheus (npm start does)',
    'node-exporter on workers': 'local:up runs no Prometheus and no workers (npm start does)',
  };
  return findings.map((f) => {
    const because = skipped[f.check];
    if (because && f.detail === 'not checked')
      return { ...f, detail: `local: skipped because ${because}` };
    if (f.check === 'reconciler' && f.detail.startsWith('has never run'))
      return warning(
        f.check,
        `local: skipped because local:up runs no SmartScale services (${f.detail})`,
        'npm start runs the reconciler every 2 minutes; run doctor against it to check this',
      );
    if (f.check === 'spot service-linked role' && f.status === 'problem')
      return warning(
        f.check,
        `local: skipped because moto starts without AWS's service-linked roles (${f.detail})`,
        `in an AWS account: ${f.fix}`,
      );
    if (f.check.startsWith('functions of ') && f.status === 'warning')
      return warning(
        f.check,
        'local: skipped because the local environment runs the services as processes, not Lambda functions',
        f.fix ?? '',
      );
    if (f.check.startsWith('kube token ') && f.check.endsWith(' expiry') && f.status === 'warning')
      return ok(
        f.check,
        `${f.detail}; local: expected, local:up issues one-day tokens each start and runs no rotation timer`,
      );
    return f;
  });
}
