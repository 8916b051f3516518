import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The moto release the project is tested against; bump deliberately. */
export const MOTO_VERSION = '5.2.5';

/**
 * The AWS CLI (v1, the one on PyPI) the k3s/ scripts are run with against
 * moto in tests, as users run them against AWS. Pinned with moto so pip
 * resolves one botocore for both.
 */
export const AWSCLI_VERSION = '1.46.3';

/** What goes into the virtualenv (moto's server extra brings flask and friends). */
const REQUIREMENTS = [`moto[server]==${MOTO_VERSION}`, `awscli==${AWSCLI_VERSION}`];
// The marker also names the relocatable `aws` launcher (see ensureMotoVenv).
const REQUIREMENT = `${REQUIREMENTS.join(' ')} +aws-launcher`;
const MARKER = '.smartscale-complete';

/** Where the moto virtualenv lives: outside the repo, shared by every clone, keyed by its contents. */
export function motoVenvDir(): string {
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cache, 'smartscale', `venv-moto-${MOTO_VERSION}-awscli-${AWSCLI_VERSION}`);
}

/** The venv's `bin` folder, which holds `aws` (put it first on PATH to run the k3s/ scripts). */
export function awsCliBinDir(dir = motoVenvDir()): string {
  return join(dir, 'bin');
}

/** The virtualenv's Python, which runs `-m moto.server`. */
export function motoPython(dir = motoVenvDir()): string {
  return join(dir, 'bin', 'python');
}

/** True when the virtualenv was fully built (the marker is written last). */
export function isMotoInstalled(dir = motoVenvDir()): boolean {
  return (
    existsSync(join(dir, MARKER)) &&
    readFileSync(join(dir, MARKER), 'utf8').trim() === REQUIREMENT &&
    existsSync(motoPython(dir))
  );
}

function log(message: string): void {
  process.stderr.write(`[smartscale/local aws] ${message}\n`);
}

function findPython(): string {
  for (const candidate of [process.env.SMARTSCALE_PYTHON, 'python3', 'python']) {
    if (!candidate) continue;
    const r = spawnSync(candidate, ['-c', 'import venv, ensurepip'], { stdio: 'ignore' });
    if (r.status === 0) return candidate;
  }
  throw new Error(
    'moto needs Python 3 with the venv module: none found as python3 or python. ' +
      'Install it (Debian: apt-get install python3-venv) or set SMARTSCALE_PYTHON to its path.',
  );
}

function run(cmd: string, args: string[], label: string): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        tail.push(line);
        if (tail.length > 30) tail.shift();
      }
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const heartbeat = setInterval(() => {
      const secs = Math.round((Date.now() - started) / 1000);
      log(`${label}: ${secs}s elapsed${tail.at(-1) ? ` (${tail.at(-1)?.slice(0, 100)})` : ''}`);
    }, 15_000);
    child.on('error', (error) => {
      clearInterval(heartbeat);
      reject(new Error(`${label}: could not start '${cmd}': ${error.message}`));
    });
    child.on('close', (code) => {
      clearInterval(heartbeat);
      if (code === 0) resolve();
      else
        reject(
          new Error(`${label}: '${cmd} ${args.join(' ')}' exited ${code}:\n${tail.join('\n')}`),
        );
    });
  });
}

/**
 * Builds the moto virtualenv when it is missing or incomplete; silent when it
 * is already there. The build goes into a scratch folder renamed into place at
 * the end, so an interrupted install is never mistaken for a finished one.
 *
 * @example
 * const python = await ensureMotoVenv();
 */
export async function ensureMotoVenv(): Promise<string> {
  const dir = motoVenvDir();
  if (isMotoInstalled(dir)) return motoPython(dir);
  const started = Date.now();
  const python = findPython();
  const scratch = `${dir}.tmp-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(join(dir, '..'), { recursive: true });
  log(`installing ${REQUIREMENT} into ${dir} (first run only, about a minute)`);
  try {
    await run(python, ['-m', 'venv', scratch], 'creating the virtualenv');
    await run(
      motoPython(scratch),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-q', ...REQUIREMENTS],
      `pip install ${REQUIREMENT}`,
    );
    // pip's console scripts name the interpreter by absolute path, which is
    // the scratch folder's and breaks on the rename below; this launcher
    // finds the venv's python next to itself wherever the venv lives.
    writeFileSync(
      join(scratch, 'bin', 'aws'),
      '#!/bin/sh\nexec "$(dirname "$0")/python" -m awscli "$@"\n',
      { mode: 0o755 },
    );
    writeFileSync(join(scratch, MARKER), `${REQUIREMENT}\n`);
    // Another process may have finished first; theirs is as good as ours.
    if (isMotoInstalled(dir)) rmSync(scratch, { recursive: true, force: true });
    else {
      rmSync(dir, { recursive: true, force: true });
      renameSync(scratch, dir);
    }
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  log(
    `moto ${MOTO_VERSION} and aws-cli ${AWSCLI_VERSION} ready in ${Math.round((Date.now() - started) / 1000)}s`,
  );
  return motoPython(dir);
}
