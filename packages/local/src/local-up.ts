// `npm run local:up`: starts the local environment, prints what it created
// and keeps running until Ctrl-C or `npm run local:down`.
import { awsPart } from './aws/part.js';
import { clusterPart } from './cluster/part.ts';
import { serverParametersPart } from './cluster/server-parameters.ts';
import {
  type EnvPart,
  isAlive,
  readEnvState,
  removeEnvState,
  STATE_FILE,
  startLocalEnv,
  writeEnvState,
} from './env.js';

/** The parts `local:up` starts, in order; later parts may use earlier ones. */
export const LOCAL_PARTS: readonly EnvPart[] = [awsPart(), clusterPart(), serverParametersPart()];

const previous = readEnvState();
if (previous && isAlive(previous.pid)) {
  process.stderr.write(
    `A local environment is already running (pid ${previous.pid}, see ${STATE_FILE}). Stop it with 'npm run local:down'.\n`,
  );
  process.exit(1);
}

const env = await startLocalEnv(LOCAL_PARTS);
writeEnvState(env);
for (const part of env.parts) {
  process.stdout.write(`\n== ${part.name}\n${part.summary.join('\n')}\n`);
}
process.stdout.write(
  `\nRunning (state in ${STATE_FILE}). Ctrl-C or 'npm run local:down' stops it.\n`,
);

let stopping = false;
const keepAlive = setInterval(() => {}, 60_000);
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  process.stderr.write(`[smartscale/local] ${signal}: stopping\n`);
  await env.stop();
  removeEnvState();
  clearInterval(keepAlive);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
