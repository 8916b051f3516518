import { createMessage, type NodeRefusal } from '@smartscale/contracts';
import { describe, expect, it } from 'vitest';
import { MAX_LISTED_REFUSALS, reasons } from '../../src/decide/reasons.js';
import { decide, parseConfig } from '../../src/index.js';
import { ago, MiB, NOW, node, pod, snapshot, state } from './fixtures.js';

// One refusal per passed-over node made a victim chosen among 1,000 nodes
// about 100 KB in DecisionMade and the audit (issue #16): what travels is
// capped, with counts of the rest.

/** `n` refusals: every `actionEvery`-th a PDB pinning its node, the rest young nodes. */
function refusals(n: number, actionEvery: number): NodeRefusal[] {
  return Array.from({ length: n }, (_, i) =>
    i % actionEvery === 0
      ? {
          nodeName: `n${i}`,
          code: 'pdb-allows-no-disruption',
          pod: `shop/api-${i}`,
          pdb: 'shop/api',
        }
      : { nodeName: `n${i}`, code: 'too-young' },
  );
}

describe('refusals a decision carries are capped', () => {
  it('up to the cap every refusal is listed, in snapshot order, with no counts', () => {
    const all = refusals(MAX_LISTED_REFUSALS, 7);
    const r = reasons.VictimChosen({ nodeName: 'v', podsToMove: 2, rejected: all, basis: 'usage' });
    expect(r.refusals).toEqual(all);
    expect(r.data).toEqual({ podsToMove: 2 });
  });

  it('past the cap: those a person can act on first, kept in snapshot order, and the rest counted by code', () => {
    const all = refusals(1000, 40); // 25 PDB refusals, 975 young nodes
    const r = reasons.VictimChosen({ nodeName: 'v', podsToMove: 2, rejected: all, basis: 'usage' });
    expect(r.refusals).toHaveLength(MAX_LISTED_REFUSALS);
    expect(r.refusals?.filter((f) => f.code === 'pdb-allows-no-disruption')).toHaveLength(25);
    const positions = (r.refusals ?? []).map((f) => Number(f.nodeName.slice(1)));
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(r.data).toEqual({
      podsToMove: 2,
      listed: 50,
      omitted: 950,
      byCode: 'too-young 975, pdb-allows-no-disruption 25',
    });
  });

  it('a hold describes the first ten in its sentence and counts the rest', () => {
    const all = refusals(300, 3);
    const r = reasons.NoEligibleVictim({ rejected: all, basis: 'usage' });
    expect(r.refusals).toHaveLength(50);
    expect(r.data).toMatchObject({ rejected: 300, listed: 50, omitted: 250 });
    expect(r.message).toMatch(
      /^no node can be removed safely \(n0: pdb-allows-no-disruption \(shop\/api-0, PDB shop\/api\), .*, and 290 more: too-young 200, pdb-allows-no-disruption 100\)$/,
    );
    expect(r.message.match(/n\d+:/g)).toHaveLength(10);
  });

  it('DecisionMade for a victim chosen among 1,000 nodes stays small', () => {
    const nodes = Array.from({ length: 1000 }, (_, i) =>
      i === 999
        ? node({ pods: [pod({ cpuMillis: 100, memoryBytes: 128 * MiB })] })
        : i % 2 === 0
          ? node({
              pods: [
                pod({
                  name: `api-${i}`,
                  cpuMillis: 100,
                  memoryBytes: 128 * MiB,
                  hasPdb: true,
                  pdbName: 'api',
                  pdbDisruptionsAllowed: 0,
                }),
              ],
            })
          : node({ createdAt: ago(60) }),
    );
    const config = parseConfig({ workers: { min: 1, max: 1200 } });
    const d = decide(snapshot(nodes, [], { cpu: 0.05, memory: 0.05 }), state(), config, NOW);
    expect(d.kind).toBe('scale-down');
    const chosen = d.reasons.find((r) => r.code === 'victim-chosen');
    expect(chosen?.refusals).toHaveLength(50);
    expect(chosen?.data).toMatchObject({ omitted: 949 });
    const message = createMessage(
      'DecisionMade',
      { decision: d, snapshotTakenAt: NOW.toISOString(), workers: 1000 },
      { clusterId: 'prod-eu' },
      NOW,
    );
    // 999 refusals took about 100 KB; 50 and the counts take a few.
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThan(12_000);
  });
});
