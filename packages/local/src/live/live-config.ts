import { existsSync, readFileSync } from 'node:fs';
import { parseConfig } from '@smartscale/core';

/**
 * The policy `npm start` runs with when no `--config` is given: the
 * design's defaults at real speed, except that workers boot in 20 s (a
 * kwok node has nothing to boot; 20 s keeps the wait visible without
 * making a person wait the 90 s of EC2) and scale-down waits 2 minutes
 * instead of 10, so `--replicas=2` shows workers leaving within minutes.
 */
export const LIVE_POLICY = {
  scaleDown: { sustainSeconds: 120, cooldownSeconds: 120, minNodeAgeSeconds: 120 },
  instance: { bootSeconds: 20 },
  // The local exporter reports a kwok worker within 2 s and the local rate
  // window is 5 s, so a new worker's CPU reads right after 10 s, not 180 s.
  metrics: { warmupSeconds: 10 },
} as const;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `over` laid onto `base`, objects merged key by key, anything else replaced. */
export function mergePolicy(base: Json, over: Json): Json {
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const prior = out[key];
    out[key] = isObject(prior) && isObject(value) ? mergePolicy(prior, value) : value;
  }
  return out;
}

/**
 * The live policy: LIVE_POLICY, then the JSON file's settings, then
 * `--boot-seconds`; validated by core's schema here, at start-up, so a bad
 * file fails before anything is started and names the file and the field.
 *
 * @example
 * livePolicy({ bootSeconds: 5 }).instance.bootSeconds // 5
 */
export function livePolicy(options: { configFile?: string; bootSeconds?: number }) {
  let policy: Json = mergePolicy({}, LIVE_POLICY);
  if (options.configFile !== undefined) {
    if (!existsSync(options.configFile))
      throw new Error(`--config ${options.configFile}: no such file`);
    let fromFile: unknown;
    try {
      fromFile = JSON.parse(readFileSync(options.configFile, 'utf8'));
    } catch (err) {
      throw new Error(`--config ${options.configFile}: not JSON (${(err as Error).message})`);
    }
    if (!isObject(fromFile))
      throw new Error(`--config ${options.configFile}: expected a JSON object of policy settings`);
    policy = mergePolicy(policy, fromFile);
  }
  if (options.bootSeconds !== undefined)
    policy = mergePolicy(policy, { instance: { bootSeconds: options.bootSeconds } });
  try {
    return parseConfig(policy);
  } catch (err) {
    throw new Error(
      `policy${options.configFile ? ` from ${options.configFile}` : ''}: ${(err as Error).message}`,
    );
  }
}
