// Starts the local control plane and keeps it up until Ctrl-C:
//   node --import tsx packages/local/src/cluster/cli.ts
// then, in another shell, `export KUBECONFIG=<printed path>` and use kubectl
// or the SmartScale adapters against it.
import { KWOK_NODE_ANNOTATION, startLocalCluster } from './start.ts';

const cluster = await startLocalCluster({ keepDataDir: process.argv.includes('--keep') });
process.stdout.write(
  [
    `API server:            ${cluster.server}`,
    `admin kubeconfig:      ${cluster.adminKubeconfig}`,
    `autoscaler kubeconfig: ${cluster.autoscalerKubeconfig}`,
    `logs:                  ${cluster.dataDir}/logs`,
    `kwok plays nodes annotated ${KWOK_NODE_ANNOTATION.key}=${KWOK_NODE_ANNOTATION.value}. Ctrl-C stops everything.`,
    '',
  ].join('\n'),
);
const shutdown = () => {
  cluster.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
setInterval(() => {}, 1 << 30);
