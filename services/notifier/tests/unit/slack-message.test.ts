import { createMessage } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { toSlackMessage } from '../../slack-message.js';

const now = new Date('2026-11-22T12:00:00Z');
const ctx = { clusterId: 'prod' };

describe('toSlackMessage', () => {
  it('tells what the reconciler repaired, why, and under which action', () => {
    const event = createMessage(
      'RepairMade',
      {
        code: 'ghost-node',
        nodeName: 'ip-10-0-1-7',
        instanceId: 'i-0123456789abcdef0',
        reason: 'Node ip-10-0-1-7: its instance i-0123456789abcdef0 is terminated',
      },
      { ...ctx, actionId: '01KBXEPQWR0000000000000ABC' },
      now,
    );
    const slack = toSlackMessage(event);
    expect(slack?.blocks[0]).toEqual({
      type: 'header',
      text: {
        type: 'plain_text',
        text: ':wrench: Repaired: deleted the Node of a worker that is gone',
      },
    });
    expect(slack?.text).toContain('its instance i-0123456789abcdef0 is terminated');
    expect(JSON.stringify(slack?.blocks[2])).toContain('01KBXEPQWR0000000000000ABC');
  });

  it('announces a scale-up with its reasons in Block Kit', () => {
    const event = createMessage(
      'DecisionMade',
      {
        decision: {
          kind: 'scale-up',
          count: 3,
          reasons: [{ code: 'pending-pods', message: '7 pod(s) unschedulable' }],
        },
        snapshotTakenAt: now.toISOString(),
        workers: 4,
      },
      ctx,
      now,
    );
    const msg = toSlackMessage(event);
    expect(msg?.blocks.map((b) => b.type)).toEqual(['header', 'section', 'context']);
    expect(msg?.text).toContain('Scaling up by 3 (from 4 workers)');
    expect(JSON.stringify(msg)).toContain('7 pod(s) unschedulable');
    expect(JSON.stringify(msg)).toContain(event.actionId);
  });

  it('names the instance types a scale-up chose (several types)', () => {
    const event = createMessage(
      'DecisionMade',
      {
        decision: {
          kind: 'scale-up',
          count: 3,
          launches: [
            { instanceType: 'm7g.large', count: 2 },
            { instanceType: 't3.large', count: 1 },
          ],
          reasons: [{ code: 'pending-pods', message: '5 pod(s) unschedulable' }],
        },
        snapshotTakenAt: now.toISOString(),
        workers: 4,
      },
      ctx,
      now,
    );
    expect(toSlackMessage(event)?.text).toContain(
      'Scaling up by 3: 2 x m7g.large + 1 x t3.large (from 4 workers)',
    );
  });

  it('warns at max and stays quiet on routine holds', () => {
    const hold = (code: 'at-max' | 'no-trigger') =>
      createMessage(
        'DecisionMade',
        {
          decision: { kind: 'hold', reasons: [{ code, message: 'm' }] },
          snapshotTakenAt: now.toISOString(),
          workers: 10,
        },
        ctx,
        now,
      );
    expect(toSlackMessage(hold('at-max'))?.text).toContain('At max workers (10)');
    expect(toSlackMessage(hold('no-trigger'))).toBeNull();
  });

  it('tells only the news a hold carries: unhostable owners and a scale-down hold per node (issue #16)', () => {
    const hold = (announce: boolean) =>
      createMessage(
        'DecisionMade',
        {
          decision: {
            kind: 'hold',
            reasons: [
              {
                code: 'pending-unhostable',
                message: 'm',
                announce,
                unhostable: [
                  {
                    pod: 'ml/train-1',
                    owner: 'ml/Job/train',
                    code: 'node-selector-unsatisfiable',
                    detail: 'nodeSelector gpu=a100',
                  },
                  {
                    pod: 'ml/train-2',
                    owner: 'ml/Job/train',
                    code: 'node-selector-unsatisfiable',
                    detail: 'nodeSelector gpu=a100',
                  },
                ],
              },
              {
                code: 'no-eligible-victim',
                message: 'm',
                announce,
                refusals: [
                  {
                    nodeName: 'w-1',
                    code: 'pdb-allows-no-disruption',
                    pod: 'shop/api-0',
                    pdb: 'shop/api',
                  },
                  {
                    nodeName: 'w-2',
                    code: 'recently-failed-drain',
                    until: '2026-01-01T10:30:00.000Z',
                  },
                ],
              },
            ],
          },
          snapshotTakenAt: now.toISOString(),
          workers: 4,
        },
        ctx,
        now,
      );
    expect(toSlackMessage(hold(false))).toBeNull();
    const text = toSlackMessage(hold(true))?.text ?? '';
    expect(text).toContain('2 pending pod(s) no new worker can host');
    // One line per owner, not per pod.
    expect(text.match(/ml\/Job\/train/g)).toHaveLength(1);
    expect(text).toContain('Scale-down held');
    expect(text).toContain('`w-1`: pdb-allows-no-disruption (pod shop/api-0, PDB shop/api)');
    expect(text).toContain('`w-2`: recently-failed-drain (until 2026-01-01T10:30:00.000Z)');
  });

  it('reports failures and interruptions', () => {
    expect(
      toSlackMessage(
        createMessage(
          'JoinFailed',
          { instanceId: 'i-0123456789abcdef0', reason: 'timeout', terminated: true },
          ctx,
          now,
        ),
      )?.text,
    ).toContain('failed to join');
    expect(
      toSlackMessage(
        createMessage(
          'InterruptionReceived',
          { instanceId: 'i-0123456789abcdef0', kind: 'spot-interruption', nodeName: 'n1' },
          ctx,
          now,
        ),
      )?.text,
    ).toContain('spot-interruption for i-0123456789abcdef0');
    expect(
      toSlackMessage(
        createMessage(
          'NodeJoined',
          { instanceId: 'i-0123456789abcdef0', nodeName: 'n1', joinSeconds: 80 },
          ctx,
          now,
        ),
      ),
    ).toBeNull();
  });
});

