// k3s/fetch-k3s.sh run by bash against a local HTTP server standing in for
// GitHub's release downloads and raw sources: K3s is installed only at the
// pinned version and only when the binary and the install script match their
// pinned SHA-256 (issue #21 item 6); otherwise nothing is left behind.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const library = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'k3s',
  'fetch-k3s.sh',
);
const VERSION = 'v1.35.4+k3s1';
const BINARY = '#!/bin/sh\necho "k3s version v1.35.4+k3s1"\n';
const INSTALLER = '#!/bin/sh\necho installing\n';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let server: Server;
let base: string;
const requested: string[] = [];
let work: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    requested.push(req.url ?? '');
    const body =
      req.url === '/releases/v1.35.4%2Bk3s1/k3s'
        ? BINARY
        : req.url === '/source/v1.35.4%2Bk3s1/install.sh'
          ? INSTALLER
          : null;
    res.writeHead(body === null ? 404 : 200).end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
afterEach(() => {
  requested.length = 0;
  rmSync(work, { recursive: true, force: true });
});

/** Sources the library and calls fetch_k3s, asynchronously: the server runs in this process. */
function fetchK3s(k3sSha: string, installerSha: string, version = VERSION) {
  work = mkdtempSync(join(tmpdir(), 'fetch-k3s-'));
  const child = spawn(
    'bash',
    [
      '-c',
      `set -euo pipefail; . "$1"; fetch_k3s "$2" "$3" "$4" "$5"`,
      'fetch',
      library,
      version,
      k3sSha,
      installerSha,
      join(work, 'install.sh'),
    ],
    {
      // stdin not a socket, or bash would read ~/.bashrc as for a remote shell.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        SMARTSCALE_K3S_BIN_DIR: join(work, 'bin'),
        SMARTSCALE_K3S_RELEASE_URL: `${base}/releases`,
        SMARTSCALE_K3S_SOURCE_URL: `${base}/source`,
      },
    },
  );
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += String(d);
  });
  return new Promise<{ status: number | null; stderr: string }>((resolve) =>
    child.on('close', (status) => resolve({ status, stderr })),
  );
}

describe('fetch_k3s (k3s/fetch-k3s.sh)', () => {
  it('installs the pinned binary and keeps the install script when both digests match', async () => {
    const run = await fetchK3s(sha256(BINARY), sha256(INSTALLER));
    expect(run).toEqual({ status: 0, stderr: '' });
    // The tag's '+' travels as %2B; nothing else was asked for (no get.k3s.io).
    expect(requested).toEqual([
      '/releases/v1.35.4%2Bk3s1/k3s',
      '/source/v1.35.4%2Bk3s1/install.sh',
    ]);
    expect(readFileSync(join(work, 'bin', 'k3s'), 'utf8')).toBe(BINARY);
    expect(statSync(join(work, 'bin', 'k3s')).mode & 0o777).toBe(0o755);
    expect(readFileSync(join(work, 'install.sh'), 'utf8')).toBe(INSTALLER);
  });

  it('refuses a binary whose digest differs, naming both, and installs nothing', async () => {
    const pinned = sha256('another build');
    const run = await fetchK3s(pinned, sha256(INSTALLER));
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `fetch_k3s: k3s ${VERSION} has SHA-256 ${sha256(BINARY)}, expected ${pinned}: refusing it\n`,
    );
    expect(existsSync(join(work, 'bin', 'k3s'))).toBe(false);
    expect(existsSync(join(work, 'install.sh'))).toBe(false);
    expect(requested).toEqual(['/releases/v1.35.4%2Bk3s1/k3s']);
  });

  it('refuses an install script whose digest differs and removes the binary it had installed', async () => {
    const pinned = sha256('a changed installer');
    const run = await fetchK3s(sha256(BINARY), pinned);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      `install.sh ${VERSION} has SHA-256 ${sha256(INSTALLER)}, expected ${pinned}`,
    );
    expect(existsSync(join(work, 'bin', 'k3s'))).toBe(false);
    expect(existsSync(join(work, 'install.sh'))).toBe(false);
  });

  it('fails on a version the release server does not have', async () => {
    const run = await fetchK3s(sha256(BINARY), sha256(INSTALLER), 'v1.35.5+k3s1');
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`cannot download ${base}/releases/v1.35.5%2Bk3s1/k3s`);
    expect(existsSync(join(work, 'bin', 'k3s'))).toBe(false);
  });

  it.each([
    ['latest', sha256(BINARY), /version 'latest' is invalid: expected a K3s release/],
    [VERSION, 'abc', /k3s-sha256 'abc' is invalid: expected 64 lower-case hex digits/],
  ])('names a bad argument before downloading (%s, %s)', async (version, k3sSha, message) => {
    const run = await fetchK3s(k3sSha, sha256(INSTALLER), version);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(requested).toEqual([]);
  });
});
