import { toProblems, ValidationError } from '@smartscale/contracts';
import { z } from 'zod';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** The single type SmartScale launches when the config names none. */
export const DEFAULT_INSTANCE_TYPE = 't3.medium';
/** t3.medium as EC2 describes it (2 vCPU, 4 GiB): the capacity assumed before start-up resolves the types. */
const T3_MEDIUM_CAPACITY = { cpuMillis: 2000, memoryBytes: 4 * GiB };

/**
 * Where `instance.capacity` came from: `ec2` once start-up resolved the
 * types, `config` for a deprecated explicit override, `assumed` (t3.medium)
 * before resolution.
 */
export type CapacityFrom = 'ec2' | 'config' | 'assumed';

const ARCHITECTURE = z.enum(['x86_64', 'arm64']);
const AMI = z.string().regex(/^ami-[0-9a-f]{8,17}$/, 'expected an AMI id like ami-0abc12345');

const range = (unit: string) =>
  z
    .object({
      min: z.number().finite().positive().optional(),
      max: z.number().finite().positive().optional(),
    })
    .strict()
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, {
      message: `min must not exceed max (${unit})`,
    });

/**
 * Instance types by what they offer, resolved against EC2's
 * DescribeInstanceTypes at start-up (packages/aws, resolveInstanceTypes).
 *
 * @example
 * { families: ['t3', 'm6i'], vcpu: { min: 2, max: 8 }, memoryGiB: { min: 4 }, architecture: 'x86_64' }
 */
