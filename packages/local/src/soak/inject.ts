// Fires one scheduled fault through the real parts: a signal to a service
// process, EC2 calls on moto behind SmartScale's back, messages taken off
// their queues and put back (to the DLQ, twice or three times, late),
// duplicated EC2 events on EventBridge's default bus, the operator's own
// `smartscale pause`/`resume`, rules switched on in the proxies in front of
// moto, the API server and Prometheus, a kubelet stopped, a worker that
// never joins, a blocking PDB, and the ledger's lock and state contended.
// Nothing is mocked.
import { StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { describeInstances, FleetTag } from '@smartscale/aws';
import { main as smartscale } from '@smartscale/cli';
import type { LocalStack } from '../stack.ts';
import { SHOP_NAMESPACE } from '../workload.ts';
import {
  type NeverJoinSwitch,
  setPdbMaxUnavailable,
  startKubelet,
  stopKubelet,
} from './cluster-faults.ts';
import type { Fronts } from './fronts.ts';
import { contendForState, takeLockAndDie } from './ledger-faults.ts';
import { ec2Event, resend, takeOneMessage } from './message-faults.ts';
import { readInstances, readNodes } from './observe.ts';
import type { ScheduledFault } from './schedule.ts';
import { isWireFault, wireRule } from './wire-faults.ts';

/** A local service restarted this often is left down by the runtime; the soak stops killing it one short of that. */
const MAX_KILLS_PER_SERVICE = 4;

/** What a fault did, for the report. */
export interface FiredFault {
  readonly kind: ScheduledFault['kind'];
  readonly at: string;
  /** What it hit (an instance, a service, a queue's message), or null when nothing was there to hit. */
  readonly target: string | null;
  readonly detail: string;
  /** The second half of a fault (a pause's resume): listed, not counted as a fault. */
  readonly followUp?: boolean;
}

export interface InjectorContext {
  readonly stack: LocalStack;
  /** `--resources FILE` for the in-process `smartscale` CLI. */
  readonly resourcesFile: string;
  /** The proxies between the services and moto, the API server, Prometheus. */
  readonly fronts: Fronts;
  /** Zone of each worker subnet, for EC2 capacity faults by zone. */
  readonly zoneOfSubnet: ReadonlyMap<string, string>;
  /** The join agent's never-join switch. */
  readonly neverJoin: NeverJoinSwitch;
  /** Instances the soak itself terminated or stopped (not SmartScale's doing). */
  readonly hitByTheSoak: Set<string>;
}

/** Live (pending or running) workers of the cluster, oldest launch first so `pick` is stable for a given state. */
export async function liveWorkers(stack: LocalStack): Promise<string[]> {
  const live = await describeInstances(stack.aws.ec2, {
    Filters: [
      { Name: `tag:${FleetTag.Cluster}`, Values: [stack.clusterId] },
      { Name: 'instance-state-name', Values: ['pending', 'running'] },
    ],
  });
  return live
    .sort((a, b) => (a.InstanceId ?? '').localeCompare(b.InstanceId ?? ''))
    .map((i) => i.InstanceId ?? '');
}

function choose<T>(items: readonly T[], pick: number): T | undefined {
  return items[Math.floor(pick * items.length)];
}

/** Runs `smartscale ...args` in this process, as an operator would on a terminal. */
export async function runCli(args: string[]): Promise<{ code: number; output: string }> {
  const lines: string[] = [];
  const code = await smartscale(args, { out: (t) => lines.push(t), err: (t) => lines.push(t) });
  return { code, output: lines.join('\n') };
}

/**
 * Takes one message from a queue, as a consumer would, and puts it in the
 * queue's DLQ with its body and every attribute, then deletes the original:
 * what SQS's redrive does after maxReceiveCount failed receives.
 */
async function deadLetterOne(stack: LocalStack, pick: number): Promise<FiredFault> {
  const at = new Date().toISOString();
  const taken = await takeOneMessage(stack, pick);
  if (!taken)
    return {
      kind: 'dead-letter',
      at,
      target: null,
      detail: 'every queue was empty when looked at',
    };
  await resend(stack, taken, stack.applied.queues[taken.queue].dlqUrl, 1);
  return {
    kind: 'dead-letter',
    at,
    target: `${taken.queue}:${taken.message.MessageId}`,
    detail: `${taken.type} moved to the ${taken.queue} DLQ`,
  };
}

function followUp(kind: FiredFault['kind'], target: string, detail: string): FiredFault {
  return { kind, at: new Date().toISOString(), target, detail, followUp: true };
}

/** Fires `fault`; `later` schedules its follow-up (a resume, the end of a lasting fault). */
export async function fire(
  context: InjectorContext,
  fault: ScheduledFault,
  later: (ms: number, work: () => Promise<FiredFault>) => void,
): Promise<FiredFault> {
  const { stack } = context;
  const at = new Date().toISOString();
  const done = (target: string | null, detail: string): FiredFault => ({
    kind: fault.kind,
    at,
    target,
    detail,
  });
  switch (fault.kind) {
    case 'kill-service': {
      const service = fault.service ?? 'decider';
      if ((stack.services.restarts[service] ?? 0) >= MAX_KILLS_PER_SERVICE)
        return done(
          null,
          `${service} already restarted ${MAX_KILLS_PER_SERVICE} times; not killed`,
        );
      const pid = stack.services.pids[service];
      if (pid === undefined || pid < 0) return done(null, `${service} has no process`);
      // A crash, not a stop: the runtime sees SIGKILL and starts it again.
      process.kill(pid, 'SIGKILL');
      return done(service, `SIGKILL to pid ${pid}`);
    }
    case 'terminate-worker':
    case 'stop-worker': {
      const victim = choose(await liveWorkers(stack), fault.pick);
      if (!victim) return done(null, 'no live worker');
      context.hitByTheSoak.add(victim);
      await stack.aws.ec2.send(
        fault.kind === 'terminate-worker'
          ? new TerminateInstancesCommand({ InstanceIds: [victim] })
          : new StopInstancesCommand({ InstanceIds: [victim] }),
      );
      return done(
        victim,
        `${fault.kind === 'terminate-worker' ? 'TerminateInstances' : 'StopInstances'} behind SmartScale's back`,
      );
    }
    case 'dead-letter':
      return deadLetterOne(stack, fault.pick);
    case 'spot-warning':
    case 'rebalance': {
      const victim = choose(await liveWorkers(stack), fault.pick);
      if (!victim) return done(null, 'no live worker');
      const copies = fault.copies ?? 2;
      // An interrupted worker is AWS's to take two minutes on: when a PDB
      // holds its drain past the deadline SmartScale terminates it with its
      // pods, standing in for AWS (60-minute seed 1, i-eb06ec5a046f1425a),
      // so invariant 5b does not count it, like a worker the soak terminates.
      if (fault.kind === 'spot-warning') context.hitByTheSoak.add(victim);
      if (fault.kind === 'spot-warning')
        await ec2Event(
          stack,
          victim,
          'EC2 Spot Instance Interruption Warning',
          { 'instance-action': 'terminate' },
          copies,
        );
      else await ec2Event(stack, victim, 'EC2 Instance Rebalance Recommendation', {}, copies);
      return done(victim, `${copies} identical events on the default bus`);
    }
    case 'pause': {
      const paused = await runCli([
        'pause',
        '--reason',
        'soak: operator pause',
        '--by',
        'soak',
        '--resources',
        context.resourcesFile,
      ]);
      const pauseMs = fault.pauseMs ?? 5000;
      later(pauseMs, async () => {
        const resumed = await runCli([
          'resume',
          '--by',
          'soak',
          '--resources',
          context.resourcesFile,
        ]);
        return {
          kind: 'pause',
          at: new Date().toISOString(),
          target: 'cluster',
          followUp: true,
          detail: `resume (exit ${resumed.code}): ${resumed.output.split('\n')[0]}`,
        };
      });
      return done(
        'cluster',
        `pause for ${pauseMs} ms (exit ${paused.code}): ${paused.output.split('\n')[0]}`,
      );
    }
    case 'duplicate-message':
    case 'delay-message': {
      const taken = await takeOneMessage(stack, fault.pick);
      if (!taken) return done(null, 'every queue was empty when looked at');
      const url = stack.applied.queues[taken.queue].url;
      const target = `${taken.queue}:${taken.message.MessageId}`;
      if (fault.kind === 'duplicate-message') {
        const copies = fault.copies ?? 2;
        await resend(stack, taken, url, copies);
        return done(target, `${taken.type} delivered ${copies} times`);
      }
      const delay = fault.delaySeconds ?? 5;
      await resend(stack, taken, url, 1, delay);
      return done(target, `${taken.type} held back ${delay} s`);
    }
    case 'state-change-events': {
      const all = (await readInstances(stack)).sort((a, b) =>
        a.instanceId.localeCompare(b.instanceId),
      );
      const victim = choose(all, fault.pick);
      if (!victim) return done(null, 'no instance');
      const copies = 2 + Math.floor(fault.pick * 2);
      // The instance's real state, sent 2-3 times: the duplicate is the fault.
      await ec2Event(
        stack,
        victim.instanceId,
        'EC2 Instance State-change Notification',
        { state: victim.state },
        copies,
      );
      return done(victim.instanceId, `${copies} identical state-change (${victim.state}) events`);
    }
    case 'kubelet-stop': {
      // Any Ready worker, one inside its join window too: the join-verifier
      // must tell a worker that joined and lost its kubelet from one that
      // never joined (CI seed 1 found it terminating the first, 2026-12-02).
      const nodes = (await readNodes(stack))
        .filter((n) => n.managed && n.ready)
        .sort((a, b) => a.name.localeCompare(b.name));
      const node = choose(nodes, fault.pick);
      if (!node) return done(null, 'no Ready managed Node');
      await stopKubelet(stack.admin, node.name);
      const ms = fault.durationMs ?? 10_000;
      later(ms, async () => {
        const back = await startKubelet(stack.admin, node.name);
        return followUp(fault.kind, node.name, back ? 'kubelet back: Ready' : 'Node gone by then');
      });
      return done(node.name, `kubelet stopped (Node NotReady, instance running) for ${ms} ms`);
    }
    case 'never-join':
      context.neverJoin.arm(await liveWorkers(stack));
      return done('next launch', 'the next worker launched never registers its Node');
    case 'pdb-block': {
      const ms = fault.durationMs ?? 15_000;
      const before = await setPdbMaxUnavailable(stack.admin, SHOP_NAMESPACE, 'web', 0);
      later(ms, async () => {
        await setPdbMaxUnavailable(stack.admin, SHOP_NAMESPACE, 'web', before ?? 1);
        return followUp(fault.kind, 'pdb shop/web', `maxUnavailable back to ${before ?? 1}`);
      });
      return done('pdb shop/web', `maxUnavailable 0 (no eviction allowed) for ${ms} ms`);
    }
    case 'dead-lock-owner': {
      const owner = `soak-dead-owner-${Date.now().toString(36)}`;
      const fence = await takeLockAndDie(stack, owner);
      if (fence === null) return done(null, 'the lock was never free to take');
      return done('cluster lock', `${owner} took fence ${fence} and died holding it`);
    }
    case 'state-contention': {
      const ms = fault.durationMs ?? 4000;
      // In the background: the soak keeps playing the trace meanwhile.
      later(0, async () => {
        const r = await contendForState(stack, ms);
        return followUp(
          fault.kind,
          'cluster state',
          `contender over: ${r.writes} writes won, lock busy ${r.busy} times, ${r.conflicts} writes refused`,
        );
      });
      return done('cluster state', `a second writer races for the lock and the state for ${ms} ms`);
    }
    default: {
      if (!isWireFault(fault.kind)) throw new Error(`unknown fault kind '${fault.kind}'`);
      const wire = wireRule({ ...fault, kind: fault.kind }, context.fronts, context.zoneOfSubnet);
      const off = wire.proxy.add(wire.rule);
      const ms = fault.durationMs ?? 5000;
      later(ms, async () => {
        off();
        return followUp(
          fault.kind,
          wire.target,
          `over; the proxy acted on ${wire.proxy.hits[wire.rule.name] ?? 0} requests in all`,
        );
      });
      return done(wire.target, wire.detail);
    }
  }
}
