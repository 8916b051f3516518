// A real local run's decider inputs, replayed through the simulator's
// decider and the deployed decider's code: the two must decide alike.
//
// The fixture was recorded by `SMARTSCALE_RECORD_INPUTS=<file> npm run demo`
// (packages/local/src/services/service-process.ts): a first line with the
// policy configuration, then every body the decider's queue handed it with
// the time its batch arrived, gzipped. The run was on a loaded machine: the
// decider fell behind, so most later samples were stale when read.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import {
  type AnyEnvelope,
  type ClusterState,
  type Decision,
  type Envelope,
  emptyClusterState,
  parseDeliveredJson,
} from '@smartscale/contracts';
import { type Config, parseConfig, toOutcome, withInstanceOwnership } from '@smartscale/core';
import { describe, expect, it } from 'vitest';
import {
  type DeciderPorts,
  evaluateSample,
  recordOutcome,
} from '../../../../services/decider/decide-action.js';
import { SimulatedDecider } from '../../src/simulated-decider.js';

const FIXTURE = new URL('../fixtures/techflow-demo-decider-inputs.jsonl.gz', import.meta.url);

/** What the live run decided other than hold (out/demo-report.json of the recorded run). */
const LIVE_ACTIONS = [{ kind: 'scale-up', reasons: ['below-min', 'pending-pods'] }];

interface Input {
  readonly now: Date;
  readonly message: AnyEnvelope;
}

function loadRecording(): { config: Config; inputs: Input[] } {
  const lines = gunzipSync(readFileSync(FIXTURE)).toString('utf8').trim().split('\n');
  let config: Config | null = null;
  const inputs: Input[] = [];
  lines.forEach((line, i) => {
    const entry = JSON.parse(line) as { config?: unknown; receivedAt?: string; body?: string };
    // A decider restarted mid-run writes the configuration again; the first is the run's.
    if (entry.config !== undefined) {
      config ??= parseConfig(entry.config);
      return;
    }
    const delivered = parseDeliveredJson(entry.body ?? '');
    if (!delivered.ok || delivered.value.kind !== 'message')
      throw new Error(`${FIXTURE.pathname} line ${i + 1}: expected an inline message body`);
    inputs.push({ now: new Date(entry.receivedAt ?? ''), message: delivered.value.message });
  });
  if (!config) throw new Error(`${FIXTURE.pathname}: expected a first line with the config`);
  return { config, inputs };
}

/** One sample's outcome, compared across the two paths. */
interface Step {
  readonly status: string;
  readonly decision: Decision | null;
  readonly commands: readonly object[];
}

// Message ids are fresh ULIDs on each path; everything else must match.
const comparable = (m: AnyEnvelope) => ({
  type: m.type,
  actionId: m.actionId,
  causationId: m.causationId,
  occurredAt: m.occurredAt,
  payload: m.payload,
});

/**
 * Every worker of the run: all were launched by SmartScale and tagged so in
 * moto, which the deployed decider asks (`smartscaleInstances`) and marks
 * each sample's nodes with; the simulator is handed the samples so marked.
 */
function workersOf(inputs: readonly Input[]): Set<string> {
  return new Set(
    inputs.flatMap(({ message }) =>
      message.type === 'MetricsSampled'
        ? (message as Envelope<'MetricsSampled'>).payload.nodes.flatMap((n) =>
            n.instanceId ? [n.instanceId] : [],
          )
        : [],
    ),
  );
}

function throughSimulator(config: Config, clusterId: string, inputs: readonly Input[]) {
  const decider = new SimulatedDecider(config, clusterId);
  const ours = workersOf(inputs);
  const steps: Step[] = [];
  for (const { now, message } of inputs) {
    if (message.type === 'MetricsSampled') {
      const sample = message as Envelope<'MetricsSampled'>;
      const marked = { ...sample, payload: withInstanceOwnership(sample.payload, ours) };
      const e = decider.sample(marked, now);
      steps.push({ status: e.status, decision: e.decision, commands: e.commands.map(comparable) });
      continue;
    }
    const outcome = toOutcome(message);
    if (outcome) decider.outcome(outcome, now);
  }
  return { steps, state: decider.state };
}

async function throughDeployedDecider(config: Config, clusterId: string, inputs: readonly Input[]) {
  let state: ClusterState = emptyClusterState(clusterId);
  let now = new Date(0);
  let published: AnyEnvelope[] = [];
  const ports: DeciderPorts<string> = {
    config,
    now: () => now,
    acquireLock: async () => 'lease',
    releaseLock: async () => {},
    loadState: async () => state,
    smartscaleInstances: async () => workersOf(inputs),
    // The table's version bump is left out: the simulator keeps no table.
    saveState: async (next) => {
      state = next;
    },
    audit: async () => {},
    publish: async (message) => {
      published.push(message);
    },
  };
  const steps: Step[] = [];
  for (const input of inputs) {
    now = input.now;
    published = [];
    if (input.message.type !== 'MetricsSampled') {
      expect(await recordOutcome(input.message, ports)).toBe(true);
      continue;
    }
    const result = await evaluateSample(input.message as Envelope<'MetricsSampled'>, ports);
    if (result.status === 'lock-busy') throw new Error('the in-memory lock is never busy');
    steps.push({
      status: result.status,
      decision: result.status === 'decided' ? result.decision : null,
      commands: published.map(comparable),
    });
  }
  return { steps, state };
}

describe('a recorded local run, replayed', () => {
  const { config, inputs } = loadRecording();
  const clusterId = inputs[0]?.message.clusterId ?? '';

  it('holds real samples and outcomes: a scale-up, launches and joins', () => {
    const types = inputs.map((i) => i.message.type);
    expect(types.filter((t) => t === 'MetricsSampled').length).toBeGreaterThan(50);
    expect(types).toContain('InstancesLaunched');
    expect(types).toContain('NodeJoined');
  });

  it('the simulator and the deployed decider make the same decisions and commands, and end on the same ledger', async () => {
    const simulated = throughSimulator(config, clusterId, inputs);
    const deployed = await throughDeployedDecider(config, clusterId, inputs);
    expect(deployed.steps).toHaveLength(simulated.steps.length);
    deployed.steps.forEach((step, i) => {
      expect(step, `sample ${i + 1}`).toEqual(simulated.steps[i]);
    });
    expect(deployed.state).toEqual(simulated.state);
    // The replay acts as the live run did.
    const actions = simulated.steps
      .map((s) => s.decision)
      .filter((d): d is Decision => d !== null && d.kind !== 'hold')
      .map((d) => ({ kind: d.kind, reasons: d.reasons.map((r) => r.code) }));
    expect(actions).toEqual(LIVE_ACTIONS);
  });
});
