import { writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { motoClients } from '@smartscale/aws/test-support';
import { parseConfig } from '@smartscale/core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { livePolicy } from '../../../local/src/live/live-config.ts';
import { clusterStatus, resolveDeployment } from '../../src/index.js';
import { deployForTest, type TestDeployment } from './support.ts';

// `npx smartscale status` next to `npm start`: the state file the live stack
// writes carries the policy its services run with, and the cooldowns status
// prints are computed with that policy, not with the defaults.
const clients = motoClients();
let deployment: TestDeployment;
let dir: string;

beforeAll(async () => {
  deployment = await deployForTest(clients, 'livepolicy', { queueVisibilitySeconds: 10 });
  dir = await mkdtemp(join(tmpdir(), 'cli-local-policy-'));
});

afterAll(() => {
  clients.destroy();
});

/** A state file as `npm start` writes it, with or without the recorded policy. */
function stateFile(name: string, config: unknown | undefined): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    JSON.stringify({
      pid: process.pid,
      startedAt: new Date().toISOString(),
      parts: [
        {
          name: 'aws',
          details: {
            endpoint: inject('motoEndpoint'),
            region: 'us-east-1',
            resources: deployment.resources,
          },
          processes: [],
        },
        ...(config === undefined
          ? []
          : [{ name: 'smartscale', details: { config }, processes: [] }]),
      ],
    }),
  );
  return file;
}

describe('smartscale status on the npm start environment', () => {
  it('computes cooldowns with the policy npm start recorded, not the defaults', async () => {
    const clusterId = deployment.resources.clusterId;
    const now = new Date();
    const lastScaleDownAt = new Date(now.getTime() - 60_000).toISOString();
    const lastScaleUpAt = new Date(now.getTime() - 30_000).toISOString();
    // The decider's state as it is after a scale-up and a scale-down.
    const writer = resolveDeployment({ resourcesFile: deployment.resourcesFile });
    try {
      const lease = await writer.lock.acquire(clusterId, 'test');
      if (!lease) throw new Error('lock busy');
      const state = await writer.state.load(clusterId);
      await writer.state.save({ ...state, lastScaleDownAt, lastScaleUpAt }, lease);
      await writer.lock.release(clusterId, lease);
    } finally {
      writer.close();
    }

    const live = livePolicy({});
    const defaults = parseConfig({});
    // The live policy's point: scale-down waits 2 minutes, the default 10.
    expect(live.scaleDown.cooldownSeconds).not.toBe(defaults.scaleDown.cooldownSeconds);
    const until = (seconds: number, from: string) =>
      new Date(Date.parse(from) + seconds * 1000).toISOString();

    // The environment is given explicitly so SMARTSCALE_RESOURCES and
    // SMARTSCALE_CONFIG of this process (set by deployForTest) play no part.
    const local = resolveDeployment({ localStateFile: stateFile('live.json', live), env: {} });
    try {
      expect(local.config.scaleDown.cooldownSeconds).toBe(live.scaleDown.cooldownSeconds);
      const status = await clusterStatus(local, now);
      expect(status.cooldowns.scaleDown).toEqual({
        last: lastScaleDownAt,
        until: until(live.scaleDown.cooldownSeconds, lastScaleDownAt),
        skippedWhenSurplus: live.scaleDown.skipCooldownWhenSurplus,
      });
      expect(status.cooldowns.scaleUp.until).toBe(
        until(live.scaleUp.cooldownSeconds, lastScaleUpAt),
      );
    } finally {
      local.close();
    }

    // A state file from before the policy was recorded: the defaults, as before.
    const older = resolveDeployment({
      localStateFile: stateFile('older.json', undefined),
      env: {},
    });
    try {
      const status = await clusterStatus(older, now);
      expect(status.cooldowns.scaleDown.until).toBe(
        until(defaults.scaleDown.cooldownSeconds, lastScaleDownAt),
      );
    } finally {
      older.close();
    }
  });

  it('refuses a recorded policy that is not a config, naming the state file and the field', () => {
    const file = stateFile('bad.json', { scaleDown: { cooldownSeconds: 'soon' } });
    expect(() => resolveDeployment({ localStateFile: file, env: {} })).toThrow(
      new RegExp(`${file}: the recorded policy .*cooldownSeconds`),
    );
  });
});
