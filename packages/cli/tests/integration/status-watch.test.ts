import { motoClients } from '@smartscale/aws/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLEAR_SCREEN, type Io, main } from '../../src/index.js';
import { deployForTest, smartscale, type TestDeployment } from './support.ts';

const clients = motoClients();
let deployment: TestDeployment;

beforeAll(async () => {
  deployment = await deployForTest(clients, 'watch', { queueVisibilitySeconds: 10 });
});

afterAll(() => {
  clients.destroy();
});

describe('smartscale status --watch', () => {
  it('redraws the status in place each interval and shows what changed in between', async () => {
    const frames: { at: number; text: string }[] = [];
    let pausing: Promise<unknown> | undefined;
    const io: Io = {
      out: (text) => {
        frames.push({ at: Date.now(), text });
        // A person pauses scaling while the watch runs: a later frame must show it.
        if (frames.length === 1)
          pausing = smartscale(
            'pause',
            '--reason',
            'watching',
            '--by',
            'carol',
            '--resources',
            deployment.resourcesFile,
          );
      },
      err: () => {},
    };
    const code = await main(
      [
        'status',
        '--watch',
        '--interval',
        '1',
        '--count',
        '3',
        '--resources',
        deployment.resourcesFile,
      ],
      io,
    );
    await pausing;
    expect(code).toBe(0);
    expect(frames).toHaveLength(3);
    for (const f of frames) {
      // Each frame clears the screen first, so it replaces the previous one.
      expect(f.text.startsWith(CLEAR_SCREEN)).toBe(true);
      expect(f.text).toContain(`cluster`);
      expect(f.text).toContain('in-flight actions');
      // No decider runs here: the last decision says so rather than going missing.
      expect(f.text).toMatch(/last decision\s+none yet/);
    }
    expect(frames[0]?.text).toContain('no (scaling active)');
    expect(frames[2]?.text).toContain('PAUSED by carol');
    // About the interval apart: refreshed on a timer, not in a tight loop.
    expect((frames[2]?.at ?? 0) - (frames[0]?.at ?? 0)).toBeGreaterThanOrEqual(1900);
  }, 30_000);

  it('refuses an interval that is not a positive number', async () => {
    const run = await smartscale(
      'status',
      '--watch',
      '--interval',
      '0',
      '--resources',
      deployment.resourcesFile,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("--interval '0' must be a positive number");
  });
});
