// The decider's half of `npm run bench:scale` (issue #17), in-process and
// without kwok: builds the snapshot the sampler would send for a cluster of
// N workers x 30 pods (the kwok bench's pods: 100m / 128 MiB, owned in
// groups of 30, bound round-robin) plus pending pods of a few shapes, puts
// it on the wire as the sampler does (compact, by S3 claim check over
// SAMPLE_INLINE_LIMIT_BYTES, the bucket held in memory) and times the
// decider's pure step on it: parse, claim read and decode, then core's
// evaluate with its commands and audit records; and the planner alone
// (planScaleUp for pending pods, pickVictim with none). Numbers, not assertions.
import { performance } from 'node:perf_hooks';
import {
  type ClusterSnapshot,
  createMessage,
  type Envelope,
  emptyClusterState,
  type NodeInfo,
  type PendingPod,
  type PodInfo,
  parseDeliveredJson,
  parseMessage,
  type SampleClaim,
} from '@smartscale/contracts';
import { type Config, evaluate, parseConfig, pickVictim, planScaleUp } from '@smartscale/core';
// wireBody is the publisher's own encoding (compact, or by claim); @smartscale/aws keeps it internal.
import {
  SAMPLE_INLINE_LIMIT_BYTES,
  SampleClaims,
  wireBody,
} from '../../../aws/src/sample-claims.ts';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Pods per running owner and per pending owner, as in the kwok bench. */
export const PODS_PER_OWNER = 30;
/** Running pods on each worker. */
export const PODS_PER_WORKER = 30;

/** One size of the decider bench. */
export interface DeciderSize {
  workers: number;
  pending: number;
}

/**
 * Workers of 4 vCPU / 16 GiB (the bench's config launches that type): 30
 * running pods of 100m / 128 MiB leave 900m each, so pending pods land
 * partly on free room and partly on new workers.
 */
export function deciderBenchConfig(): Config {
  return parseConfig({
    workers: { min: 2, max: 20_000 },
    instance: {
      type: 'm5.xlarge',
      capacity: { cpuMillis: 4000, memoryBytes: 16 * GiB },
      zones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    },
  });
}

/**
 * The four pending shapes, by position: a plain web burst, a zone-pinned
 * API, a tolerating queue worker and a large batch job. Each shape's pods
 * are owned in groups of 30.
 */
const PENDING_SHAPES: readonly Omit<PendingPod, 'name' | 'namespace' | 'pendingSince'>[] = [
  { cpuMillis: 500, memoryBytes: 512 * MiB },
  {
    cpuMillis: 1000,
    memoryBytes: 2 * GiB,
    nodeSelector: { 'topology.kubernetes.io/zone': 'eu-west-1a' },
  },
  {
    cpuMillis: 250,
    memoryBytes: 256 * MiB,
    tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
  },
  { cpuMillis: 2000, memoryBytes: 4 * GiB },
];

/**
 * The snapshot of `size` at `now`: workers `bench-node-<i>` with 30 pods
 * each (pod p on worker p % workers, owner p / 30), idle CPU and memory
 * (so with nothing pending the decider looks for a victim), and `pending`
 * pods cycling through the four shapes, pending for two minutes.
 */
