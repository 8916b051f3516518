// Runs the SST mapping (stacks/messaging.ts, data.ts, storage.ts, alarms.ts) with SST's
// own components from .sst/platform (what `sst install` put there) on
// Pulumi's unit-test runtime: `pulumi.runtime.setMocks` stands in for the
// AWS provider, which is a release download CI cannot reach. Every resource
// the components register is printed as JSON for sst-mapping.test.ts.
// Functions are left out: SST builds their bundles through its CLI's RPC
// server, which only `sst deploy` starts (lambda-bundle.test.ts covers them).
// Usage: tsx stacks/tests/deploy/sst-mapping-runner.ts <prefix>
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Prefix of the output line the test parses (Pulumi may log other lines). */
export const RESULT_MARKER = 'SST-MAPPING ';

interface Registered {
  readonly type: string;
  readonly name: string;
  readonly inputs: Record<string, unknown>;
}

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';

async function main(prefix: string): Promise<void> {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  const platform = join(root, '.sst', 'platform');
  // The components import Pulumi from the platform's node_modules: the mocks
  // must be set on that same copy.
  const pulumi = await import(join(platform, 'node_modules/@pulumi/pulumi/index.js'));
  const registered: Registered[] = [];
  // Physical ARNs as AWS forms them, so the test can follow references by name.
  const arnOf = (type: string, name: string): string => {
    if (type === 'aws:sqs/queue:Queue') return `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`;
    if (type === 'aws:sns/topic:Topic') return `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`;
    if (type.startsWith('aws:s3/bucket')) return `arn:aws:s3:::${name}`;
    if (type === 'aws:cloudwatch/eventRule:EventRule')
      return `arn:aws:events:${REGION}:${ACCOUNT}:rule/${name}`;
    if (type === 'aws:kms/key:Key') return `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}`;
    return `arn:aws:mock:${REGION}:${ACCOUNT}:${type}/${name}`;
  };
  pulumi.runtime.setMocks(
    {
      newResource(args: { type: string; name: string; inputs: Record<string, unknown> }) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        // S3 names a bucket by its `bucket` input; its parts refer to it the same way.
        const given = args.inputs.name ?? args.inputs.bucket;
        const name = typeof given === 'string' ? given : args.name;
        const arn = arnOf(args.type, name);
        return {
          id: args.type === 'aws:sqs/queue:Queue' ? `https://sqs/${ACCOUNT}/${name}` : `${name}-id`,
          state: {
            ...args.inputs,
            name,
            arn,
            ...(args.type === 'aws:kms/key:Key' ? { keyId: name } : {}),
            url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
          },
        };
      },
      call(args: { token: string; inputs: Record<string, unknown> }) {
        switch (args.token) {
          case 'aws:index/getRegion:getRegion':
            return { name: REGION, region: REGION, id: REGION };
          case 'aws:index/getCallerIdentity:getCallerIdentity':
            return { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root`, userId: 'ci' };
          case 'aws:index/getPartition:getPartition':
            return { partition: 'aws', dnsSuffix: 'amazonaws.com' };
          default:
            // Data sources such as getPolicyDocument: their inputs are enough here.
            return { ...args.inputs, json: JSON.stringify(args.inputs) };
        }
      },
    },
    'smartscale',
    'ci',
    false,
  );

  // The globals `sst deploy` defines for sst.config.ts and the components.
  const g = globalThis as Record<string, unknown>;
  g.$app = { name: 'smartscale', stage: 'ci', removal: 'remove', protect: false, providers: {} };
  g.$dev = false;
  g.$cli = { command: 'deploy', paths: { root, work: join(root, '.sst'), platform }, home: 'aws' };
  g.$interpolate = pulumi.interpolate;
  g.$resolve = pulumi.all;
  g.$jsonStringify = pulumi.jsonStringify;
  g.$output = pulumi.output;
  g.$util = pulumi;
  g.aws = await import(join(platform, 'node_modules/@pulumi/aws/index.js'));
  g.$transform = (await import(join(platform, 'src/components/component.ts'))).$transform;
  g.sst = await import(join(platform, 'src/components/index.ts'));

  const { deploymentPlan } = await import('../../plan.ts');
  const { createMessaging, createMessagingPolicies } = await import('../../messaging.ts');
  const { ServiceNames } = await import('../../topology.ts');
  const { createTables } = await import('../../data.ts');
  const { createBuckets } = await import('../../storage.ts');
  const { createAlarms } = await import('../../alarms.ts');
  const plan = deploymentPlan(prefix);
  const messaging = createMessaging(plan);
  // The functions' roles stand in by the ARNs the test expects in the
  // policies (functions are left out, see above).
  createMessagingPolicies(
    plan,
    messaging,
    Object.fromEntries(
      ServiceNames.map((s) => [s, `arn:aws:iam::${ACCOUNT}:role/${prefix}-${s}`]),
    ) as Record<(typeof ServiceNames)[number], string>,
    `arn:aws:iam::${ACCOUNT}:role/k3s-server`,
  );
  createTables(plan);
  createBuckets(plan);
  createAlarms(plan, messaging.topics.alarms.arn);

  // Registration is asynchronous; wait until no new resource appears.
  let seen = -1;
  while (seen !== registered.length) {
    seen = registered.length;
    await new Promise((r) => setTimeout(r, 500));
  }
  process.stdout.write(`${RESULT_MARKER}${JSON.stringify(registered)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const prefix = process.argv[2];
  if (!prefix) {
    console.error('usage: sst-mapping-runner.ts <prefix>: expected the stage prefix');
    process.exit(2);
  }
  await main(prefix);
}
