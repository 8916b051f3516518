import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type KubernetesObject,
  KubernetesObjectApi,
  loadAllYaml,
  PatchStrategy,
} from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { adminClients } from '../support/cluster-fixtures.ts';

const manifests = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  '..',
  'k3s',
  'manifests',
);

// Every manifest a user applies to their K3s server is validated by the real
// API server (schema, defaulting, admission) with a server-side dry run.
describe('k3s/manifests', () => {
  const files = readdirSync(manifests).filter((f) => f.endsWith('.yaml'));

  it('has manifests to check', () => {
    expect(files).toEqual(
      expect.arrayContaining(['monitoring.yaml', 'rbac-autoscaler.yaml', 'sampler-watch.yaml']),
    );
  });

  it.each(files)('%s is accepted by the API server (dry run)', async (file) => {
    const { kc } = adminClients();
    const api = KubernetesObjectApi.makeApiClient(kc);
    const objects = loadAllYaml(readFileSync(join(manifests, file), 'utf8')).filter(
      Boolean,
    ) as KubernetesObject[];
    expect(objects.length).toBeGreaterThan(0);
    // Namespaces are created for real so the namespaced objects can be checked.
    for (const ns of objects.filter((o) => o.kind === 'Namespace')) {
      await api.create(ns).catch((err: { code?: number }) => {
        if (err.code !== 409) throw err;
      });
    }
    for (const obj of objects.filter((o) => o.kind !== 'Namespace')) {
      // Server-side apply, dry run: validates whether or not the object exists.
      const created = await api
        .patch(
          obj,
          undefined,
          'All',
          'smartscale-manifest-check',
          true,
          PatchStrategy.ServerSideApply,
        )
        .catch((err: { code?: number; body?: unknown }) => {
          throw new Error(
            `${file}: ${obj.kind}/${obj.metadata?.name} refused (${err.code}): ${JSON.stringify(err.body).slice(0, 500)}`,
          );
        });
      expect(created.metadata?.name).toBe(obj.metadata?.name);
    }
  });
});
