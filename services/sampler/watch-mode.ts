// The sampler's watch mode as a long-lived process: its settings from the
// environment and the starter shared by the in-cluster entry (watch.ts) and
// the local environment's sampler process. No side effects at import, so it
// can be loaded before the handler builds its ports.
import { InvalidConfigError } from '@smartscale/contracts';
import { type SamplerPorts, watchPendingPods } from './take-snapshot.js';

export interface WatchSettings {
  /** How often unschedulable pods are listed. */
  readonly intervalMs: number;
  /** How long a pod must have been unschedulable before it triggers a sample. */
  readonly graceMs: number;
}

function milliseconds(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new InvalidConfigError(
      name,
      `${name} is '${raw}': expected a whole number of milliseconds, at least ${min}`,
    );
  return value;
}

/**
 * `SMARTSCALE_WATCH_INTERVAL_MS` (default 1000, at least 1) and
 * `SMARTSCALE_WATCH_GRACE_MS` (default 10000; 0 samples at first sight).
 *
 * @example
 * watchSettingsFromEnv({ SMARTSCALE_WATCH_GRACE_MS: '5000' }) // { intervalMs: 1000, graceMs: 5000 }
 */
export function watchSettingsFromEnv(env: NodeJS.ProcessEnv): WatchSettings {
  return {
    intervalMs: milliseconds(env, 'SMARTSCALE_WATCH_INTERVAL_MS', 1000, 1),
    graceMs: milliseconds(env, 'SMARTSCALE_WATCH_GRACE_MS', 10_000, 0),
  };
}

/**
 * Starts watching for unschedulable pods; a failed tick is reported through
 * `log` as `sampler watch: <message>` (the message only: the HTTP clients' error
 * objects can carry request and response details) and the next tick tries again.
 * Returns the stop function, which waits for a tick in progress.
 */
export function startWatch(
  ports: SamplerPorts,
  settings: WatchSettings,
  log: (line: string) => void = console.error,
): () => Promise<void> {
  return watchPendingPods(ports, {
    ...settings,
    onError: (err) => log(`sampler watch: ${(err as Error).message}`),
  });
}

/**
 * The ConfigMap carries `SMARTSCALE_CLUSTER_ID` next to the resources JSON,
 * both filled in by hand; samples are published for the JSON's cluster id,
 * so a different value here is a mistake to stop on, not to guess about.
 */
export function assertClusterId(env: NodeJS.ProcessEnv, resourcesClusterId: string): void {
  const declared = env.SMARTSCALE_CLUSTER_ID;
  if (declared && declared !== resourcesClusterId)
    throw new InvalidConfigError(
      'SMARTSCALE_CLUSTER_ID',
      `SMARTSCALE_CLUSTER_ID is '${declared}' but SMARTSCALE_RESOURCES is for cluster '${resourcesClusterId}': expected the same cluster id in both`,
    );
}
