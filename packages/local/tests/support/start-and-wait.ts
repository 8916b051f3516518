// Child process for the interrupt test: starts a local cluster, prints its
// pids and data folder as one JSON line, then waits to be interrupted.
import { startLocalCluster } from '../../src/cluster/start.ts';

const cluster = await startLocalCluster();
process.stdout.write(`${JSON.stringify({ pids: cluster.pids, dataDir: cluster.dataDir })}\n`);
setInterval(() => {}, 1 << 30);
