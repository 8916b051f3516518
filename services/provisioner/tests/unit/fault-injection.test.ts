import { describe, expect, it } from 'vitest';
import { faultFromEnv } from '../../fault-injection.js';

describe('faultFromEnv', () => {
  it('injects the named fault in a process the local runtime started', () => {
    expect(
      faultFromEnv({ SMARTSCALE_FAULT: 'crash-after-launch', SMARTSCALE_LOCAL_PROCESS: '1' }),
    ).toBe('crash-after-launch');
  });

  it('injects nothing without the variable', () => {
    expect(faultFromEnv({ SMARTSCALE_LOCAL_PROCESS: '1' })).toBeUndefined();
  });

  it('never injects outside the local runtime or inside Lambda', () => {
    expect(faultFromEnv({ SMARTSCALE_FAULT: 'crash-after-launch' })).toBeUndefined();
    expect(
      faultFromEnv({
        SMARTSCALE_FAULT: 'crash-after-launch',
        SMARTSCALE_LOCAL_PROCESS: '1',
        AWS_LAMBDA_FUNCTION_NAME: 'smartscale-provisioner',
      }),
    ).toBeUndefined();
  });

  it('names the variable and the known faults for an unknown fault', () => {
    expect(() =>
      faultFromEnv({ SMARTSCALE_FAULT: 'crash-later', SMARTSCALE_LOCAL_PROCESS: '1' }),
    ).toThrow("SMARTSCALE_FAULT is 'crash-later': expected one of crash-after-launch");
  });
});
