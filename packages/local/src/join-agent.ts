import { createHash } from 'node:crypto';
import {
  type _InstanceType,
  DescribeInstanceTypesCommand,
  type EC2Client,
  type Instance,
} from '@aws-sdk/client-ec2';
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Node,
} from '@kubernetes/client-node';
import { FleetTag } from '@smartscale/aws';
import { kubernetesArch, type Taint } from '@smartscale/core';
import { InstancePoll } from './aws/instance-poll.ts';
import { KWOK_NODE_ANNOTATION } from './cluster/start.ts';

export interface JoinAgentOptions {
  readonly ec2: EC2Client;
  readonly kubeConfig: KubeConfig;
  readonly clusterId: string;
  /** Seconds from "running" in EC2 to the Node registering (the worker's boot). */
  readonly bootSeconds: number;
  /** Share of instances (0..1) that never join, to exercise join-failure cleanup. */
  readonly neverJoinShare: number;
  /** Instances that never join, decided by the caller (the soak's never-join fault); asked on every tick until it joins. */
  readonly neverJoin?: (instanceId: string) => boolean;
  readonly pollMs?: number;
  /**
   * Node capacity to report for every worker. Absent: each worker reports
   * its own instance type's, as EC2's DescribeInstanceTypes gives it.
   */
  readonly capacity?: { cpu: string; memory: string };
  readonly allocatable?: { cpu: string; memory: string };
  /** What the kubelet keeps back (instance.reserved): allocatable is capacity minus it. */
  readonly reserved?: { readonly cpuMillis: number; readonly memoryBytes: number };
  /** The policy's instance.taints: every worker registers with them, as --node-taint does. */
  readonly taints?: readonly Taint[];
  readonly now?: () => Date;
  readonly log?: (line: string) => void;
}

/** Whether `instanceId` is one of the configured share that never joins (stable per id). */
export function neverJoins(instanceId: string, share: number): boolean {
  if (share <= 0) return false;
  const h = createHash('sha256').update(instanceId).digest().readUInt32BE(0) / 0xffffffff;
  return h < share;
}

/** What a worker's instance type gives its Node: EC2's vCPUs, memory and architecture. */
export interface WorkerType {
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly architecture: 'x86_64' | 'arm64';
}

/** t3.medium, the Node every worker reported before types were read from EC2. */
const T3_MEDIUM: WorkerType = { vcpu: 2, memoryMiB: 4096, architecture: 'x86_64' };
const DEFAULT_RESERVED = { cpuMillis: 100, memoryBytes: 384 * 1024 ** 2 };

/**
 * EC2's description of `instanceType` as its Node shows it, asked once per
 * type. A type EC2 does not describe throws, naming it.
 */
export async function describeWorkerType(
  ec2: EC2Client,
  instanceType: string,
): Promise<WorkerType> {
  const res = await ec2.send(
    new DescribeInstanceTypesCommand({ InstanceTypes: [instanceType as _InstanceType] }),
  );
  const info = res.InstanceTypes?.[0];
  const vcpu = info?.VCpuInfo?.DefaultVCpus;
  const memoryMiB = info?.MemoryInfo?.SizeInMiB;
  if (!vcpu || !memoryMiB)
    throw new Error(
      `EC2 does not describe instance type ${instanceType}: expected its vCPUs and memory`,
    );
  const archs = info?.ProcessorInfo?.SupportedArchitectures ?? [];
  return { vcpu, memoryMiB, architecture: archs.includes('arm64') ? 'arm64' : 'x86_64' };
}

/**
 * The Node a worker registers: name from the instance id, providerID,
 * labels kwok and SmartScale read, and the capacity and architecture of its
 * instance type (`type`; t3.medium when absent), allocatable less
 * `reserved`, as a kubelet with kube/system-reserved reports it.
 */
export function workerNode(
  instance: Instance,
  options: Pick<JoinAgentOptions, 'capacity' | 'allocatable' | 'taints' | 'reserved'>,
  type: WorkerType = T3_MEDIUM,
): V1Node {
  const id = instance.InstanceId ?? '';
  const zone = instance.Placement?.AvailabilityZone ?? 'unknown';
  const capacityType = instance.InstanceLifecycle === 'spot' ? 'spot' : 'on-demand';
  const reserved = options.reserved ?? DEFAULT_RESERVED;
  const capacity = options.capacity ?? { cpu: `${type.vcpu}`, memory: `${type.memoryMiB}Mi` };
  const allocatable = options.allocatable ?? {
    cpu: `${type.vcpu * 1000 - reserved.cpuMillis}m`,
    memory: `${type.memoryMiB - Math.ceil(reserved.memoryBytes / 1024 ** 2)}Mi`,
  };
  const arch = kubernetesArch(type.architecture);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id,
      labels: {
        'kubernetes.io/hostname': id,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': arch,
        'node.kubernetes.io/instance-type': instance.InstanceType ?? 't3.medium',
        'topology.kubernetes.io/zone': zone,
        'smartscale.io/capacity-type': capacityType,
        'smartscale.io/managed': 'true',
        type: 'kwok',
      },
      annotations: { [KWOK_NODE_ANNOTATION.key]: KWOK_NODE_ANNOTATION.value },
    },
    spec: {
      providerID: `aws:///${zone}/${id}`,
      ...(options.taints?.length
        ? {
            taints: options.taints.map((t) => ({
              key: t.key,
              effect: t.effect,
              ...(t.value ? { value: t.value } : {}),
            })),
          }
        : {}),
    },
    status: {
      capacity: { ...capacity, pods: '110' },
      allocatable: { ...allocatable, pods: '110' },
      nodeInfo: {
        architecture: arch,
        operatingSystem: 'linux',
        kubeletVersion: 'v1.35.4+k3s1',
        bootID: '',
        containerRuntimeVersion: '',
        kernelVersion: '',
        kubeProxyVersion: '',
        machineID: '',
        osImage: '',
        systemUUID: '',
      },
    },
  };
}

