// Spot prices from DescribeSpotPriceHistory on moto. What moto implements
// (moto 5.2.5): one entry per requested type and zone of the region, every
// price "0.00001" with the fixed timestamp 2006-01-02T15:04:05Z, and the
// product description always "Linux/UNIX (Amazon VPC)" whatever was asked;
// it keeps no history and ignores StartTime/EndTime. So this checks the
// call, the per-zone reduction and the cache, not real prices.
import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, SpotPriceCache } from '../../src/index.js';
import { motoClients } from './support.js';

let clients: AwsClients;
let calls = 0;

function counted(ec2: EC2Client): EC2Client {
  ec2.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'DescribeSpotPriceHistoryCommand') calls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countSpotPriceCalls' },
  );
  return ec2;
}

beforeAll(() => {
  clients = motoClients();
  counted(clients.ec2);
});
afterAll(() => clients.destroy());

describe('SpotPriceCache on moto', () => {
  it('reads the latest price per type and zone, and reuses it until the TTL passes', async () => {
    const clock = { now: new Date('2026-12-02T02:00:00Z') };
    const spot = new SpotPriceCache({ ec2: clients.ec2, ttlSeconds: 300, now: () => clock.now });
    const before = calls;
    const prices = await spot.latest(['t3.medium', 't3.large'], ['us-east-1a', 'us-east-1b']);
    expect(prices.map((p) => `${p.instanceType}/${p.zone}`).sort()).toEqual([
      't3.large/us-east-1a',
      't3.large/us-east-1b',
      't3.medium/us-east-1a',
      't3.medium/us-east-1b',
    ]);
    expect(prices.every((p) => p.hourlyUsd > 0)).toBe(true);
    const cheapest = await spot.cheapestByType(['t3.medium', 't3.large']);
    expect([...cheapest.keys()].sort()).toEqual(['t3.large', 't3.medium']);
    expect(calls - before).toBe(1);

    clock.now = new Date(clock.now.getTime() + 301_000);
    await spot.latest(['t3.large', 't3.medium']);
    expect(calls - before).toBe(2);
  });
});
