import type { Resources } from '@smartscale/contracts';
import { type Bin, firstFit, fits, sortDecreasing } from './binpack.js';
import { type Config, podAllocatable } from './config.js';

/** How many workers to add for a set of pending pods, and why not more. */
export interface ScaleUpPlan {
  /** Nodes needed so every placeable pod fits (before caps). */
  readonly nodesNeeded: number;
  /** Nodes to launch after the step limit and max are applied. */
  readonly nodesToAdd: number;
  /** Pods that would land on free room of Ready nodes or on capacity being launched. */
  readonly podsOnIncoming: number;
  /** Pods no empty node of the configured type could ever hold. */
  readonly tooLarge: number;
  readonly cappedBy: 'step' | 'max' | null;
}

export interface PlanInput {
  readonly pendingPods: readonly Resources[];
  /** Workers that exist or are being launched (counts toward max). */
  readonly currentWorkers: number;
  /** Workers launched but not yet joined: their room is used first. */
  readonly incomingWorkers: number;
  /**
   * Free room on Ready nodes. Pods that fit there are waiting for the
   * scheduler (a node that just joined), not for a new node.
   */
  readonly existingFree?: readonly Bin[];
}

/**
 * Sizes a scale-up with first-fit decreasing over CPU and memory on the
 * configured instance type, DaemonSet overhead and reserved room counted,
 * then caps it by the step limit and the max.
 *
 * @example
 * planScaleUp({ pendingPods: pods, currentWorkers: 3, incomingWorkers: 0 }, config).nodesToAdd
 */
export function planScaleUp(input: PlanInput, config: Config): ScaleUpPlan {
  const node = podAllocatable(config);
  const placeable = input.pendingPods.filter((p) => fits(p, node));
  const tooLarge = input.pendingPods.length - placeable.length;
  const ordered = sortDecreasing(placeable, node);

  const bins: Bin[] = [
    ...(input.existingFree ?? []).map((b) => ({ ...b })),
    ...Array.from({ length: input.incomingWorkers }, () => ({ ...node })),
  ];
  const onIncoming = firstFit(ordered, bins);
  const leftover = ordered.filter((_, i) => onIncoming[i] === -1);
  const podsOnIncoming = ordered.length - leftover.length;

  const fresh: Bin[] = [];
  firstFit(leftover, fresh, () => ({ ...node }));
  const nodesNeeded = fresh.length;

  const room = Math.max(0, config.workers.max - input.currentWorkers);
  const step = config.scaleUp.maxStep;
  const nodesToAdd = Math.min(nodesNeeded, step, room);
  const cappedBy = nodesToAdd >= nodesNeeded ? null : room <= step ? 'max' : 'step';
  return { nodesNeeded, nodesToAdd, podsOnIncoming, tooLarge, cappedBy };
}