/** A running join agent; `stop()` ends its loop. */
export interface JoinAgent {
  /** Instances registered as Nodes so far (instance id -> ms from running to registered). */
  readonly joined: ReadonlyMap<string, number>;
  stop(): Promise<void>;
}

/**
 * Plays the worker's user data on the local environment: when a managed
 * instance runs in moto, after `bootSeconds` it registers a Node that kwok
 * then keeps Ready; when the instance is stopped or terminated its Node goes
 * NotReady, as a real kubelet that vanished would.
 */
export function startJoinAgent(options: JoinAgentOptions): JoinAgent {
  const core = options.kubeConfig.makeApiClient(CoreV1Api);
  const now = options.now ?? (() => new Date());
  const log = options.log ?? (() => {});
  const firstSeen = new Map<string, number>();
  const joined = new Map<string, number>();
  const lost = new Set<string>();
  // One DescribeInstanceTypes per type for the agent's life; a failed one is asked again.
  const types = new Map<string, Promise<WorkerType>>();
  const typeOf = (instanceType: string): Promise<WorkerType> => {
    let known = types.get(instanceType);
    if (known === undefined) {
      known = describeWorkerType(options.ec2, instanceType);
      types.set(instanceType, known);
      known.catch(() => types.delete(instanceType));
    }
    return known;
  };
  let running = true;
  const poll = new InstancePoll(options.ec2, [
    { Name: `tag:${FleetTag.Cluster}`, Values: [options.clusterId] },
    { Name: `tag:${FleetTag.Managed}`, Values: ['true'] },
  ]);

  const tick = async () => {
    const instances = await poll.read();
    const t = now().getTime();
    for (const instance of instances) {
      const id = instance.InstanceId;
      const state = instance.State?.Name;
      if (!id) continue;
      if (state === 'running' || state === 'pending') {
        if (!firstSeen.has(id)) firstSeen.set(id, t);
        const bootedFor = t - (firstSeen.get(id) ?? t);
        if (joined.has(id) || bootedFor < options.bootSeconds * 1000) continue;
        if (neverJoins(id, options.neverJoinShare) || options.neverJoin?.(id)) continue;
        try {
          const type = options.capacity
            ? undefined
            : await typeOf(instance.InstanceType ?? 't3.medium');
          await core.createNode({ body: workerNode(instance, options, type) });
          log(`join-agent: ${id} registered as a Node after ${Math.round(bootedFor / 1000)}s`);
        } catch (err) {
          if ((err as { code?: number }).code !== 409) throw err;
        }
        joined.set(id, bootedFor);
      } else if (
        // A stopped worker's kubelet stops posting status just like a
        // terminated one's: without this its kwok Node stayed Ready for
        // good, a ghost the reconciler rightly leaves alone while Ready
        // (found by the soak, issue #19).
        (state === 'terminated' ||
          state === 'shutting-down' ||
          state === 'stopping' ||
          state === 'stopped') &&
        joined.has(id) &&
        !lost.has(id)
      ) {
        lost.add(id);
        await markLost(core, id, state).catch(() => {});
        log(`join-agent: ${id} ${state}; its Node goes NotReady`);
      }
    }
  };

  const loop = (async () => {
    while (running) {
      await tick().catch((err: unknown) => log(`join-agent: ${(err as Error).message}`));
      await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
    }
  })();

  return {
    joined,
    async stop() {
      running = false;
      await loop;
    },
  };
}

async function markLost(core: CoreV1Api, nodeName: string, state: string): Promise<void> {
  // kwok stops heart-beating once the annotation is gone; the condition is
  // set at once so tests do not wait out the node-monitor grace period.
  await core.patchNode(
    { name: nodeName, body: { metadata: { annotations: { [KWOK_NODE_ANNOTATION.key]: null } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const at = new Date().toISOString();
  await core.patchNodeStatus(
    {
      name: nodeName,
      body: {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusUnknown',
              message: `instance ${state}`,
              lastHeartbeatTime: at,
              lastTransitionTime: at,
            },
          ],
        },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}
