import { isValid, ulid } from 'ulid';
import { z } from 'zod';
import {
  type MessageType,
  MessageTypes,
  type Payload,
  type PayloadInput,
  PayloadSchemas,
} from './messages.js';
import {
  type Parsed,
  parseJsonText,
  safeParseWith,
  toProblems,
  ValidationError,
} from './validation.js';

/** Current envelope version; bump when a payload changes incompatibly. */
export const ENVELOPE_VERSION = 1;

const ulidString = z
  .string()
  .refine((s) => isValid(s), { message: 'expected a ULID (26 Crockford base32 characters)' });

/** The envelope fields shared by every message, payload unchecked. */
export const EnvelopeHeaderSchema = z.object({
  id: ulidString,
  type: z.enum(MessageTypes as [MessageType, ...MessageType[]]),
  version: z.literal(ENVELOPE_VERSION),
  clusterId: z.string().min(1).max(100),
  actionId: ulidString,
  causationId: ulidString.nullable(),
  occurredAt: z.iso.datetime({ offset: true }),
  payload: z.unknown(),
});

/** A validated message of type `T`. */
export interface Envelope<T extends MessageType = MessageType> {
  readonly id: string;
  readonly type: T;
  readonly version: typeof ENVELOPE_VERSION;
  readonly clusterId: string;
  readonly actionId: string;
  readonly causationId: string | null;
  readonly occurredAt: string;
  readonly payload: Payload<T>;
}

/** A message of any type, discriminated on `type`. */
export type AnyEnvelope = { [T in MessageType]: Envelope<T> }[MessageType];

/** Where a new message sits in the causal chain. */
export interface MessageContext {
  readonly clusterId: string;
  /** The scaling action this message belongs to; a new one is minted when absent. */
  readonly actionId?: string;
  /** The message that caused this one, if any. */
  readonly causationId?: string | null;
}

/**
 * Builds and validates a new message. Throws {@link ValidationError} on a
 * bad payload so nothing malformed is ever published.
 *
 * @example
 * const msg = createMessage('ScaleUp', { count: 3, reason: 'pending-pods' },
 *   { clusterId: 'prod' }, new Date());
 */
export function createMessage<T extends MessageType>(
  type: T,
  payload: PayloadInput<T>,
  context: MessageContext,
  now: Date,
): Envelope<T> {
  const candidate = {
    id: ulid(now.getTime()),
    type,
    version: ENVELOPE_VERSION,
    clusterId: context.clusterId,
    actionId: context.actionId ?? ulid(now.getTime()),
    causationId: context.causationId ?? null,
    occurredAt: now.toISOString(),
    payload,
  };
  const parsed = parseMessage(candidate);
  if (!parsed.ok) throw parsed.error;
  return parsed.value as Envelope<T>;
}

/**
 * Derives a follow-up message of the same action from the message that caused it.
 *
 * @example
 * const next = followUp(scaleUp, 'InstancesLaunched', payload, now);
 */
export function followUp<T extends MessageType>(
  cause: Pick<Envelope, 'id' | 'clusterId' | 'actionId'>,
  type: T,
  payload: PayloadInput<T>,
  now: Date,
): Envelope<T> {
  return createMessage(
    type,
    payload,
    { clusterId: cause.clusterId, actionId: cause.actionId, causationId: cause.id },
    now,
  );
}

/**
 * Validates an unknown value (already JSON-decoded) as a message.
 * Errors name the field, e.g. `payload.count: Too small: expected number to be >0`.
 */
export function parseMessage(input: unknown): Parsed<AnyEnvelope> {
  const header = safeParseWith(EnvelopeHeaderSchema, input, 'message envelope');
  if (!header.ok) return header;
  const { type } = header.value;
  const schema = PayloadSchemas[type];
  const payload = schema.safeParse(header.value.payload);
  if (!payload.success) {
    const problems = toProblems(payload.error).map((p) => ({
      path:
        p.path === '(root)' ? 'payload' : `payload${p.path.startsWith('[') ? '' : '.'}${p.path}`,
      message: p.message,
    }));
    return { ok: false, error: new ValidationError(`${type} message`, problems) };
  }
  return { ok: true, value: { ...header.value, payload: payload.data } as AnyEnvelope };
}

/** Parses a JSON string as a message; bad JSON is reported like any other problem. */
export function parseMessageJson(body: string): Parsed<AnyEnvelope> {
  const json = parseJsonText(body, 'message body');
  return json.ok ? parseMessage(json.value) : json;
}

/** Narrows a parsed message to one type, or throws naming both types. */
export function expectType<T extends MessageType>(msg: AnyEnvelope, type: T): Envelope<T> {
  if (msg.type !== type) {
    throw new ValidationError('message type', [
      { path: 'type', message: `expected ${type}, received ${msg.type}` },
    ]);
  }
  return msg as Envelope<T>;
}
