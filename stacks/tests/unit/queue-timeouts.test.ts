import { describe, expect, it } from 'vitest';
import { sizing } from '../../functions.ts';
import { type QueueName, ServiceNames, topology } from '../../topology.ts';

// AWS: "set the source queue's visibility timeout to at least six times the
// timeout that you configure on your function" (Lambda with Amazon SQS).
const FACTOR = 6;

describe('queue visibility timeouts', () => {
  const queues = Object.keys(topology.queues) as QueueName[];

  it.each(queues)('%s: at least 6x its consumer function timeout', (name) => {
    const queue = topology.queues[name];
    const timeout = sizing[queue.consumer].timeoutSeconds;
    expect(
      queue.visibilityTimeoutSeconds,
      `queue ${name}: visibility ${queue.visibilityTimeoutSeconds}s, ${queue.consumer} timeout ${timeout}s; raise the visibility in stacks/topology.ts to ${FACTOR * timeout}s or lower the timeout in stacks/functions.ts`,
    ).toBeGreaterThanOrEqual(FACTOR * timeout);
    // SQS's maximum is 12 hours.
    expect(queue.visibilityTimeoutSeconds).toBeLessThanOrEqual(43_200);
  });

  it('covers every service: each consumes one queue, or runs on a schedule', () => {
    const consumers: readonly string[] = queues.map((q) => topology.queues[q].consumer);
    const scheduled = ServiceNames.filter((s) => !consumers.includes(s));
    expect(scheduled.sort()).toEqual(['reconciler', 'sampler']);
    expect(Object.keys(sizing).sort()).toEqual([...ServiceNames].sort());
  });
});
