import { describe, expect, it } from 'vitest';
import { launchTemplateVersionFromEnv } from '../../src/service-env.js';

// The provisioner launches the version the deployment pinned (issue #21
// item 6): a new default version set by anyone changes no worker.
describe('launchTemplateVersionFromEnv', () => {
  it('reads the pinned version number', () => {
    expect(launchTemplateVersionFromEnv({ SMARTSCALE_LAUNCH_TEMPLATE_VERSION: '7' })).toBe('7');
    expect(launchTemplateVersionFromEnv({ SMARTSCALE_LAUNCH_TEMPLATE_VERSION: ' 12 ' })).toBe('12');
  });

  it('leaves it to EC2 only when unset (local runs and tests; every deployed function has it)', () => {
    expect(launchTemplateVersionFromEnv({})).toBeUndefined();
  });

  it.each(['$Latest', '$Default', '0', 'v3'])(
    'refuses %s, naming the variable and what it expects',
    (v) => {
      expect(() => launchTemplateVersionFromEnv({ SMARTSCALE_LAUNCH_TEMPLATE_VERSION: v })).toThrow(
        `SMARTSCALE_LAUNCH_TEMPLATE_VERSION '${v}' is invalid: expected a launch template version number like 3 (not $Latest or $Default)`,
      );
    },
  );
});
