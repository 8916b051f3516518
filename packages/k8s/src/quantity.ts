import { InvalidQuantityError } from './errors.ts';

const BINARY_SUFFIXES: Record<string, number> = {
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/**
 * Parses a Kubernetes resource quantity (`"500m"`, `"1.5"`, `"512Mi"`,
 * `"1e3"`, `"2G"`) into its value in base units (cores, bytes, count).
 * Throws with the offending text when it is not a valid quantity.
 *
 * @example
 * parseQuantity('512Mi'); // 536870912
 * parseQuantity('250m'); // 0.25
 */
export function parseQuantity(text: string): number {
  const trimmed = text.trim();
  const match = QUANTITY.exec(trimmed);
  if (!match?.[1]) {
    throw new InvalidQuantityError(
      text,
      `Invalid Kubernetes quantity '${text}': expected a number with an optional suffix like 500m, 2, 512Mi or 1G`,
    );
  }
  const number = Number(match[1]);
  if (match[2]) return number * 10 ** Number(match[2].slice(1));
  const suffix = match[3] ?? '';
  const factor = BINARY_SUFFIXES[suffix] ?? DECIMAL_SUFFIXES[suffix];
  if (factor === undefined)
    throw new InvalidQuantityError(
      text,
      `Invalid Kubernetes quantity '${text}': unknown suffix '${suffix}'`,
    );
  return number * factor;
}

/**
 * CPU quantity in millicores, rounded up as Kubernetes does (`"0.1"` -> 100,
 * `"1m"` -> 1). A missing quantity is 0.
 *
 * @example
 * cpuMillis('1.5'); // 1500
 */
export function cpuMillis(text: string | undefined): number {
  if (text === undefined) return 0;
  // Round away float noise (0.1 * 1000 = 100.00000000000001) before ceil.
  return Math.ceil(Number((parseQuantity(text) * 1000).toFixed(6)));
}

/**
 * Memory quantity in bytes, rounded up. A missing quantity is 0.
 *
 * @example
 * memoryBytes('1Gi'); // 1073741824
 */
export function memoryBytes(text: string | undefined): number {
  if (text === undefined) return 0;
  return Math.ceil(Number(parseQuantity(text).toFixed(6)));
}
