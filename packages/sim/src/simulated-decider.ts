import { type ClusterState, type Envelope, emptyClusterState } from '@smartscale/contracts';
import {
  type ActionOutcome,
  applyOutcome,
  type Config,
  type DecisionPolicy,
  type Evaluation,
  evaluate,
  type InstanceCatalog,
} from '@smartscale/core';

/**
 * The decider as the simulator runs it: the ledger, moved by core's
 * `evaluate` on each sample and `applyOutcome` on each outcome, as the
 * deployed decider moves it, without the lock, the state table and the
 * queues around them.
 *
 * @example
 * const decider = new SimulatedDecider(config);
 * const { decision, commands } = decider.sample(sample, now);
 */
export class SimulatedDecider {
  #state: ClusterState;

  constructor(
    readonly config: Config,
    clusterId = 'sim',
    /** The instance types and prices the decision chooses among (several types). */
    readonly catalog?: InstanceCatalog,
  ) {
    this.#state = emptyClusterState(clusterId);
  }

  get state(): ClusterState {
    return this.#state;
  }

  /** Evaluates a sample (with `policy` in place of core's decide, for experiments). */
  sample(sample: Envelope<'MetricsSampled'>, now: Date, policy?: DecisionPolicy): Evaluation {
    const evaluation = evaluate(this.#state, sample, this.config, now, {
      ...(policy ? { policy } : {}),
      ...(this.catalog ? { catalog: this.catalog } : {}),
    });
    this.#state = evaluation.state;
    return evaluation;
  }

  /** Moves the ledger on an outcome the provisioner, join-verifier, drainer or spot-listener reports. */
  outcome(outcome: ActionOutcome, now: Date): void {
    this.#state = applyOutcome(this.#state, outcome, now);
  }
}
