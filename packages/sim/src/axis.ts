/**
 * Round count ticks from 0 to at least `max` (steps of 1, 2, 5, 10, 20, ...;
 * at most seven ticks), for the y axes of the bench and demo charts.
 *
 * @example
 * countTicks(27) // [0, 5, 10, 15, 20, 25, 30]
 */
export function countTicks(max: number): number[] {
  const top = Math.max(1, max);
  let step = 1;
  for (let e = 1; top / step > 6; e *= 10)
    step = [e, 2 * e, 5 * e].find((s) => top / s <= 6) ?? 10 * e;
  const ticks: number[] = [];
  for (let v = 0; v < top + step; v += step) ticks.push(v);
  return ticks;
}
