// The local stack's once-a-second readers of EC2 (the join agent, the
// soak's monitor) see every instance of the cluster, terminated ones
// included, as an unfiltered DescribeInstances would. moto never forgets a
// terminated instance and serializes each one it returns at a few
// milliseconds of its single Python thread, so two such readers over a
// 60-minute soak (~150 launches) ended up holding moto's core and slowing
// every service's AWS calls behind them. This reader asks moto only for the
// instances not yet terminated, then once, by id, for those that left that
// set; terminated is final, so it keeps those itself.
import type { EC2Client, Filter, Instance } from '@aws-sdk/client-ec2';
import { describeInstances } from '@smartscale/aws';

const NOT_TERMINATED = ['pending', 'running', 'shutting-down', 'stopping', 'stopped'];

export class InstancePoll {
  readonly #ec2: EC2Client;
  readonly #filters: Filter[];
  readonly #terminated = new Map<string, Instance>();
  /** Ids not terminated at the last read; null before the first read. */
  #open: Set<string> | null = null;

  constructor(ec2: EC2Client, filters: Filter[]) {
    this.#ec2 = ec2;
    this.#filters = filters;
  }

  /** Every instance matching the filters, in any state, as EC2 (moto) holds them now. */
  async read(): Promise<Instance[]> {
    if (this.#open === null) {
      // The first read sees what was terminated before this reader started.
      return this.#settle(await this.#describe(this.#filters), []);
    }
    const current = await this.#describe([
      ...this.#filters,
      { Name: 'instance-state-name', Values: NOT_TERMINATED },
    ]);
    const present = new Set(current.map((i) => i.InstanceId));
    const left = [...this.#open].filter((id) => !present.has(id));
    // By filter, not InstanceIds: an id moto has forgotten answers nothing
    // instead of failing the call, and is simply not remembered.
    const since =
      left.length > 0
        ? await this.#describe([...this.#filters, { Name: 'instance-id', Values: left }])
        : [];
    return this.#settle(current, since);
  }

  #settle(current: Instance[], left: Instance[]): Instance[] {
    const open = new Set<string>();
    for (const i of [...current, ...left]) {
      if (!i.InstanceId) continue;
      if (i.State?.Name === 'terminated') this.#terminated.set(i.InstanceId, i);
      else open.add(i.InstanceId);
    }
    this.#open = open;
    const notTerminated = [...current, ...left].filter((i) => i.State?.Name !== 'terminated');
    return [...notTerminated, ...this.#terminated.values()];
  }

  async #describe(filters: Filter[]): Promise<Instance[]> {
    return describeInstances(this.#ec2, { Filters: filters });
  }
}
