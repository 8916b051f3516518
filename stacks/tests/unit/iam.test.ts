import { describe, expect, it } from 'vitest';
import { type ArnResolver, allIam, iamFor } from '../../iam.ts';
import { ServiceNames, topology } from '../../topology.ts';

const resolver: ArnResolver = {
  region: 'eu-west-1',
  account: '123456789012',
  clusterId: 'prod',
  workerRoleName: 'smartscale-worker',
  launch: {
    launchTemplateId: 'lt-0123456789abcdef0',
    imageIds: ['ami-0123456789abcdef0'],
    subnetIds: ['subnet-0a', 'subnet-0b'],
    securityGroupIds: ['sg-0workers'],
    instanceTypes: ['t3.medium'],
  },
  topicKeyArn: 'arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555',
  arn: (ref) => `arn:test:${ref.kind}:${ref.name}`,
};

// EC2 Describe* actions support no resource-level permissions: "*" is their
// only resource. Launching and tagging are never granted on "*" (issue #21).
const STAR_ALLOWED = new Set([
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeSpotPriceHistory',
]);

describe('least-privilege IAM', () => {
  const all = allIam(resolver);

  it('grants no wildcard action to any service', () => {
    for (const [service, statements] of Object.entries(all)) {
      for (const s of statements) {
        for (const action of s.actions)
          expect(action, `${service}: ${action}`).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
      }
    }
  });

  it('uses a "*" resource only where IAM allows nothing narrower, and no IfExists condition', () => {
    for (const [service, statements] of Object.entries(all)) {
      for (const s of statements.filter((st) => st.resources.includes('*'))) {
        for (const action of s.actions)
          expect(STAR_ALLOWED.has(action), `${service}: ${action} on *`).toBe(true);
      }
      // An IfExists test passes when the key is absent, which is how the
      // old CreateTags grant let any instance be tagged.
      for (const c of statements.flatMap((st) => st.conditions ?? []))
        expect(c.test, `${service}: ${c.variable}`).not.toMatch(/IfExists$/);
    }
  });

  it('refuses to build launch statements from an incomplete launch scope, naming what is missing', () => {
    expect(() =>
      iamFor('provisioner', { ...resolver, launch: { ...resolver.launch, imageIds: [] } }),
    ).toThrow(/launch scope is incomplete: imageIds empty/);
  });

  it('lets only instances tagged as this cluster be terminated', () => {
    const terminate = ServiceNames.flatMap((s) => iamFor(s, resolver)).filter((s) =>
      s.actions.includes('ec2:TerminateInstances'),
    );
    expect(terminate.length).toBeGreaterThan(0);
    for (const s of terminate) {
      expect(s.conditions).toEqual([
        { test: 'StringEquals', variable: 'aws:ResourceTag/smartscale:cluster', values: ['prod'] },
        { test: 'StringEquals', variable: 'aws:ResourceTag/smartscale:managed', values: ['true'] },
      ]);
    }
  });

  it('gives each service only its own queue to consume', () => {
    for (const service of ServiceNames) {
      const consumed = iamFor(service, resolver)
        .filter((s) => s.actions.includes('sqs:ReceiveMessage'))
        .flatMap((s) => s.resources);
      const own = service in topology.queues ? [`arn:test:queue:${service}`] : [];
      expect(consumed, service).toEqual(own);
    }
  });

  it('lets only the notifier read the Slack webhook, only Kubernetes users its token, only the provisioner launch', () => {
    const who = (action: string, resource?: string) =>
      ServiceNames.filter((s) =>
        iamFor(s, resolver).some(
          (st) => st.actions.includes(action) && (!resource || st.resources.includes(resource)),
        ),
      );
    expect(who('ssm:GetParameter', 'arn:test:parameter:slackWebhook')).toEqual(['notifier']);
    // Each Kubernetes identity's token only to the services that use it.
    expect(who('ssm:GetParameter', 'arn:test:parameter:kubeTokenReader').sort()).toEqual([
      'sampler',
      'spot-listener',
    ]);
    expect(who('ssm:GetParameter', 'arn:test:parameter:kubeTokenJoinVerifier')).toEqual([
      'join-verifier',
    ]);
    expect(who('ssm:GetParameter', 'arn:test:parameter:kubeTokenWriter').sort()).toEqual([
      'drainer',
      'reconciler',
    ]);
    expect(who('ec2:RunInstances')).toEqual(['provisioner']);
    // Launching passes the workers' role to EC2, and no other role anywhere.
    const passRole = ServiceNames.flatMap((s) => iamFor(s, resolver)).filter((st) =>
      st.actions.includes('iam:PassRole'),
    );
    expect(who('iam:PassRole')).toEqual(['provisioner']);
    expect(passRole).toEqual([
      {
        actions: ['iam:PassRole'],
        resources: ['arn:aws:iam::123456789012:role/smartscale-worker'],
        conditions: [
          { test: 'StringEquals', variable: 'iam:PassedToService', values: ['ec2.amazonaws.com'] },
        ],
      },
    ]);
  });
});
