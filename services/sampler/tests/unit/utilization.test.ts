import { describe, expect, it } from 'vitest';
import { queryScopeFromEnv } from '../../utilization.js';

describe('queryScopeFromEnv', () => {
  it('takes the local PromQL windows from the environment', () => {
    expect(
      queryScopeFromEnv({ SMARTSCALE_PROMQL_RATE_WINDOW: '5s', SMARTSCALE_PROMQL_STEP: '1s' }),
    ).toEqual({ rateWindow: '5s', step: '1s' });
  });

  it('takes the label naming the Node from the environment', () => {
    expect(queryScopeFromEnv({ SMARTSCALE_PROMQL_NODE_LABEL: 'instance' })).toEqual({
      nodeLabel: 'instance',
    });
  });

  it("leaves production's defaults when unset or empty", () => {
    expect(queryScopeFromEnv({})).toEqual({});
    expect(queryScopeFromEnv({ SMARTSCALE_PROMQL_RATE_WINDOW: '' })).toEqual({});
  });
});
