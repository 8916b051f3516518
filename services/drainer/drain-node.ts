import type { AnyEnvelope, Envelope, NodeRefusal } from '@smartscale/contracts';
import { followUp, RefusalCode } from '@smartscale/contracts';

/** A pod to evict from the node being drained. */
export interface PodToEvict {
  readonly namespace: string;
  readonly name: string;
  /**
   * Set when the pod must not be moved now (core's classifyPod, the rules
   * victim selection applied to the sample): the rule and, for a budget, its name.
   */
  readonly blocker?: { readonly code: RefusalCode; readonly pdb?: string };
}

/**
 * What one eviction attempt came to. An answer other than the three named
 * ones carries its HTTP status (undefined when none came back) and whether
 * another pass may get a different answer.
 */
export type Eviction =
  | 'evicted'
  | 'pdb-blocked'
  | 'gone'
  | { readonly status: number | undefined; readonly detail: string; readonly retryable: boolean };

/** The Node being drained, as the drain reads it. */
export interface DrainedNode {
  readonly unschedulable: boolean;
  /** The action whose cordon this is (annotation smartscale.io/cordoned-by), if SmartScale's. */
  readonly cordonedBy: string | null;
}

/**
 * The instance has a Node, but not the one the DrainNode names: the command
 * is stale (the name was reused) or forged, and must change nothing.
 */
export interface OtherNode {
  readonly otherNode: string;
}

/** An EC2 instance of this cluster with its state (pending, running, shutting-down, ...). */
export interface WorkerState {
  readonly state: string;
  readonly launchedAt: string | null;
}

/** A worker launched to take the doomed node's place (replace-then-drain). */
export interface Replacement {
  readonly instanceId: string;
  readonly launchedAt: string | null;
}

/** What the drainer needs; `packages/k8s` and `packages/aws` implement it. */
export interface DrainerPorts {
  readonly now: () => Date;
  /** How long a new worker has from launch to a Node: instance.bootSeconds + join.timeoutSeconds. */
  readonly joinWindowSeconds: number;
  /**
   * `scaleDown.drainTimeoutSeconds`: no drain SmartScale sends ends later than
   * this from now, so a deadline beyond it (plus clock skew) is refused.
   */
  readonly drainTimeoutSeconds: number;
  /**
   * The instance's Node when it is `nodeName`; null when the instance has
   * no Node (not yet, or no longer); `OtherNode` when its Node has another name.
   */
  getNode(nodeName: string, instanceId: string): Promise<DrainedNode | OtherNode | null>;
  /** null when the instance is not a managed worker of this cluster. */
  findWorker(instanceId: string): Promise<WorkerState | null>;
  /** Live workers tagged with `actionId`, other than `doomedInstanceId`. */
  findReplacements(actionId: string, doomedInstanceId: string): Promise<Replacement[]>;
  /** Whether the instance has a Node and it is Ready. */
  hasReadyNode(instanceId: string): Promise<boolean>;
  /**
   * Cordons, marking the node with the action and the drain's deadline (the
   * reconciler lifts cordons whose action is over and deadline passed).
   */
  cordon(nodeName: string, actionId: string, drainDeadline: string): Promise<void>;
  uncordon(nodeName: string): Promise<void>;
  /**
   * Pods that must leave: not DaemonSet-owned, not mirror pods, not finished;
   * those that must not be moved carry their blocker.
   */
  podsToEvict(nodeName: string): Promise<PodToEvict[]>;
  evict(pod: PodToEvict): Promise<Eviction>;
  terminate(instanceId: string): Promise<void>;
  deleteNode(nodeName: string): Promise<void>;
  /** Runs `effect` only the first time (actionId, step) is seen. */
  once(actionId: string, step: string, effect: () => Promise<void>): Promise<boolean>;
  publish(message: AnyEnvelope): Promise<void>;
  publishDelayed(message: AnyEnvelope, delaySeconds: number): Promise<void>;
}

/** Retry delay while a PDB or slow pods hold the drain: 5 s doubling to 60 s. */
export function drainRetryDelaySeconds(attempt: number): number {
  return Math.min(5 * 2 ** attempt, 60);
}

