// Prepares the local environment's tools (moto venv, control-plane binaries,
// Prometheus) before tests or the demo. Each area owns a `prepare` module;
// a missing one is simply not built yet.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const steps = ['aws/prepare.ts', 'cluster/prepare.ts', 'prometheus/prepare.ts'];

for (const step of steps) {
  const file = join(here, step);
  if (!existsSync(file)) continue;
  const mod = (await import(file)) as { prepare: () => Promise<void> };
  await mod.prepare();
}
