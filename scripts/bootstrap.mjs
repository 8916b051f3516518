#!/usr/bin/env node
// Makes a fresh clone ready for `npm test` / `npm run demo` using only the
// project's own files. Plain Node (no dependencies) because it runs before
// node_modules exists.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const nodeOnly = process.argv.includes('--node-only');

function run(cmd, args) {
  console.log(`[bootstrap] ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`[bootstrap] '${cmd} ${args.join(' ')}' failed with exit code ${r.status}`);
    process.exit(r.status ?? 1);
  }
}

const marker = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
  // `npm install`, not `npm ci`: npm 11 here leaves other platforms' optional
  // packages (Biome, esbuild) out of the lock, and `npm ci` then refuses it.
  run('npm', ['install', '--no-audit', '--no-fund']);
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// Debian packages the local environment calls: shellcheck checks the k3s/
// scripts, openssl makes the control plane's certificates, chromium renders
// the reports in the browser tests (playwright-core drives it; no download).
const debianTools = { shellcheck: 'shellcheck', openssl: 'openssl', chromium: 'chromium' };
const missing = nodeOnly ? [] : Object.entries(debianTools).filter(([cmd]) => !onPath(cmd));
if (missing.length > 0) {
  const packages = missing.map(([, pkg]) => pkg);
  if (process.getuid?.() !== 0) {
    console.error(
      `[bootstrap] missing ${packages.join(', ')}: install (apt-get install ${packages.join(' ')}) and run again`,
    );
    process.exit(1);
  }
  run('apt-get', ['update', '-qq']);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages]);
}

if (!nodeOnly) {
  // Local environment (moto venv, control-plane binaries, Prometheus):
  // prepared by the local package so tests and the demo share one recipe.
  const prepare = join(root, 'packages', 'local', 'src', 'prepare.ts');
  if (existsSync(prepare)) run(process.execPath, ['--import', 'tsx', prepare]);
}
