import { InvalidConfigError } from '@smartscale/contracts';
import { z } from 'zod';

const arn = z.string().startsWith('arn:', 'expected an ARN');
const url = z.string().url('expected a queue URL');

const queue = z.object({ url, arn, dlqUrl: url });

/**
 * The resolved addresses a service uses: what `sst deploy` created or the
 * local bootstrap applied to moto, from the same topology. Services receive
 * it as JSON in `SMARTSCALE_RESOURCES`.
 */
export const ServiceResourcesSchema = z.object({
  prefix: z.string().min(1),
  clusterId: z.string().min(1),
  topics: z.object({ samples: arn, commands: arn, events: arn }),
  queues: z.object({
    decider: queue,
    provisioner: queue,
    'join-verifier': queue,
    drainer: queue,
    notifier: queue,
    'spot-listener': queue,
  }),
  tables: z.object({ state: z.string().min(1), audit: z.string().min(1) }),
  parameters: z.object({ joinToken: z.string().min(1), slackWebhook: z.string().min(1) }),
  /** The claim-check bucket for samples too big for SNS and snapshots too big for the audit log (issue #17). */
  buckets: z.object({
    samples: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/,
        'expected an S3 bucket name (3-63 lower-case letters, digits, dots or hyphens)',
      ),
  }),
});
export type ServiceResources = z.infer<typeof ServiceResourcesSchema>;

/**
 * Reads `SMARTSCALE_RESOURCES`; a missing or malformed value stops start-up
 * with a message naming the variable and every bad field.
 *
 * @example
 * const resources = resourcesFromEnv(process.env);
 */
export function resourcesFromEnv(env: NodeJS.ProcessEnv = process.env): ServiceResources {
  const raw = env.SMARTSCALE_RESOURCES;
  if (!raw) {
    throw new InvalidConfigError(
      'SMARTSCALE_RESOURCES',
      'SMARTSCALE_RESOURCES is not set: expected the JSON of topic ARNs, queue URLs, table and parameter names (set by the deployment or the local environment)',
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    throw new InvalidConfigError(
      'SMARTSCALE_RESOURCES',
      `SMARTSCALE_RESOURCES is not valid JSON: ${(err as Error).message}`,
    );
  }
  const parsed = ServiceResourcesSchema.safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.join('.') || '(root)'}: ${i.message}`,
    );
    throw new InvalidConfigError(
      'SMARTSCALE_RESOURCES',
      `SMARTSCALE_RESOURCES is invalid: ${problems.join('; ')}`,
    );
  }
  return parsed.data;
}