export function deciderBenchSnapshot(size: DeciderSize, now: Date): ClusterSnapshot {
  if (!Number.isInteger(size.workers) || size.workers < 1)
    throw new Error(`workers: expected a whole number above 0, got ${size.workers}`);
  if (!Number.isInteger(size.pending) || size.pending < 0)
    throw new Error(`pending: expected a whole number of pods, 0 or more, got ${size.pending}`);
  const nodes: NodeInfo[] = Array.from({ length: size.workers }, (_, n) => ({
    name: `bench-node-${n}`,
    instanceId: `i-${n.toString(16).padStart(17, '0')}`,
    zone: `eu-west-1${'abc'[n % 3]}`,
    instanceType: 'm5.xlarge',
    capacityType: 'on-demand',
    managed: true,
    smartscaleInstance: true,
    ready: true,
    unschedulable: false,
    createdAt: new Date(now.getTime() - 86_400_000).toISOString(),
    allocatable: { cpuMillis: 3900, memoryBytes: 16 * GiB - 384 * MiB },
    pods: [],
  }));
  const total = size.workers * PODS_PER_WORKER;
  for (let p = 0; p < total; p++) {
    const owner = Math.floor(p / PODS_PER_OWNER);
    const pod: PodInfo = {
      namespace: 'bench',
      name: `bench-app-${owner}-${p}`,
      ownerKind: 'ReplicaSet',
      ownerName: `bench-app-${owner}`,
      ownerReplicas: PODS_PER_OWNER,
      cpuMillis: 100,
      memoryBytes: 128 * MiB,
      hasPdb: false,
      doNotDisrupt: false,
      localStorage: false,
    };
    nodes[p % size.workers]?.pods.push(pod);
  }
  const pendingSince = new Date(now.getTime() - 120_000).toISOString();
  const pendingPods: PendingPod[] = Array.from({ length: size.pending }, (_, i) => {
    const shape = i % PENDING_SHAPES.length;
    const owner = Math.floor(Math.floor(i / PENDING_SHAPES.length) / PODS_PER_OWNER);
    return {
      ...PENDING_SHAPES[shape],
      cpuMillis: PENDING_SHAPES[shape]?.cpuMillis ?? 0,
      memoryBytes: PENDING_SHAPES[shape]?.memoryBytes ?? 0,
      namespace: 'bench',
      name: `burst-${shape}-${owner}-${i}`,
      owner: `ReplicaSet/burst-${shape}-${owner}`,
      pendingSince,
    };
  });
  return {
    takenAt: now.toISOString(),
    nodes,
    pendingPods,
    utilization: {
      available: true,
      cpu: { now: 0.1, upWindowMin: 0.1, downWindowMax: 0.12 },
      memory: { now: 0.2, downWindowMax: 0.22 },
    },
  };
}

/** One measured size. Times are medians over `runs`. */
export interface DeciderMeasurement {
  size: DeciderSize;
  /** The MetricsSampled body on the wire: compact inline, or the envelope with its claim. */
  wireBytes: number;
  /** The compact snapshot's size; over the limit it goes to S3. */
  compactBytes: number;
  claimCheck: boolean;
  /** Parse the body, read the claim (from memory) and check its digest, validate and decode. */
  decodeMs: number;
  /** core's evaluate with its commands and audit records built. */
  evaluateMs: number;
  /** decodeMs + evaluateMs of the same runs (median of the sums). */
  deciderMs: number;
  planner: 'planScaleUp' | 'pickVictim';
  planMs: number;
  /** What the decider decided, e.g. "scale-up 10" or "scale-down bench-node-0". */
  decision: string;
  runs: number;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** An S3 bucket in memory, enough for SampleClaims' put and get. */
function memoryBucket(): ConstructorParameters<typeof SampleClaims>[0] {
  const objects = new Map<string, string>();
  const send = async (command: { input: { Key: string; Body?: string } }) => {
    const { Key, Body } = command.input;
    if (Body !== undefined) {
      objects.set(Key, Body);
      return {};
    }
    const body = objects.get(Key);
    if (body === undefined)
      throw Object.assign(new Error(`NoSuchKey ${Key}`), { name: 'NoSuchKey' });
    return { Body: { transformToString: async () => body } };
  };
  return { send } as unknown as ConstructorParameters<typeof SampleClaims>[0];
}

/**
 * Measures `size`: one warm-up and `runs` timed passes of the decider's
 * step on the same wire body, then `runs` passes of the planner alone.
 * `limitBytes` is the inline limit (SAMPLE_INLINE_LIMIT_BYTES unless a test
 * forces the claim check).
 */
export async function measureDecider(
  size: DeciderSize,
  options: { runs?: number; limitBytes?: number; now?: Date } = {},
): Promise<DeciderMeasurement> {
  const runs = options.runs ?? 5;
  if (!Number.isInteger(runs) || runs < 1)
    throw new Error(`runs: expected a whole number above 0, got ${runs}`);
  const now = options.now ?? new Date('2026-12-02T03:00:00.000Z');
  const config = deciderBenchConfig();
  const snapshot = deciderBenchSnapshot(size, now);
  const message = createMessage('MetricsSampled', snapshot, { clusterId: 'bench' }, now);
  const claims = new SampleClaims(memoryBucket(), 'bench-samples');
  const limitBytes = options.limitBytes ?? SAMPLE_INLINE_LIMIT_BYTES;
  const body = await wireBody(message, claims, limitBytes);
  const state = emptyClusterState('bench');

  const step = async () => {
    const t0 = performance.now();
    const delivered = parseDeliveredJson(body);
    if (!delivered.ok) throw new Error(`bench sample refused: ${delivered.error.message}`);
    let sample: Envelope<'MetricsSampled'>;
    let claim: SampleClaim | undefined;
    if (delivered.value.kind === 'claimed-sample') {
      claim = delivered.value.claim;
      const payload = await claims.read(claim);
      const parsed = parseMessage({ ...delivered.value.header, payload });
      if (!parsed.ok) throw new Error(`bench claim refused: ${parsed.error.message}`);
      sample = parsed.value as Envelope<'MetricsSampled'>;
    } else sample = delivered.value.message as Envelope<'MetricsSampled'>;
    const t1 = performance.now();
    const evaluation = evaluate(state, sample, config, now, claim ? { claim } : {});
    const built = evaluation.commands.length + evaluation.audit.length;
    const t2 = performance.now();
    if (built === 0) throw new Error('bench: evaluate built no command and no audit record');
    return { decode: t1 - t0, evaluate: t2 - t1, decision: evaluation.decision, claim };
  };

  let last = await step(); // warm-up, not counted
  const decode: number[] = [];
  const evaluated: number[] = [];
  const total: number[] = [];
  for (let i = 0; i < runs; i++) {
    last = await step();
    decode.push(last.decode);
    evaluated.push(last.evaluate);
    total.push(last.decode + last.evaluate);
  }

  const planner = size.pending > 0 ? 'planScaleUp' : 'pickVictim';
  const plan = () => {
    if (planner === 'pickVictim') return pickVictim(snapshot.nodes, config, now);
    const existingFree = snapshot.nodes.map((n) => ({
      cpuMillis: n.allocatable.cpuMillis - n.pods.reduce((s, p) => s + p.cpuMillis, 0),
      memoryBytes: n.allocatable.memoryBytes - n.pods.reduce((s, p) => s + p.memoryBytes, 0),
    }));
    return planScaleUp(
      {
        pendingPods: snapshot.pendingPods,
        currentWorkers: size.workers,
        incomingWorkers: 0,
        existingFree,
      },
      config,
    );
  };
  plan();
  const planned: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    plan();
    planned.push(performance.now() - t0);
  }