/** Whole seconds from `now` until `at` (epoch ms), at least 1: SQS DelaySeconds is an integer. */
export function wholeSecondsUntil(now: Date, at: number): number {
  return Math.max(1, Math.ceil((at - now.getTime()) / 1000));
}

export type DrainResult =
  /** Drained (or never joined), terminated and its Node deleted. */
  | { readonly status: 'removed'; readonly evicted: number }
  /** An interruption past its deadline: terminated and deleted without a finished drain. */
  | { readonly status: 'lost'; readonly reason: string }
  /** The instance is already going or gone, or not ours: reported, nothing terminated. */
  | { readonly status: 'already-gone'; readonly state: string | null }
  | { readonly status: 'retrying'; readonly blocked: number; readonly remaining: number }
  | {
      readonly status: 'waiting';
      readonly for: 'node-join' | 'replacement';
      readonly delaySeconds: number;
    }
  | { readonly status: 'aborted'; readonly reason: string; readonly refusal?: NodeRefusal };

/**
 * Clock skew allowed between the service that set a drain's deadline and the
 * drainer, beyond the drain timeout.
 */
export const DEADLINE_SKEW_SECONDS = 60;

/** AWS's two-minute Spot notice: a spot drain keeps it even under a shorter drain timeout. */
const SPOT_NOTICE_SECONDS = 120;

/**
 * Why a drain deadline is too far away to honour, or null. The decider sets
 * start + drain timeout and the spot listener at most now + the longer of
 * the drain timeout and the Spot notice (AWS's deadline when earlier), so a
 * later one is forged or replayed under another policy: honoured, it would
 * keep a node cordoned, and its drain retried, until then (issue #21 item 11).
 */
export function drainDeadlineProblem(
  deadline: string,
  now: Date,
  drainTimeoutSeconds: number,
): string | null {
  const allowed = Math.max(drainTimeoutSeconds, SPOT_NOTICE_SECONDS);
  const latest = now.getTime() + (allowed + DEADLINE_SKEW_SECONDS) * 1000;
  if (Date.parse(deadline) <= latest) return null;
  return `deadline ${deadline} is more than ${allowed} s (scaleDown.drainTimeoutSeconds ${drainTimeoutSeconds}, at least the ${SPOT_NOTICE_SECONDS} s Spot notice) + ${DEADLINE_SKEW_SECONDS} s skew from now (${now.toISOString()}): nothing cordoned, evicted or terminated`;
}

/** EC2 states of an instance that is already on its way out. */
const GONE_STATES: ReadonlySet<string> = new Set(['shutting-down', 'terminated']);

/** Interruptions take the instance whatever the drain does. */
const LOST_AT_DEADLINE: ReadonlySet<string> = new Set(['spot-interruption', 'scheduled-change']);

async function once(
  ports: DrainerPorts,
  command: Envelope<'DrainNode'>,
  step: string,
  message: () => AnyEnvelope,
): Promise<void> {
  await ports.once(command.actionId, step, () => ports.publish(message()));
}

/**
 * When this drain started, for DrainDuration: the command's (a scale-down's
 * decision), else this first handling (an interruption's drain, whose action
 * id is stamped with the instance's launch; an older command), carried on in
 * the re-deliveries so later passes do not restart it.
 */
function drainStartOf(command: Envelope<'DrainNode'>, now: Date): string {
  return command.payload.drainStartedAt ?? now.toISOString();
}

async function redeliver(
  command: Envelope<'DrainNode'>,
  ports: DrainerPorts,
  now: Date,
  delaySeconds: number,
): Promise<void> {
  const attempt = command.payload.attempt + 1;
  // Once per delivered message: a copy of this DrainNode folds into the one
  // chain of passes instead of evicting on a second chain to the deadline.
  await ports.once(command.actionId, `redeliver-after:${command.id}`, () =>
    ports.publishDelayed(
      followUp(
        command,
        'DrainNode',
        { ...command.payload, attempt, drainStartedAt: drainStartOf(command, now) },
        now,
      ),
      delaySeconds,
    ),
  );
}

