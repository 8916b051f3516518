// Maps the topology's per-service permissions to IAM statements. Pure, so
// the least-privilege test can read exactly what the deployment will grant.
import {
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

/** Resolves logical resources to ARNs (deploy time) or placeholders (tests). */
export interface ArnResolver {
  arn(
    ref: Exclude<
      ResourceRef,
      { kind: 'ec2-managed' } | { kind: 'ec2-any' } | { kind: 'worker-role' }
    >,
  ): string;
  readonly region: string;
  readonly account: string;
  readonly clusterId: string;
  /** Name of the IAM role of the workers' instance profile. */
  readonly workerRoleName: string;
}

const CLUSTER_TAG = 'smartscale:cluster';

function statementFor(p: PermissionSpec, r: ArnResolver): IamStatement | IamStatement[] {
  const actions = [...p.actions];
  switch (p.resource.kind) {
    case 'ec2-managed':
      // Terminate and tag changes only on instances tagged as this cluster's.
      return {
        actions,
        resources: [`arn:aws:ec2:${r.region}:${r.account}:instance/*`],
        conditions: [
          {
            test: 'StringEquals',
            variable: `aws:ResourceTag/${CLUSTER_TAG}`,
            values: [r.clusterId],
          },
        ],
      };
    case 'ec2-any':
      if (actions.includes('ec2:RunInstances') || actions.includes('ec2:CreateTags')) {
        // RunInstances must name images, subnets, security groups and the
        // template; new instances must carry the cluster tag, and CreateTags
        // is allowed only as part of that launch.
        return {
          actions,
          resources: ['*'],
          conditions: [
            {
              test: 'StringEqualsIfExists',
              variable: `aws:RequestTag/${CLUSTER_TAG}`,
              values: [r.clusterId],
            },
            {
              test: 'StringEqualsIfExists',
              variable: 'ec2:CreateAction',
              values: ['RunInstances'],
            },
          ],
        };
      }
      // Describe* actions support no resource-level scoping in IAM.
      return { actions, resources: ['*'] };
    case 'table-index':
      return { actions, resources: [`${r.arn({ kind: 'table', name: p.resource.name })}/index/*`] };
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
        // The parameter for SSM; its key only when used through SSM (needed
        // when the SecureString uses a customer-managed key).
        return [
          { actions: actions.filter((a) => a !== 'kms:Decrypt'), resources: [r.arn(p.resource)] },
          {
            actions: ['kms:Decrypt'],
            resources: [`arn:aws:kms:${r.region}:${r.account}:key/*`],
            conditions: [
              {
                test: 'StringEquals',
                variable: 'kms:ViaService',
                values: [`ssm.${r.region}.amazonaws.com`],
              },
            ],
          },
        ];
      }
      return { actions, resources: [r.arn(p.resource)] };
    default:
      return { actions, resources: [r.arn(p.resource)] };
  }
}

/**
 * The IAM statements one service's function gets: only its declared actions
 * on its declared resources.
 *
 * @example
 * new sst.aws.Function('Decider', { permissions: iamFor('decider', resolver) });
 */
export function iamFor(service: ServiceName, resolver: ArnResolver): IamStatement[] {
  return topology.permissions[service].flatMap((p) => statementFor(p, resolver));
}

/** Every service's statements, for review and tests. */
export function allIam(resolver: ArnResolver): Record<ServiceName, IamStatement[]> {
  return Object.fromEntries(ServiceNames.map((s) => [s, iamFor(s, resolver)])) as Record<
    ServiceName,
    IamStatement[]
  >;
}
