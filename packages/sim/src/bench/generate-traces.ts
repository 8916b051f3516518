import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scenarios } from '../scenarios.js';
import { formatTrace } from '../trace.js';

/** Writes the generated scenarios to packages/sim/traces (deterministic: same seeds, same files). */
const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../traces');
mkdirSync(dir, { recursive: true });
for (const s of scenarios()) {
  const file = join(dir, `${s.name}.csv`);
  writeFileSync(file, formatTrace(s.points));
  console.log(`${file}: ${s.points.length} rows, ${s.description}`);
}
