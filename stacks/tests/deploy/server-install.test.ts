// k3s/server-install.sh run as an operator would, with the real AWS CLI
// against moto and a stand-in K3s installer that behaves like K3s's on the
// points the script relies on: it receives the server flags, and it writes
// the server token and the agent token (secure form, from --agent-token-file)
// into the data dir. Proves the published join token is agent-only (issue #21)
// and that the Kubernetes token rotation's systemd units are installed.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { type AwsClients, createAwsClients, localAwsOptions } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MotoServer, startMoto } from '../../../packages/local/src/aws/moto-server.js';
import { awsCliBinDir } from '../../../packages/local/src/aws/venv.js';

const script = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'k3s',
  'server-install.sh',
);
const SERVER_TOKEN = 'K10cafe::server:full-admin-secret';

let moto: MotoServer;
let clients: AwsClients;
let work: string;

/**
 * A K3s installer stand-in: logs its arguments, then writes the server token
 * and `K10<hash>::node:<agent secret>` read from --agent-token-file, or (if
 * `agentTokenIsServerToken`) the server token as K3s does without one.
 */
function fakeInstaller(dir: string, agentTokenIsServerToken = false): string {
  const path = join(dir, 'install.sh');
  writeFileSync(
    path,
    `#!/bin/sh
set -eu
echo "$@" >"${dir}/install-args"
echo "$INSTALL_K3S_VERSION" >"${dir}/install-version"
file=""
while [ $# -gt 0 ]; do
  [ "$1" = "--agent-token-file" ] && file=$2
  shift
done
mkdir -p "${dir}/data/server"
printf '%s' '${SERVER_TOKEN}' >"${dir}/data/server/token"
if [ -n "$file" ] && [ "${agentTokenIsServerToken ? 'yes' : 'no'}" = no ]; then
  printf 'K10cafe::node:%s' "$(cat "$file")" >"${dir}/data/server/agent-token"
else
  printf '%s' '${SERVER_TOKEN}' >"${dir}/data/server/agent-token"
fi
`,
  );
  chmodSync(path, 0o755);
  return path;
}

/** A systemctl stand-in (no systemd here) that logs each call to `dir`/systemctl. */
function fakeSystemctl(dir: string): string {
  const path = join(dir, 'systemctl');
  writeFileSync(path, `#!/bin/sh\necho "$@" >>"${dir}/systemctl.log"\n`);
  chmodSync(path, 0o755);
  return path;
}

function install(
  dir: string,
  parameter: string,
  installer: string,
  args = ['prod-eu', 'v1.35.4+k3s1'],
  env: Record<string, string> = {},
) {
  mkdirSync(dir, { recursive: true });
  return spawnSync('bash', [script, ...args, parameter], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: `${awsCliBinDir()}:${process.env.PATH ?? ''}`,
      HOME: process.env.HOME ?? '/tmp',
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_DEFAULT_REGION: 'us-east-1',
      SMARTSCALE_K3S_INSTALLER: installer,
      SMARTSCALE_K3S_DATA_DIR: join(dir, 'data'),
      SMARTSCALE_K3S_CONFIG_DIR: join(dir, 'etc'),
      SMARTSCALE_SYSTEMD_DIR: join(dir, 'systemd'),
      SMARTSCALE_LIB_DIR: join(dir, 'lib'),
      SMARTSCALE_SYSTEMCTL: fakeSystemctl(dir),
      // The tests' parameters are not all /<prefix>/k3s/join-token.
      SMARTSCALE_PARAMETER_PREFIX: 'ci',
      ...env,
    },
  });
}

async function parameter(name: string): Promise<string | undefined> {
  try {
    const r = await clients.ssm.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
    return r.Parameter?.Value;
  } catch {
    return undefined;
  }
}

beforeAll(async () => {
  moto = await startMoto();
  clients = createAwsClients(localAwsOptions(moto.endpoint));
  work = mkdtempSync(join(tmpdir(), 'server-install-'));
}, 180_000);

