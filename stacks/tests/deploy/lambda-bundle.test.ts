import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAwsClients, localAwsOptions, Parameters } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyTopology } from '../../../packages/local/src/aws/bootstrap.js';
import { type MotoServer, startMoto } from '../../../packages/local/src/aws/moto-server.js';
import { toServiceResources } from '../../../packages/local/src/services/run-services.js';
import { bundleForNode20 } from '../../../services/sampler/watch-bundle.js';
import {
  KubeIdentities,
  kubeIdentities,
  kubeIdentityOf,
  names,
  ServiceNames,
} from '../../topology.js';

// What `sst deploy` ships: each handler bundled by esbuild into one ESM file
// for Node 20, loaded cold with the environment a Lambda function gets. This
// catches what type-checking cannot: `.ts` import specifiers, top-level
// awaits that read SSM at start-up, packages esbuild cannot bundle, and
// configuration errors at import. AWS is a real moto server (the handlers'
// start-up reads SSM parameters), reached through SMARTSCALE_AWS_ENDPOINT.
const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = mkdtempSync(join(tmpdir(), 'smartscale-bundles-'));
let moto: MotoServer;
let lambdaEnv: Record<string, string>;
let bundlePrefix: string;

/** The Kubernetes parameters a function gets as deployed: its own identity's token, or none. */
function kubeEnv(service: (typeof ServiceNames)[number]): Record<string, string> {
  const id = kubeIdentityOf(service);
  if (!id) return {};
  return {
    SMARTSCALE_KUBE_CA_PARAMETER: names.parameter(bundlePrefix, 'kubeCa'),
    SMARTSCALE_KUBE_TOKEN_PARAMETER: names.parameter(bundlePrefix, kubeIdentities[id].parameter),
  };
}

beforeAll(async () => {
  moto = await startMoto();
  const clients = createAwsClients(localAwsOptions(moto.endpoint));
  const prefix = `t-bundle-${randomBytes(3).toString('hex')}`;
  const applied = await applyTopology(clients, prefix);
  const parameters = new Parameters({ ssm: clients.ssm });
  for (const id of KubeIdentities)
    await parameters.putSecure(
      names.parameter(prefix, kubeIdentities[id].parameter),
      `${id}-token-for-the-bundle-test`,
    );
  bundlePrefix = prefix;
  await parameters.putSecure(names.parameter(prefix, 'kubeCa'), 'ca-for-the-bundle-test');
  clients.destroy();
  lambdaEnv = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bundle-test',
    SMARTSCALE_AWS_ENDPOINT: moto.endpoint,
    SMARTSCALE_RESOURCES: JSON.stringify(toServiceResources(applied, 'c-bundle')),
    SMARTSCALE_CLUSTER_ID: 'c-bundle',
    SMARTSCALE_PREFIX: prefix,
    // Nothing listens on port 9: start-up must not need Prometheus or the API server.
    SMARTSCALE_PROMETHEUS_URL: 'http://127.0.0.1:9',
    SMARTSCALE_KUBE_API_URL: 'https://127.0.0.1:9',
    SMARTSCALE_LAUNCH_TEMPLATE_ID: 'lt-0123456789abcdef0',
    SMARTSCALE_SUBNETS: 'us-east-1a=subnet-0123456789abcdef0',
  };
}, 120_000);

afterAll(async () => {
  await moto?.stop();
  rmSync(outDir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it.each(ServiceNames)(
    '%s bundles for Node 20 ESM and loads cold',
    async (service) => {
      const outfile = join(outDir, `${service}.mjs`);
      const result = await bundleForNode20(join(root, 'services', service, 'handler.ts'), outfile);
      expect(result.errors).toEqual([]);
      // Lambda's limit for an unzipped package is 250 MB; keep well below.
      expect(statSync(outfile).size).toBeLessThan(50 * 1024 * 1024);

      const load = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(outfile)}); process.stdout.write(typeof m.handler);`,
        ],
        { env: { ...lambdaEnv, ...kubeEnv(service) }, encoding: 'utf8', timeout: 60_000 },
      );
      expect(load.stderr.split('\n').filter((l) => /Error|ERR_/.test(l))).toEqual([]);
      expect(load.status).toBe(0);
      expect(load.stdout).toBe('function');
    },
    120_000,
  );
});
