import type { ChildProcess } from 'node:child_process';
import { mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { freePort } from '../cluster/processes.ts';
import { spawnServer } from '../own-session.ts';
import { ensureMotoVenv } from './venv.js';

/**
 * moto's server with DynamoDB requests serialized (see the script: moto's
 * conditional writes are not atomic under concurrency).
 */
export const MOTO_LAUNCHER = join(dirname(fileURLToPath(import.meta.url)), 'serve_moto.py');

/** A running moto server. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  /** Clears every resource in the server (moto's own reset API). */
  reset(): Promise<void>;
  /** Stops the server this handle started; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Port to bind on 127.0.0.1; a free one is picked when absent. */
  port?: number;
  /** File that receives the server's output (else it is discarded). */
  logFile?: string;
  /** How long to wait for the server to answer. */
  readyTimeoutMs?: number;
  /**
   * Seconds after which a terminated instance is forgotten, as EC2 does
   * after about an hour (serve_moto.py); absent: kept for ever, moto's way.
   */
  terminatedTtlSeconds?: number;
}

export { freePort };

/** True when a moto server answers on `endpoint`. */
export async function isMotoHealthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/moto-api/data.json`, {
      signal: AbortSignal.timeout(2000),
    });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * Starts moto on 127.0.0.1 (installing it first when needed) and waits until
 * it answers. The returned handle stops exactly this process.
 *
 * @example
 * const moto = await startMoto();
 * try { ... } finally { await moto.stop(); }
 */
export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = await ensureMotoVenv();
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  let out: number | 'ignore' = 'ignore';
  if (options.logFile) {
    mkdirSync(dirname(options.logFile), { recursive: true });
    out = openSync(options.logFile, 'a');
  }
  const child = spawnServer(python, [MOTO_LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', out, out],
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      ...(options.terminatedTtlSeconds !== undefined
        ? { SMARTSCALE_MOTO_TERMINATED_TTL_SECONDS: String(options.terminatedTtlSeconds) }
        : {}),
    },
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`moto server could not be started with ${python}`);
  let spawnError: Error | undefined;
  child.on('error', (error) => {
    spawnError = error;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killed = await Promise.race([exited(child).then(() => true), sleep(5000, false)]);
    if (!killed) {
      child.kill('SIGKILL');
      await exited(child);
    }
  };
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (!(await isMotoHealthy(endpoint))) {
    if (spawnError || child.exitCode !== null) {
      throw new Error(
        `moto server exited before it was ready (${spawnError?.message ?? `exit ${child.exitCode}`})${options.logFile ? `; see ${options.logFile}` : ''}`,
      );
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`moto server on ${endpoint} did not answer within the timeout`);
    }
    await sleep(100);
  }
  return {
    endpoint,
    port,
    pid,
    stop,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: HTTP ${res.status}`);
    },
  };
}
