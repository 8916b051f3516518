// The comparisons behind doctor's account checks (issue #22), where moto
// cannot answer the real API (Service Quotas for ec2, Lambda
// GetAccountSettings), and node-exporter per worker, whose live test needs
// the cluster project.
import { parseConfig } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import { sizing } from '../../../../stacks/functions.ts';
import { forLocalEnvironment } from '../../src/doctor.js';
import {
  compareEnvironmentSize,
  compareLambdaConcurrency,
  compareVcpuQuota,
  DECIDER_MAXIMUM_CONCURRENCY,
  isStandardType,
  policyUsesSpot,
  RESERVING_SERVICES,
} from '../../src/doctor-account.js';
import { compareWorkersWithExporters, exporterFindings } from '../../src/doctor-exporters.js';

describe('EC2 vCPU quota against workers.max x the largest type', () => {
  const m6i = { instanceType: 'm6i.xlarge', vcpu: 4 };

  it('is ok at exactly what the policy may launch and a problem one vCPU below', () => {
    const enough = compareVcpuQuota('onDemand', { value: 40 }, 10, m6i, 'eu-west-1');
    expect(enough.status).toBe('ok');
    expect(enough.check).toBe('ec2 vCPU quota On-Demand (L-1216C47A)');
    const short = compareVcpuQuota('spot', { value: 39 }, 10, m6i, 'eu-west-1');
    expect(short.status).toBe('problem');
    expect(short.check).toBe('ec2 vCPU quota Spot (L-34B43A08)');
    expect(short.detail).toContain(
      '39 vCPU in eu-west-1, below workers.max 10 x 4 vCPU of m6i.xlarge = 40 vCPU',
    );
    expect(short.fix).toContain('--quota-code L-34B43A08 --desired-value 40');
  });

  it('warns with the error when the quota could not be read', () => {
    const f = compareVcpuQuota(
      'onDemand',
      { error: 'AccessDeniedException: no' },
      3,
      m6i,
      'eu-west-1',
    );
    expect(f.status).toBe('warning');
    expect(f.detail).toBe('could not read the quota: AccessDeniedException: no');
  });

  it('counts only the Standard families against the Standard quotas', () => {
    for (const t of [
      't3.medium',
      'm6i.large',
      'c7g.xlarge',
      'r6a.2xlarge',
      'i4i.large',
      'z1d.large',
    ])
      expect(isStandardType(t), t).toBe(true);
    for (const t of [
      'g5.xlarge',
      'p4d.24xlarge',
      'inf2.xlarge',
      'dl1.24xlarge',
      'hpc7g.4xlarge',
      'trn1.2xlarge',
      'u-6tb1.metal',
      'x2idn.large',
    ])
      expect(isStandardType(t), t).toBe(false);
  });

  it('sees Spot in a policy only with a share and room above the on-demand base', () => {
    expect(policyUsesSpot(parseConfig({}))).toBe(true);
    expect(policyUsesSpot(parseConfig({ purchase: { spotShare: 0 } }))).toBe(false);
    expect(
      policyUsesSpot(parseConfig({ workers: { min: 2, max: 3 }, purchase: { onDemandBase: 3 } })),
    ).toBe(false);
  });
});

describe('Lambda concurrency against what the stage reserves', () => {
  it('holds the reserving services and the decider maximum to stacks/functions.ts', () => {
    const reserving = Object.entries(sizing)
      .filter(([, s]) => s.reservable)
      .map(([service]) => service);
    expect([...RESERVING_SERVICES].sort()).toEqual(reserving.sort());
    expect(DECIDER_MAXIMUM_CONCURRENCY).toBe(sizing.decider.maximumConcurrency);
  });

  it('refuses a reservation in a new account of 10 and passes none', () => {
    const fresh = { limit: 10, unreserved: 10, reservedByStage: 0 };
    const none = compareLambdaConcurrency(fresh, null, 'us-east-1');
    expect(none.status).toBe('ok');
    expect(none.detail).toContain('reserves none');
    expect(none.detail).toContain('up to 2 (MaximumConcurrency)');
    const one = compareLambdaConcurrency(fresh, 1, 'us-east-1');
    expect(one.status).toBe('problem');
    expect(one.detail).toContain('leaving 8, below the 10 AWS keeps unreserved');
    expect(one.fix).toContain('--quota-code L-B99A9384 --desired-value 12');
  });

  it('counts reservations the deployed stage already holds once', () => {
    // 1000 in all, 10 of them the stage's own (5 + 5): redeploying with 5 changes nothing.
    const deployed = { limit: 1000, unreserved: 990, reservedByStage: 10 };
    expect(compareLambdaConcurrency(deployed, 5, 'us-east-1').detail).toContain(
      'leaving 990 unreserved',
    );
  });
});

