// The deployment both simulation tests evaluate (iam-simulation.test.ts,
// resource-policy-simulation.test.ts): one account, one stage, the resolver
// functions.ts builds with these values, and one call into the simulator.
import {
  type EvaluationResult,
  runSimulation,
  type Simulation,
  type SimulationRequestPrincipal,
} from '@cloud-copilot/iam-simulate';
import type { ArnResolver, PolicyDocument } from '../../iam.ts';
import type { ResourcePolicy } from '../../resource-policies.ts';
import { names, type ServiceName } from '../../topology.ts';

export const region = 'eu-west-1';
export const account = '123456789012';
export const prefix = 'smartscale-prod';
export const clusterId = 'prod';
export const template = 'lt-0123456789abcdef0';
export const templateArn = `arn:aws:ec2:${region}:${account}:launch-template/${template}`;
export const parameterKey = `arn:aws:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
export const topicKey = `arn:aws:kms:${region}:${account}:key/5678abcd-12ab-34cd-56ef-1234567890ab`;

/** The resolver functions.ts builds, with this deployment's values. */
export const resolver: ArnResolver = {
  region,
  account,
  clusterId,
  workerRoleName: 'smartscale-worker',
  launch: {
    launchTemplateId: template,
    imageIds: ['ami-0aaaaaaaaaaaaaaaa'],
    subnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
    securityGroupIds: ['sg-0aaaaaaaaaaaaaaaa'],
    instanceTypes: ['t3.medium'],
  },
  topicKeyArn: topicKey,
  // A deployment whose SecureStrings use a customer-managed key.
  parameterKeyArn: parameterKey,
  arn(ref) {
    switch (ref.kind) {
      case 'topic':
        return `arn:aws:sns:${region}:${account}:${names.topic(prefix, ref.name)}`;
      case 'queue':
        return `arn:aws:sqs:${region}:${account}:${names.queue(prefix, ref.name)}`;
      case 'dlq':
        return `arn:aws:sqs:${region}:${account}:${names.dlq(prefix, ref.name)}`;
      case 'table':
      case 'table-index':
        return `arn:aws:dynamodb:${region}:${account}:table/${names.table(prefix, ref.name)}`;
      case 'parameter':
        return `arn:aws:ssm:${region}:${account}:parameter${names.parameter(prefix, ref.name)}`;
      case 'bucket':
        return `arn:aws:s3:::${names.bucket(prefix, ref.name)}`;
    }
  },
};

/** A function's role, as SST creates one per function (the name is the test's). */
export const roleArnOf = (service: ServiceName) =>
  `arn:aws:iam::${account}:role/${prefix}-${service}`;

export type Context = Record<string, string | string[]>;

export interface SimulatedRequest {
  /** A principal ARN, a service principal (`sns.amazonaws.com`) or anonymousPrincipal. */
  readonly principal: SimulationRequestPrincipal;
  readonly action: string;
  readonly resource: string;
  readonly context?: Context;
  /** The caller's own IAM policies (none for a service principal). */
  readonly identityPolicies?: readonly PolicyDocument[];
  readonly resourcePolicy?: ResourcePolicy | PolicyDocument | Record<string, unknown>;
}

/**
 * Evaluates one request; throws when the simulator refuses it (an unknown
 * action, a resource type the action does not take, a malformed policy).
 */
export async function simulate(request: SimulatedRequest): Promise<EvaluationResult> {
  const simulation: Simulation = {
    identityPolicies: (request.identityPolicies ?? []).map((policy, i) => ({
      name: `identity-${i}`,
      policy,
    })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: account },
      contextVariables: request.context ?? {},
    },
  };
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error')
    throw new Error(
      `the simulator refused ${request.action} on ${request.resource} by ${JSON.stringify(request.principal)}: ${JSON.stringify(response.errors)}`,
    );
  return response.overallResult;
}