export const InstanceRequirementsSchema = z
  .object({
    /** Instance families, e.g. ['t3', 'm6i'] (any family when absent). */
    families: z
      .array(z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected an instance family like t3 or m6i'))
      .min(1)
      .optional(),
    /** vCPUs per instance, inclusive. */
    vcpu: range('vCPUs').optional(),
    /** Memory per instance in GiB (1024^3 bytes), inclusive. */
    memoryGiB: range('GiB').optional(),
    /**
     * x86_64 (the default), arm64 (Graviton), or both: the launch
     * template's AMI serves one architecture, `instance.imageIds` names
     * the AMI of the other.
     */
    architecture: z.union([ARCHITECTURE, z.array(ARCHITECTURE).min(1)]).default('x86_64'),
    /** Only types EC2 marks current generation (true by default). */
    currentGenerationOnly: z.boolean().default(true),
  })
  .strict();
export type InstanceRequirements = z.output<typeof InstanceRequirementsSchema>;
const instanceRequirements = InstanceRequirementsSchema;

const ZONE = /^[a-z]{2}-[a-z0-9-]+[0-9][a-z]$/;
// Kubernetes qualified names: an optional DNS-subdomain prefix and a name of
// at most 63 characters; values as label values.
const TAINT_KEY =
  /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const TAINT_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

/**
 * A taint new workers carry, as K3s' --node-taint takes it
 * (`key=value:effect`).
 *
 * @example
 * { key: 'dedicated', value: 'batch', effect: 'NoSchedule' }
 */
export const TaintSchema = z
  .object({
    key: z
      .string()
      .regex(TAINT_KEY, 'expected a label-style key like dedicated or example.com/pool'),
    value: z
      .string()
      .regex(TAINT_VALUE, 'expected a label value (63 letters, digits, -_. at most)')
      .optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
  })
  .strict();
export type Taint = z.output<typeof TaintSchema>;

const share = z.number().finite().min(0).max(1);
const seconds = z.number().finite().nonnegative();
const resources = z.object({
  cpuMillis: z.number().finite().nonnegative(),
  memoryBytes: z.number().finite().nonnegative(),
});

/**
 * SmartScale's policy configuration. Every number of the design is here,
 * with the design's default; units are in the names.
 */
export const ConfigSchema = z
  .object({
    workers: z
      .object({
        min: z.number().int().nonnegative().default(2),
        max: z.number().int().positive().default(10),
      })
      .prefault({}),
    scaleUp: z
      .object({
        cpuThreshold: share.default(0.7),
        memoryThreshold: share.default(0.75),
        /** CPU must stay above the threshold this long (the query's window). */
        cpuSustainSeconds: seconds.default(180),
        /** Pods pending less than this are left to the scheduler. */
        pendingGraceSeconds: seconds.default(10),
        /** Average CPU aimed for when adding nodes for CPU pressure. */
        targetCpuUtilization: share.default(0.6),
        maxStep: z.number().int().positive().default(10),
        cooldownSeconds: seconds.default(300),
      })
      .prefault({}),
    scaleDown: z
      .object({
        cpuThreshold: share.default(0.3),
        memoryThreshold: share.default(0.5),
        sustainSeconds: seconds.default(600),
        /** Nodes removed per action; the design removes one at a time. */
        maxStep: z.number().int().positive().default(1),
        cooldownSeconds: seconds.default(600),
        /** A node younger than this is never a victim (anti-flapping). */
        minNodeAgeSeconds: seconds.default(600),
        drainTimeoutSeconds: seconds.default(600),
        /**
         * Skip the cooldown while the fleet would still be below both
         * scale-down thresholds with one node fewer (clear surplus).
         */
        skipCooldownWhenSurplus: z.boolean().default(true),
        /**
         * A node whose drain failed is not picked again for this long: the
         * blocker (a budget, a pinned pod) is seldom gone by the next sample,
         * and retrying at once would keep the node cordoned most of the time.
         * At most 6 h: the ledger remembers failed drains that long.
         */
        failedVictimBackoffSeconds: seconds
          .max(6 * 3600, 'at most 21600 (6 h), how long the ledger remembers a failed drain')
          .default(1800),
        /**
         * What may remove a node. `seed-thresholds`: the seed documents' rule,
         * CPU and memory low over `sustainSeconds`. `consolidation`: that rule,
         * or requests-based consolidation when it holds: the pods' peak
         * requests over `sustainSeconds` plus `headroom` fit on one node fewer
         * (needs the sample's requestsWindowMax, from kube-state-metrics).
         */
        profile: z.enum(['seed-thresholds', 'consolidation']).default('seed-thresholds'),
        /**
         * Room consolidation keeps free after a removal, for teams that pay
         * for instant scale-ups: `pods` pods of the largest shape running,
         * plus `share` of the Ready nodes' room. Only with `profile:
         * "consolidation"`, where it defaults to 1 pod and 10 % (the
         * bench's lightest setting that costs no pending time); none otherwise.
         */
        headroom: z
          .object({
            pods: z.number().int().nonnegative().default(0),
            share: z
              .number()
              .finite()
              .min(0)
              .max(0.9, 'at most 0.9: keeping more of the room free would never remove a node')
              .default(0),
          })
          .strict()
          .optional(),
      })
      .transform(({ headroom, ...scaleDown }) => ({
        ...scaleDown,
        headroom:
          headroom ??
          (scaleDown.profile === 'consolidation' ? { pods: 1, share: 0.1 } : { pods: 0, share: 0 }),
      }))
      .prefault({}),
    instance: z
      .object({
        /**
         * One instance type (the old form, still accepted). Give at most one
         * of `type`, `types` and `requirements`; with none, t3.medium.
         */
        type: z.string().min(1).optional(),
        /** Instance types to launch, in order of preference (resolved against EC2 at start-up). */
        types: z.array(z.string().min(1)).min(1).optional(),
        /** Instance types described by what they offer (resolved against EC2 at start-up). */
        requirements: instanceRequirements.optional(),
        /**
         * The AMI of an architecture the launch template's AMI is not (K3s
         * and the OS are built per architecture): with types of both x86_64
         * and arm64, name the other one's here, e.g. `{ "arm64": "ami-0abc..." }`.
         */
        imageIds: z.object({ x86_64: AMI.optional(), arm64: AMI.optional() }).strict().optional(),
        /**
         * Deprecated: capacity comes from EC2's DescribeInstanceTypes at
         * start-up. Still accepted with a single `type`, as an explicit
         * override that start-up warns about; refused with `types` or
         * `requirements` (one capacity cannot describe several types).
         */
        capacity: resources.optional(),
        /**
         * Not a setting: where `capacity` came from, carried so a parsed
         * config passed on as JSON (the local stack's SMARTSCALE_CONFIG)
         * parses to the same config instead of turning an assumed or
         * EC2-given capacity into an override.
         */
        capacityFrom: z.enum(['ec2', 'config', 'assumed']).optional(),
        /**
         * How much more per pod (a fraction: 0.2 = 20 %) another type of the
         * same architecture may cost than the planner's choice and still be
         * offered to a Spot launch beside it, so price-capacity-optimized
         * can spread Spot workers over pools (AWS's first Spot advice).
         * 0: the chosen type alone.
         */
        spotFlexibility: z
          .number()
          .min(
            0,
            "instance.spotFlexibility is a fraction of the chosen type's cost per pod, from 0 (the chosen type alone) to 1 (up to twice it)",
          )
          .max(
            1,
            "instance.spotFlexibility is a fraction of the chosen type's cost per pod, from 0 (the chosen type alone) to 1 (up to twice it)",
          )
          .default(0.2),
        /** Kept back for K3s agent, kubelet and the OS (kube/system-reserved). */
        reserved: resources.default({ cpuMillis: 100, memoryBytes: 384 * MiB }),
        /** Requests of the DaemonSet pods every worker runs. */
        daemonSetOverhead: resources.default({ cpuMillis: 100, memoryBytes: 128 * MiB }),
        /** Launch request to node Ready. */
        bootSeconds: seconds.default(90),
        /**
         * Labels your workers carry beyond those the worker user data sets
         * (zone, instance type, capacity type, managed, cluster): a pending
         * pod that selects a label no new worker has never triggers a launch.
         */
        nodeLabels: z.record(z.string(), z.string()).default({}),
        /**
         * The availability zones new workers launch in. Filled at start-up
         * from the worker subnets the provisioner launches into
         * (SMARTSCALE_SUBNETS, from the deploy's SMARTSCALE_ZONES), so the
         * subnets stay the one source; set it here only where no subnets
         * are given (simulator, what-ifs). Unknown: a pending pod's volume
         * zone gets the benefit of the doubt.
         */
        zones: z
          .array(z.string().regex(ZONE, 'expected an availability zone like eu-west-1a'))
          .min(1)
          .optional(),
        /**
         * Taints every new worker registers with (--node-taint at join):
         * a pending pod that does not tolerate one never triggers a launch.
         */
        taints: z.array(TaintSchema).default([]),
      })
      .superRefine((i, ctx) => {
        const forms = (['type', 'types', 'requirements'] as const).filter(
          (k) => i[k] !== undefined,
        );
        // A parsed config (it carries capacityFrom) has `type` filled in
        // beside `types` or `requirements`: only people's input must pick one.
        if (forms.length > 1 && i.capacityFrom === undefined)
          ctx.addIssue({
            code: 'custom',
            path: [forms[1] as string],
            message: `give one of instance.type, instance.types and instance.requirements, got ${forms.map((f) => `instance.${f}`).join(' and ')}`,
          });
        const taintSeen = new Set<string>();
        i.taints.forEach((t, n) => {
          // The API server refuses a Node with two taints of one key and effect.
          if (taintSeen.has(`${t.key}:${t.effect}`))
            ctx.addIssue({
              code: 'custom',
              path: ['taints', n],
              message: `duplicate taint '${t.key}:${t.effect}'`,
            });
          taintSeen.add(`${t.key}:${t.effect}`);
        });
        const seen = new Set<string>();
        (i.types ?? []).forEach((t, n) => {
          if (seen.has(t))
            ctx.addIssue({ code: 'custom', path: ['types', n], message: `duplicate type '${t}'` });
          seen.add(t);
        });
      })
      .transform(({ capacity, capacityFrom, ...instance }) => ({
        ...instance,
        type: instance.type ?? DEFAULT_INSTANCE_TYPE,
        // Until start-up resolved the types against EC2 (resolveInstanceTypes
        // in packages/aws), pure uses (the simulator, tests) see t3.medium's
        // capacity; `capacityFrom` says where the number came from.
        capacity: capacity ?? T3_MEDIUM_CAPACITY,
        capacityFrom: (capacity === undefined
          ? 'assumed'
          : (capacityFrom ?? 'config')) as CapacityFrom,
      }))
      .prefault({}),
    purchase: z
      .object({
        /** Share of new workers bought as Spot (0 = all on-demand). */
        spotShare: share.default(0.5),
        /** Workers always kept on-demand, whatever spotShare says. */
        onDemandBase: z.number().int().nonnegative().default(2),
      })
      .prefault({}),
    pricing: z
      .object({
        onDemandHourlyUsd: z.number().finite().nonnegative().default(0.0416),
        spotHourlyUsd: z.number().finite().nonnegative().default(0.0125),
      })
      .prefault({}),
    join: z.object({ timeoutSeconds: seconds.default(600) }).prefault({}),
    reconcile: z
      .object({
        /**
         * Slack past every deadline before SmartScale gives up on it: the
         * ledger expires an action, and the reconciler repairs, only this
         * long after (a message that is merely late gets there first).
         */
        graceSeconds: seconds.default(120),
        /**
         * A worker whose Node has not been Ready this long while its
         * instance runs is replaced (terminated, its Node deleted): a dead
         * kubelet never drains, and a NotReady node holds every scale-down.
         * Karpenter's node repair waits 30 minutes for Ready False/Unknown.
         * 0 turns it off.
         */
        repairNotReadySeconds: z.number().int().nonnegative().default(1800),
      })
      .prefault({}),
    samples: z
      .object({
        /**
         * A sample older than this (takenAt to decision) is held, not acted on:
         * a queue backlog or a DLQ replay must not drain a node on old data.
         * Two sampling intervals of 60 s.
         */
        maxAgeSeconds: seconds.default(120),
      })
      .prefault({}),
    metrics: z
      .object({
        /**
         * Share of the Ready workers past warm-up that must report CPU and
         * memory for the average to count; below it the decision holds with
         * metrics-incomplete. With coverage c the true average lies within
         * [c·read, c·read + (1 - c)]: at 0.9 the workers not seen can hide
         * at most 10 points (a saturated node missing scrapes is exactly the
         * case that reads low). One of 10 workers may miss, neither of 2.
         */
        minCoverage: share.default(0.9),
        /**
         * A worker that joined less than this ago stays out of the average
         * and the coverage: it may not be scraped yet, a real node burns CPU
         * pulling images, and rate() over an idle counter younger than its
         * window under-reads idle, so a new idle node reads busy. Keep it
         * above the PromQL rate window (2 min) plus the time to the first
         * scrape (node-exporter start and one scrape interval): 180 s.
         */
        warmupSeconds: seconds.default(180),
      })
      .prefault({}),
    commands: z
      .object({
        /**
         * A command (ScaleUp, ReplaceCapacity, VerifyJoin, DrainNode) or an
         * EC2 event older than this when its consumer reads it is refused to
         * the DLQ, never acted on: a DLQ replay days later must not launch or
         * drain on a world that has moved on (dedup records live 7 days, DLQs
         * keep 14). At least 1800 s: a re-sent command may wait 900 s (SQS's
         * longest delay) and a few receives before it is handled.
         */
        maxAgeSeconds: seconds
          .min(1800, 'at least 1800 (SQS delays a re-sent command up to 900 s, then retries it)')
          .max(6 * 86400, 'at most 518400 (6 days): dedup records expire after 7')
          .default(3600),
      })
      .prefault({}),
    interruptions: z
      .object({
        /**
         * A rebalance recommendation is AWS's early hint; `replace-then-drain`
         * launches a replacement and drains the node at once, `ignore` waits
         * for the two-minute warning.
         */
        rebalance: z.enum(['ignore', 'replace-then-drain']).default('ignore'),
      })
      .prefault({}),
    /**
     * Scale-up triggers on what the application feels. The sampler runs each
     * `query` reduced over `sustainSeconds` (min for "above", max for
     * "below"), so one sample crossing the threshold means it held all along.
     */
    appTriggers: z
      .array(
        z.object({
          name: z
            .string()
            .regex(/^[a-z][a-z0-9-]{0,62}$/, 'expected a lowercase name like queue-depth'),
          query: z.string().min(1),
          threshold: z.number().finite(),
          direction: z.enum(['above', 'below']).default('above'),
          sustainSeconds: seconds.default(120),
          /** Nodes added when it fires (still capped by step and max). */
          addNodes: z.number().int().positive().default(1),
        }),
      )
      .default([])
      .superRefine((triggers, ctx) => {
        const seen = new Set<string>();
        triggers.forEach((t, i) => {
          if (seen.has(t.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `duplicate trigger name '${t.name}'`,
            });
          seen.add(t.name);
        });
      }),
    predictive: z
      .object({
        /** The single switch for pre-scaling on the learned daily pattern. */
        enabled: z.boolean().default(false),
        /** Width of the time-of-day slots demand is compared in. */
        slotSeconds: z.number().int().min(60).default(600),
        /** Days of history the pattern needs before it is trusted. */
        minDays: z.number().int().min(2).max(7).default(2),
        /** Headroom added on top of the forecast, as a share of it. */
        marginShare: share.default(0.1),
        /** Most nodes one pre-scale may add (the bound on a wrong forecast). */
        maxNodesPerStep: z.number().int().positive().default(3),
        /** How far ahead to look beyond the boot time, to cover the sampling gap. */
        lookaheadExtraSeconds: seconds.default(120),
        /** A node the pattern needs again within this long is kept, not removed. */
        keepHorizonSeconds: seconds.default(1800),
        /** How far back today's demand is compared with the pattern, to scale forecasts down on a quieter day. */
        recentWindowSeconds: seconds.default(3600),
      })
      .prefault({}),
  })
  .superRefine((c, ctx) => {
    if (c.workers.min > c.workers.max) {
      ctx.addIssue({
        code: 'custom',
        path: ['workers', 'min'],
        message: `must not exceed workers.max (${c.workers.max}), got ${c.workers.min}`,
      });
    }
    if (c.scaleDown.cpuThreshold >= c.scaleUp.cpuThreshold) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaleDown', 'cpuThreshold'],
        message: `must be below scaleUp.cpuThreshold (${c.scaleUp.cpuThreshold}) or nodes would flap, got ${c.scaleDown.cpuThreshold}`,
      });
    }
    if (c.scaleDown.memoryThreshold >= c.scaleUp.memoryThreshold) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaleDown', 'memoryThreshold'],
        message: `must be below scaleUp.memoryThreshold (${c.scaleUp.memoryThreshold}), got ${c.scaleDown.memoryThreshold}`,
      });
    }
    // A scaleDown setting already refused leaves the object untransformed (no headroom).
    const h = c.scaleDown.headroom as typeof c.scaleDown.headroom | undefined;
    if (h && c.scaleDown.profile !== 'consolidation' && (h.pods > 0 || h.share > 0)) {
      ctx.addIssue({
        code: 'custom',
        path: ['scaleDown', 'headroom'],
        message: `applies only to scaleDown.profile "consolidation" (requests-based), got profile "${c.scaleDown.profile}"`,
      });
    }
    const a = c.instance;
    // An instance setting already refused leaves the object untransformed (no capacity).
    if (a.capacity === undefined) return;
    if (a.capacityFrom === 'config' && (a.types ?? a.requirements) !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['instance', 'capacity'],
        message:
          'is read from EC2 for each type; remove it (an override is accepted only with a single instance.type)',
      });
    for (const r of ['cpuMillis', 'memoryBytes'] as const) {
      if (a.reserved[r] + a.daemonSetOverhead[r] >= a.capacity[r]) {
        ctx.addIssue({
          code: 'custom',
          path: ['instance', 'reserved', r],
          message: `reserved plus daemonSetOverhead leaves no ${r} for pods on ${a.type} (capacity ${a.capacity[r]})`,
        });
      }
    }
  });

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/**
 * Validates configuration and fills in the defaults. Throws a
 * {@link ValidationError} naming every bad setting, so a bad config stops
 * start-up with a readable message.
 *
 * @example
 * const config = parseConfig({ workers: { max: 20 } });
 */
export function parseConfig(input: unknown = {}): Config {
  const result = ConfigSchema.safeParse(input ?? {});
  if (!result.success)
    throw new ValidationError('SmartScale configuration', toProblems(result.error));
  return result.data;
}

/** The defaults of the design. */
export const defaultConfig: Config = parseConfig({});

/** What a new worker offers to pods: capacity minus reserved minus DaemonSets. */
export function podAllocatable(config: Config): { cpuMillis: number; memoryBytes: number } {
  const { capacity, reserved, daemonSetOverhead } = config.instance;
  return {
    cpuMillis: capacity.cpuMillis - reserved.cpuMillis - daemonSetOverhead.cpuMillis,
    memoryBytes: capacity.memoryBytes - reserved.memoryBytes - daemonSetOverhead.memoryBytes,
  };
}
