import { describe, expect, it } from 'vitest';
import { recheckDelaySeconds } from '../../verify-join.js';

describe('join re-check backoff', () => {
  it('doubles from 10 s and stays at 2 min', () => {
    expect([0, 1, 2, 3, 4, 10].map(recheckDelaySeconds)).toEqual([10, 20, 40, 80, 120, 120]);
  });
});