// Issue #21 item 11: text that comes from messages is shown, never parsed.
describe('Slack text from messages', () => {
  const failed = (reason: string, detail?: string) =>
    toSlackMessage(
      createMessage(
        'ActionFailed',
        { step: 'drain', reason, ...(detail !== undefined ? { detail } : {}) },
        ctx,
        now,
      ),
    );
  const sectionOf = (m: ReturnType<typeof failed>) =>
    (m?.blocks.find((b) => b.type === 'section') as { text: { text: string } } | undefined)?.text
      .text ?? '';

  it('cannot mention the channel or hide a link', () => {
    const m = failed('pod <!channel> & <https://evil.example|your bank>', 'node <@U123>');
    const all = JSON.stringify(m);
    expect(all).not.toMatch(/<!channel>|<@U123>|<https:/);
    expect(m?.text).toContain('&lt;!channel&gt; &amp; &lt;https://evil.example|your bank&gt;');
    expect(sectionOf(m)).toContain('&lt;!channel&gt;');
  });

  it("cuts to Slack's limits without splitting an emoji or an entity", () => {
    // The cut (2,999 units and the ellipsis) falls inside the emoji, then inside &amp;.
    for (const reason of [`${'x'.repeat(2998)}😀 more`, `${'x'.repeat(2997)}& more`]) {
      const m = failed(reason, 'y'.repeat(50_000));
      expect(m?.text.length).toBeLessThanOrEqual(40_000);
      expect(m?.text.endsWith('…')).toBe(true);
      const section = sectionOf(m);
      expect(section.length).toBeLessThanOrEqual(3000);
      expect(section).toBe(`${'x'.repeat(reason.startsWith('x'.repeat(2998)) ? 2998 : 2997)}…`);
      for (const cut of [m?.text ?? '', section])
        expect(() => encodeURIComponent(cut)).not.toThrow();
    }
  });

  it('never sends an empty section', () => {
    const m = failed(' ');
    expect(sectionOf(m).trim()).not.toBe('');
  });
});
