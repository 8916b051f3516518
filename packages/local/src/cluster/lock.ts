import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes an exclusive lock file holding our pid; waits while a live process
 * holds it, and takes over a lock left by a dead one. Returns the release
 * function.
 */
export async function acquireLock(
  path: string,
  onWait?: (holderPid: number) => void,
): Promise<() => void> {
  let announced = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let holder = Number.NaN;
    try {
      holder = Number.parseInt(readFileSync(path, 'utf8'), 10);
    } catch {
      continue;
    }
    if (!Number.isInteger(holder) || !isAlive(holder)) {
      rmSync(path, { force: true });
      continue;
    }
    if (!announced && onWait) onWait(holder);
    announced = true;
    await sleep(2000);
  }
}
