import { type AnyEnvelope, createMessage, type Envelope } from '@smartscale/contracts';
import { type ConfigInput, parseConfig } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import {
  classifyRefusal,
  fallbacks,
  isCapacityError,
  type LaunchGroup,
  missingSlots,
  type ProvisionerPorts,
  planSlots,
  provision,
  type Worker,
} from '../../launch-workers.js';

const zones = ['us-east-1a', 'us-east-1b'];
const now = new Date('2026-03-01T12:00:00Z');
// All new workers on spot, so the plan puts slots on spot in a, b, a, ...
const allSpot: ConfigInput = { purchase: { spotShare: 1, onDemandBase: 0 } };

function capacityError(): Error {
  return Object.assign(new Error('We currently do not have sufficient capacity'), {
    name: 'InsufficientInstanceCapacity',
  });
}

/**
 * A fleet that behaves like Ec2Fleet where it matters here: one launch is
 * recorded per (slot, zone, capacity type) and returned again on a repeat,
 * and `refuse` answers some pools with an error.
 */
function fakeFleet(
  options: {
    config?: ConfigInput;
    refuse?: (g: LaunchGroup) => Error | undefined;
    /** Live workers of other actions: EC2 lists them, the action's tag does not. */
    others?: Worker[];
  } = {},
) {
  const live: Worker[] = [];
  const records = new Map<string, Worker[]>();
  const launches: LaunchGroup[] = [];
  const published: AnyEnvelope[] = [];
  const delayed: { message: AnyEnvelope; delaySeconds: number }[] = [];
  let next = 0x1000;
  const ports: ProvisionerPorts = {
    config: parseConfig(options.config ?? allSpot),
    zones,
    now: () => now,
    findByAction: async () => [...live],
    describeWorkers: async () => [...(options.others ?? []), ...live],
    async launch(_actionId, group) {
      launches.push(group);
      expect(group.count).toBe(1);
      const key = `${group.slot}/${group.zone}/${group.capacityType}`;
      const done = records.get(key);
      if (done) return done;
      const refused = options.refuse?.(group);
      if (refused) throw refused;
      next += 1;
      const worker: Worker = {
        instanceId: `i-${next.toString(16).padStart(8, '0')}`,
        zone: group.zone,
        capacityType: group.capacityType,
        instanceType: 't3.medium',
        slot: group.slot,
      };
      live.push(worker);
      records.set(key, [worker]);
      return [worker];
    },
    async publish(message) {
      published.push(message);
    },
    async publishDelayed(message, delaySeconds) {
      // SQS DelaySeconds is an integer: a fraction is refused by SQS.
      expect(Number.isInteger(delaySeconds)).toBe(true);
      delayed.push({ message, delaySeconds });
    },
  };
  return { ports, live, launches, published, delayed };
}

function scaleUp(count: number): Envelope<'ScaleUp'> {
  return createMessage('ScaleUp', { count, reason: 'pending-pods' }, { clusterId: 'c1' }, now);
}

function only<T extends AnyEnvelope['type']>(messages: AnyEnvelope[], type: T): Envelope<T>[] {
  return messages.filter((m) => m.type === type) as unknown as Envelope<T>[];
}

const spotShortInA = (g: LaunchGroup) =>
  g.zone === 'us-east-1a' && g.capacityType === 'spot' ? capacityError() : undefined;