describe('a deployed function environment against 4 KB', () => {
  it('counts names and values in UTF-8 bytes: ok, near the limit, over it', () => {
    expect(compareEnvironmentSize('f', { A: 'x'.repeat(3583) }).status).toBe('ok');
    expect(compareEnvironmentSize('f', { A: 'x'.repeat(3584) }).status).toBe('warning');
    // 'é' is two bytes in UTF-8: with its name, A is 4097 bytes.
    const over = compareEnvironmentSize('f', { A: 'é'.repeat(2048), SMARTSCALE_CONFIG: '{}' });
    expect(over.status).toBe('problem');
    expect(over.detail).toMatch(
      /^4116 bytes, over Lambda's 4096: .*largest: A 4097, SMARTSCALE_CONFIG 19/,
    );
  });
});

describe('node-exporter reporting for every Ready worker', () => {
  const up = (labels: Record<string, string>, value: string) => ({
    metric: { __name__: 'up', job: 'node-exporter', ...labels },
    value: [1, value] as const,
  });

  it('names the workers with no series and with a failing scrape', () => {
    const result = compareWorkersWithExporters(
      ['w-1', 'w-2', 'w-3'],
      [up({ node: 'w-1' }, '1'), up({ node: 'w-2' }, '0'), up({ node: 'server' }, '1')],
      'node',
    );
    expect(result).toEqual({ kind: 'compared', missing: ['w-2', 'w-3'] });
    const f = exporterFindings(result, 3, 'node-exporter', 'node');
    expect(f.status).toBe('problem');
    expect(f.detail).toContain('no reporting node-exporter on 2 of 3 Ready worker(s): w-2, w-3');
  });

  it('is ok when every worker reports, reading the configured label', () => {
    const result = compareWorkersWithExporters(
      ['w-1', 'w-2'],
      [up({ instance: 'w-1' }, '1'), up({ instance: 'w-2' }, '1')],
      'instance',
    );
    expect(result).toEqual({ kind: 'compared', missing: [] });
    expect(exporterFindings(result, 2, 'node-exporter', 'instance').status).toBe('ok');
  });

  it('warns, naming no worker, when the job has no series or its series no node label', () => {
    expect(compareWorkersWithExporters(['w-1'], [], 'node')).toEqual({ kind: 'no-series' });
    const unlabelled = compareWorkersWithExporters(
      ['w-1'],
      [up({ instance: '10.0.1.5:9100' }, '1')],
      'node',
    );
    expect(unlabelled).toEqual({ kind: 'no-node-label' });
    const f = exporterFindings(unlabelled, 1, 'node-exporter', 'node');
    expect(f.status).toBe('warning');
    expect(f.fix).toContain('SMARTSCALE_PROMQL_NODE_LABEL');
  });
});

describe('the account checks on the local environment', () => {
  it('turns the missing Spot role and the absent functions into local warnings, nothing else', () => {
    const out = forLocalEnvironment([
      {
        check: 'spot service-linked role',
        status: 'problem',
        detail: 'AWSServiceRoleForEC2Spot is missing',
        fix: 'aws iam create-service-linked-role --aws-service-name spot.amazonaws.com',
      },
      {
        check: 'functions of smartscale-local',
        status: 'warning',
        detail: 'none deployed yet',
        fix: 'x',
      },
      { check: 'node-exporter on workers', status: 'warning', detail: 'not checked', fix: 'y' },
      {
        check: 'ec2 vCPU quota On-Demand (L-1216C47A)',
        status: 'problem',
        detail: 'below',
        fix: 'z',
      },
    ]);
    expect(out.map((f) => f.status)).toEqual(['warning', 'warning', 'warning', 'problem']);
    expect(out[0]?.detail).toMatch(/^local: skipped because moto starts without/);
    expect(out[0]?.fix).toContain('create-service-linked-role');
    expect(out[1]?.detail).toMatch(/^local: skipped because/);
    expect(out[2]?.detail).toMatch(/^local: skipped because local:up runs no Prometheus/);
  });
});
