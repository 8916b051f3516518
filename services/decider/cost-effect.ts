// Moved to core (shared with the simulator); re-exported for existing importers.
export { decisionCostEffect, outcomeCostEffect } from '@smartscale/core';
