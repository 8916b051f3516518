import { ensureClusterBinaries } from './binaries.ts';

/**
 * Builds (or finds in the cache) the local control plane's binaries. Run by
 * `src/prepare.ts` before tests and the demo, so a fresh clone needs no
 * manual step.
 */
export async function prepare(): Promise<void> {
  await ensureClusterBinaries();
}
