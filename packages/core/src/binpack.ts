import type { NodeInfo, Resources } from '@smartscale/contracts';

/** Free room left on a node (or a node still to come). */
export interface Bin {
  cpuMillis: number;
  memoryBytes: number;
}

/** Whether `item` fits into `bin`. */
export function fits(item: Resources, bin: Bin): boolean {
  return item.cpuMillis <= bin.cpuMillis && item.memoryBytes <= bin.memoryBytes;
}

/**
 * Orders items largest first by their dominant share of one node, the
 * "decreasing" of first-fit decreasing over two resources.
 */
export function sortDecreasing<T extends Resources>(items: readonly T[], node: Resources): T[] {
  const size = (r: Resources) =>
    Math.max(
      r.cpuMillis / Math.max(node.cpuMillis, 1),
      r.memoryBytes / Math.max(node.memoryBytes, 1),
    );
  return [...items].sort((a, b) => size(b) - size(a));
}

/**
 * First-fit placement of `items` (already ordered) into `bins`, mutating the
 * bins' free room. With `openBin`, an item that fits nowhere opens a new bin
 * (appended to `bins`); without it, the item is left out (index -1).
 * Returns the index of the bin each item went to.
 */
export function firstFit(items: readonly Resources[], bins: Bin[], openBin?: () => Bin): number[] {
  const placement: number[] = [];
  for (const item of items) {
    let placed = bins.findIndex((bin) => fits(item, bin));
    if (placed === -1 && openBin) {
      const bin = openBin();
      if (fits(item, bin)) {
        bins.push(bin);
        placed = bins.length - 1;
      }
    }
    if (placed !== -1) {
      const bin = bins[placed] as Bin;
      bin.cpuMillis -= item.cpuMillis;
      bin.memoryBytes -= item.memoryBytes;
    }
    placement.push(placed);
  }
  return placement;
}

/** Room a node has left for more pods: allocatable minus what its pods request. */
export function freeRoom(node: NodeInfo): Bin {
  let cpuMillis = node.allocatable.cpuMillis;
  let memoryBytes = node.allocatable.memoryBytes;
  for (const p of node.pods) {
    cpuMillis -= p.cpuMillis;
    memoryBytes -= p.memoryBytes;
  }
  return { cpuMillis, memoryBytes };
}
