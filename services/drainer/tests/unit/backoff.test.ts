import { describe, expect, it } from 'vitest';
import { drainRetryDelaySeconds } from '../../drain-node.js';

describe('drain retry backoff', () => {
  it('doubles from 5 s and stays at 1 min', () => {
    expect([0, 1, 2, 3, 10].map(drainRetryDelaySeconds)).toEqual([5, 10, 20, 40, 60]);
  });
});
