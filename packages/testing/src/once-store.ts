import { RedeliverLater } from '@smartscale/contracts';

/** Another worker holds the step now; like the DynamoDB dedup's StepInProgressError. */
export class StepInProgressError extends RedeliverLater {
  constructor(actionId: string, step: string) {
    super(`step ${step} of action ${actionId} is in progress elsewhere; retry later`);
    this.name = 'StepInProgressError';
  }
}

/**
 * At-most-once steps in memory, with the semantics of the services' `once`
 * over the DynamoDB dedup store: a finished step is skipped (false), a step
 * another worker holds throws StepInProgressError, and a failed effect is
 * given back so a retry runs it.
 */
export class OnceStore {
  readonly #done = new Set<string>();
  readonly #held = new Set<string>();

  readonly once = async (
    actionId: string,
    step: string,
    effect: () => Promise<void>,
  ): Promise<boolean> => {
    const key = `${actionId}/${step}`;
    if (this.#done.has(key)) return false;
    if (this.#held.has(key)) throw new StepInProgressError(actionId, step);
    this.#held.add(key);
    try {
      await effect();
    } finally {
      this.#held.delete(key);
    }
    this.#done.add(key);
    return true;
  };

  /** Whether (actionId, step) has run to completion. */
  has(actionId: string, step: string): boolean {
    return this.#done.has(`${actionId}/${step}`);
  }

  /** Claims the step for another worker until `release` is called. */
  hold(actionId: string, step: string): () => void {
    const key = `${actionId}/${step}`;
    this.#held.add(key);
    return () => this.#held.delete(key);
  }
}
