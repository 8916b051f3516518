import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { loadAllYaml, type V1ConfigMap } from '@kubernetes/client-node';
import {
  configFromEnv,
  createAwsClients,
  localAwsOptions,
  resourcesFromEnv,
} from '@smartscale/aws';
import { parseConfig } from '@smartscale/core';
import { SERVICE_ACCOUNT_DIR } from '@smartscale/k8s';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopology } from '../../../packages/local/src/aws/bootstrap.js';
import { type MotoServer, startMoto } from '../../../packages/local/src/aws/moto-server.js';
import { toServiceResources } from '../../../packages/local/src/services/run-services.js';
import { bundleWatch } from '../../../services/sampler/watch-bundle.js';
import { assertClusterId, watchSettingsFromEnv } from '../../../services/sampler/watch-mode.js';

// The sampler's watch mode as its container runs it (services/sampler/Dockerfile):
// the bundle watch-bundle.ts writes, one ESM file loaded cold by plain node
// from a folder with no node_modules, with the environment the ConfigMap in
// k3s/manifests/sampler-watch.yaml gives it. No Docker here, so the image
// itself is not built. AWS is a real moto server; no Kubernetes API listens
// on port 9, so a running watch must report every failed tick and go on.
const outDir = mkdtempSync(join(tmpdir(), 'smartscale-watch-bundle-'));
const bundle = join(outDir, 'watch.mjs');
const token = `token-${randomBytes(8).toString('hex')}`;
// The ConfigMap of the Deployment; the child processes start from its values.
const configMap = (
  loadAllYaml(
    readFileSync(new URL('../../../k3s/manifests/sampler-watch.yaml', import.meta.url), 'utf8'),
  ) as V1ConfigMap[]
).find((o) => o?.kind === 'ConfigMap');
const configMapEnv: Record<string, string> = configMap?.data ?? {};
let moto: MotoServer;
let podEnv: Record<string, string>;

beforeAll(async () => {
  moto = await startMoto();
  const clients = createAwsClients(localAwsOptions(moto.endpoint));
  const applied = await applyTopology(clients, `t-watch-${randomBytes(3).toString('hex')}`);
  clients.destroy();
  // Its placeholders replaced by the moto deployment's values.
  podEnv = {
    ...configMapEnv,
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    SMARTSCALE_AWS_ENDPOINT: moto.endpoint,
    SMARTSCALE_RESOURCES: JSON.stringify(toServiceResources(applied, 'c-watch')),
    SMARTSCALE_CLUSTER_ID: 'c-watch',
    SMARTSCALE_PROMETHEUS_URL: 'http://127.0.0.1:9',
  };
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

/** Runs the bundle to its exit (start-up failures). */
function runToExit(env: Record<string, string>) {
  return spawnSync(process.execPath, [bundle], { env, encoding: 'utf8', timeout: 60_000 });
}

/** Resolves when the child's stderr has matched `pattern`, with everything it wrote so far. */
function waitForLine(child: ChildProcess, pattern: RegExp, output: { text: string }) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${pattern} within 30 s; stderr: ${output.text}`)),
      30_000,
    );
    const check = () => {
      if (pattern.test(output.text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stderr?.on('data', check);
    child.on('exit', () => {
      clearTimeout(timer);
      if (!pattern.test(output.text))
        reject(new Error(`exited before a line matching ${pattern}; stderr: ${output.text}`));
    });
    check();
  });
}

describe('sampler watch bundle', () => {
  it("has the ConfigMap's placeholders in the shape the process checks at start-up", () => {
    expect(Object.keys(configMapEnv).sort()).toEqual([
      'AWS_REGION',
      'SMARTSCALE_CLUSTER_ID',
      'SMARTSCALE_CONFIG',
      'SMARTSCALE_PROMETHEUS_URL',
      'SMARTSCALE_RESOURCES',
      'SMARTSCALE_WATCH_GRACE_MS',
    ]);
    // The policy placeholder is the defaults, in the form the sampler reads.
    expect(configFromEnv(configMapEnv)).toEqual(parseConfig({}));
    const resources = resourcesFromEnv(configMapEnv);
    expect(() => assertClusterId(configMapEnv, resources.clusterId)).not.toThrow();
    expect(watchSettingsFromEnv(configMapEnv)).toEqual({ intervalMs: 1000, graceMs: 10_000 });
  });

  it('bundles the watch entry into one ESM file for Node 20', async () => {
    const result = await bundleWatch(bundle);
    expect(result.errors).toEqual([]);
    expect(statSync(bundle).size).toBeLessThan(50 * 1024 * 1024);
  }, 120_000);

  it('refuses a bad watch setting at start-up, naming the variable', () => {
    const run = runToExit({ ...podEnv, SMARTSCALE_WATCH_GRACE_MS: '10s' });
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe(
      "sampler watch: start-up failed: SMARTSCALE_WATCH_GRACE_MS is '10s': expected a whole number of milliseconds, at least 0",
    );
  }, 60_000);

  it('inside a pod, takes the ServiceAccount mount and names it when it is missing', () => {
    // KUBERNETES_SERVICE_HOST is what Kubernetes sets in every container.
    const run = runToExit({
      ...podEnv,
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '9',
    });
    // A test machine that is itself a pod has the mount: then the watch
    // starts and reaches for the (absent) API server instead.
    if (existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) expect(run.status).toBeNull();
    else {
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(
        `start-up failed: In-cluster Kubernetes access: ${SERVICE_ACCOUNT_DIR}/token does not exist`,
      );
    }
  }, 60_000);

  it('runs: reports each failed tick without secrets and stops cleanly on SIGTERM', async () => {
    const kubeconfig = join(outDir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'k3s',
            cluster: {
              server: 'https://127.0.0.1:9',
              'certificate-authority-data': Buffer.from(rootCertificates[0] ?? '').toString(
                'base64',
              ),
            },
          },
        ],
        users: [{ name: 'sampler', user: { token } }],
        contexts: [{ name: 'sampler', context: { cluster: 'k3s', user: 'sampler' } }],
        'current-context': 'sampler',
      }),
    );
    const child = spawn(process.execPath, [bundle], {
      env: { ...podEnv, SMARTSCALE_KUBECONFIG: kubeconfig, SMARTSCALE_WATCH_INTERVAL_MS: '100' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output = { text: '' };
    child.stdout.on('data', (d: Buffer) => {
      output.text += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output.text += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitForLine(
        child,
        /sampler watch: running \(every 100 ms, grace 10000 ms, cluster c-watch\)/,
        output,
      );
      // Two failed ticks: the loop survives the first.
      await waitForLine(child, /(sampler watch: [^\n]*ECONNREFUSED[^\n]*\n[\s\S]*){2}/, output);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    expect(output.text).toContain('sampler watch: SIGTERM, stopping after the tick in progress');
    expect(output.text).not.toContain(token);
    expect(output.text).not.toMatch(/\n\s+at /); // messages, not stack traces
  }, 90_000);
});
