/// <reference path="./.sst/platform/config.d.ts" />
// SmartScale on AWS. This file only wires what stacks/ declares; the
// resources themselves come from stacks/topology.ts, the same declaration the
// local environment applies to moto.
export default $config({
  app(input) {
    return {
      name: 'smartscale',
      home: 'aws',
      removal: input?.stage === 'production' ? 'retain' : 'remove',
      protect: input?.stage === 'production',
    };
  },
  async run() {
    const { readDeploySettings } = await import('./stacks/settings.ts');
    const { assertPrefix } = await import('./stacks/topology.ts');
    const { deploymentPlan } = await import('./stacks/plan.ts');
    const { createMessaging, createMessagingPolicies } = await import('./stacks/messaging.ts');
    const { createTables } = await import('./stacks/data.ts');
    const { createBuckets } = await import('./stacks/storage.ts');
    const { createFunctions } = await import('./stacks/functions.ts');
    const { createAlarms } = await import('./stacks/alarms.ts');

    const settings = readDeploySettings(process.env);
    const plan = deploymentPlan(assertPrefix(`smartscale-${$app.stage}`));
    const messaging = createMessaging(plan);
    const tables = createTables(plan);
    const buckets = createBuckets(plan);
    const { resources, roles } = createFunctions(plan, settings, messaging, tables, buckets);
    createMessagingPolicies(plan, messaging, roles, settings.serverRoleArn);
    const { dashboard } = createAlarms(plan, messaging.topics.alarms.arn);

    return {
      topics: Object.fromEntries(Object.entries(messaging.topics).map(([k, t]) => [k, t.arn])),
      dlqs: Object.fromEntries(Object.entries(messaging.dlqs).map(([k, q]) => [k, q.url])),
      tables: Object.fromEntries(Object.entries(tables).map(([k, t]) => [k, t.name])),
      buckets: Object.fromEntries(Object.entries(buckets).map(([k, b]) => [k, b.name])),
      dashboard: dashboard.dashboardName,
      // SMARTSCALE_RESOURCES for k3s/manifests/sampler-watch.yaml.
      resources,
    };
  },
});
