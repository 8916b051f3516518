// npm run bench:scale [-- --sizes 100x3000,1000x30000 --page-size 500]
//   [--decider-only] [--decider-workers 100,500,1000] [--decider-pending 0,2000,10000] [--decider-runs 5]
// First the decider, in-process and without kwok (decider-bench.ts): time
// from sample to command and planning time at each workers x pending size,
// with the message size and whether it goes by claim check. Then, unless
// --decider-only, starts a local control plane with kwok, grows it to each
// size in turn (kwok Nodes, pods bound to them) and measures one sampler
// pass at each: wall time, RSS and heap, the encoded sample's size and
// whether it would go by S3 claim check. Prints the tables; numbers, not assertions.
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startLocalCluster } from '../cluster/start.ts';
import {
  type DeciderMeasurement,
  deciderSizes,
  formatDeciderTable,
  measureDecider,
  parseCounts,
} from './decider-bench.ts';
import {
  benchNamespace,
  formatScaleTable,
  growCluster,
  measureSample,
  parseSizes,
  type ScaleRow,
  type ScaleSize,
} from './scale-bench.ts';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--'))
    throw new Error(`--${name} needs a value, e.g. --${name} ${fallback}`);
  return value;
}

/** The decider's table, measured in this process (light: no cluster, no kwok). */
async function benchDecider(): Promise<void> {
  const workers = parseCounts('decider-workers', option('decider-workers', '100,500,1000'), 1);
  const pending = parseCounts('decider-pending', option('decider-pending', '0,2000,10000'), 0);
  const [runs] = parseCounts('decider-runs', option('decider-runs', '5'), 1);
  const rows: DeciderMeasurement[] = [];
  for (const size of deciderSizes(workers, pending)) {
    rows.push(await measureDecider(size, { runs: runs ?? 5 }));
    console.error(formatDeciderTable(rows.slice(-1)));
  }
  console.log(
    `\nDecider at scale (${new Date().toISOString()}, median of ${runs} runs; pods 100m/128Mi, 30 per owner)\n`,
  );
  console.log(formatDeciderTable(rows));
}

async function main(): Promise<void> {
  const sizes = parseSizes(option('sizes', '100x3000,1000x30000'));
  const pageSize = Number(option('page-size', '500'));
  if (!Number.isInteger(pageSize) || pageSize < 1)
    throw new Error(`--page-size must be a whole number above 0, got ${pageSize}`);
  await benchDecider();
  if (process.argv.includes('--decider-only')) return;
  const cluster = await startLocalCluster();
  const rows: ScaleRow[] = [];
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(cluster.adminKubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    await benchNamespace(core, 'bench');
    let at: ScaleSize = { nodes: 0, pods: 0 };
    for (const size of [...sizes].sort((a, b) => a.pods - b.pods || a.nodes - b.nodes)) {
      const grow = await growCluster(core, 'bench', at, size);
      const createSeconds = grow.nodeSeconds + grow.podSeconds;
      console.error(
        `bench: ${size.nodes} nodes and ${size.pods} pods; created ${size.nodes - at.nodes} nodes in ${grow.nodeSeconds.toFixed(0)} s, ${size.pods - at.pods} pods in ${grow.podSeconds.toFixed(0)} s`,
      );
      at = size;
      // The reader identity: the sampler's own RBAC, token and TLS.
      const measured = await measureSample(cluster.kubeconfigs.reader, pageSize);
      rows.push({ ...measured, size, createSeconds });
      console.error(formatScaleTable(rows.slice(-1)));
    }
  } finally {
    await cluster.stop();
  }
  console.log(`\nSampler at scale (${new Date().toISOString()}, page size ${pageSize})\n`);
  console.log(formatScaleTable(rows));
}

main().catch((err: Error) => {
  console.error(`bench:scale: ${err.message}`);
  process.exit(1);
});
