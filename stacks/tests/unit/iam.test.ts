import { describe, expect, it } from 'vitest';
import { type ArnResolver, allIam, iamFor } from '../../iam.ts';
import { ServiceNames, topology } from '../../topology.ts';

const resolver: ArnResolver = {
  region: 'eu-west-1',
  account: '123456789012',
  clusterId: 'prod',
  workerRoleName: 'smartscale-worker',
  arn: (ref) => `arn:test:${ref.kind}:${ref.name}`,
};

// Actions IAM only grants on "*": they are read-only or scoped by conditions.
// EC2 Describe* actions support no resource-level permissions: "*" is the only resource.
const STAR_ALLOWED = new Set([
  'ec2:DescribeInstances',
  'ec2:DescribeInstanceTypes',
  'ec2:RunInstances',
  'ec2:CreateTags',
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

  it('uses a "*" resource only where IAM allows nothing narrower, and scopes launches by tag', () => {
    for (const [service, statements] of Object.entries(all)) {
      for (const s of statements.filter((st) => st.resources.includes('*'))) {
        for (const action of s.actions)
          expect(STAR_ALLOWED.has(action), `${service}: ${action} on *`).toBe(true);
        if (s.actions.includes('ec2:RunInstances')) {
          expect(s.conditions?.map((c) => c.variable)).toContain(
            'aws:RequestTag/smartscale:cluster',
          );
        }
      }
    }
  });

  it('lets only instances tagged as this cluster be terminated', () => {
    const terminate = ServiceNames.flatMap((s) => iamFor(s, resolver)).filter((s) =>
      s.actions.includes('ec2:TerminateInstances'),
    );
    expect(terminate.length).toBeGreaterThan(0);
    for (const s of terminate) {
      expect(s.conditions).toEqual([
        { test: 'StringEquals', variable: 'aws:ResourceTag/smartscale:cluster', values: ['prod'] },
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
    expect(who('ssm:GetParameter', 'arn:test:parameter:kubeToken').sort()).toEqual([
      'drainer',
      'join-verifier',
      'reconciler',
      'sampler',
      'spot-listener',
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
