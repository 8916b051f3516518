import { ensureMotoVenv } from './venv.js';

/**
 * Makes sure the moto virtualenv exists (run by `src/prepare.ts` before tests
 * and the demo). Quiet when it is already there; prints progress otherwise.
 */
export async function prepare(): Promise<void> {
  await ensureMotoVenv();
}
