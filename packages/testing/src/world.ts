import { MovableClock } from './clock.js';
import { TEST_CLUSTER } from './fixtures.js';
import { InMemoryCluster } from './in-memory-cluster.js';
import { InMemoryFleet } from './in-memory-fleet.js';
import { OnceStore } from './once-store.js';
import { RecordingPublisher } from './recording-publisher.js';
import type { World } from './service-ports.js';

/**
 * A fresh cluster, fleet, topic, dedup store and clock, shared by the ports
 * of every service a test runs, so one service's effects are what the next sees.
 *
 * @example
 * const world = createWorld();
 * await drainNode(command, drainerPorts(world));
 */
export function createWorld(options: { clusterId?: string; start?: string | Date } = {}): World {
  return {
    clock: new MovableClock(options.start),
    cluster: new InMemoryCluster(),
    fleet: new InMemoryFleet(options.clusterId ?? TEST_CLUSTER),
    publisher: new RecordingPublisher(),
    dedup: new OnceStore(),
  };
}
