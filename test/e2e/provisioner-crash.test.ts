import { ClusterStateStore } from '@smartscale/aws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStack } from '../../packages/local/src/stack.ts';
import {
  auditOf,
  auditSince,
  eventually,
  launchedIds,
  liveInstances,
  startTestStack,
} from './support.ts';

// The provisioner dies (exit 137, nothing cleaned up) after RunInstances and
// before InstancesLaunched: the local runtime starts it again, the ScaleUp
// comes back after its visibility timeout, and the action must complete
// with the instances already launched, not with new ones.
let stack: LocalStack;
const logs: string[] = [];

beforeAll(async () => {
  stack = await startTestStack('crash', {
    visibilityTimeoutSeconds: 6,
    faults: { provisioner: 'crash-after-launch' },
    onServiceLog: (service, line) => {
      if (service === 'provisioner') logs.push(line);
    },
  });
}, 180_000);

afterAll(async () => {
  await stack?.stop();
});

describe('provisioner killed between launching and publishing', () => {
  it('launches nothing twice on redelivery and the action completes', async () => {
    // The empty cluster is below min 2: the first decision is a scale-up by 2.
    const audit = auditOf(stack);
    const decision = await eventually('the first scale-up decision', async () =>
      (await auditSince(stack)).find((e) => e.kind === 'decision' && e.summary === 'scale up by 2'),
    );
    const { actionId } = decision;

    await eventually('the provisioner crashed at the injected fault', async () =>
      logs.some((l) => l.includes('fault injected: crash-after-launch')),
    );
    await eventually(
      'the action closed by two NodeJoined',
      async () => {
        const entries = await audit.byAction(actionId);
        return entries.filter((e) => e.summary === 'NodeJoined').length === 2;
      },
      60_000,
    );

    expect(stack.services.restarts.provisioner).toBe(1);
    const entries = await audit.byAction(actionId);
    const launched = entries.filter((e) => e.summary === 'InstancesLaunched');
    // Only the redelivered ScaleUp published; it reports the crashed run's instances.
    expect(launched).toHaveLength(1);
    const reported = launchedIds(launched[0]);
    const instances = await liveInstances(stack, actionId);
    expect(instances.sort()).toEqual([...reported].sort());
    expect(instances).toHaveLength(2);
    const joined = entries
      .filter((e) => e.summary === 'NodeJoined')
      .map((e) => (e.detail as { payload: { instanceId: string } }).payload.instanceId);
    expect(joined.sort()).toEqual(instances.sort());

    const state = await new ClusterStateStore({
      documents: stack.aws.documents,
      tableName: stack.applied.tables.state.name,
    }).load(stack.clusterId);
    expect(state.inFlight.map((a) => a.actionId)).not.toContain(actionId);
    // Nothing else was launched for the cluster: min 2 was met by this action.
    expect(await liveInstances(stack)).toHaveLength(2);
  });
});