async function reportRemoved(
  command: Envelope<'DrainNode'>,
  ports: DrainerPorts,
  now: Date,
  terminated: boolean,
): Promise<void> {
  const { nodeName, instanceId } = command.payload;
  const drainStartedAt = drainStartOf(command, now);
  await once(ports, command, 'removed', () =>
    followUp(command, 'NodeRemoved', { nodeName, instanceId, terminated, drainStartedAt }, now),
  );
}

async function fail(
  command: Envelope<'DrainNode'>,
  ports: DrainerPorts,
  now: Date,
  reason: string,
  detail: string,
  refusal?: NodeRefusal,
): Promise<DrainResult> {
  const payload = refusal
    ? { step: 'drain', reason, detail, refusal }
    : { step: 'drain', reason, detail };
  await once(ports, command, 'failed', () => followUp(command, 'ActionFailed', payload, now));
  return refusal ? { status: 'aborted', reason, refusal } : { status: 'aborted', reason };
}

/**
 * The first pod that now pins the node, as a refusal. The sample the
 * decider chose from is up to a minute old: a do-not-disrupt, emptyDir or
 * StatefulSet pod may have landed since, or a budget may have tightened.
 */
function firstBlocker(nodeName: string, pods: readonly PodToEvict[]): NodeRefusal | null {
  const pod = pods.find((p) => p.blocker !== undefined);
  if (!pod?.blocker) return null;
  return {
    nodeName,
    code: pod.blocker.code,
    pod: `${pod.namespace}/${pod.name}`,
    ...(pod.blocker.pdb !== undefined ? { pdb: `${pod.namespace}/${pod.blocker.pdb}` } : {}),
  };
}

/**
 * One pass of a drain: cordon, evict through the Eviction API, and only
 * when nothing is left terminate the instance and delete the Node. A pass
 * that a PDB (or a pod still terminating) holds up re-delivers the command
 * with a delay. Every way out leaves no cordon of ours behind unless the
 * node is removed: past the deadline or on an eviction refused for good,
 * the node is uncordoned and the action fails; an interruption past its
 * deadline has lost the instance anyway, so it is terminated and removed.
 */