describe('provisioner rules', () => {
  it('falls back to other zones first, then the other capacity type', () => {
    expect(fallbacks('a', 'spot', ['a', 'b', 'c'])).toEqual([
      { zone: 'b', capacityType: 'spot' },
      { zone: 'c', capacityType: 'spot' },
      { zone: 'a', capacityType: 'on-demand' },
      { zone: 'b', capacityType: 'on-demand' },
      { zone: 'c', capacityType: 'on-demand' },
    ]);
  });

  it('tells capacity errors from other failures', () => {
    const err = (name: string) => Object.assign(new Error('x'), { name });
    expect(isCapacityError(err('InsufficientInstanceCapacity'), 'spot')).toBe(true);
    expect(isCapacityError({ Code: 'SpotMaxPriceTooLow' }, 'spot')).toBe(true);
    expect(isCapacityError(err('UnauthorizedOperation'), 'spot')).toBe(false);
    expect(isCapacityError(err('Throttling'), 'on-demand')).toBe(false);
    expect(isCapacityError(undefined, 'spot')).toBe(false);
  });

  it('reads quotas and the missing Spot role as refusals of the capacity type in every zone', () => {
    const err = (name: string, message = 'x') => Object.assign(new Error(message), { name });
    expect(classifyRefusal(err('InsufficientInstanceCapacity'), 'spot')?.scope).toBe('pool');
    expect(classifyRefusal(err('VcpuLimitExceeded'), 'on-demand')).toMatchObject({
      scope: 'capacity-type',
      reason: expect.stringContaining('On-Demand vCPU quota'),
    });
    expect(classifyRefusal(err('VcpuLimitExceeded'), 'spot')?.reason).toContain('Spot vCPU quota');
    expect(classifyRefusal(err('MaxSpotInstanceCountExceeded'), 'spot')).toMatchObject({
      scope: 'capacity-type',
      reason: expect.stringContaining('Service Quotas'),
    });
    // The code EC2 answers when it may not create the role for the caller.
    const noRoleCode = err(
      'AuthFailure.ServiceLinkedRoleCreationNotPermitted',
      'The provided credentials do not have permission to create the service-linked role for EC2 Spot Instances.',
    );
    const noRoleMessage = err(
      'UnauthorizedOperation',
      'You are not authorized to perform this operation: AWSServiceRoleForEC2Spot does not exist',
    );
    for (const e of [noRoleCode, noRoleMessage])
      expect(classifyRefusal(e, 'spot')).toMatchObject({
        error: e.name,
        scope: 'capacity-type',
        reason: expect.stringContaining(
          'aws iam create-service-linked-role --aws-service-name spot.amazonaws.com',
        ),
      });
    // Not the Spot role, or not a Spot launch: a broken deployment, not a pool to skip.
    expect(classifyRefusal(noRoleMessage, 'on-demand')).toBeUndefined();
    expect(
      classifyRefusal(
        err('UnauthorizedOperation', 'not authorized to perform ec2:RunInstances'),
        'spot',
      ),
    ).toBeUndefined();
  });

  it('finds the slots no live worker fills; untagged workers fill the lowest free ones', () => {
    const w = (slot?: number): Worker => ({
      instanceId: 'i-00000001',
      zone: 'a',
      capacityType: 'spot',
      instanceType: 't3.medium',
      ...(slot === undefined ? {} : { slot }),
    });
    expect(missingSlots(3, [])).toEqual([0, 1, 2]);
    expect(missingSlots(3, [w(1)])).toEqual([0, 2]);
    expect(missingSlots(3, [w(1), w()])).toEqual([2]);
    expect(missingSlots(2, [w(0), w(1), w()])).toEqual([]);
  });

  it("plans a replacement in the doomed worker's zone and capacity type", () => {
    const { ports } = fakeFleet({ config: { purchase: { spotShare: 0, onDemandBase: 0 } } });
    const replace = (payload: { zone?: string; capacityType?: 'spot' | 'on-demand' }) =>
      createMessage(
        'ReplaceCapacity',
        { replacedInstanceId: 'i-0abc12345', reason: 'spot-interruption', ...payload },
        { clusterId: 'c1' },
        now,
      );
    expect(
      planSlots(replace({ zone: 'us-east-1b', capacityType: 'spot' }), [0], [], ports),
    ).toEqual([{ slot: 0, zone: 'us-east-1b', capacityType: 'spot' }]);
    // Unknown zone or no hints: the purchase plan decides (here: all on-demand, zone a first).
    expect(planSlots(replace({ zone: 'eu-west-1a' }), [0], [], ports)).toEqual([
      { slot: 0, zone: 'us-east-1a', capacityType: 'on-demand' },
    ]);
    expect(planSlots(replace({}), [0], [], ports)).toEqual([
      { slot: 0, zone: 'us-east-1a', capacityType: 'on-demand' },
    ]);
  });
});

