import type { AnyEnvelope, Envelope, MessageType } from '@smartscale/contracts';

/** A message sent with a delay (a workflow's backoff without sleeping). */
export interface DelayedMessage {
  readonly message: AnyEnvelope;
  readonly delaySeconds: number;
}

/**
 * The topics and delayed queues of a test: keeps what a workflow published,
 * in order. `loseNext` makes the next publish throw, as a crash or an SNS
 * outage between a workflow's write and its publish would.
 */
export class RecordingPublisher {
  readonly published: AnyEnvelope[] = [];
  readonly delayed: DelayedMessage[] = [];
  #lose = 0;

  readonly publish = async (message: AnyEnvelope): Promise<void> => {
    if (this.#lose > 0) {
      this.#lose -= 1;
      throw new Error(`publish of ${message.type} lost`);
    }
    this.published.push(message);
  };

  readonly publishDelayed = async (message: AnyEnvelope, delaySeconds: number): Promise<void> => {
    this.delayed.push({ message, delaySeconds });
  };

  /** The next `count` publishes throw and reach no one. */
  loseNext(count = 1): void {
    this.#lose += count;
  }

  types(): MessageType[] {
    return this.published.map((m) => m.type);
  }

  ofType<T extends MessageType>(type: T): Envelope<T>[] {
    return this.published.filter((m): m is Envelope<T> & AnyEnvelope => m.type === type);
  }

  /** Removes and returns the delayed messages, as a queue hands them back after their delay. */
  takeDelayed(): DelayedMessage[] {
    return this.delayed.splice(0, this.delayed.length);
  }

  clear(): void {
    this.published.length = 0;
    this.delayed.length = 0;
  }
}