export async function drainNode(
  command: Envelope<'DrainNode'>,
  ports: DrainerPorts,
): Promise<DrainResult> {
  const { nodeName, instanceId, deadline } = command.payload;
  const now = ports.now();
  const tooLate = drainDeadlineProblem(deadline, now, ports.drainTimeoutSeconds);
  if (tooLate) return fail(command, ports, now, 'deadline beyond the drain timeout', tooLate);
  const node = await ports.getNode(nodeName, instanceId);
  // Before anything else: taking "no such Node" for "never joined" would
  // terminate a loaded worker without cordon or eviction (issue #21 item 4).
  if (node && 'otherNode' in node)
    return fail(
      command,
      ports,
      now,
      'node does not match the instance',
      `instance ${instanceId} is Node ${node.otherNode}, not ${nodeName}: nothing cordoned, evicted or terminated`,
    );
  if (!node) return drainWithoutNode(command, ports, now);
  // The Node's label is its kubelet's own word: a node joined by hand with
  // the workers' user data carries it. Only EC2's tags make it ours; another
  // instance's Node is never cordoned, drained or deleted (issue #21 item 9).
  if (!(await ports.findWorker(instanceId)))
    return fail(
      command,
      ports,
      now,
      'not a SmartScale instance',
      `instance ${instanceId} of Node ${nodeName} is not tagged in EC2 as a worker of this cluster (smartscale:cluster and smartscale:managed=true), or does not exist: nothing cordoned, evicted or terminated`,
      { nodeName, code: RefusalCode.NotSmartscaleInstance },
    );
  if (now.getTime() >= Date.parse(deadline)) return finishOverdue(command, node, ports, now);

  const cordonedByUs = node.cordonedBy === command.actionId;
  if (command.payload.waitForReplacement && !cordonedByUs) {
    const waitUntil = await replacementWaitUntil(command, ports, now);
    if (waitUntil !== null) {
      const delaySeconds = Math.min(
        drainRetryDelaySeconds(command.payload.attempt),
        wholeSecondsUntil(now, waitUntil),
      );
      await redeliver(command, ports, now, delaySeconds);
      return { status: 'waiting', for: 'replacement', delaySeconds };
    }
  }
  // A cordon someone else made is left as it is, and never lifted by us.
  const ours = cordonedByUs || !node.unschedulable;
  if (!node.unschedulable) await ports.cordon(nodeName, command.actionId, deadline);

  const pods = await ports.podsToEvict(nodeName);
  // Re-checked once, on the first pass, before any eviction (no pod can land
  // after the cordon): later passes, and a drain the decider re-sends while
  // its cordon stands, see budgets our own evictions have spent, which are
  // no reason to stop. Only a scale-down is a choice; an interruption or a
  // rebalance takes the instance anyway, so their drains move what they can.
  if (command.payload.reason === 'scale-down' && command.payload.attempt === 0 && !cordonedByUs) {
    const refusal = firstBlocker(nodeName, pods);
    if (refusal) {
      if (ours) await ports.uncordon(nodeName);
      const subject = [refusal.pod, refusal.pdb && `PDB ${refusal.pdb}`].filter(Boolean).join(', ');
      return fail(
        command,
        ports,
        now,
        `pod must not be moved: ${refusal.code}`,
        `${nodeName}: ${refusal.code} (${subject}); drain aborted before any eviction`,
        refusal,
      );
    }
  }
  await once(ports, command, 'cordoned', () =>
    followUp(command, 'NodeCordoned', { nodeName, instanceId }, now),
  );

  let blocked = 0;
  let evicted = 0;
  for (const pod of pods) {
    const result = await ports.evict(pod);
    if (result === 'evicted') evicted += 1;
    else if (result === 'pdb-blocked') blocked += 1;
    else if (typeof result === 'object') {
      // Throttling and server errors may pass next time, like a PDB refusal.
      // Anything else (forbidden, invalid) would be refused on every pass
      // until the deadline, with the node cordoned all along: give it back now.
      if (result.retryable) {
        blocked += 1;
        continue;
      }
      if (ours) await ports.uncordon(nodeName);
      return fail(
        command,
        ports,
        now,
        'eviction refused',
        `evicting ${pod.namespace}/${pod.name} from ${nodeName}: HTTP ${result.status ?? 'none'}: ${result.detail}`,
      );
    }
  }
  const remaining = (await ports.podsToEvict(nodeName)).length;
  if (remaining > 0) {
    await redeliver(
      command,
      ports,
      now,
      Math.min(
        drainRetryDelaySeconds(command.payload.attempt),
        wholeSecondsUntil(now, Date.parse(deadline)),
      ),
    );
    return { status: 'retrying', blocked, remaining };
  }
  await once(ports, command, 'drained', () =>
    followUp(command, 'NodeDrained', { nodeName, instanceId, evictedPods: evicted }, now),
  );
  await ports.terminate(instanceId);
  await ports.deleteNode(nodeName);
  await reportRemoved(command, ports, now, true);
  return { status: 'removed', evicted };
}

/**
 * No Node: a worker still inside its join window may yet register, so the
 * drain waits for it; one past the window never joined and is terminated.
 * An instance already going, or not ours, is only reported.
 */
async function drainWithoutNode(
  command: Envelope<'DrainNode'>,
  ports: DrainerPorts,
  now: Date,
): Promise<DrainResult> {
  const { instanceId } = command.payload;
  const worker = await ports.findWorker(instanceId);
  if (!worker || GONE_STATES.has(worker.state)) {
    await reportRemoved(command, ports, now, worker !== null);
    return { status: 'already-gone', state: worker?.state ?? null };
  }
  // No launch time (never seen in practice) cannot show the window open: NaN compares false.
  const joinBy = Date.parse(worker.launchedAt ?? '') + ports.joinWindowSeconds * 1000;
  if (now.getTime() < joinBy) {
    const delaySeconds = Math.min(
      drainRetryDelaySeconds(command.payload.attempt),
      wholeSecondsUntil(now, joinBy),
    );
    await redeliver(command, ports, now, delaySeconds);
    return { status: 'waiting', for: 'node-join', delaySeconds };
  }
  await ports.terminate(instanceId);
  await reportRemoved(command, ports, now, true);
  return { status: 'removed', evicted: 0 };
}

