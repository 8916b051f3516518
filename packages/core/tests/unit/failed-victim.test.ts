import { ClusterStateSchema, type Decision } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import {
  applyOutcome,
  defaultConfig as config,
  decide,
  expireStaleActions,
  parseConfig,
  pickVictim,
  startAction,
} from '../../src/index.js';
import { ago, NOW, node, pod, snapshot, state } from './fixtures.js';

const BACKOFF_MS = config.scaleDown.failedVictimBackoffSeconds * 1000;
const later = (ms: number) => new Date(NOW.getTime() + ms);
const idle = { cpu: 0.1, memory: 0.2 };
const pdbRefusal = {
  nodeName: 'placeholder',
  code: 'pdb-allows-no-disruption' as const,
  pod: 'shop/api-0',
  pdb: 'shop/api',
};

/** The refusals of a scale-down hold, or [] for any other decision. */
const refusalsOf = (d: Decision) => d.reasons.flatMap((r) => r.refusals ?? []);

describe('failed victims: the ledger remembers a failed drain', () => {
  it('records the node, its instance and the pod that stopped it when a scale-down fails at drain', () => {
    const victim = node();
    const decision: Decision = {
      kind: 'scale-down',
      victim: { nodeName: victim.name, instanceId: victim.instanceId as string },
      reasons: [{ code: 'victim-chosen', message: 'x' }],
    };
    const started = startAction(state(), decision, 'a-1', NOW);
    const failedAt = later(600_000);
    const failed = applyOutcome(
      started,
      {
        type: 'ActionFailed',
        actionId: 'a-1',
        step: 'drain',
        reason: 'drain not finished by the deadline',
        refusal: { ...pdbRefusal, nodeName: victim.name },
      },
      failedAt,
    );

    expect(failed.inFlight).toEqual([]);
    expect(failed.failedVictims).toEqual([
      {
        nodeName: victim.name,
        instanceId: victim.instanceId,
        actionId: 'a-1',
        failedAt: failedAt.toISOString(),
        reason: 'drain not finished by the deadline',
        refusal: { ...pdbRefusal, nodeName: victim.name },
      },
    ]);
    // The same ActionFailed again (SQS redelivery) records nothing more.
    expect(
      applyOutcome(
        failed,
        { type: 'ActionFailed', actionId: 'a-1', step: 'drain' },
        later(700_000),
      ),
    ).toBe(failed);
  });

  it('does not remember a failed scale-up or a removal as a failed victim', () => {
    const up = startAction(
      state(),
      { kind: 'scale-up', count: 1, reasons: [{ code: 'pending-pods', message: 'x' }] },
      'up-1',
      NOW,
    );
    const failedUp = applyOutcome(
      up,
      { type: 'ActionFailed', actionId: 'up-1', step: 'launch' },
      NOW,
    );
    expect(failedUp.failedVictims).toEqual([]);
    const victim = node();
    const down = startAction(
      state(),
      {
        kind: 'scale-down',
        victim: { nodeName: victim.name, instanceId: victim.instanceId as string },
        reasons: [{ code: 'victim-chosen', message: 'x' }],
      },
      'down-1',
      NOW,
    );
    expect(
      applyOutcome(down, { type: 'NodeRemoved', actionId: 'down-1' }, NOW).failedVictims,
    ).toEqual([]);
  });

  it('forgets failed drains past the ledger memory and keeps at most 50', () => {
    const many = Array.from({ length: 60 }, (_, i) => ({
      nodeName: `n-${i}`,
      actionId: `a-${i}`,
      failedAt: ago(60 - i),
    }));
    const old = { nodeName: 'n-old', actionId: 'a-old', failedAt: ago(7 * 3600) };
    const victim = node();
    const down = startAction(
      state({ failedVictims: [old, ...many] }),
      {
        kind: 'scale-down',
        victim: { nodeName: victim.name, instanceId: victim.instanceId as string },
        reasons: [{ code: 'victim-chosen', message: 'x' }],
      },
      'a-new',
      NOW,
    );
    const after = applyOutcome(
      down,
      { type: 'ActionFailed', actionId: 'a-new', step: 'drain' },
      NOW,
    );
    expect(after.failedVictims).toHaveLength(50);
    expect(after.failedVictims.at(-1)?.nodeName).toBe(victim.name);
    expect(after.failedVictims.some((f) => f.nodeName === 'n-old')).toBe(false);
  });

  it('reads a state written before failed victims were kept', () => {
    const { failedVictims: _, ...old } = state();
    expect(ClusterStateSchema.parse(old).failedVictims).toEqual([]);
  });
});

