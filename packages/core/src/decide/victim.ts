import type { Decision, NodeInfo, Reason } from '@smartscale/contracts';
import { recentFailedVictims } from '../action-ledger.js';
import { pickVictim } from '../victim-selection.js';
import type { DecideInput } from './context.js';
import { reasons, type ScaleDownBasis } from './reasons.js';

/**
 * Remove one node, `because` the fleet can do without it: the node
 * victim-selection picks (skipping those whose drain failed recently, and
 * those `keepsRoom` turns down), or a hold naming why no node can go. With
 * several types, savings are priced by the decider's catalog (current Spot
 * prices) when it has one.
 */
export function removeOneNode(
  { snapshot, state, config, now, catalog }: DecideInput,
  because: readonly Reason[],
  basis: ScaleDownBasis,
  keepsRoom?: (node: NodeInfo) => boolean,
): Decision {
  const choice = pickVictim(
    snapshot.nodes,
    config,
    now,
    recentFailedVictims(state, config.scaleDown.failedVictimBackoffSeconds, now),
    { ...(keepsRoom ? { keepsRoom } : {}), ...(catalog ? { prices: catalog.prices } : {}) },
  );
  if (!choice.ok) {
    const refused =
      choice.reason === 'no-eligible-victim'
        ? reasons.NoEligibleVictim({ rejected: choice.rejected, basis })
        : reasons.VictimPodsWouldNotFit({ rejected: choice.rejected, basis });
    return { kind: 'hold', reasons: [...because, refused] };
  }
  return {
    kind: 'scale-down',
    victim: { nodeName: choice.node.name, instanceId: choice.node.instanceId },
    reasons: [
      ...because,
      reasons.VictimChosen({
        nodeName: choice.node.name,
        podsToMove: choice.podsToMove,
        movingPods: choice.movingPods,
        rejected: choice.rejected,
        basis,
        ...(choice.savesHourlyUsd !== undefined
          ? { savesHourlyUsd: choice.savesHourlyUsd, instanceType: choice.node.instanceType }
          : {}),
      }),
    ],
  };
}
