import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidQuantityError } from '../../src/errors.ts';
import { cpuMillis, memoryBytes, parseQuantity } from '../../src/quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['2k', 2000],
    ['1Ki', 1024],
    ['512Mi', 512 * 2 ** 20],
    ['1Gi', 2 ** 30],
    ['1G', 1e9],
    ['1e3', 1000],
    ['1E3', 1000],
    ['100n', 1e-7],
    ['+2', 2],
  ])('parses %s', (text, value) => {
    expect(parseQuantity(text)).toBeCloseTo(value, 12);
  });

  it.each(['', 'abc', '1.5.5', '10Mb', '5 Gi', 'Mi', '1ki'])(
    'rejects %j with the text in the message',
    (text) => {
      expect(() => parseQuantity(text)).toThrow(/Invalid Kubernetes quantity/);
    },
  );

  it('rejects with an InvalidQuantityError (code invalid-input) holding the text', () => {
    expect(() => parseQuantity('10Mb')).toThrow(InvalidQuantityError);
    expect(() => parseQuantity('10Mb')).toThrow(
      expect.objectContaining({ code: 'invalid-input', quantity: '10Mb' }),
    );
  });
});

describe('cpuMillis', () => {
  it('converts to millicores, rounding up like Kubernetes', () => {
    expect(cpuMillis('500m')).toBe(500);
    expect(cpuMillis('0.1')).toBe(100);
    expect(cpuMillis('2')).toBe(2000);
    expect(cpuMillis('1500u')).toBe(2);
    expect(cpuMillis(undefined)).toBe(0);
  });

  it('round-trips any whole millicore count written as NNNm', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 1_000_000 }), (m) => cpuMillis(`${m}m`) === m));
  });
});

describe('memoryBytes', () => {
  it('converts binary and decimal suffixes to bytes', () => {
    expect(memoryBytes('512Mi')).toBe(536_870_912);
    expect(memoryBytes('1G')).toBe(1_000_000_000);
    expect(memoryBytes('129e6')).toBe(129_000_000);
    expect(memoryBytes(undefined)).toBe(0);
  });

  it('agrees between NKi and N*1024', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), (n) => memoryBytes(`${n}Ki`) === n * 1024),
    );
  });
});
