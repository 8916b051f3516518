import { execFileSync, spawnSync } from 'node:child_process';
import { log } from '../cluster/progress.ts';

/** Finds an executable on PATH, or returns undefined. */
function which(command: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

/**
 * Returns the path of the `prometheus` binary, installing Debian's package
 * when it is missing (this needs root, as on the project's machines and CI).
 *
 * @example
 * const prometheus = ensurePrometheus(); // '/usr/bin/prometheus'
 */
export function ensurePrometheus(): string {
  const found = which('prometheus');
  if (found) {
    log(`prometheus: found ${found}`);
    return found;
  }
  if (process.getuid?.() !== 0) {
    throw new Error(
      'prometheus is not installed and this is not root; run: sudo apt-get install -y --no-install-recommends prometheus',
    );
  }
  const started = Date.now();
  log('prometheus: installing the Debian package (apt-get update, apt-get install prometheus)');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  // Wait for other apt users rather than failing on the dpkg lock.
  const lock = ['-o', 'DPkg::Lock::Timeout=600'];
  execFileSync('apt-get', [...lock, 'update', '-q'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env,
  });
  execFileSync(
    'apt-get',
    [...lock, 'install', '-y', '-q', '--no-install-recommends', 'prometheus'],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    },
  );
  const installed = which('prometheus');
  if (!installed) throw new Error('apt-get installed prometheus but it is not on PATH');
  log(`prometheus: installed ${installed} in ${Math.round((Date.now() - started) / 1000)}s`);
  return installed;
}