describe('provision', () => {
  it('launches nothing for a ScaleUp over workers.max and fails the action (issue #21)', async () => {
    const fleet = fakeFleet({ config: { ...allSpot, workers: { min: 0, max: 10 } } });
    const outcome = await provision(scaleUp(11), fleet.ports);
    expect(outcome.launched).toEqual([]);
    expect(fleet.launches).toEqual([]);
    const [failed] = only(fleet.published, 'ActionFailed');
    expect(failed?.payload).toMatchObject({ step: 'launch', reason: 'count-over-max' });
    expect(failed?.payload.detail).toBe(
      'ScaleUp asks for 11 workers, over workers.max 10: nothing launched',
    );
    // At the limit it launches.
    expect((await provision(scaleUp(10), fleet.ports)).launched).toHaveLength(10);
  });

  it('launches only up to workers.max when other launches filled the fleet before a late ScaleUp arrived', async () => {
    const worker = (n: number): Worker => ({
      instanceId: `i-other${n}`,
      zone: zones[n % 2] as string,
      capacityType: 'spot',
      instanceType: 't3.medium',
    });
    const config = { ...allSpot, workers: { min: 0, max: 10 } };
    // 9 live: room for one of the two the decider asked for.
    const nine = fakeFleet({ config, others: Array.from({ length: 9 }, (_, n) => worker(n)) });
    const partly = await provision(scaleUp(2), nine.ports);
    expect(partly.launched).toHaveLength(1);
    expect(partly.heldAtMax).toBe(1);
    const [launched] = only(nine.published, 'InstancesLaunched');
    expect(launched?.payload.instances).toHaveLength(1);
    expect(only(nine.published, 'ActionFailed')).toEqual([]);
    // A redelivery finds the fleet at max and its one worker already there.
    const again = await provision(scaleUp(2), nine.ports);
    expect(again.launched).toEqual([]);

    // 10 live: nothing launched, and the action fails, saying why.
    const ten = fakeFleet({ config, others: Array.from({ length: 10 }, (_, n) => worker(n)) });
    const none = await provision(scaleUp(2), ten.ports);
    expect(none.launched).toEqual([]);
    expect(ten.launches).toEqual([]);
    const [failed] = only(ten.published, 'ActionFailed');
    expect(failed?.payload).toMatchObject({ step: 'launch', reason: 'at-max' });
    expect(failed?.payload.detail).toContain('10 are live, workers.max is 10: nothing launched');
    expect(only(ten.published, 'InstancesLaunched')).toEqual([]);
  });

  it('launches a replacement at max: it may go one over while the interrupted worker drains', async () => {
    const fleet = fakeFleet({
      config: { ...allSpot, workers: { min: 0, max: 2 } },
      others: [
        {
          instanceId: 'i-0d00000000000001',
          zone: 'us-east-1a',
          capacityType: 'spot',
          instanceType: 't3.medium',
        },
        {
          instanceId: 'i-0e00000000000002',
          zone: 'us-east-1b',
          capacityType: 'spot',
          instanceType: 't3.medium',
        },
      ],
    });
    const replace = createMessage(
      'ReplaceCapacity',
      {
        replacedInstanceId: 'i-0d00000000000001',
        zone: 'us-east-1a',
        capacityType: 'spot',
        reason: 'spot-interruption',
      },
      { clusterId: 'c1' },
      now,
    );
    expect((await provision(replace, fleet.ports)).launched).toHaveLength(1);
  });

  for (const count of [2, 3]) {
    it(`launches ${count} distinct workers when spot in one zone is short, each reported once`, async () => {
      const fleet = fakeFleet({ refuse: spotShortInA });
      const command = scaleUp(count);
      const outcome = await provision(command, fleet.ports);

      const ids = outcome.launched.map((w) => w.instanceId);
      expect(new Set(ids).size).toBe(count);
      expect(fleet.live).toHaveLength(count);
      // Every attempt is its own launch: no (slot, zone, type) tried twice.
      const keys = fleet.launches.map((g) => `${g.slot}/${g.zone}/${g.capacityType}`);
      expect(new Set(keys).size).toBe(keys.length);

      const [launched] = only(fleet.published, 'InstancesLaunched');
      expect(launched?.payload.instances.map((i) => i.instanceId).sort()).toEqual([...ids].sort());
      expect(launched?.payload.unavailablePools).toEqual([
        {
          zone: 'us-east-1a',
          capacityType: 'spot',
          error: 'InsufficientInstanceCapacity',
          reason: 'EC2 has no capacity for this instance type in this zone now',
        },
      ]);
      const verify = fleet.delayed.map((d) => d.message as Envelope<'VerifyJoin'>);
      expect(verify).toHaveLength(1);
      expect(verify[0]?.payload.instanceIds.sort()).toEqual([...ids].sort());
      expect(only(fleet.published, 'ActionFailed')).toHaveLength(0);
    });
  }

  it('launches nothing new when the same ScaleUp is delivered again', async () => {
    const fleet = fakeFleet({ refuse: spotShortInA });
    const command = scaleUp(3);
    const first = await provision(command, fleet.ports);
    const launchesBefore = fleet.launches.length;
    const again = await provision(command, fleet.ports);
    expect(again.launched).toEqual([]);
    expect(fleet.launches).toHaveLength(launchesBefore);
    expect(fleet.live).toHaveLength(3);
    const reports = only(fleet.published, 'InstancesLaunched');
    expect(reports[1]?.payload.instances.map((i) => i.instanceId).sort()).toEqual(
      first.launched.map((w) => w.instanceId).sort(),
    );
  });

  it('launches only the empty slot after a delivery that stopped half way', async () => {
    let failSlot1 = true;
    const fleet = fakeFleet({
      refuse: (g) => {
        if (g.slot === 1 && failSlot1)
          return Object.assign(new Error('boom'), { name: 'Throttling' });
        return undefined;
      },
    });
    const command = scaleUp(2);
    await expect(provision(command, fleet.ports)).rejects.toThrow('boom');
    expect(fleet.live.map((w) => w.slot)).toEqual([0]);
    failSlot1 = false;
    await provision(command, fleet.ports);
    expect(fleet.live.map((w) => w.slot).sort()).toEqual([0, 1]);
    const [launched] = only(fleet.published, 'InstancesLaunched');
    expect(launched?.payload.instances).toHaveLength(2);
  });

  it('replaces a worker in its own zone and capacity type first, then falls back', async () => {
    const fleet = fakeFleet({
      config: { purchase: { spotShare: 0, onDemandBase: 0 } },
      refuse: (g) =>
        g.zone === 'us-east-1b' && g.capacityType === 'spot' ? capacityError() : undefined,
    });
    const command = createMessage(
      'ReplaceCapacity',
      {
        replacedInstanceId: 'i-0abc12345',
        zone: 'us-east-1b',
        capacityType: 'spot',
        reason: 'spot-interruption',
      },
      { clusterId: 'c1' },
      now,
    );
    const outcome = await provision(command, fleet.ports);
    expect(fleet.launches.map((g) => `${g.zone}/${g.capacityType}`)).toEqual([
      'us-east-1b/spot',
      'us-east-1a/spot',
    ]);
    expect(outcome.launched).toHaveLength(1);
    expect(outcome.launched[0]).toMatchObject({ zone: 'us-east-1a', capacityType: 'spot' });
  });

  it('reports ActionFailed naming every refusing pool when no pool has capacity', async () => {
    const fleet = fakeFleet({ refuse: () => capacityError() });
    await provision(scaleUp(2), fleet.ports);
    expect(only(fleet.published, 'InstancesLaunched')).toHaveLength(0);
    expect(fleet.delayed).toHaveLength(0);
    const [failed] = only(fleet.published, 'ActionFailed');
    expect(failed?.payload.reason).toBe('insufficient-capacity');
    for (const pool of ['spot in us-east-1a', 'spot in us-east-1b', 'on-demand in us-east-1a'])
      expect(failed?.payload.detail).toContain(pool);
  });

  it('launches on-demand when the Spot role is missing, trying spot once per slot at most and reporting every spot pool', async () => {
    const noRole = () =>
      Object.assign(
        new Error(
          'The provided credentials do not have permission to create the service-linked role for EC2 Spot Instances.',
        ),
        { name: 'AuthFailure.ServiceLinkedRoleCreationNotPermitted' },
      );
    const fleet = fakeFleet({ refuse: (g) => (g.capacityType === 'spot' ? noRole() : undefined) });
    const outcome = await provision(scaleUp(3), fleet.ports);
    expect(outcome.launched.map((w) => w.capacityType)).toEqual([
      'on-demand',
      'on-demand',
      'on-demand',
    ]);
    // Zone balance is kept: the slots' own zones (a, b, a) on-demand.
    expect(outcome.launched.map((w) => w.zone).sort()).toEqual([
      'us-east-1a',
      'us-east-1a',
      'us-east-1b',
    ]);
    // Spot in the other zone is never tried after the role refusal.
    expect(fleet.launches.filter((g) => g.capacityType === 'spot').length).toBeLessThanOrEqual(3);
    for (const slot of [0, 1, 2])
      expect(
        fleet.launches.filter((g) => g.slot === slot && g.capacityType === 'spot'),
      ).toHaveLength(1);
    const [launched] = only(fleet.published, 'InstancesLaunched');
    expect(launched?.payload.unavailablePools.map((p) => `${p.zone}/${p.capacityType}`)).toEqual([
      'us-east-1a/spot',
      'us-east-1b/spot',
    ]);
    expect(launched?.payload.unavailablePools[0]?.reason).toContain('AWSServiceRoleForEC2Spot');
  });

  it('falls back to spot when the On-Demand vCPU quota is used up, and fails the action naming the quota when spot is short too', async () => {
    const quota = () =>
      Object.assign(
        new Error('You have requested more vCPU capacity than your current vCPU limit'),
        { name: 'VcpuLimitExceeded' },
      );
    const onDemandOnly = { purchase: { spotShare: 0, onDemandBase: 0 } };
    const fleet = fakeFleet({
      config: onDemandOnly,
      refuse: (g) => (g.capacityType === 'on-demand' ? quota() : undefined),
    });
    const outcome = await provision(scaleUp(1), fleet.ports);
    expect(fleet.launches.map((g) => `${g.zone}/${g.capacityType}`)).toEqual([
      'us-east-1a/on-demand',
      'us-east-1a/spot',
    ]);
    expect(outcome.launched[0]).toMatchObject({ capacityType: 'spot', zone: 'us-east-1a' });
    expect(outcome.unavailablePools.map((p) => p.error)).toEqual([
      'VcpuLimitExceeded',
      'VcpuLimitExceeded',
    ]);

    const none = fakeFleet({
      config: onDemandOnly,
      refuse: (g) => (g.capacityType === 'on-demand' ? quota() : capacityError()),
    });
    await provision(scaleUp(1), none.ports);
    const [failed] = only(none.published, 'ActionFailed');
    expect(failed?.payload.detail).toContain('On-Demand vCPU quota');
    expect(failed?.payload.detail).toContain('spot in us-east-1b: InsufficientInstanceCapacity');
  });

  it('does not hide other permission errors behind on-demand launches', async () => {
    const fleet = fakeFleet({
      refuse: () =>
        Object.assign(new Error('You are not authorized to perform this operation.'), {
          name: 'UnauthorizedOperation',
        }),
    });
    await expect(provision(scaleUp(1), fleet.ports)).rejects.toThrow('not authorized');
    expect(fleet.launches).toHaveLength(1);
    expect(fleet.published).toHaveLength(0);
  });

  it('delays VerifyJoin by whole seconds when the boot time is a fraction', async () => {
    const fleet = fakeFleet({ config: { ...allSpot, instance: { bootSeconds: 1.5 } } });
    await provision(scaleUp(1), fleet.ports);
    expect(fleet.delayed.map((d) => d.delaySeconds)).toEqual([2]);
    const verify = fleet.delayed[0]?.message as Envelope<'VerifyJoin'>;
    // The deadline keeps the exact boot time; only the delivery delay rounds.
    expect(Date.parse(verify.payload.deadline) - now.getTime()).toBe(
      (1.5 + fleet.ports.config.join.timeoutSeconds) * 1000,
    );
  });
});