describe('failed victims: victim selection backs off', () => {
  it('refuses a node whose drain failed, naming the pod, the PDB and until when', () => {
    const failedNode = node();
    const other = node({ pods: [pod(), pod(), pod()] });
    const failure = {
      nodeName: failedNode.name,
      instanceId: failedNode.instanceId as string,
      actionId: 'a-1',
      failedAt: ago(60),
      refusal: { ...pdbRefusal, nodeName: failedNode.name },
    };
    const choice = pickVictim([failedNode, other], config, NOW, [failure]);

    expect(choice.ok && choice.node.name).toBe(other.name);
    const alone = pickVictim([failedNode], config, NOW, [failure]);
    expect(alone).toEqual({
      ok: false,
      reason: 'no-eligible-victim',
      rejected: [
        {
          nodeName: failedNode.name,
          code: 'recently-failed-drain',
          pod: 'shop/api-0',
          pdb: 'shop/api',
          until: new Date(Date.parse(ago(60)) + BACKOFF_MS).toISOString(),
        },
      ],
    });
  });

  it('does not hold a failure against a new instance that took the same node name', () => {
    const reborn = node();
    const failure = {
      nodeName: reborn.name,
      instanceId: 'i-gone',
      actionId: 'a-1',
      failedAt: ago(60),
    };
    expect(pickVictim([reborn], config, NOW, [failure]).ok).toBe(true);
  });

  it('bounds the backoff by the ledger memory (6 h) at start-up', () => {
    expect(() => parseConfig({ scaleDown: { failedVictimBackoffSeconds: 7 * 3600 } })).toThrow(
      /failedVictimBackoffSeconds/,
    );
    expect(parseConfig({}).scaleDown.failedVictimBackoffSeconds).toBe(1800);
  });
});

describe('failed victims: the livelock of issue #16', () => {
  it('a drain a PDB holds fails once; the same node is not picked again within the backoff, and is after it', () => {
    // The sample showed the budget allowing one disruption; by the drain it allowed none.
    const guarded = node({
      pods: [pod({ name: 'api-0', ownerReplicas: 2, hasPdb: true, pdbDisruptionsAllowed: 1 })],
    });
    const busy = [0, 1].map(() =>
      node({ pods: [pod({ cpuMillis: 600 }), pod({ cpuMillis: 600 })] }),
    );
    const cluster = snapshot([guarded, ...busy], [], idle);

    const first = decide(cluster, state(), config, NOW);
    expect(first.kind === 'scale-down' && first.victim.nodeName).toBe(guarded.name);

    let s = startAction(state(), first, 'drain-1', NOW);
    const failedAt = later(config.scaleDown.drainTimeoutSeconds * 1000);
    s = applyOutcome(
      s,
      {
        type: 'ActionFailed',
        actionId: 'drain-1',
        step: 'drain',
        reason: 'drain not finished by the deadline',
        refusal: { ...pdbRefusal, nodeName: guarded.name },
      },
      failedAt,
    );

    // Every sample until the backoff ends: the node is left alone, and the hold says why.
    for (const minutes of [1, 11, 29]) {
      const at = new Date(failedAt.getTime() + minutes * 60_000);
      const d = decide({ ...cluster, takenAt: at.toISOString() }, s, config, at);
      expect(d.kind === 'scale-down' && d.victim.nodeName, JSON.stringify(d)).not.toBe(
        guarded.name,
      );
      expect(refusalsOf(d), JSON.stringify(d.reasons)).toContainEqual(
        expect.objectContaining({
          nodeName: guarded.name,
          code: 'recently-failed-drain',
          pdb: 'shop/api',
        }),
      );
    }
    const after = new Date(failedAt.getTime() + BACKOFF_MS + 1000);
    const retry = decide({ ...cluster, takenAt: after.toISOString() }, s, config, after);
    expect(retry.kind === 'scale-down' && retry.victim.nodeName).toBe(guarded.name);
  });
});

describe('failed victims: a lost outcome', () => {
  it('an expired scale-down (its ActionFailed lost) backs off its node too', () => {
    const victim = node();
    const started = startAction(
      state(),
      {
        kind: 'scale-down',
        victim: { nodeName: victim.name, instanceId: victim.instanceId as string },
        reasons: [{ code: 'victim-chosen', message: 'x' }],
      },
      'lost-1',
      NOW,
    );
    const past = later(
      (config.scaleDown.drainTimeoutSeconds + config.reconcile.graceSeconds + 1) * 1000,
    );
    const { state: after, expired } = expireStaleActions(started, config, past);
    expect(expired.map((a) => a.actionId)).toEqual(['lost-1']);
    expect(after.failedVictims).toEqual([
      {
        nodeName: victim.name,
        instanceId: victim.instanceId,
        actionId: 'lost-1',
        failedAt: past.toISOString(),
        reason: 'no outcome by the drain deadline (expired)',
      },
    ]);
    expect(pickVictim([victim], config, past, after.failedVictims)).toMatchObject({
      ok: false,
      rejected: [{ nodeName: victim.name, code: 'recently-failed-drain' }],
    });
  });
});
