import { z } from 'zod';
import {
  type ClusterSnapshot,
  ClusterSnapshotSchema,
  IsoTimeSchema,
  NodeInfoSchema,
  type PendingPod,
  PendingPodSchema,
  type PodInfo,
  PodInfoSchema,
} from './cluster.js';

/**
 * The wire form of a snapshot at scale. A node's pods are mostly replicas of
 * a few workloads, identical but for their names, so each node carries its
 * pods as groups of one shape (every PodInfo field but the name) with a
 * count, and pending pods are grouped the same way by shape and pending
 * time. Shapes are listed once per snapshot and referred to by index. Each
 * group keeps one real pod name (the first in the group, in the sampler's
 * order) so refusals and `smartscale explain` can still name a pod: every
 * member of a group is classified alike, so the first pod of a blocking
 * group is the first blocking pod of the node.
 */
export const SNAPSHOT_ENCODING = 'compact-v1' as const;

const count = z.number().int().positive();

const PodShapeSchema = PodInfoSchema.omit({ name: true });
type PodShape = z.output<typeof PodShapeSchema>;
const PendingShapeSchema = PendingPodSchema.omit({ name: true });
type PendingShape = z.output<typeof PendingShapeSchema>;

/** [shape index, how many pods, the first pod's name]. */
const GroupSchema = z.tuple([z.number().int().nonnegative(), count, z.string().min(1)]);

export const CompactSnapshotSchema = ClusterSnapshotSchema.omit({
  nodes: true,
  pendingPods: true,
}).extend({
  encoding: z.literal(SNAPSHOT_ENCODING),
  podShapes: z.array(PodShapeSchema),
  nodes: z.array(NodeInfoSchema.omit({ pods: true }).extend({ podGroups: z.array(GroupSchema) })),
  pendingShapes: z.array(PendingShapeSchema),
  pendingGroups: z.array(GroupSchema),
});
export type CompactSnapshot = z.output<typeof CompactSnapshotSchema>;

/** Keys in a fixed order, so two equal shapes give one key whatever the input order. */
function shapeKey(shape: object): string {
  return JSON.stringify(Object.entries(shape).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Assigns each distinct shape one index, in order of first appearance. */
class ShapeTable<S extends object> {
  readonly shapes: S[] = [];
  readonly #index = new Map<string, number>();

  indexOf(shape: S): number {
    const key = shapeKey(shape);
    let index = this.#index.get(key);
    if (index === undefined) {
      index = this.shapes.length;
      this.shapes.push(shape);
      this.#index.set(key, index);
    }
    return index;
  }
}

/** Groups items by shape index, groups in order of first appearance. */
function groupByShape<T extends { name: string }, S extends object>(
  items: readonly T[],
  table: ShapeTable<S>,
  shapeOf: (item: T) => S,
): [number, number, string][] {
  const groups = new Map<number, [number, number, string]>();
  for (const item of items) {
    const index = table.indexOf(shapeOf(item));
    const group = groups.get(index);
    if (group) group[1] += 1;
    else groups.set(index, [index, 1, item.name]);
  }
  return [...groups.values()];
}

/**
 * A group's pods: the first keeps the recorded name, the others are named
 * after it with their position (`web-7d4-abcde+2`), since only the first
 * name was kept.
 */
function memberName(example: string, position: number): string {
  return position === 0 ? example : `${example}+${position + 1}`;
}

/**
 * Encodes a snapshot for the wire. Lossless except for pod names beyond the
 * first of each group.
 *
 * @example
 * const wire = encodeSnapshot(snapshot);
 * decodeSnapshot(wire).nodes[0].pods.length === snapshot.nodes[0].pods.length; // true
 */
export function encodeSnapshot(snapshot: ClusterSnapshot): CompactSnapshot {
  const { nodes, pendingPods, ...rest } = snapshot;
  const podShapes = new ShapeTable<PodShape>();
  const pendingShapes = new ShapeTable<PendingShape>();
  const compactNodes = nodes.map(({ pods, ...node }) => ({
    ...node,
    podGroups: groupByShape(pods, podShapes, ({ name: _, ...shape }: PodInfo) => shape),
  }));
  const pendingGroups = groupByShape(
    pendingPods,
    pendingShapes,
    ({ name: _, ...shape }: PendingPod) => shape,
  );
  return {
    ...rest,
    encoding: SNAPSHOT_ENCODING,
    podShapes: podShapes.shapes,
    nodes: compactNodes,
    pendingShapes: pendingShapes.shapes,
    pendingGroups,
  };
}

function shapeAt<S>(shapes: readonly S[], index: number, where: string): S {
  const shape = shapes[index];
  if (shape === undefined)
    throw new Error(
      `${where}: shape index ${index} is out of range: expected below ${shapes.length}`,
    );
  return shape;
}

/**
 * Decodes the wire form back to the ClusterSnapshot core consumes: every
 * group expands to `count` pods of its shape.
 */
export function decodeSnapshot(compact: CompactSnapshot): ClusterSnapshot {
  const { encoding: _, podShapes, nodes, pendingShapes, pendingGroups, ...rest } = compact;
  return {
    ...rest,
    nodes: nodes.map(({ podGroups, ...node }) => ({
      ...node,
      pods: podGroups.flatMap(([index, n, example]) => {
        const shape = shapeAt(podShapes, index, `node ${node.name}`);
        return Array.from({ length: n }, (_, i) => ({ ...shape, name: memberName(example, i) }));
      }),
    })),
    pendingPods: pendingGroups.flatMap(([index, n, example]) => {
      const shape = shapeAt(pendingShapes, index, 'pendingGroups');
      return Array.from({ length: n }, (_, i) => ({ ...shape, name: memberName(example, i) }));
    }),
  };
}

/**
 * What MetricsSampled accepts on the way in: the compact form (decoded here)
 * or the full form older samplers send. Either way the decider sees a
 * ClusterSnapshot. A shape index out of range is reported as a validation
 * problem naming the group.
 */
export const SampledSnapshotSchema = z.unknown().transform((input, ctx): ClusterSnapshot => {
  // Chosen by the encoding field rather than a union, so a problem is
  // reported against the form the sender meant, field by field.
  const compact = (input as { encoding?: unknown } | null)?.encoding === SNAPSHOT_ENCODING;
  const parsed = (compact ? CompactSnapshotSchema : ClusterSnapshotSchema).safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, code: 'custom' });
    return z.NEVER;
  }
  if (!compact) return parsed.data as ClusterSnapshot;
  try {
    return decodeSnapshot(parsed.data as CompactSnapshot);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
}) as unknown as z.ZodType<
  ClusterSnapshot,
  z.input<typeof CompactSnapshotSchema> | z.input<typeof ClusterSnapshotSchema>
>;

/**
 * A sample too big for SNS even in compact form sits in S3 (claim check);
 * the message carries where and the sha256 of the stored bytes, plus what
 * the decider needs to hold with a reason if it cannot read it.
 */
export const SampleClaimSchema = z.object({
  encoding: z.literal('claim'),
  key: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex sha256 digest (64 characters)'),
  bytes: z.number().int().positive(),
  takenAt: IsoTimeSchema,
  workers: z.number().int().nonnegative(),
});
export type SampleClaim = z.output<typeof SampleClaimSchema>;
