import type { CapacityType } from '@smartscale/contracts';
import type { ObservedInstance } from '@smartscale/core';

/** An EC2 instance as the fleet sees it. */
export interface FleetInstance {
  readonly instanceId: string;
  state: string;
  readonly launchedAt: string | null;
  /** The `smartscale:action-id` tag. */
  readonly actionId: string | null;
  readonly zone: string;
  readonly capacityType: CapacityType;
  /** The `smartscale:cluster` tag; another cluster's (or no) tag makes it not ours. */
  readonly clusterId: string | null;
  readonly instanceType: string;
  /** The `smartscale:slot` tag: the slot of its action it fills. */
  readonly slot?: number;
}

/** States of an instance that is on its way out or gone. */
const GONE = new Set(['shutting-down', 'terminated']);

/**
 * The cluster's EC2 workers in memory. Like packages/aws's fleet it acts
 * only on instances tagged with this cluster: terminating anything else is
 * refused and recorded, never done.
 */
export class InMemoryFleet {
  readonly instances = new Map<string, FleetInstance>();
  readonly terminated: string[] = [];
  readonly refused: string[] = [];
  /** Every RunInstances that launched something, by its client token (action and slot). */
  readonly launches = new Map<string, string[]>();
  #launched = 0;

  constructor(readonly clusterId: string) {}

  add(instance: Partial<FleetInstance> & { instanceId: string }): FleetInstance {
    const full: FleetInstance = {
      state: 'running',
      launchedAt: null,
      actionId: null,
      zone: 'us-east-1a',
      capacityType: 'on-demand',
      clusterId: this.clusterId,
      instanceType: 't3.medium',
      ...instance,
    };
    this.instances.set(full.instanceId, full);
    return full;
  }

  /** The instance if it is one of this cluster's. */
  ours(instanceId: string): FleetInstance | null {
    const found = this.instances.get(instanceId);
    return found && found.clusterId === this.clusterId ? found : null;
  }

  state(instanceId: string): string | undefined {
    return this.instances.get(instanceId)?.state;
  }

  /** Terminates this cluster's instances; others are refused. Terminating twice is harmless. */
  async terminate(instanceIds: readonly string[]): Promise<{ refused: string[] }> {
    const refused: string[] = [];
    for (const id of instanceIds) {
      const instance = this.ours(id);
      if (!instance) {
        refused.push(id);
        continue;
      }
      this.terminated.push(id);
      if (!GONE.has(instance.state)) instance.state = 'shutting-down';
    }
    this.refused.push(...refused);
    return { refused };
  }

  /**
   * Launches one worker for (actionId, slot) once, like RunInstances with a
   * client token: a repeat returns the first launch's instance.
   */
  launch(
    actionId: string,
    group: { zone: string; capacityType: CapacityType; slot: number },
    launchedAt: string,
  ): FleetInstance[] {
    const token = `${actionId}/${group.slot}`;
    const known = this.launches.get(token);
    if (known) return known.flatMap((id) => this.instances.get(id) ?? []);
    this.#launched += 1;
    const instanceId = `i-${(0xf0000 + this.#launched).toString(16).padStart(17, '0')}`;
    const instance = this.add({
      instanceId,
      state: 'pending',
      launchedAt,
      actionId,
      zone: group.zone,
      capacityType: group.capacityType,
      slot: group.slot,
    });
    this.launches.set(token, [instanceId]);
    return [instance];
  }

  /** This cluster's instances in every state, as the reconciler observes them. */
  async describe(): Promise<ObservedInstance[]> {
    return [...this.instances.values()]
      .filter((i) => i.clusterId === this.clusterId)
      .map(({ instanceId, state, actionId, launchedAt }) => ({
        instanceId,
        state,
        actionId,
        launchedAt,
      }));
  }

  /** Live instances of this cluster tagged with `actionId`, other than `except`. */
  live(actionId: string, except: string): FleetInstance[] {
    return [...this.instances.values()].filter(
      (i) =>
        i.clusterId === this.clusterId &&
        i.actionId === actionId &&
        i.instanceId !== except &&
        !GONE.has(i.state),
    );
  }
}
