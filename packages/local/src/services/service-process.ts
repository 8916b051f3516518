// One SmartScale service as a local process: the same handler Lambda runs,
// fed by a queue runner (Lambda's SQS event source) or, for the sampler, by
// a timer (the schedule) and the watch mode, the reconciler by its timer.
// Started by run-services.ts.
import { appendFileSync } from 'node:fs';
import {
  awsOptionsFromEnv,
  createAwsClients,
  QueueRunner,
  resourcesFromEnv,
  type SqsHandler,
} from '@smartscale/aws';
import { type QueueName, topology } from '@smartscale/stacks';

const service = process.argv[2] ?? '';
const resources = resourcesFromEnv();
const handlerPath = new URL(`../../../../services/${service}/handler.ts`, import.meta.url).href;

async function runSampler(): Promise<() => Promise<void>> {
  const mod = (await import(
    handlerPath
  )) as typeof import('../../../../services/sampler/handler.ts');
  const { startWatch, watchSettingsFromEnv } = await import(
    '../../../../services/sampler/watch-mode.ts'
  );
  const intervalMs = Number(process.env.SMARTSCALE_SAMPLE_INTERVAL_MS ?? 60_000);
  const tick = () =>
    mod.handler().catch((err: unknown) => console.error(`sampler: ${(err as Error).message}`));
  void tick();
  const timer = setInterval(tick, intervalMs);
  // The same watch as the in-cluster Deployment (services/sampler/watch.ts);
  // off with SMARTSCALE_SAMPLER_WATCH=off, as in AWS without that Deployment.
  const stopWatch =
    process.env.SMARTSCALE_SAMPLER_WATCH === 'off'
      ? async () => {}
      : startWatch(mod.samplerPorts, watchSettingsFromEnv(process.env));
  return async () => {
    clearInterval(timer);
    await stopWatch();
  };
}

/** The reconciler on its schedule, as EventBridge would invoke it: one pass at a time. */
async function runReconciler(): Promise<() => Promise<void>> {
  const mod = (await import(
    handlerPath
  )) as typeof import('../../../../services/reconciler/handler.ts');
  const intervalMs = Number(process.env.SMARTSCALE_RECONCILE_INTERVAL_MS ?? 120_000);
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = mod
      .handler()
      .catch((err: unknown) => console.error(`reconciler: ${(err as Error).message}`))
      .finally(() => {
        running = null;
      });
  };
  tick();
  const timer = setInterval(tick, intervalMs);
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/**
 * With SMARTSCALE_RECORD_INPUTS=<file>, every body the service is handed is
 * appended to the file as a JSON line with the time it arrived, after a
 * first line with the policy configuration: a real run's samples and
 * outcomes, replayed through the simulator's path by
 * packages/sim/tests/unit/replay-recorded-run.test.ts.
 */
function recordingInputs(handler: SqsHandler, file: string | undefined): SqsHandler {
  if (!file) return handler;
  appendFileSync(
    file,
    `${JSON.stringify({ config: JSON.parse(process.env.SMARTSCALE_CONFIG ?? '{}') })}\n`,
  );
  return (event, context) => {
    const receivedAt = new Date().toISOString();
    const lines = event.Records.map((r) => `${JSON.stringify({ receivedAt, body: r.body })}\n`);
    appendFileSync(file, lines.join(''));
    return handler(event, context);
  };
}

async function runConsumer(): Promise<() => Promise<void>> {
  const name = service as QueueName;
  const spec = topology.queues[name];
  if (!spec)
    throw new Error(
      `unknown service '${service}': expected one of ${Object.keys(topology.queues).join(', ')} or sampler`,
    );
  const mod = (await import(handlerPath)) as {
    handler: ConstructorParameters<typeof QueueRunner>[0]['handler'];
  };
  const clients = createAwsClients(awsOptionsFromEnv());
  const queue = resources.queues[name];
  const runner = new QueueRunner({
    sqs: clients.sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    handler: recordingInputs(
      mod.handler,
      service === 'decider' ? process.env.SMARTSCALE_RECORD_INPUTS : undefined,
    ),
    functionName: `smartscale-${service}`,
    batchSize: spec.batchSize,
    waitTimeSeconds: 1,
    // Compressed runs shorten the queues' timeouts; extending by the
    // topology's would hide a failed message far longer than the queue does.
    visibilityTimeoutSeconds:
      Number(process.env.SMARTSCALE_VISIBILITY_TIMEOUT_SECONDS) || spec.visibilityTimeoutSeconds,
    // Lambda runs one invocation per execution environment at a time; two
    // here would share one logger and mix up their actionId keys.
    maxConcurrentBatches: 1,
  });
  runner.start();
  return async () => {
    await runner.stop();
    clients.destroy();
  };
}

const stop =
  service === 'sampler'
    ? await runSampler()
    : service === 'reconciler'
      ? await runReconciler()
      : await runConsumer();
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void stop().finally(() => process.exit(0));
  });
}
console.error(`${service}: running`);
