import { InvalidConfigError, RedeliverLater, SmartScaleError } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { StaleLeaseError, VersionConflictError } from '../../src/cluster-state.js';
import { StepInProgressError } from '../../src/dedup.js';
import { LaunchInProgressError } from '../../src/fleet.js';
import { resourcesFromEnv } from '../../src/resources.js';
import { configFromEnv, subnetsFromEnv } from '../../src/service-env.js';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('typed errors of the AWS side', () => {
  it('a missing or bad setting is an InvalidConfigError naming the setting', () => {
    const cases: [() => unknown, string][] = [
      [() => resourcesFromEnv({}), 'SMARTSCALE_RESOURCES'],
      [() => resourcesFromEnv({ SMARTSCALE_RESOURCES: '{' }), 'SMARTSCALE_RESOURCES'],
      [() => configFromEnv({ SMARTSCALE_CONFIG: 'not json' }), 'SMARTSCALE_CONFIG'],
      [() => subnetsFromEnv({ SMARTSCALE_SUBNETS: 'eu-west-1a' }), 'SMARTSCALE_SUBNETS'],
    ];
    for (const [run, setting] of cases) {
      const error = thrown(run);
      expect(error).toBeInstanceOf(InvalidConfigError);
      expect(error).toMatchObject({ code: 'invalid-config', setting });
      expect((error as Error).message).toContain(setting);
    }
  });

  it('the in-progress and lost-lease signals ask for a redelivery, by class and by code', () => {
    const signals = [
      new StepInProgressError('a-1', 'launch', '2026-01-01T00:00:00Z'),
      new LaunchInProgressError('a-1', 'us-east-1a/spot'),
      new StaleLeaseError('prod', 3),
      new VersionConflictError('prod', 7),
    ];
    for (const signal of signals) {
      expect(signal).toBeInstanceOf(RedeliverLater);
      expect(signal).toBeInstanceOf(SmartScaleError);
      expect(signal.code).toBe('redeliver-later');
    }
    // Their names stay what logs and callers have always seen.
    expect(signals.map((s) => s.name)).toEqual([
      'StepInProgressError',
      'LaunchInProgressError',
      'StaleLeaseError',
      'VersionConflictError',
    ]);
  });
});
