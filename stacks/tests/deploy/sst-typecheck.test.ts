import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync(cmd, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 300_000,
  });
}

// `sst deploy` needs AWS and Pulumi's release downloads; what can be checked
// offline is that sst.config.ts and stacks/ type-check against SST's own
// component types, which `sst install` generates from the npm registry alone.
describe('sst.config.ts', () => {
  it('type-checks against the SST platform offline', () => {
    const install = run('npx', ['sst', 'install'], {
      SST_TELEMETRY_DISABLED: '1',
      SST_STAGE: 'ci',
      SST_SKIP_DEPENDENCY_CHECK: '1',
      SST_NO_BUN: '1',
    });
    expect(install.status, install.stdout + install.stderr).toBe(0);
    const tsc = run(process.execPath, [
      join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
      '-p',
      'tsconfig.sst.json',
    ]);
    expect(tsc.stdout).not.toMatch(/error TS/);
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });
});
