import type { ClusterSnapshot, ClusterState, LaunchChoice, Reason } from '@smartscale/contracts';
import type { Config } from '../config.js';
import type { DemandPattern } from '../forecast.js';
import type { InstanceCatalog } from '../instance-mix.js';
import type { Fleet } from './fleet.js';

/** decide()'s four arguments. */
export interface DecideInput {
  readonly snapshot: ClusterSnapshot;
  readonly state: ClusterState;
  readonly config: Config;
  readonly now: Date;
  /**
   * The resolved instance types and their prices: with two or more, pending
   * pods are packed across them (planInstanceMix). Absent: the configured
   * single type, as before.
   */
  readonly catalog?: InstanceCatalog;
}

/** The inputs with the fleet counted; what every scale-down gate reads. */
export interface Situation extends DecideInput {
  readonly fleet: Fleet;
}

/**
 * What the triggers and gates of one evaluation read. `snapshot.pendingPods`
 * holds only the pods a new worker could host (the others are reported, not
 * acted on).
 */
export interface DecideContext extends Situation {
  /** The daily demand pattern from the snapshot's history (pre-scaling and the predictive hold). */
  readonly pattern: DemandPattern;
}

/** Nodes to add and why. */
export interface Proposal {
  readonly count: number;
  /** The types chosen for the new workers (several types only). */
  readonly launches?: readonly LaunchChoice[];
  readonly reasons: readonly Reason[];
}

/** What one scale-up trigger makes of the cluster. */
export interface TriggerOutcome {
  /** Absent when the trigger did not fire or was held back. */
  readonly proposal?: Proposal;
  /** Why a trigger that fired does not act now: they make the evaluation a hold, never a scale-down. */
  readonly held?: readonly Reason[];
  /** Said beside whatever is decided; never holds a scale-down back. */
  readonly info?: readonly Reason[];
}

/** A scale-up trigger: pending pods, sustained pressure, the forecast, below min. */
export type Trigger = (ctx: DecideContext) => TriggerOutcome;

/** A condition that holds an action back: the reason it holds, or null when it lets it pass. */
export type Gate<C = Situation> = (ctx: C) => Reason | null;

/** The reasons of the gates that hold, in the gates' order. */
export function holdsOf<C>(gates: readonly Gate<C>[], ctx: C): Reason[] {
  return gates.flatMap((gate) => gate(ctx) ?? []);
}

/** Seconds from an ISO time to `now`; infinite when it never happened. */
export function secondsSince(iso: string | null, now: Date): number {
  return iso === null ? Number.POSITIVE_INFINITY : (now.getTime() - Date.parse(iso)) / 1000;
}
