import { spawn } from 'node:child_process';

/** Formats a duration in milliseconds as `1m05s` / `42s`. */
export function formatElapsed(ms: number): string {
  const total = Math.round(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return m > 0 ? `${m}m${String(s).padStart(2, '0')}s` : `${s}s`;
}

/** Prints one progress line, prefixed so it is easy to find in CI logs. */
export function log(message: string): void {
  process.stderr.write(`[smartscale/local] ${message}\n`);
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** What is being done, shown in progress and error lines. */
  label: string;
  /** How often to print "still running" lines; 0 disables them. */
  heartbeatMs?: number;
}

/**
 * Runs a command to completion, printing a heartbeat with the elapsed time and
 * the last line of output so long builds show what they are doing. Rejects
 * with the command's tail of output when it exits non-zero.
 */
export function runWithProgress(cmd: string, args: string[], options: RunOptions): Promise<void> {
  const started = Date.now();
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tail: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer =
      heartbeatMs > 0
        ? setInterval(() => {
            const last = tail.at(-1);
            log(
              `${options.label}: still running, ${formatElapsed(Date.now() - started)} elapsed${last ? ` (last output: ${last.slice(0, 120)})` : ''}`,
            );
          }, heartbeatMs)
        : undefined;
    const onSignal = () => child.kill('SIGTERM');
    process.once('SIGINT', onSignal);
    child.on('error', (error) => {
      if (timer) clearInterval(timer);
      process.off('SIGINT', onSignal);
      reject(new Error(`${options.label}: could not start '${cmd}': ${error.message}`));
    });
    child.on('close', (code, signal) => {
      if (timer) clearInterval(timer);
      process.off('SIGINT', onSignal);
      if (code === 0) {
        resolve();
        return;
      }
      reject(
        new Error(
          `${options.label}: '${cmd} ${args.join(' ')}' failed (${signal ?? `exit ${code}`}) after ${formatElapsed(Date.now() - started)}. Last output:\n${tail.join('\n')}`,
        ),
      );
    });
  });
}
