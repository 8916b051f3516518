export { decide } from './engine.js';
export { countFleet, type Fleet } from './fleet.js';
export { MAX_LISTED_UNHOSTABLE } from './pending-pods.js';
export { reasons } from './reasons.js';
export { staleSampleHold } from './sample-gates.js';
export { scaleDownGates } from './scale-down-gates.js';
