import {
  GetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type ServiceResources, ServiceResourcesSchema } from '@smartscale/aws';

/** The logical queue names of a deployment (one per consuming service). */
export type QueueName = keyof ServiceResources['queues'];

/** Approximate message counts of one queue (SQS's own numbers). */
export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}

/** A service's queue and its dead-letter queue. */
export interface QueueDepths {
  readonly queue: QueueName;
  readonly depth: QueueDepth;
  readonly deadLetters: QueueDepth;
}

/** Every deployment's queue names, in declaration order. */
export const QUEUE_NAMES = Object.keys(ServiceResourcesSchema.shape.queues.shape) as QueueName[];

/** True when `raw` names a service's queue. */
export function isQueueName(raw: string): raw is QueueName {
  return (QUEUE_NAMES as string[]).includes(raw);
}

/** Approximate depth of the queue at `url`. */
export async function queueDepth(sqs: SQSClient, url: string): Promise<QueueDepth> {
  const res = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: [
        'ApproximateNumberOfMessages',
        'ApproximateNumberOfMessagesNotVisible',
        'ApproximateNumberOfMessagesDelayed',
      ],
    }),
  );
  const count = (name: QueueAttributeName) => Number(res.Attributes?.[name] ?? 0);
  return {
    visible: count('ApproximateNumberOfMessages'),
    inFlight: count('ApproximateNumberOfMessagesNotVisible'),
    delayed: count('ApproximateNumberOfMessagesDelayed'),
  };
}

/** Depths of every queue of the deployment and of its DLQ. */
export async function allQueueDepths(
  sqs: SQSClient,
  resources: ServiceResources,
): Promise<QueueDepths[]> {
  return Promise.all(
    QUEUE_NAMES.map(async (queue) => {
      const { url, dlqUrl } = resources.queues[queue];
      const [depth, deadLetters] = await Promise.all([
        queueDepth(sqs, url),
        queueDepth(sqs, dlqUrl),
      ]);
      return { queue, depth, deadLetters };
    }),
  );
}
