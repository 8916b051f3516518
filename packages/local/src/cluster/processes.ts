import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnServer } from '../own-session.ts';

/** Asks the kernel for a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('Could not read the port of a probe socket'));
      });
    });
  });
}

/** One server process we started, with its log file. */
export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** Last lines of the log, for error messages. */
  logTail(lines?: number): string;
}

/** The signal handlers of every live ProcessGroup, told apart from the program's own. */
const GROUP_SIGNAL_HANDLERS = new Set<unknown>();

/**
 * Starts and stops a set of server processes. Only processes started through
 * this group are ever signalled, by their own pid. If this Node process exits
 * or is interrupted, every child still running is killed, then
 * `cleanupSync` runs (e.g. removing the data folder).
 */
export class ProcessGroup {
  readonly #processes: ManagedProcess[] = [];
  readonly #cleanupSync: (() => void) | undefined;
  #stopping: Promise<void> | undefined;
  readonly #onExit = () => {
    for (const p of this.#processes)
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    try {
      this.#cleanupSync?.();
    } catch {}
  };
  readonly #onSignal = (signal: NodeJS.Signals) => {
    // A handler of the program's own (npm start, the demo, local:up) stops
    // things in order, the services before the control plane they talk to;
    // killing our servers here would pull the control plane out from under
    // them. The exit hook still kills whatever that handler leaves behind.
    const others = process.listeners(signal).filter((l) => !GROUP_SIGNAL_HANDLERS.has(l));
    if (others.length > 0) return;
    this.#onExit();
    this.#detach();
    // Re-raise so the default behaviour (or another group's handler) still runs.
    process.kill(process.pid, signal);
  };

  constructor(options: { cleanupSync?: () => void } = {}) {
    this.#cleanupSync = options.cleanupSync;
    GROUP_SIGNAL_HANDLERS.add(this.#onSignal);
    process.on('exit', this.#onExit);
    process.on('SIGINT', this.#onSignal);
    process.on('SIGTERM', this.#onSignal);
  }

  #detach(): void {
    process.off('exit', this.#onExit);
    process.off('SIGINT', this.#onSignal);
    process.off('SIGTERM', this.#onSignal);
    GROUP_SIGNAL_HANDLERS.delete(this.#onSignal);
  }

  /** Starts `command args`, appending stdout and stderr to `logFile`. */
  start(
    name: string,
    command: string,
    args: string[],
    logFile: string,
    env?: NodeJS.ProcessEnv,
  ): ManagedProcess {
    if (this.#stopping) throw new Error(`Cannot start ${name}: the process group is stopping`);
    const fd = openSync(logFile, 'a');
    const child = spawnServer(command, args, {
      stdio: ['ignore', fd, fd],
      env: env ?? process.env,
    });
    closeSync(fd);
    child.on('error', () => {});
    const managed: ManagedProcess = {
      name,
      child,
      logFile,
      logTail: (lines = 25) => {
        try {
          return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
        } catch {
          return '(no log)';
        }
      },
    };
    this.#processes.push(managed);
    return managed;
  }

  /** Pids of the processes started so far, by name. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of this.#processes) if (p.child.pid !== undefined) out[p.name] = p.child.pid;
    return out;
  }

  /** Throws with the log tail of the first started process that has exited. */
  assertRunning(): void {
    for (const p of this.#processes) {
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(
          `${p.name} exited (${p.child.signalCode ?? `code ${p.child.exitCode}`}); see ${p.logFile}:\n${p.logTail()}`,
        );
      }
    }
  }

  /** Stops every process, newest first: SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs = 5000): Promise<void> {
    this.#stopping ??= (async () => {
      for (const p of [...this.#processes].reverse()) {
        if (p.child.exitCode !== null || p.child.signalCode !== null) continue;
        const exited = new Promise<void>((resolve) => p.child.once('exit', () => resolve()));
        p.child.kill('SIGTERM');
        const timedOut = await Promise.race([
          exited.then(() => false),
          sleep(graceMs).then(() => true),
        ]);
        if (timedOut) {
          p.child.kill('SIGKILL');
          await exited;
        }
      }
      this.#detach();
    })();
    return this.#stopping;
  }
}
