import { ValidationError } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { defaultConfig, parseConfig } from '../../src/index.js';

describe('configuration', () => {
  it('has the design defaults', () => {
    expect(defaultConfig.workers).toEqual({ min: 2, max: 10 });
    expect(defaultConfig.scaleUp).toMatchObject({
      cpuThreshold: 0.7,
      memoryThreshold: 0.75,
      cpuSustainSeconds: 180,
      cooldownSeconds: 300,
    });
    expect(defaultConfig.scaleDown).toMatchObject({
      cpuThreshold: 0.3,
      memoryThreshold: 0.5,
      sustainSeconds: 600,
      cooldownSeconds: 600,
      maxStep: 1,
    });
    expect(defaultConfig.instance.type).toBe('t3.medium');
    expect(defaultConfig.commands.maxAgeSeconds).toBe(3600);
  });

  it('keeps defaults beside overrides', () => {
    const c = parseConfig({ workers: { max: 20 } });
    expect(c.workers).toEqual({ min: 2, max: 20 });
  });

  it.each([
    [{ workers: { min: 5, max: 3 } }, 'workers.min: must not exceed workers.max (3), got 5'],
    [{ scaleUp: { cpuThreshold: 1.5 } }, 'scaleUp.cpuThreshold'],
    [
      { scaleUp: { cpuThreshold: 0.25 } },
      'scaleDown.cpuThreshold: must be below scaleUp.cpuThreshold',
    ],
    [{ workers: { max: 'ten' } }, 'workers.max: Invalid input: expected number, received string'],
    [
      { instance: { reserved: { cpuMillis: 1950, memoryBytes: 0 } } },
      'instance.reserved.cpuMillis',
    ],
    [{ commands: { maxAgeSeconds: 600 } }, 'commands.maxAgeSeconds: at least 1800'],
    [{ commands: { maxAgeSeconds: 7 * 86400 } }, 'commands.maxAgeSeconds: at most 518400'],
  ])('rejects %j naming the setting', (input, message) => {
    expect(() => parseConfig(input)).toThrow(ValidationError);
    expect(() => parseConfig(input)).toThrow(message);
  });
});
