import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const k3s = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'k3s');

describe('k3s scripts', () => {
  const scripts = readdirSync(k3s).filter((f) => f.endsWith('.sh'));

  it('include the server install and the worker user data', () => {
    expect(scripts).toEqual(expect.arrayContaining(['server-install.sh', 'worker-user-data.sh']));
  });

  it.each(scripts)('%s passes shellcheck', (script) => {
    const r = spawnSync('shellcheck', ['-S', 'style', join(k3s, script)], { encoding: 'utf8' });
    expect(
      r.error,
      'shellcheck must be installed (scripts/bootstrap.mjs installs it)',
    ).toBeUndefined();
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
