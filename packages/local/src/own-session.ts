import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

// A Ctrl-C in a terminal signals every process of its foreground process
// group at once: without this, kube-apiserver, kwok, moto, Prometheus and the
// services would all get SIGINT together with `npm start`, and the services
// would log errors against a control plane already gone. `npm start` turns
// this on so the servers it starts sit in a session of their own, and only it
// decides the order they stop in (services first, then the control plane).
// Off by default: tests and other entries keep the terminal's Ctrl-C reaching
// their servers directly.
let ownSession = false;
/** Servers started in their own session and still running. */
const detached = new Set<ChildProcess>();

/** From now on, server processes start in a session of their own (see above). */
export function startServersInOwnSession(): void {
  ownSession = true;
  // Out of the terminal's reach, a server would outlive a crash of this
  // process; the exit hook kills what an orderly stop did not.
  process.on('exit', () => {
    for (const child of detached) child.kill('SIGKILL');
  });
}

/**
 * `spawn` for a server process (moto, the control plane, Prometheus, a
 * service): in its own session once `startServersInOwnSession` was called.
 */
export function spawnServer(command: string, args: string[], options: SpawnOptions): ChildProcess {
  const child = spawn(command, args, { ...options, detached: ownSession });
  if (ownSession) {
    detached.add(child);
    child.once('exit', () => detached.delete(child));
  }
  return child;
}
