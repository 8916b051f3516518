import { createMessage } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { defaultConfig as config, decide, evaluate, parseConfig } from '../../src/index.js';
import { ago, fullNodes, NOW, nodes, pending, snapshot, state } from './fixtures.js';

describe('stale samples', () => {
  it('holds a sample older than samples.maxAgeSeconds, naming its age and the limit', () => {
    const old = { ...snapshot(nodes(3), pending(4)), takenAt: ago(3600) };
    const decision = decide(old, state(), config, NOW);
    expect(decision.kind).toBe('hold');
    expect(decision.reasons).toEqual([
      expect.objectContaining({
        code: 'sample-stale',
        data: { ageSeconds: 3600, maxAgeSeconds: 120, takenAt: ago(3600) },
      }),
    ]);
    expect(decision.reasons[0]?.message).toContain('3600s');
    expect(decision.reasons[0]?.message).toContain('120s');
  });

  it('holds an idle fleet rather than drain on old data', () => {
    const idle = { ...snapshot(nodes(5), [], { cpu: 0.05, memory: 0.1 }), takenAt: ago(600) };
    expect(decide({ ...idle, takenAt: NOW.toISOString() }, state(), config, NOW).kind).toBe(
      'scale-down',
    );
    expect(decide(idle, state(), config, NOW).kind).toBe('hold');
  });

  it('decides a sample within the limit, and one taken ahead of the clock', () => {
    const at = (takenAt: string) => ({ ...snapshot(fullNodes(3), pending(4)), takenAt });
    expect(decide(at(ago(120)), state(), config, NOW).kind).toBe('scale-up');
    expect(decide(at(ago(-30)), state(), config, NOW).kind).toBe('scale-up');
    const strict = parseConfig({ samples: { maxAgeSeconds: 30 } });
    expect(decide(at(ago(31)), state(), strict, NOW).kind).toBe('hold');
  });

  it('refuses a negative limit at start-up, naming the setting', () => {
    expect(() => parseConfig({ samples: { maxAgeSeconds: -1 } })).toThrow(/samples\.maxAgeSeconds/);
  });

  it('evaluate passes over a stale sample no action of which was recorded: same ledger, nothing to send or audit', () => {
    const ledger = state();
    const old = createMessage(
      'MetricsSampled',
      { ...snapshot(nodes(3), pending(4)), takenAt: ago(3600) },
      { clusterId: ledger.clusterId },
      NOW,
    );
    const skipped = evaluate(ledger, old, config, NOW);
    expect(skipped).toMatchObject({ status: 'skipped-stale', commands: [], audit: [] });
    expect(skipped.state).toBe(ledger);
    // Fresh, the same cluster is decided.
    const fresh = { ...old, payload: { ...old.payload, takenAt: NOW.toISOString() } };
    expect(evaluate(ledger, fresh, config, NOW).status).toBe('decided');
  });
});
