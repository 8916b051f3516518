import { podAllocatable } from '../config.js';
import { nodesForForecast } from '../forecast.js';
import { capReasons } from './caps.js';
import type { DecideContext, Gate, Situation, Trigger } from './context.js';
import { reasons } from './reasons.js';

/**
 * Predictive pre-scaling's gates and proposal; the daily pattern and its
 * arithmetic are in core/src/forecast.ts.
 */

/** Room the fleet offers pods now: Ready schedulable nodes plus those launching. */
function fleetCapacity({ snapshot, fleet, config }: Situation) {
  const perNode = podAllocatable(config);
  let cpuMillis = fleet.incoming * perNode.cpuMillis;
  let memoryBytes = fleet.incoming * perNode.memoryBytes;
  for (const n of snapshot.nodes) {
    if (!n.ready || n.unschedulable) continue;
    cpuMillis += n.allocatable.cpuMillis;
    memoryBytes += n.allocatable.memoryBytes;
  }
  return { cpuMillis, memoryBytes, perNode };
}

/** Pre-scale one boot time ahead of a rise the daily pattern predicts. */
export const predictedRise: Trigger = (ctx) => {
  const { pattern, fleet, config, now } = ctx;
  if (!config.predictive.enabled) return {};
  const ahead = config.instance.bootSeconds + config.predictive.lookaheadExtraSeconds;
  const forecast = pattern.forecast(new Date(now.getTime() + ahead * 1000));
  if (!forecast.ok) return { info: [reasons.PredictionUnavailable({ detail: forecast.detail })] };
  const { perNode, ...capacity } = fleetCapacity(ctx);
  const wanted = nodesForForecast(forecast, capacity, perNode, config);
  if (wanted === 0) return {};
  const room = Math.max(0, config.workers.max - fleet.workers);
  const count = Math.min(wanted, room, config.scaleUp.maxStep);
  if (count === 0) return {};
  const rise = reasons.PredictedRise({
    forecastCpuMillis: forecast.cpuMillis,
    capacityCpuMillis: capacity.cpuMillis,
    at: forecast.at,
    basis: forecast.basis,
    daysUsed: forecast.daysUsed,
    count,
  });
  return { proposal: { count, reasons: [rise, ...capReasons(count, wanted, fleet, config)] } };
};

/** Keep a node when the pattern expects a rise before a removed node could come back. */
export const predictedRiseAhead: Gate<DecideContext> = (ctx) => {
  const { pattern, config, now } = ctx;
  if (!config.predictive.enabled) return null;
  const { perNode, ...capacity } = fleetCapacity(ctx);
  const after = {
    cpuMillis: capacity.cpuMillis - perNode.cpuMillis,
    memoryBytes: capacity.memoryBytes - perNode.memoryBytes,
  };
  const horizon = Math.max(config.predictive.keepHorizonSeconds, config.instance.bootSeconds);
  for (let s = 0; s <= horizon; s += config.predictive.slotSeconds) {
    const forecast = pattern.forecast(new Date(now.getTime() + s * 1000));
    if (forecast.ok && nodesForForecast(forecast, after, perNode, config) > 0)
      return reasons.PredictedRiseAhead({ forecastCpuMillis: forecast.cpuMillis, at: forecast.at });
  }
  return null;
};
