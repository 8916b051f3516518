import { ensureClusterBinaries, ensureKubectl } from './binaries.ts';

/**
 * Builds (or finds in the cache) the local control plane's binaries and a
 * kubectl of the same release (for `npm start` and its walkthrough). Run by
 * `src/prepare.ts` before tests and the demo, so a fresh clone needs no
 * manual step.
 */
export async function prepare(): Promise<void> {
  await ensureClusterBinaries();
  await ensureKubectl();
}
