import { GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  type AnyEnvelope,
  encodeSnapshot,
  InvalidConfigError,
  type SampleClaim,
  sha256Hex,
} from '@smartscale/contracts';

/**
 * SNS refuses a message over 256 KiB (262,144 bytes, attributes included);
 * a sample whose wire form is larger than this goes to S3 instead, leaving
 * room for the message attributes and any growth of the envelope.
 */
export const SAMPLE_INLINE_LIMIT_BYTES = 200 * 1024;

/** Why a claimed sample could not be read; the decider holds with it. */
export class SampleClaimUnreadableError extends Error {
  constructor(
    readonly key: string,
    detail: string,
  ) {
    super(`sample claim ${key}: ${detail}`);
    this.name = 'SampleClaimUnreadableError';
  }
}

/**
 * The claim check for samples too big for SNS: the sampler puts the wire
 * payload under a key of the sample's own action id (so a retried publish
 * overwrites, never duplicates), the decider reads it back and refuses
 * bytes whose sha256 differs from the claim's. The bucket expires objects
 * by a lifecycle rule (stacks/topology.ts), so nothing here deletes.
 *
 * @example
 * const claims = new SampleClaims(s3, resources.buckets.samples);
 * const snapshot = await claims.read(claim); // unknown JSON, validated by the caller
 */
export class SampleClaims {
  readonly #s3: S3Client;
  readonly #bucket: string;

  constructor(s3: S3Client, bucket: string) {
    this.#s3 = s3;
    this.#bucket = bucket;
  }

  /** Stores `body` (the payload's JSON) and returns the claim the message carries. */
  async store(
    message: AnyEnvelope & { type: 'MetricsSampled' },
    body: string,
  ): Promise<SampleClaim> {
    const key = `samples/${message.clusterId}/${message.actionId}.json`;
    await this.#s3.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: body,
        ContentType: 'application/json',
      }),
    );
    return {
      encoding: 'claim',
      key,
      sha256: sha256Hex(body),
      bytes: Buffer.byteLength(body),
      takenAt: message.payload.takenAt,
      workers: message.payload.nodes.length,
    };
  }

  /**
   * The stored payload as parsed JSON. A missing object or a digest that
   * differs is a {@link SampleClaimUnreadableError}; other S3 errors
   * (throttling, network) are thrown as they are, so the message is retried.
   */
  async read(claim: Pick<SampleClaim, 'key' | 'sha256'>): Promise<unknown> {
    let body: string;
    try {
      const res = await this.#s3.send(
        new GetObjectCommand({ Bucket: this.#bucket, Key: claim.key }),
      );
      body = (await res.Body?.transformToString('utf-8')) ?? '';
    } catch (err) {
      if (err instanceof NoSuchKey || (err as { name?: string }).name === 'NoSuchKey')
        throw new SampleClaimUnreadableError(
          claim.key,
          `no such object in ${this.#bucket} (expired or never stored)`,
        );
      throw err;
    }
    const digest = sha256Hex(body);
    if (digest !== claim.sha256)
      throw new SampleClaimUnreadableError(
        claim.key,
        `sha256 ${digest} differs from the claim's ${claim.sha256}: the object was changed`,
      );
    try {
      return JSON.parse(body);
    } catch (err) {
      throw new SampleClaimUnreadableError(claim.key, `not JSON: ${(err as Error).message}`);
    }
  }
}

/**
 * The JSON body of a message sent inline: a sample in its compact form,
 * refused here (naming its size and the limit, rather than by SNS) when that
 * is over `limitBytes`. Reaches no bucket: only the sampler, through
 * {@link wireBody}, may store a claim (least privilege, stacks/topology.ts).
 */
export function inlineWireBody(
  message: AnyEnvelope,
  limitBytes = SAMPLE_INLINE_LIMIT_BYTES,
): string {
  if (message.type !== 'MetricsSampled') return JSON.stringify(message);
  const inline = JSON.stringify({ ...message, payload: encodeSnapshot(message.payload) });
  const size = Buffer.byteLength(inline);
  if (size > limitBytes)
    throw new Error(
      `MetricsSampled ${message.actionId} is ${size} bytes in compact form, over the ${limitBytes}-byte inline limit; publish it with Publisher.publishSample and a samples bucket (resources.buckets.samples) to send it by claim`,
    );
  return inline;
}

/**
 * The JSON body of a sample on the wire: compact, and in S3 behind a claim
 * when even that is over `limitBytes`. Without a claim store an oversized
 * sample is refused, naming the size and the limit.
 */
export async function wireBody(
  message: AnyEnvelope & { type: 'MetricsSampled' },
  claims: SampleClaims | undefined,
  limitBytes = SAMPLE_INLINE_LIMIT_BYTES,
): Promise<string> {
  const compact = encodeSnapshot(message.payload);
  const inline = JSON.stringify({ ...message, payload: compact });
  const size = Buffer.byteLength(inline);
  if (size <= limitBytes) return inline;
  if (!claims)
    throw new InvalidConfigError(
      'resources.buckets.samples',
      `MetricsSampled ${message.actionId} is ${size} bytes in compact form, over the ${limitBytes}-byte inline limit, and no samples bucket is configured (resources.buckets.samples) to hold it`,
    );
  const claim = await claims.store(message, JSON.stringify(compact));
  return JSON.stringify({ ...message, payload: claim });
}
