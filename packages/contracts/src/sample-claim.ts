import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type AnyEnvelope, EnvelopeHeaderSchema, parseMessage } from './envelope.js';
import { type SampleClaim, SampleClaimSchema } from './snapshot-wire.js';
import { type Parsed, parseJsonText, safeParseWith } from './validation.js';

/** A MetricsSampled whose snapshot waits in S3: the envelope with its claim. */
export interface ClaimedSample {
  readonly kind: 'claimed-sample';
  readonly header: Omit<AnyEnvelope, 'payload' | 'type'> & { readonly type: 'MetricsSampled' };
  readonly claim: SampleClaim;
}

/** What a samples queue delivers: a message, or a sample left in S3. */
export type Delivered = { readonly kind: 'message'; readonly message: AnyEnvelope } | ClaimedSample;

/** Hex sha256 of the stored bytes; the claim carries it so a changed object is refused. */
export function sha256Hex(body: string | Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function isClaim(value: unknown): boolean {
  const payload = (value as { payload?: unknown } | null)?.payload;
  return (payload as { encoding?: unknown } | null)?.encoding === 'claim';
}

/**
 * Parses a delivered body: a MetricsSampled carrying a claim is returned as
 * such (its snapshot is read from S3 by the caller), anything else as a
 * message, each validated.
 *
 * @example
 * const delivered = parseDeliveredJson(record.body);
 * if (delivered.ok && delivered.value.kind === 'claimed-sample') await readClaim(delivered.value.claim);
 */
export function parseDeliveredJson(body: string): Parsed<Delivered> {
  const json = parseJsonText(body, 'message body');
  if (!json.ok) return json;
  if (!isClaim(json.value)) {
    const parsed = parseMessage(json.value);
    return parsed.ok ? { ok: true, value: { kind: 'message', message: parsed.value } } : parsed;
  }
  const header = safeParseWith(
    // Only a sample carries a claim.
    EnvelopeHeaderSchema.extend({ type: z.literal('MetricsSampled'), payload: SampleClaimSchema }),
    json.value,
    'MetricsSampled claim',
  );
  if (!header.ok) return header;
  const { payload, ...rest } = header.value;
  return {
    ok: true,
    value: {
      kind: 'claimed-sample',
      header: { ...rest, type: 'MetricsSampled' },
      claim: payload,
    },
  };
}