  const d = last.decision;
  const round = (ms: number) => Math.round(ms * 10) / 10;
  return {
    size,
    wireBytes: Buffer.byteLength(body),
    compactBytes: last.claim ? last.claim.bytes : Buffer.byteLength(body),
    claimCheck: last.claim !== undefined,
    decodeMs: round(median(decode)),
    evaluateMs: round(median(evaluated)),
    deciderMs: round(median(total)),
    planner,
    planMs: round(median(planned)),
    decision:
      d === null
        ? 'none'
        : d.kind === 'scale-up'
          ? `scale-up ${d.count}`
          : d.kind === 'scale-down'
            ? `scale-down ${d.victim.nodeName}`
            : `hold (${d.reasons.map((r) => r.code).join(', ')})`,
    runs,
  };
}

/** Every workers x pending combination, in order. */
export function deciderSizes(
  workers: readonly number[],
  pending: readonly number[],
): DeciderSize[] {
  return workers.flatMap((w) => pending.map((p) => ({ workers: w, pending: p })));
}

/**
 * Parses a comma-separated list of whole numbers (`100,500,1000`); `name`
 * is the option, named in the error with the bad part.
 */
export function parseCounts(name: string, text: string, min: number): number[] {
  return text.split(',').map((part) => {
    const n = Number(part.trim());
    if (part.trim() === '' || !Number.isInteger(n) || n < min)
      throw new Error(
        `--${name}: '${part}' is not a whole number of at least ${min}; expected e.g. 100,500,1000`,
      );
    return n;
  });
}

/** The decider table `npm run bench:scale` prints. */
export function formatDeciderTable(rows: readonly DeciderMeasurement[]): string {
  const header = [
    'workers x 30 pods',
    'pending',
    'message',
    'claim check',
    'decode',
    'evaluate',
    'decider',
    'planner',
    'planning',
    'decision',
  ];
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  const ms = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
  const lines = rows.map((r) => [
    String(r.size.workers),
    String(r.size.pending),
    r.claimCheck ? `${kib(r.compactBytes)} in S3` : kib(r.wireBytes),
    r.claimCheck ? `yes (${kib(r.wireBytes)} sent)` : 'no (inline)',
    ms(r.decodeMs),
    ms(r.evaluateMs),
    ms(r.deciderMs),
    r.planner,
    ms(r.planMs),
    r.decision,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i] ?? 0)).join('  ');
  return [fmt(header), ...lines.map(fmt)].join('\n');
}
