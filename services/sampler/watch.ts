// Entry of the sampler's watch mode as a long-lived process: the Deployment
// in k3s/manifests/sampler-watch.yaml runs it (bundled by watch-bundle.ts),
// next to the Lambda sampler that still samples every minute. It publishes a
// MetricsSampled as soon as a new unschedulable pod has waited out the grace.
// Kubernetes credentials: the pod's ServiceAccount (kubeAccessMode).
import type { SamplerPorts } from './take-snapshot.js';
import { assertClusterId, startWatch, watchSettingsFromEnv } from './watch-mode.js';

const log = (line: string) => console.error(line);

/** Stops the process at start-up with the cause's message only (no request details). */
function startupFailed(err: unknown): never {
  log(`sampler watch: start-up failed: ${(err as Error).message}`);
  process.exit(1);
}

let settings: ReturnType<typeof watchSettingsFromEnv>;
let ports: SamplerPorts;
try {
  // Settings first: a bad value is reported before any network call.
  settings = watchSettingsFromEnv(process.env);
  // The handler module builds the same ports the Lambda sampler uses, from
  // the environment, at import (and checks the application triggers).
  ({ samplerPorts: ports } = await import('./handler.js'));
  assertClusterId(process.env, ports.clusterId);
} catch (err) {
  startupFailed(err);
}

// Each published sample is logged, so the pod's log shows what the watch did.
const stop = startWatch(
  {
    ...ports,
    publish: async (message) => {
      await ports.publish(message);
      log(`sampler watch: published MetricsSampled ${message.actionId}`);
    },
  },
  settings,
  log,
);
log(
  `sampler watch: running (every ${settings.intervalMs} ms, grace ${settings.graceMs} ms, cluster ${ports.clusterId})`,
);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`sampler watch: ${signal}, stopping after the tick in progress`);
    // The AWS and Kubernetes clients keep sockets open; exit once the tick is done.
    void stop().finally(() => process.exit(0));
  });
}