/**
 * Past the deadline. An interruption takes the instance anyway: terminate
 * it and delete its Node (K3s has no cloud controller that would). A
 * scale-down or rebalance leaves an instance that may live on: give the
 * node back to the scheduler and fail the action.
 */
async function finishOverdue(
  command: Envelope<'DrainNode'>,
  node: DrainedNode,
  ports: DrainerPorts,
  now: Date,
): Promise<DrainResult> {
  const { nodeName, instanceId, deadline, reason } = command.payload;
  const late = `drain not finished by the deadline ${deadline}`;
  if (LOST_AT_DEADLINE.has(reason)) {
    // Terminate first: a kubelet still running would register its Node again.
    await ports.terminate(instanceId);
    await ports.deleteNode(nodeName);
    await reportRemoved(command, ports, now, true);
    return { status: 'lost', reason: late };
  }
  const held = await stillHeld(nodeName, ports);
  if (node.cordonedBy === command.actionId) await ports.uncordon(nodeName);
  return fail(command, ports, now, late, held);
}

/** Past this many pods the deadline's detail counts the rest: one line in the audit, not a listing. */
const HELD_PODS_NAMED = 5;

/**
 * The deadline's detail: the node and the pods still on it, each with what
 * held it, so `smartscale explain` names the budget to look at rather than
 * only the node. A pod whose budget allows no disruption names it; any other
 * was refused or is still leaving. Listing failing never keeps the node
 * cordoned: the detail then says so.
 */
async function stillHeld(nodeName: string, ports: DrainerPorts): Promise<string> {
  const head = `drain of ${nodeName} timed out`;
  let pods: readonly PodToEvict[];
  try {
    pods = await ports.podsToEvict(nodeName);
  } catch (err) {
    return `${head}: its pods could not be listed (${(err as Error).message})`;
  }
  if (pods.length === 0) return `${head}: no pod left to evict`;
  const named = pods.slice(0, HELD_PODS_NAMED).map((pod) => {
    const subject = `pod ${pod.namespace}/${pod.name}`;
    if (pod.blocker?.code === RefusalCode.PdbAllowsNoDisruption && pod.blocker.pdb !== undefined)
      return `${subject} is held by PDB ${pod.namespace}/${pod.blocker.pdb} (0 disruptions allowed)`;
    return pod.blocker
      ? `${subject} is still on the node (${pod.blocker.code})`
      : `${subject} is still on the node`;
  });
  const more = pods.length - named.length;
  return `${head}: ${named.join('; ')}${more > 0 ? `; and ${more} more pod(s)` : ''}`;
}

/**
 * Replace-then-drain: the time to re-check at when the doomed node should
 * keep serving until its replacement is Ready, or null to drain now. The
 * wait ends when a replacement is Ready, when the replacements' join window
 * has passed (they failed), or at the drain deadline. No live replacement
 * (not launched yet, or it failed) gives no window to read, so only the
 * deadline bounds the wait.
 */
async function replacementWaitUntil(
  command: Envelope<'DrainNode'>,
  ports: DrainerPorts,
  now: Date,
): Promise<number | null> {
  const replacements = await ports.findReplacements(command.actionId, command.payload.instanceId);
  for (const replacement of replacements) {
    if (await ports.hasReadyNode(replacement.instanceId)) return null;
  }
  let waitUntil = Date.parse(command.payload.deadline);
  const launches = replacements
    .map((r) => Date.parse(r.launchedAt ?? ''))
    .filter((t) => Number.isFinite(t));
  if (launches.length > 0) {
    const joinBy = Math.max(...launches) + ports.joinWindowSeconds * 1000;
    waitUntil = Math.min(waitUntil, joinBy);
  }
  return now.getTime() < waitUntil ? waitUntil : null;
}
