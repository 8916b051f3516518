import { describe, expect, it } from 'vitest';
import { deploymentPlan } from '../../plan.ts';
import {
  environmentBytes,
  environmentProblem,
  functionEnvironment,
  LAMBDA_ENVIRONMENT_LIMIT_BYTES,
  readDeploySettings,
  SST_ENVIRONMENT_ALLOWANCE_BYTES,
} from '../../settings.ts';
import { names, type QueueName, topology } from '../../topology.ts';

// The longest values a real deploy can have: a 40-character cluster id, the
// longest region name and a 12-digit account in every ARN and URL.
const region = 'ap-southeast-5';
const account = '123456789012';
const clusterId = 'c'.repeat(40);
const prefix = 'smartscale-production';

function resourcesAsDeployed(): string {
  const plan = deploymentPlan(prefix);
  const queueUrl = (name: string) => `https://sqs.${region}.amazonaws.com/${account}/${name}`;
  return JSON.stringify({
    prefix,
    clusterId,
    topics: Object.fromEntries(
      plan.topics
        .filter((t) => t.key !== 'alarms')
        .map((t) => [t.key, `arn:aws:sns:${region}:${account}:${t.name}`]),
    ),
    queues: Object.fromEntries(
      (Object.keys(topology.queues) as QueueName[]).map((q) => [
        q,
        {
          url: queueUrl(names.queue(prefix, q)),
          arn: `arn:aws:sqs:${region}:${account}:${names.queue(prefix, q)}`,
          dlqUrl: queueUrl(names.dlq(prefix, q)),
        },
      ]),
    ),
    tables: { state: names.table(prefix, 'state'), audit: names.table(prefix, 'audit') },
    buckets: { samples: names.bucket(prefix, 'samples') },
    parameters: {
      joinToken: names.parameter(prefix, 'joinToken'),
      slackWebhook: names.parameter(prefix, 'slackWebhook'),
    },
  });
}

const settingsWith = (policy: string) =>
  readDeploySettings(
    {
      SMARTSCALE_CLUSTER_ID: clusterId,
      SMARTSCALE_PROMETHEUS_URL: 'http://ip-10-100-200-250.ec2.internal:30090',
      SMARTSCALE_KUBE_API_URL: 'https://ip-10-100-200-250.ec2.internal:6443',
      SMARTSCALE_LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
      SMARTSCALE_LAUNCH_TEMPLATE_VERSION: '1',
      SMARTSCALE_WORKER_ROLE_NAME: 'smartscale-worker',
      SMARTSCALE_SUBNET_IDS:
        'subnet-0123456789abcdef0,subnet-0123456789abcdef1,subnet-0123456789abcdef2',
      SMARTSCALE_SECURITY_GROUP_IDS: 'sg-0123456789abcdef0',
      SMARTSCALE_ZONES: `${region}a,${region}b,${region}c`,
      SMARTSCALE_CONFIG_FILE: 'policy.json',
    },
    () => policy,
  );

describe("each function's environment against Lambda's 4 KB", () => {
  it('fits for every function with the default policy, with room for SST', () => {
    const settings = settingsWith('{}');
    for (const { service, name } of deploymentPlan(prefix).functions) {
      const env = functionEnvironment(prefix, settings, resourcesAsDeployed(), service);
      expect(environmentProblem(name, env), name).toBeNull();
      expect(environmentBytes(env)).toBeLessThan(LAMBDA_ENVIRONMENT_LIMIT_BYTES - 512);
    }
  });

  it('refuses at deploy time a valid policy too large for the environment, with the numbers', () => {
    // Valid to the policy schema and under the old 2,048-character check, yet too large.
    const policy = JSON.stringify({
      appTriggers: Array.from({ length: 12 }, (_, i) => ({
        name: `trigger-${i}`,
        query: `sum(rate(http_requests_total{service="checkout-${i}"}[1m]))`,
        threshold: 500,
      })),
    });
    expect(policy.length).toBeLessThan(2048);
    const settings = settingsWith(policy);
    const env = functionEnvironment(prefix, settings, resourcesAsDeployed(), 'join-verifier');
    const problem = environmentProblem(`${prefix}-join-verifier`, env);
    expect(problem).toContain(`its environment is ${environmentBytes(env)} bytes, over the 3584`);
    expect(problem).toMatch(/largest: SMARTSCALE_RESOURCES \d+ bytes, SMARTSCALE_CONFIG \d+ bytes/);
  });
});

describe('reserved concurrency', () => {
  it('is off unless set, and a bad value is named with what to check', () => {
    expect(settingsWith('{}').reservedConcurrency).toBeNull();
    expect(() =>
      readDeploySettings({ ...process.env, SMARTSCALE_RESERVED_CONCURRENCY: '0' }, () => '{}'),
    ).toThrow(/SMARTSCALE_RESERVED_CONCURRENCY '0' is invalid: expected a whole number 1-100/);
  });
});

// What SST 4.17.1 adds to every deployed function, read from its source
// (.sst/platform/src/components/aws/function.ts, normalizeEnvironment):
// SST_RESOURCE_App (JSON of app name and stage), SST_KEY (base64 of the
// 32-byte RandomBytes "LambdaEncryptionKey") and SST_KEY_FILE, plus the
// variables of linked resources (functions.ts links none). `sst dev` adds
// SST_REGION, SST_APPSYNC_*, SST_FUNCTION_ID, SST_APP, SST_STAGE and
// SST_ASSET_BUCKET on top; the guide deploys, never runs dev, against a stage.
describe("SST's own variables", () => {
  it('fit the allowance kept for them, for a stage name of up to 200 characters', () => {
    const sstVariables = (stage: string) => ({
      SST_RESOURCE_App: JSON.stringify({ name: 'smartscale', stage }),
      SST_KEY: Buffer.alloc(32, 0xff).toString('base64'),
      SST_KEY_FILE: 'resource.enc',
    });
    // 133 bytes for the stage production; the stage name is the only part that grows.
    expect(environmentBytes(sstVariables('production'))).toBeLessThan(
      SST_ENVIRONMENT_ALLOWANCE_BYTES / 2,
    );
    expect(environmentBytes(sstVariables('s'.repeat(200)))).toBeLessThanOrEqual(
      SST_ENVIRONMENT_ALLOWANCE_BYTES,
    );
  });
});
