import { ensurePrometheus } from './install.ts';

/** Makes sure Prometheus is installed (run by `src/prepare.ts`). */
export async function prepare(): Promise<void> {
  ensurePrometheus();
}
