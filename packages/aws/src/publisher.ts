import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  type MessageAttributeValue,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type AnyEnvelope, parseMessage, type TopicName, TopicOf } from '@smartscale/contracts';
import { IncompleteAnswerError } from './errors.js';
import { inlineWireBody, type SampleClaims, wireBody } from './sample-claims.js';

/** Message attributes every message carries; filter policies match on `type`. */
export const MessageAttribute = {
  Type: 'type',
  ActionId: 'actionId',
  ClusterId: 'clusterId',
} as const;

/** Most SQS allows for DelaySeconds. */
export const MAX_DELAY_SECONDS = 900;

export interface PublisherOptions {
  readonly sns: SNSClient;
  readonly sqs: SQSClient;
  /** ARN of each topic (from the deployed or bootstrapped topology). */
  readonly topicArns: Readonly<Record<TopicName, string>>;
  /** Where a sample too big for SNS goes (claim check); without it such a sample is refused. */
  readonly sampleClaims?: SampleClaims;
}

function attributes(message: AnyEnvelope): Record<string, MessageAttributeValue> {
  return {
    [MessageAttribute.Type]: { DataType: 'String', StringValue: message.type },
    [MessageAttribute.ActionId]: { DataType: 'String', StringValue: message.actionId },
    [MessageAttribute.ClusterId]: { DataType: 'String', StringValue: message.clusterId },
  };
}

function validated(message: AnyEnvelope): AnyEnvelope {
  const parsed = parseMessage(message);
  if (!parsed.ok) throw parsed.error;
  return parsed.value;
}

/**
 * Publishes envelopes to the topic that carries their type, with `type`,
 * `actionId` and `clusterId` message attributes, and sends delayed copies
 * straight to a queue for re-delivery with backoff.
 *
 * @example
 * const publisher = new Publisher({ sns, sqs, topicArns });
 * await publisher.publish(createMessage('ScaleUp', { count: 2, reason: 'pending-pods' }, { clusterId }, now));
 */
export class Publisher {
  readonly #options: PublisherOptions;

  constructor(options: PublisherOptions) {
    this.#options = options;
  }

  /**
   * Publishes to `TopicOf[message.type]`; returns the SNS message id. A
   * sample goes compact and must fit inline: the claim check is
   * {@link Publisher.publishSample}'s, kept apart so that only the sampler's
   * code reaches the bucket (the IAM usage check follows calls, not flags).
   */
  async publish(message: AnyEnvelope): Promise<string> {
    const checked = validated(message);
    return this.#send(checked, inlineWireBody(checked));
  }

  /**
   * Publishes a MetricsSampled in compact form, and behind a claim (the
   * compact payload in the samples bucket, the message carrying its key and
   * sha256) when it is still too big for SNS.
   */
  async publishSample(message: AnyEnvelope): Promise<string> {
    const checked = validated(message);
    if (checked.type !== 'MetricsSampled')
      throw new Error(`publishSample takes MetricsSampled, got ${checked.type}: use publish`);
    return this.#send(checked, await wireBody(checked, this.#options.sampleClaims));
  }

  async #send(checked: AnyEnvelope, body: string): Promise<string> {
    const topic = TopicOf[checked.type];
    const res = await this.#options.sns.send(
      new PublishCommand({
        TopicArn: this.#options.topicArns[topic],
        Message: body,
        MessageAttributes: attributes(checked),
      }),
    );
    if (!res.MessageId)
      throw new IncompleteAnswerError('SNS Publish', 'message id', `${checked.type} to ${topic}`);
    return res.MessageId;
  }

  /**
   * Sends `message` to one queue, delivered after `delaySeconds` (0 to 900);
   * returns the SQS message id. Used to retry later without sleeping in a handler.
   */
  async publishDelayed(
    message: AnyEnvelope,
    queueUrl: string,
    delaySeconds: number,
  ): Promise<string> {
    if (!Number.isInteger(delaySeconds) || delaySeconds < 0 || delaySeconds > MAX_DELAY_SECONDS) {
      throw new RangeError(
        `delaySeconds must be an integer from 0 to ${MAX_DELAY_SECONDS} (SQS limit), got ${delaySeconds}`,
      );
    }
    const checked = validated(message);
    const res = await this.#options.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify(checked),
        DelaySeconds: delaySeconds,
        MessageAttributes: attributes(checked),
      }),
    );
    if (!res.MessageId)
      throw new IncompleteAnswerError('SQS SendMessage', 'message id', checked.type);
    return res.MessageId;
  }
}
