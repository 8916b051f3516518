import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { deploymentPlan } from '../../plan.ts';
import { RESULT_MARKER } from './sst-mapping-runner.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
}

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

// `sst deploy` needs AWS and Pulumi's release downloads. Offline, `sst
// install` still generates SST's platform (its component sources and their
// npm dependencies) from the npm registry alone; both checks below use it.
describe('sst.config.ts and stacks/', () => {
  beforeAll(() => {
    const install = run('npx', ['sst', 'install'], {
      SST_TELEMETRY_DISABLED: '1',
      SST_STAGE: 'ci',
      SST_SKIP_DEPENDENCY_CHECK: '1',
      SST_NO_BUN: '1',
    });
    expect(install.status, install.stdout + install.stderr).toBe(0);
  }, 300_000);

  it('type-check against the SST platform', () => {
    const tsc = run(process.execPath, [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.sst.json',
    ]);
    expect(tsc.stdout).not.toMatch(/error TS/);
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });

  // Parity, SST side: the mapping run with SST's real components on
  // Pulumi's mock runtime declares every planned topic, queue, DLQ,
  // subscription, rule, table, bucket and alarm, as planned, and nothing else.
  describe('declare exactly the deployment plan', () => {
    const prefix = 'smartscale-ci';
    const plan = deploymentPlan(prefix);
    let registered: Registered[] = [];
    const ofType = (type: string) => registered.filter((r) => r.type === `aws:${type}`);
    const nameOf = (arn: unknown) => String(arn).split(':').pop();
    const sorted = (xs: Iterable<string>) => [...xs].sort();

    beforeAll(() => {
      const mapping = run(process.execPath, [
        '--import',
        'tsx',
        join(root, 'stacks/tests/deploy/sst-mapping-runner.ts'),
        prefix,
      ]);
      expect(mapping.status, mapping.stderr).toBe(0);
      const line = mapping.stdout.split('\n').find((l) => l.startsWith(RESULT_MARKER));
      if (!line) throw new Error(`the mapping printed no result:\n${mapping.stdout}`);
      registered = JSON.parse(line.slice(RESULT_MARKER.length)) as Registered[];
    }, 180_000);

    it('only the AWS resource types the plan asks for', () => {
      expect(
        sorted(new Set(registered.filter((r) => r.type.startsWith('aws:')).map((r) => r.type))),
      ).toEqual([
        'aws:cloudwatch/dashboard:Dashboard',
        'aws:cloudwatch/eventRule:EventRule',
        'aws:cloudwatch/eventTarget:EventTarget',
        'aws:cloudwatch/metricAlarm:MetricAlarm',
        'aws:dynamodb/table:Table',
        'aws:kms/alias:Alias',
        'aws:kms/key:Key',
        'aws:kms/keyPolicy:KeyPolicy',
        'aws:s3/bucket:Bucket',
        'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
        'aws:s3/bucketPolicy:BucketPolicy',
        'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
        'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
        'aws:sns/topic:Topic',
        'aws:sns/topicPolicy:TopicPolicy',
        'aws:sns/topicSubscription:TopicSubscription',
        'aws:sqs/queue:Queue',
        'aws:sqs/queuePolicy:QueuePolicy',
        'aws:sqs/redriveAllowPolicy:RedriveAllowPolicy',
      ]);
    });

    it('topics, and queues with their DLQs and redrive', () => {
      expect(sorted(ofType('sns/topic:Topic').map((t) => String(t.inputs.name)))).toEqual(
        sorted(plan.topics.map((t) => t.name)),
      );
      const queues = ofType('sqs/queue:Queue');
      expect(sorted(queues.map((q) => String(q.inputs.name)))).toEqual(
        sorted(plan.queues.flatMap((q) => [q.name, q.dlqName])),
      );
      // Encrypted at rest with SQS-managed keys, DLQs kept 14 days (issue #21).
      for (const queue of queues)
        expect(queue.inputs.sqsManagedSseEnabled, String(queue.inputs.name)).toBe(true);
      for (const q of plan.queues)
        expect(
          queues.find((r) => r.inputs.name === q.dlqName)?.inputs.messageRetentionSeconds,
          q.dlqName,
        ).toBe(14 * 86400);
      for (const q of plan.queues) {
        const main = queues.find((r) => r.inputs.name === q.name);
        expect(main?.inputs.visibilityTimeoutSeconds, q.name).toBe(q.visibilityTimeoutSeconds);
        const redrive = JSON.parse(String(main?.inputs.redrivePolicy));
        expect(nameOf(redrive.deadLetterTargetArn), q.name).toBe(q.dlqName);
        expect(redrive.maxReceiveCount, q.name).toBe(q.maxReceiveCount);
      }
    });

    it('subscriptions, raw, with the planned filter or none', () => {
      const found = ofType('sns/topicSubscription:TopicSubscription').map((s) =>
        JSON.stringify({
          topic: nameOf(s.inputs.topic),
          queue: nameOf(s.inputs.endpoint),
          filter: s.inputs.filterPolicy ? JSON.parse(String(s.inputs.filterPolicy)) : null,
          raw: s.inputs.rawMessageDelivery,
        }),
      );
      const expected = plan.subscriptions.map((s) =>
        JSON.stringify({
          topic: `${prefix}-${s.topic}`,
          queue: `${prefix}-${s.queue}`,
          filter: s.filterPolicy,
          raw: true,
        }),
      );
      expect(sorted(found)).toEqual(sorted(expected));
    });

    it('one policy per queue, letting in only its subscribed topics and targeting rules', () => {
      const policies = ofType('sqs/queuePolicy:QueuePolicy');
      // One per queue and one per DLQ (the next test reads those).
      expect(sorted(policies.map((p) => String(p.inputs.queueUrl).split('/').pop() ?? ''))).toEqual(
        sorted(plan.queues.flatMap((q) => [q.name, q.dlqName])),
      );
      for (const q of plan.queues) {
        const policy = policies.find((p) => String(p.inputs.queueUrl).endsWith(`/${q.name}`));
        const all = JSON.parse(String(policy?.inputs.policy)).Statement as {
          Effect: 'Allow' | 'Deny';
          Principal: { Service: string };
          Action: string;
          Resource: string;
          Condition: { ArnEquals: { 'aws:SourceArn': string[] } };
        }[];
        // Besides the senders, one Deny of every request without TLS (issue #21).
        expect(
          all
            .filter((st) => st.Effect === 'Deny')
            .map((st) => [st.Action, nameOf(st.Resource), st.Condition]),
          q.name,
        ).toEqual([['sqs:*', q.name, { Bool: { 'aws:SecureTransport': 'false' } }]]);
        const statements = all.filter((st) => st.Effect === 'Allow');
        const allowed = statements.flatMap((st) => {
          expect(st.Action).toBe('sqs:SendMessage');
          expect(nameOf(st.Resource)).toBe(q.name);
          return st.Condition.ArnEquals['aws:SourceArn'].map(
            (arn) => `${st.Principal.Service} ${arn.split(/[:/]/).pop()}`,
          );
        });
        expect(sorted(allowed), q.name).toEqual(
          sorted([
            ...plan.subscriptions
              .filter((s) => s.queue === q.key)
              .map((s) => `sns.amazonaws.com ${prefix}-${s.topic}`),
            ...plan.rules
              .filter((r) => r.targetQueue === q.key)
              .map((r) => `events.amazonaws.com ${r.name}`),
          ]),
        );
      }
    });

    // Issue #21 items 5 and 8; the policies' effect is proven by
    // stacks/tests/unit/resource-policy-simulation.test.ts, this holds the
    // mapping to attaching them, to the right resources, with the roles.
    const role = (s: string) => `arn:aws:iam::123456789012:role/${prefix}-${s}`;
    const serverRole = 'arn:aws:iam::123456789012:role/k3s-server';
    type Statement = {
      Sid: string;
      Effect: string;
      Principal: string | { AWS?: string[] | string; Service?: string };
      Action: string | string[];
      Resource: string;
      Condition?: Record<string, Record<string, string[] | string>>;
    };
    const statementsOf = (r: Registered | undefined) =>
      JSON.parse(String(r?.inputs.policy)).Statement as Statement[];

    it('topics encrypted with the stack key, each with a policy naming its exact publishers', () => {
      const [key, ...moreKeys] = ofType('kms/key:Key');
      expect(moreKeys).toEqual([]);
      expect(key?.inputs.enableKeyRotation).toBe(true);
      const keyArn = `arn:aws:kms:eu-west-1:123456789012:key/${key?.name}`;
      for (const topic of ofType('sns/topic:Topic'))
        expect(topic.inputs.kmsMasterKeyId, String(topic.inputs.name)).toBe(keyArn);
      const policies = ofType('sns/topicPolicy:TopicPolicy');
      expect(sorted(policies.map((p) => nameOf(p.inputs.arn) ?? ''))).toEqual(
        sorted(plan.topics.map((t) => t.name)),
      );
      const expected: Record<string, string[]> = {
        samples: [role('sampler'), serverRole],
        commands: [role('decider'), role('spot-listener')],
        events: [
          'decider',
          'provisioner',
          'join-verifier',
          'drainer',
          'spot-listener',
          'reconciler',
        ].map(role),
        alarms: [],
      };
      for (const t of plan.topics) {
        const statements = statementsOf(policies.find((p) => nameOf(p.inputs.arn) === t.name));
        const publishers = statements.find((st) => st.Sid === 'publishers');
        expect(publishers ? (publishers.Principal as { AWS: string[] }).AWS : [], t.name).toEqual(
          expected[t.key],
        );
        const deny = statements.find((st) => st.Sid === 'nobody-else-publishes');
        expect(deny?.Effect).toBe('Deny');
        expect(statements.find((st) => st.Sid === 'tls-only')?.Condition, t.name).toEqual({
          Bool: { 'aws:SecureTransport': 'false' },
        });
        expect(
          statements.find((st) => st.Sid === 'cloudwatch-alarms')?.Condition?.ArnLike,
          t.name,
        ).toEqual(
          t.key === 'alarms'
            ? { 'aws:SourceArn': `arn:aws:cloudwatch:eu-west-1:123456789012:alarm:${prefix}-*` }
            : undefined,
        );
      }
      const [keyPolicy, ...moreKeyPolicies] = ofType('kms/keyPolicy:KeyPolicy');
      expect(moreKeyPolicies).toEqual([]);
      expect(keyPolicy?.inputs.keyId).toBe(key?.name);
      const users = statementsOf(keyPolicy).find((st) => st.Sid === 'publishers-through-sns');
      expect(sorted((users?.Principal as { AWS: string[] } | undefined)?.AWS ?? [])).toEqual(
        sorted(new Set(Object.values(expected).flat())),
      );
      const [alias] = ofType('kms/alias:Alias');
      expect(alias?.inputs.name).toBe(`alias/${prefix}-topics`);
    });

    it('DLQs: only their consumer and targeting rules may send, only their queue may redrive', () => {
      const policies = ofType('sqs/queuePolicy:QueuePolicy');
      const allows = ofType('sqs/redriveAllowPolicy:RedriveAllowPolicy');
      for (const q of plan.queues) {
        const statements = statementsOf(
          policies.find((p) => String(p.inputs.queueUrl).endsWith(`/${q.dlqName}`)),
        );
        const deny = statements.find((st) => st.Sid === 'nobody-else-sends');
        const rules = plan.rules
          .filter((r) => r.targetQueue === q.key)
          .map((r) => `arn:aws:events:eu-west-1:123456789012:rule/${r.name}`);
        expect(deny?.Condition?.ArnNotEquals, q.dlqName).toEqual({
          'aws:PrincipalArn': [role(q.key)],
          ...(rules.length > 0 ? { 'aws:SourceArn': rules } : {}),
        });
        expect(statements.find((st) => st.Sid === 'tls-only')?.Action, q.dlqName).toBe('sqs:*');
        const redrive = allows.find((a) => String(a.inputs.queueUrl).endsWith(`/${q.dlqName}`));
        expect(JSON.parse(String(redrive?.inputs.redriveAllowPolicy)), q.dlqName).toEqual({
          redrivePermission: 'byQueue',
          sourceQueueArns: [`arn:aws:sqs:eu-west-1:123456789012:${q.name}`],
        });
      }
      // EventBridge keeps an event it cannot deliver in the target queue's DLQ.
      for (const target of ofType('cloudwatch/eventTarget:EventTarget')) {
        const queue = plan.queues.find((q) => q.name === nameOf(target.inputs.arn));
        expect(
          nameOf((target.inputs.deadLetterConfig as { arn: string }).arn),
          String(target.inputs.rule),
        ).toBe(queue?.dlqName);
      }
    });

    it('EventBridge rules on the default bus, each into its queue', () => {
      const rules = ofType('cloudwatch/eventRule:EventRule');
      const targets = ofType('cloudwatch/eventTarget:EventTarget');
      const found = rules.map((r) =>
        JSON.stringify({
          name: r.inputs.name,
          bus: r.inputs.eventBusName,
          pattern: JSON.parse(String(r.inputs.eventPattern)),
          targets: targets
            .filter((t) => t.inputs.rule === r.inputs.name)
            .map((t) => nameOf(t.inputs.arn)),
        }),
      );
      const expected = plan.rules.map((r) =>
        JSON.stringify({
          name: r.name,
          bus: 'default',
          pattern: r.pattern,
          targets: [`${prefix}-${r.targetQueue}`],
        }),
      );
      // Key order inside a pattern is not meaningful: compare parsed.
      expect(found.map((f) => JSON.parse(f)).sort(byName)).toEqual(
        expected.map((e) => JSON.parse(e)).sort(byName),
      );
    });

    it('tables with their keys, index, TTL, point-in-time recovery and SSE stated', () => {
      const tables = ofType('dynamodb/table:Table');
      expect(sorted(tables.map((t) => String(t.inputs.name)))).toEqual(
        sorted(plan.tables.map((t) => t.name)),
      );
      for (const t of plan.tables) {
        const table = tables.find((r) => r.inputs.name === t.name)?.inputs;
        expect(table?.hashKey).toBe(t.spec.partitionKey.name);
        expect(table?.rangeKey).toBe(t.spec.sortKey.name);
        expect(table?.ttl).toEqual({ attributeName: t.spec.ttlAttribute, enabled: true });
        expect(table?.pointInTimeRecovery).toEqual({ enabled: true });
        expect(table?.serverSideEncryption).toEqual({ enabled: true });
        expect(
          ((table?.globalSecondaryIndexes ?? []) as { name: string }[]).map((i) => i.name),
        ).toEqual(t.spec.globalIndexes.map((i) => i.name));
      }
    });

    it('buckets private, encrypted, HTTPS only, expiring their prefix', () => {
      const ofBucket = (type: string, bucket: string) =>
        ofType(type).filter((r) => r.inputs.bucket === bucket);
      expect(sorted(ofType('s3/bucket:Bucket').map((b) => String(b.inputs.bucket)))).toEqual(
        sorted(plan.buckets.map((b) => b.name)),
      );
      for (const b of plan.buckets) {
        const [lifecycle, ...moreLifecycles] = ofBucket(
          's3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
          b.name,
        );
        expect(moreLifecycles, b.name).toEqual([]);
        expect(lifecycle?.inputs.rules, b.name).toEqual([
          {
            id: `expire-${b.spec.objectPrefix.replace(/\/$/, '')}`,
            status: 'Enabled',
            filter: { prefix: b.spec.objectPrefix },
            expiration: { days: b.spec.expireAfterDays },
          },
        ]);
        const [block] = ofBucket('s3/bucketPublicAccessBlock:BucketPublicAccessBlock', b.name);
        expect(block?.inputs, b.name).toMatchObject({
          blockPublicAcls: true,
          blockPublicPolicy: true,
          ignorePublicAcls: true,
          restrictPublicBuckets: true,
        });
        const [encryption] = ofBucket(
          's3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
          b.name,
        );
        expect(encryption?.inputs.rules, b.name).toEqual([
          { applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } },
        ]);
        // The only bucket policy denies plain HTTP and grants nobody anything:
        // the functions' access is their IAM roles' (stacks/iam.ts).
        const [policy, ...morePolicies] = ofBucket('s3/bucketPolicy:BucketPolicy', b.name);
        expect(morePolicies, b.name).toEqual([]);
        const statements = JSON.parse(String(policy?.inputs.policy)).statements as {
          effect: string;
          conditions: { variable: string; values: string[] }[];
        }[];
        expect(
          statements.map(
            (st) => `${st.effect} ${st.conditions.map((c) => `${c.variable}=${c.values}`)}`,
          ),
          b.name,
        ).toEqual(['Deny aws:SecureTransport=false']);
      }
    });

    it('alarms notifying the alarms topic, and the dashboard', () => {
      const alarms = ofType('cloudwatch/metricAlarm:MetricAlarm');
      expect(sorted(alarms.map((a) => String(a.inputs.name)))).toEqual(
        sorted(plan.alarms.map((a) => a.name)),
      );
      for (const a of plan.alarms) {
        const alarm = alarms.find((r) => r.inputs.name === a.name)?.inputs;
        expect(alarm?.dimensions, a.name).toEqual(a.dimensions);
        expect(alarm?.namespace).toBe(a.spec.namespace);
        expect(alarm?.metricName).toBe(a.spec.metric);
        expect(((alarm?.alarmActions ?? []) as string[]).map(nameOf)).toEqual([`${prefix}-alarms`]);
        expect(((alarm?.okActions ?? []) as string[]).map(nameOf)).toEqual([`${prefix}-alarms`]);
      }
      const [dashboard] = ofType('cloudwatch/dashboard:Dashboard');
      expect(dashboard?.inputs.dashboardName).toBe(prefix);
      expect(JSON.parse(String(dashboard?.inputs.dashboardBody)).widgets.length).toBeGreaterThan(5);
    });
  });
});

function byName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}
