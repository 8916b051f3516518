import { createHash } from 'node:crypto';
import { type Parsed, safeParseWith } from '@smartscale/contracts';
import { z } from 'zod';

const instanceId = z.string().regex(/^i-[0-9a-f]{8,17}$/, 'expected an EC2 instance id');
const base = {
  id: z.string().min(1),
  time: z.iso.datetime({ offset: true }),
};

/** The EventBridge events the spot listener's rule forwards, as AWS sends them. */
export const Ec2EventSchema = z.union([
  z.object({
    ...base,
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 Spot Instance Interruption Warning'),
    detail: z.object({ 'instance-id': instanceId, 'instance-action': z.string().optional() }),
  }),
  z.object({
    ...base,
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 Instance Rebalance Recommendation'),
    detail: z.object({ 'instance-id': instanceId }),
  }),
  z.object({
    ...base,
    source: z.literal('aws.ec2'),
    'detail-type': z.literal('EC2 Instance State-change Notification'),
    detail: z.object({ 'instance-id': instanceId, state: z.string().min(1) }),
  }),
  z.object({
    ...base,
    source: z.literal('aws.health'),
    'detail-type': z.literal('AWS Health Event'),
    detail: z.object({
      service: z.string().optional(),
      eventTypeCategory: z.string(),
      eventTypeCode: z.string().optional(),
      startTime: z.string().optional(),
      affectedEntities: z.array(z.object({ entityValue: z.string() })).default([]),
    }),
  }),
]);
export type Ec2Event = z.infer<typeof Ec2EventSchema>;

/** An event reduced to what the listener acts on. */
export interface Interruption {
  readonly eventId: string;
  readonly kind: 'spot-interruption' | 'rebalance' | 'state-change' | 'scheduled-change';
  readonly instanceIds: string[];
  readonly at: Date;
  /** When the instance goes away, where AWS says so. */
  readonly deadline: Date | null;
  readonly state?: string;
}

/** Two minutes: the notice AWS gives before reclaiming a Spot instance. */
export const SPOT_NOTICE_MS = 120_000;

/** Parses an EventBridge event body, naming what was expected on failure. */
export function parseEc2Event(input: unknown): Parsed<Ec2Event> {
  return safeParseWith(Ec2EventSchema, input, 'EC2 event');
}

/** Reduces an EC2 or Health event to an {@link Interruption}. */
export function toInterruption(event: Ec2Event): Interruption {
  const at = new Date(event.time);
  switch (event['detail-type']) {
    case 'EC2 Spot Instance Interruption Warning':
      return {
        eventId: event.id,
        kind: 'spot-interruption',
        instanceIds: [event.detail['instance-id']],
        at,
        deadline: new Date(at.getTime() + SPOT_NOTICE_MS),
      };
    case 'EC2 Instance Rebalance Recommendation':
      return {
        eventId: event.id,
        kind: 'rebalance',
        instanceIds: [event.detail['instance-id']],
        at,
        deadline: null,
      };
    case 'EC2 Instance State-change Notification':
      return {
        eventId: event.id,
        kind: 'state-change',
        instanceIds: [event.detail['instance-id']],
        at,
        deadline: null,
        state: event.detail.state,
      };
    case 'AWS Health Event': {
      const ids = event.detail.affectedEntities
        .map((e) => e.entityValue)
        .filter((v) => /^i-[0-9a-f]{8,17}$/.test(v));
      const start = event.detail.startTime ? new Date(event.detail.startTime) : null;
      return {
        eventId: event.id,
        kind: 'scheduled-change',
        instanceIds: ids,
        at,
        deadline: start && !Number.isNaN(start.getTime()) ? start : null,
      };
    }
  }
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * The action that replaces one doomed instance: a ULID that is the same for
 * every event about that instance (rebalance, interruption warning, each
 * AWS Health update, and their redeliveries), so the provisioner's lookup by
 * the action tag launches one replacement and downstream dedup holds. The
 * time part is the instance's launch time (stable, unlike the event time),
 * the random part a hash of the instance id and that launch time (an id
 * is never reused, the launch time makes that explicit).
 *
 * @example
 * actionIdForInstance('i-0123456789abcdef0', '2026-11-22T08:00:00.000Z');
 */
export function actionIdForInstance(instanceId: string, launchedAt: string | null): string {
  const launched = launchedAt ? Date.parse(launchedAt) : Number.NaN;
  let t = Number.isNaN(launched) ? 0 : launched;
  let time = '';
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const digest = createHash('sha256')
    .update(`${instanceId}/${launchedAt ?? ''}`)
    .digest();
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[(digest[i] ?? 0) % 32];
  return time + rand;
}
