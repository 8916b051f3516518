// The local environment as a list of parts (AWS today; a Kubernetes control
// plane and Prometheus can be added as more parts). `local:up` starts them in
// order and stops them in reverse; `local:down` uses the state file to stop
// exactly what `local:up` started.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** Per-checkout runtime files (gitignored): state file, server logs. */
export const STATE_DIR = join(REPO_ROOT, '.smartscale');
export const STATE_FILE = join(STATE_DIR, 'local.json');

/** What a part can use while it starts. */
export interface EnvContext {
  readonly stateDir: string;
  /** Parts started before this one, by name (e.g. the join agent needs `aws`). */
  readonly started: ReadonlyMap<string, RunningPart>;
  log(message: string): void;
}

/** One piece of the local environment. */
export interface EnvPart {
  readonly name: string;
  start(context: EnvContext): Promise<RunningPart>;
}

/** A started part. */
export interface RunningPart {
  readonly name: string;
  /** Lines shown to the person who ran `local:up` (endpoints, what was created). */
  readonly summary: readonly string[];
  /** Machine-readable details written to the state file (no secrets). */
  readonly details: Readonly<Record<string, unknown>>;
  /** Server processes this part started, with a string their command line contains. */
  readonly processes: readonly { readonly pid: number; readonly commandContains: string }[];
  stop(): Promise<void>;
}

/** The content of `.smartscale/local.json`. */
export interface EnvState {
  /** The `local:up` process that owns everything below. */
  readonly pid: number;
  readonly startedAt: string;
  readonly parts: readonly {
    readonly name: string;
    readonly details: Readonly<Record<string, unknown>>;
    readonly processes: RunningPart['processes'];
  }[];
}

/** A started environment. */
export interface LocalEnv {
  readonly parts: readonly RunningPart[];
  /** Stops every part, last started first. */
  stop(): Promise<void>;
}

function log(message: string): void {
  process.stderr.write(`[smartscale/local] ${message}\n`);
}

/**
 * Starts `parts` in order. When one fails, the ones already started are
 * stopped before the error is rethrown.
 *
 * @example
 * const env = await startLocalEnv([awsPart()]);
 * await env.stop();
 */
export async function startLocalEnv(parts: readonly EnvPart[]): Promise<LocalEnv> {
  mkdirSync(STATE_DIR, { recursive: true });
  const started = new Map<string, RunningPart>();
  const stopAll = async () => {
    for (const part of [...started.values()].reverse()) {
      try {
        await part.stop();
      } catch (error) {
        log(`stopping ${part.name} failed: ${(error as Error).message}`);
      }
    }
    started.clear();
  };
  for (const part of parts) {
    try {
      started.set(part.name, await part.start({ stateDir: STATE_DIR, started, log }));
    } catch (error) {
      await stopAll();
      throw new Error(
        `local environment: starting ${part.name} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  }
  return { parts: [...started.values()], stop: stopAll };
}

/** Reads the state file, or null when no environment is recorded. */
export function readEnvState(): EnvState | null {
  if (!existsSync(STATE_FILE)) return null;
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as EnvState;
}

export function writeEnvState(env: LocalEnv): void {
  const state: EnvState = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    parts: env.parts.map((p) => ({ name: p.name, details: p.details, processes: p.processes })),
  };
  mkdirSync(STATE_DIR, { recursive: true });
  writeFileSync(STATE_FILE, `${JSON.stringify(state, null, 2)}\n`);
}

export function removeEnvState(): void {
  rmSync(STATE_FILE, { force: true });
}

/** True when `pid` is a live process (of any user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when `pid` is alive and its command line contains `text` (guards against reused pids). */
export function isProcessRunning(pid: number, text: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(text);
  } catch {
    return true;
  }
}
