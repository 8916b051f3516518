// `npm run local:down`: stops what `local:up` started, using its state file.
import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive, isProcessRunning, readEnvState, removeEnvState } from './env.js';

const state = readEnvState();
if (!state) {
  process.stdout.write('No local environment is running.\n');
  process.exit(0);
}

if (isProcessRunning(state.pid, 'local-up')) {
  // The owner stops its parts in order and removes the state file.
  process.kill(state.pid, 'SIGTERM');
  const deadline = Date.now() + 20_000;
  while (isAlive(state.pid) && Date.now() < deadline) await sleep(100);
}
// Leftovers of an owner that died or did not stop in time: stop exactly the
// recorded processes, and only if they still run what was started.
for (const part of [...state.parts].reverse()) {
  for (const p of part.processes) {
    if (!isProcessRunning(p.pid, p.commandContains)) continue;
    process.stderr.write(`[smartscale/local] stopping leftover ${part.name} process ${p.pid}\n`);
    process.kill(p.pid, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    while (isProcessRunning(p.pid, p.commandContains) && Date.now() < deadline) await sleep(100);
    if (isProcessRunning(p.pid, p.commandContains)) process.kill(p.pid, 'SIGKILL');
  }
}
removeEnvState();
process.stdout.write('Local environment stopped.\n');
