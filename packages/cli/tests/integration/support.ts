import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsClients, Publisher, QueueRunner, type ServiceResources } from '@smartscale/aws';
import { inject } from 'vitest';
import { applyTopology } from '../../../local/src/aws/bootstrap.ts';
import { toServiceResources } from '../../../local/src/services/run-services.ts';
import { type Io, main } from '../../src/index.js';

/** A deployment in moto for one test file, and the environment its services and the CLI read. */
export interface TestDeployment {
  readonly resources: ServiceResources;
  /** `--resources FILE` for the CLI. */
  readonly resourcesFile: string;
}

/**
 * Applies the topology (with `queueVisibilitySeconds` on every queue, so
 * redrive takes seconds) under a fresh prefix, writes its resources file and
 * sets the environment a service handler module reads when imported.
 */
export async function deployForTest(
  clients: AwsClients,
  name: string,
  options: { queueVisibilitySeconds: number; config?: unknown },
): Promise<TestDeployment> {
  const prefix = `t-${name}-${Math.random().toString(36).slice(2, 8)}`;
  const applied = await applyTopology(clients, prefix, {
    visibilityTimeoutSeconds: options.queueVisibilitySeconds,
  });
  const resources = toServiceResources(applied, prefix);
  const resourcesFile = join(await mkdtemp(join(tmpdir(), 'cli-it-')), 'resources.json');
  writeFileSync(resourcesFile, JSON.stringify(resources));
  process.env.SMARTSCALE_RESOURCES = JSON.stringify(resources);
  process.env.SMARTSCALE_AWS_ENDPOINT = inject('motoEndpoint');
  process.env.SMARTSCALE_CONFIG = JSON.stringify(options.config ?? {});
  process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
  // EMF output is covered by packages/aws unit tests; here it would only bury the test report.
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  return { resources, resourcesFile };
}

/** The result of one `smartscale` run. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `smartscale ...args` in-process, capturing its output. */
export async function smartscale(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t) };
  const code = await main(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/**
 * Runs the real handler of `service` (imported after `deployForTest` set its
 * environment) on its queue, as Lambda's event source would, and gives a
 * publisher to the deployment's topics.
 */
export async function startConsumer(
  clients: AwsClients,
  deployment: TestDeployment,
  service: 'decider' | 'notifier',
  visibilityTimeoutSeconds: number,
): Promise<{ runner: QueueRunner; publisher: Publisher }> {
  const { handler } = (await import(`../../../../services/${service}/handler.ts`)) as {
    handler: ConstructorParameters<typeof QueueRunner>[0]['handler'];
  };
  const queue = deployment.resources.queues[service];
  const runner = new QueueRunner({
    sqs: clients.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    handler,
    functionName: service,
    visibilityTimeoutSeconds,
    waitTimeSeconds: 1,
  });
  runner.start();
  const publisher = new Publisher({
    sns: clients.sns,
    sqs: clients.sqs,
    topicArns: deployment.resources.topics,
  });
  return { runner, publisher };
}
