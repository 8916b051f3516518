import { describe, expect, it } from 'vitest';
import { fallbacks, isCapacityError } from '../../launch-workers.js';

describe('provisioner rules', () => {
  it('falls back to other zones first, then the other capacity type', () => {
    expect(fallbacks('a', 'spot', ['a', 'b', 'c'])).toEqual([
      { zone: 'b', capacityType: 'spot' },
      { zone: 'c', capacityType: 'spot' },
      { zone: 'a', capacityType: 'on-demand' },
      { zone: 'b', capacityType: 'on-demand' },
      { zone: 'c', capacityType: 'on-demand' },
    ]);
  });

  it('tells capacity errors from other failures', () => {
    const err = (name: string) => Object.assign(new Error('x'), { name });
    expect(isCapacityError(err('InsufficientInstanceCapacity'))).toBe(true);
    expect(isCapacityError({ Code: 'SpotMaxPriceTooLow' })).toBe(true);
    expect(isCapacityError(err('UnauthorizedOperation'))).toBe(false);
    expect(isCapacityError(undefined)).toBe(false);
  });
});
