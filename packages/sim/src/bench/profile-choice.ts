import type { SimResult } from '../simulator.js';

/** The policy that is SmartScale's `consolidation` profile as shipped (1 pod + 10 % headroom). */
export const CONSOLIDATION_PROFILE_POLICY = 'smartscale+consolidation+headroom';

/**
 * `a` no worse than `b` on node-hours and pending pod-seconds and strictly
 * better on one: the bar for a peer target and for changing the default.
 */
export function dominates(a: SimResult, b: SimResult): boolean {
  const [h, bh] = [a.metrics.node_hours, b.metrics.node_hours];
  const [p, bp] = [a.metrics.pending_pod_seconds, b.metrics.pending_pod_seconds];
  return h <= bh && p <= bp && (h < bh || p < bp);
}

/** The consolidation profile against the default on one trace. */
export interface ProfileVerdict {
  readonly trace: string;
  readonly nodeHours: number;
  readonly defaultNodeHours: number;
  readonly pendingPodSeconds: number;
  readonly defaultPendingPodSeconds: number;
  readonly beats: boolean;
}

export function profileVerdict(
  trace: string,
  candidate: SimResult,
  current: SimResult,
): ProfileVerdict {
  return {
    trace,
    nodeHours: candidate.metrics.node_hours,
    defaultNodeHours: current.metrics.node_hours,
    pendingPodSeconds: candidate.metrics.pending_pod_seconds,
    defaultPendingPodSeconds: current.metrics.pending_pod_seconds,
    beats: dominates(candidate, current),
  };
}

/**
 * Issue #18's rule for the default: the consolidation profile becomes the
 * default only if it beats `seed-thresholds` on every trace; the sentence
 * says which way the bench points and, if not, on which traces it fell short.
 *
 * @example
 * profileChoice(verdicts).line // 'default profile: consolidation beats seed-thresholds on 4 of 5 traces ...'
 */
export function profileChoice(verdicts: readonly ProfileVerdict[]): {
  readonly switchDefault: boolean;
  readonly line: string;
} {
  const short = verdicts.filter((v) => !v.beats).map((v) => v.trace);
  const switchDefault = verdicts.length > 0 && short.length === 0;
  const won = verdicts.length - short.length;
  return {
    switchDefault,
    line: switchDefault
      ? `default profile: consolidation beats seed-thresholds on all ${verdicts.length} traces: make it the default`
      : `default profile: consolidation beats seed-thresholds on ${won} of ${verdicts.length} traces (not ${short.join(', ')}): the default stays seed-thresholds`,
  };
}
