import type { EC2Client } from '@aws-sdk/client-ec2';
import { InvalidConfigError } from '@smartscale/contracts';
import { type Config, parseConfig } from '@smartscale/core';
import type { DedupStore } from './dedup.js';
import { Ec2Fleet } from './fleet.js';
import { type ResolvedConfig, regionOf, resolveConfig } from './instance-types.js';

/**
 * The policy configuration from `SMARTSCALE_CONFIG` (JSON; defaults when
 * unset), with `instance.zones` taken from the worker subnets
 * (`SMARTSCALE_SUBNETS`) when they are given: the zones the provisioner
 * launches in are the one source, so a policy naming other zones is refused.
 * Bad configuration stops start-up with every bad setting named.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): Config {
  const raw = env.SMARTSCALE_CONFIG;
  let value: unknown = {};
  if (raw) {
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new InvalidConfigError(
        'SMARTSCALE_CONFIG',
        `SMARTSCALE_CONFIG is not valid JSON: ${(err as Error).message}`,
      );
    }
  }
  return withWorkerZones(parseConfig(value), env);
}

/** `config` with the zones of `SMARTSCALE_SUBNETS` as `instance.zones`; unchanged when unset. */
function withWorkerZones(config: Config, env: NodeJS.ProcessEnv): Config {
  if (!env.SMARTSCALE_SUBNETS?.trim()) return config;
  const zones = [...new Set(subnetsFromEnv(env).map((s) => s.zone))];
  const named = config.instance.zones;
  if (named && (named.length !== zones.length || named.some((z) => !zones.includes(z))))
    throw new InvalidConfigError(
      'instance.zones',
      `SMARTSCALE_CONFIG instance.zones (${named.join(', ')}) differs from the worker subnets' zones (${zones.join(', ')}) in SMARTSCALE_SUBNETS: remove instance.zones, the subnets decide where workers launch`,
    );
  return { ...config, instance: { ...config.instance, zones } };
}

/**
 * The policy configuration with its instance types resolved against EC2
 * (DescribeInstanceTypes, once per process): what a service that sizes or
 * launches workers (decider, provisioner) loads at start-up. An unknown
 * type or an empty resolution throws naming the setting; `notes` (a
 * deprecated `instance.capacity`, the capacity rule) are passed to `log`.
 *
 * @example
 * const { config, instanceTypes } = await resolvedConfigFromEnv(ctx.clients.ec2, (n) => ctx.logger.warn(n));
 */
export async function resolvedConfigFromEnv(
  ec2: EC2Client,
  log: (note: string) => void,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ResolvedConfig> {
  const resolved = await resolveConfig(ec2, await regionOf(ec2), configFromEnv(env));
  for (const note of resolved.notes) log(note);
  return resolved;
}

/**
 * Subnets per zone from `SMARTSCALE_SUBNETS` ("zone=subnet-id,...").
 *
 * @example
 * subnetsFromEnv({ SMARTSCALE_SUBNETS: 'eu-west-1a=subnet-1,eu-west-1b=subnet-2' })
 */
export function subnetsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): { zone: string; subnetId: string }[] {
  const raw = env.SMARTSCALE_SUBNETS ?? '';
  const pairs = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const subnets = pairs.map((pair) => {
    const [zone, subnetId] = pair.split('=');
    if (!zone || !subnetId) {
      throw new InvalidConfigError(
        'SMARTSCALE_SUBNETS',
        `SMARTSCALE_SUBNETS entry '${pair}' is invalid: expected zone=subnet-id, e.g. eu-west-1a=subnet-0abc`,
      );
    }
    return { zone, subnetId };
  });
  if (subnets.length === 0)
    throw new InvalidConfigError(
      'SMARTSCALE_SUBNETS',
      'SMARTSCALE_SUBNETS is not set: expected zone=subnet-id pairs, comma-separated',
    );
  return subnets;
}

/**
 * The launch template version to launch from (`SMARTSCALE_LAUNCH_TEMPLATE_VERSION`),
 * a number: a deployed function always has it (stacks/settings.ts), so a new
 * default version set by anyone changes no worker. Unset only in local runs
 * and tests, whose templates have one version; EC2's `$Default` then.
 */
export function launchTemplateVersionFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const version = env.SMARTSCALE_LAUNCH_TEMPLATE_VERSION?.trim();
  if (!version) return undefined;
  if (!/^[1-9][0-9]{0,5}$/.test(version))
    throw new InvalidConfigError(
      'SMARTSCALE_LAUNCH_TEMPLATE_VERSION',
      `SMARTSCALE_LAUNCH_TEMPLATE_VERSION '${version}' is invalid: expected a launch template version number like 3 (not $Latest or $Default)`,
    );
  return version;
}

/** The worker fleet of this cluster, from `SMARTSCALE_LAUNCH_TEMPLATE_ID` (and `_VERSION`) and `SMARTSCALE_SUBNETS`. */
export function fleetFromEnv(
  ec2: EC2Client,
  clusterId: string,
  dedup: DedupStore,
  env: NodeJS.ProcessEnv = process.env,
): Ec2Fleet {
  const id = env.SMARTSCALE_LAUNCH_TEMPLATE_ID;
  if (!id)
    throw new InvalidConfigError(
      'SMARTSCALE_LAUNCH_TEMPLATE_ID',
      "SMARTSCALE_LAUNCH_TEMPLATE_ID is not set: expected the workers' launch template id (lt-...)",
    );
  return new Ec2Fleet({
    ec2,
    clusterId,
    launchTemplate: { id },
    launchTemplateVersion: launchTemplateVersionFromEnv(env),
    subnets: subnetsFromEnv(env),
    dedup,
  });
}
