import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/service-env.js';

// instance.zones has one source: the worker subnets the provisioner launches into.
describe('configFromEnv: the worker zones come from SMARTSCALE_SUBNETS', () => {
  const subnets = 'us-east-1a=subnet-1,us-east-1b=subnet-2,us-east-1a=subnet-3';

  it('each zone of the subnets once, in their order', () => {
    expect(configFromEnv({ SMARTSCALE_SUBNETS: subnets }).instance.zones).toEqual([
      'us-east-1a',
      'us-east-1b',
    ]);
  });

  it('no subnets (pure uses, the sampler watch): the policy decides, unknown by default', () => {
    expect(configFromEnv({}).instance.zones).toBeUndefined();
    expect(
      configFromEnv({ SMARTSCALE_CONFIG: '{"instance":{"zones":["eu-west-1a"]}}' }).instance.zones,
    ).toEqual(['eu-west-1a']);
  });

  it('a policy naming the same zones is accepted; other zones are refused naming both', () => {
    expect(
      configFromEnv({
        SMARTSCALE_SUBNETS: subnets,
        SMARTSCALE_CONFIG: '{"instance":{"zones":["us-east-1b","us-east-1a"]}}',
      }).instance.zones,
    ).toEqual(['us-east-1a', 'us-east-1b']);
    expect(() =>
      configFromEnv({
        SMARTSCALE_SUBNETS: subnets,
        SMARTSCALE_CONFIG: '{"instance":{"zones":["us-east-1c"]}}',
      }),
    ).toThrow(
      "SMARTSCALE_CONFIG instance.zones (us-east-1c) differs from the worker subnets' zones (us-east-1a, us-east-1b) in SMARTSCALE_SUBNETS",
    );
  });

  it('a malformed SMARTSCALE_SUBNETS entry is named', () => {
    expect(() => configFromEnv({ SMARTSCALE_SUBNETS: 'us-east-1a' })).toThrow(
      "SMARTSCALE_SUBNETS entry 'us-east-1a' is invalid",
    );
  });
});
