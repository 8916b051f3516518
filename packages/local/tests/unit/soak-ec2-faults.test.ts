import { describe, expect, it } from 'vitest';
import {
  capacityRule,
  ec2Call,
  launchTarget,
  slowRule,
  throttleRule,
} from '../../src/faults/ec2-faults.ts';
import type { ProxiedRequest } from '../../src/faults/fault-proxy.ts';
import { kubeApiRule } from '../../src/faults/http-faults.ts';
import { capacityScopeOf } from '../../src/soak/wire-faults.ts';

const SUBNETS = new Map([
  ['subnet-a', 'us-east-1a'],
  ['subnet-b', 'us-east-1b'],
]);
const form = (params: Record<string, string>): ProxiedRequest => ({
  method: 'POST',
  path: '/',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: Buffer.from(new URLSearchParams({ Version: '2016-11-15', ...params }).toString()),
});
const runInstances = (subnet: string, spot: boolean) =>
  form({
    Action: 'RunInstances',
    SubnetId: subnet,
    InstanceType: 't3.medium',
    ...(spot ? { 'InstanceMarketOptions.MarketType': 'spot' } : {}),
  });
const createFleet = (subnet: string, spot: boolean) =>
  form({
    Action: 'CreateFleet',
    'LaunchTemplateConfigs.1.Overrides.1.InstanceType': 't3.medium',
    'LaunchTemplateConfigs.1.Overrides.1.SubnetId': subnet,
    'LaunchTemplateConfigs.1.Overrides.2.InstanceType': 't3a.medium',
    'LaunchTemplateConfigs.1.Overrides.2.SubnetId': subnet,
    'TargetCapacitySpecification.DefaultTargetCapacityType': spot ? 'spot' : 'on-demand',
  });

describe('EC2 faults on the wire', () => {
  it('reads an EC2 call and its launch target, and ignores SQS and JSON-protocol calls', () => {
    const call = ec2Call(createFleet('subnet-b', true));
    expect(call?.action).toBe('CreateFleet');
    expect(launchTarget(call?.params ?? new URLSearchParams())).toEqual({
      subnetId: 'subnet-b',
      capacityType: 'spot',
      instanceType: 't3.medium',
    });
    expect(ec2Call(form({ Action: 'SendMessage', Version: '2012-11-05' }))).toBeNull();
    expect(
      ec2Call({
        ...form({ Action: 'RunInstances' }),
        headers: { 'x-amz-target': 'DynamoDB_20120810.PutItem' },
      }),
    ).toBeNull();
  });

  it('refuses launches in the zone only: RunInstances with a 500, CreateFleet with a 200 and an error per pool', () => {
    const rule = capacityRule({ zone: 'us-east-1a' }, SUBNETS);
    const run = rule.decide(runInstances('subnet-a', false));
    expect(run).toMatchObject({ kind: 'respond', status: 500 });
    expect(run?.kind === 'respond' && run.body).toMatch(
      /<Code>InsufficientInstanceCapacity<\/Code>.*us-east-1a/,
    );
    const fleet = rule.decide(createFleet('subnet-a', true));
    expect(fleet).toMatchObject({ kind: 'respond', status: 200 });
    const body = fleet?.kind === 'respond' ? fleet.body : '';
    expect(body.match(/<errorCode>InsufficientInstanceCapacity<\/errorCode>/g)).toHaveLength(2);
    expect(body).toMatch(/<lifecycle>spot<\/lifecycle>/);
    expect(body).toMatch(/<fleetInstanceSet\/>/);
    expect(rule.decide(runInstances('subnet-b', false))).toBeNull();
    expect(rule.decide(form({ Action: 'DescribeInstances' }))).toBeNull();
  });

  it('refuses one capacity type in every zone', () => {
    const rule = capacityRule({ capacityType: 'spot' }, SUBNETS);
    expect(rule.decide(runInstances('subnet-b', true))).not.toBeNull();
    expect(rule.decide(createFleet('subnet-a', true))).not.toBeNull();
    expect(rule.decide(runInstances('subnet-b', false))).toBeNull();
    expect(rule.decide(createFleet('subnet-a', false))).toBeNull();
  });

  it('throttles launches only, and slows every EC2 call', () => {
    expect(throttleRule().decide(runInstances('subnet-a', false))).toMatchObject({
      status: 503,
      body: expect.stringMatching(/RequestLimitExceeded/),
    });
    expect(throttleRule().decide(form({ Action: 'DescribeInstances' }))).toBeNull();
    expect(slowRule(1500).decide(form({ Action: 'DescribeInstances' }))).toEqual({
      kind: 'delay',
      ms: 1500,
    });
    expect(() => slowRule(0)).toThrow(/slow EC2 delay must be positive ms, got 0/);
  });

  it('picks every capacity scope over the picks: each zone, spot, on-demand', () => {
    const zones = ['us-east-1a', 'us-east-1b'];
    expect([0, 0.3, 0.6, 0.9].map((p) => capacityScopeOf(p, zones))).toEqual([
      { zone: 'us-east-1a' },
      { zone: 'us-east-1b' },
      { capacityType: 'spot' },
      { capacityType: 'on-demand' },
    ]);
  });

  it('answers API requests with a Kubernetes Status of the code, or hangs', () => {
    const req = { method: 'GET', path: '/api/v1/nodes', headers: {}, body: Buffer.alloc(0) };
    const throttled = kubeApiRule('429', 5000).decide(req);
    expect(throttled).toMatchObject({ status: 429, headers: { 'retry-after': '1' } });
    expect(JSON.parse(throttled?.kind === 'respond' ? throttled.body : '{}')).toMatchObject({
      kind: 'Status',
      code: 429,
      reason: 'TooManyRequests',
    });
    expect(kubeApiRule('timeout', 4000).decide(req)).toEqual({ kind: 'hang', ms: 4000 });
    expect(() => kubeApiRule('503' as never, 1)).toThrow(
      /kube fault must be one of 500, 429, timeout, got '503'/,
    );
  });
});