afterAll(async () => {
  clients?.destroy();
  await moto?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('k3s/server-install.sh', () => {
  it('starts K3s with an agent token file and publishes the agent-only token, never the server token', async () => {
    const dir = mkdtempSync(join(work, 'ok-'));
    const run = install(dir, '/ci/k3s/join-token', fakeInstaller(dir));
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const args = readFileSync(join(dir, 'install-args'), 'utf8');
    expect(args).toContain(`--agent-token-file ${join(dir, 'etc', 'agent-token')}`);
    expect(readFileSync(join(dir, 'install-version'), 'utf8').trim()).toBe('v1.35.4+k3s1');
    const secret = readFileSync(join(dir, 'etc', 'agent-token'), 'utf8');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // Not on any command line, and readable by root only.
    expect(args).not.toContain(secret);
    expect(statSync(join(dir, 'etc', 'agent-token')).mode & 0o077).toBe(0);
    expect(await parameter('/ci/k3s/join-token')).toBe(`K10cafe::node:${secret}`);
  });

  it('keeps the agent secret across a re-run, so joined workers stay valid', async () => {
    const dir = mkdtempSync(join(work, 'rerun-'));
    expect(install(dir, '/ci/k3s/rerun', fakeInstaller(dir)).status).toBe(0);
    const first = readFileSync(join(dir, 'etc', 'agent-token'), 'utf8');
    expect(install(dir, '/ci/k3s/rerun', fakeInstaller(dir)).status).toBe(0);
    expect(readFileSync(join(dir, 'etc', 'agent-token'), 'utf8')).toBe(first);
    expect(await parameter('/ci/k3s/rerun')).toBe(`K10cafe::node:${first}`);
  });

  it('refuses to publish when the agent token K3s wrote is the server token', async () => {
    const dir = mkdtempSync(join(work, 'server-token-'));
    const run = install(dir, '/ci/k3s/refused', fakeInstaller(dir, true));
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/does not carry the agent secret .*not publishing it/);
    expect(await parameter('/ci/k3s/refused')).toBeUndefined();
  });

  it('without a local installer, refuses to download K3s unless both digests are pinned (issue #21 item 6)', async () => {
    const dir = mkdtempSync(join(work, 'unpinned-'));
    const run = install(dir, '/ci/k3s/unpinned', '');
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain(
      'SMARTSCALE_K3S_SHA256: set it to the SHA-256 of the k3s binary of v1.35.4+k3s1',
    );
    expect(await parameter('/ci/k3s/unpinned')).toBeUndefined();
  });

  it('installs the Kubernetes token rotation: a systemd timer storing 24-hour tokens every 6 hours (issue #21)', () => {
    const dir = mkdtempSync(join(work, 'timer-'));
    // The prefix comes from the join-token parameter's name.
    const run = install(dir, '/smartscale-ci/k3s/join-token', fakeInstaller(dir), undefined, {
      AWS_REGION: 'eu-west-1',
      SMARTSCALE_PARAMETER_PREFIX: '',
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const lib = join(dir, 'lib', 'store-kube-tokens.sh');
    // The rotation script is the repository's, executable.
    expect(readFileSync(lib, 'utf8')).toBe(
      readFileSync(join(dirname(script), 'store-kube-tokens.sh'), 'utf8'),
    );
    expect(statSync(lib).mode & 0o111).not.toBe(0);
    const service = readFileSync(join(dir, 'systemd', 'smartscale-kube-tokens.service'), 'utf8');
    expect(service).toContain(`ExecStart=${lib} smartscale-ci 24h\n`);
    expect(service).toContain(`Environment=KUBECONFIG=${join(dir, 'etc')}/k3s.yaml\n`);
    expect(service).toContain('Environment=AWS_DEFAULT_REGION=eu-west-1\n');
    expect(service).toContain('Restart=on-failure\n');
    const timer = readFileSync(join(dir, 'systemd', 'smartscale-kube-tokens.timer'), 'utf8');
    expect(timer).toContain('OnUnitActiveSec=6h\n');
    expect(readFileSync(join(dir, 'systemctl.log'), 'utf8')).toBe(
      'daemon-reload\nenable --now smartscale-kube-tokens.timer\n',
    );
    // systemd itself reads both units without a complaint.
    const verify = spawnSync(
      'systemd-analyze',
      [
        'verify',
        '--man=no',
        join(dir, 'systemd', 'smartscale-kube-tokens.service'),
        join(dir, 'systemd', 'smartscale-kube-tokens.timer'),
      ],
      { encoding: 'utf8' },
    );
    expect(verify.error, 'systemd-analyze must be installed').toBeUndefined();
    expect(verify.stdout + verify.stderr).toBe('');
    expect(verify.status).toBe(0);
  });

  it('names a join-token parameter from which no token prefix follows', async () => {
    const dir = mkdtempSync(join(work, 'no-prefix-'));
    const run = install(dir, '/ci/other/join', fakeInstaller(dir), undefined, {
      SMARTSCALE_PARAMETER_PREFIX: '',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'no SSM prefix for the Kubernetes tokens: pass the join token parameter as /<prefix>/k3s/join-token',
    );
    expect(await parameter('/ci/other/join')).toBeUndefined();
  });

  it('names a bad argument and what it expected', () => {
    const dir = mkdtempSync(join(work, 'bad-'));
    const run = install(dir, '/ci/k3s/x', fakeInstaller(dir), ['prod eu', 'v1.35.4+k3s1']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      "cluster-id 'prod eu' is invalid: expected 1-40 letters, digits or '-'",
    );
  });
});
