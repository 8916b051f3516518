import { defineConfig } from 'vitest/config';

// Projects: `unit` is pure and fast (`npm run test:unit`); the others talk to
// real local servers (moto, kube-apiserver, Prometheus) started by their
// global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          // The services end to end on the whole local stack (moto, control
          // plane, Prometheus); each file starts its own stack.
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          // Reports rendered in a real headless Chromium (Debian's package,
          // installed by scripts/bootstrap.mjs); screenshots land in out/.
          name: 'browser',
          include: ['packages/*/tests/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // Offline checks of the AWS deployment (SST types generated from npm).
          name: 'deploy',
          include: ['stacks/tests/deploy/**/*.test.ts'],
          testTimeout: 600_000,
        },
      },
      {
        test: {
          name: 'unit',
          include: [
            'packages/*/tests/unit/**/*.test.ts',
            'services/*/tests/unit/**/*.test.ts',
            'stacks/tests/unit/**/*.test.ts',
          ],
        },
      },
      {
        test: {
          // A real moto server (installed into a cached virtualenv on first
          // use), started once; each test file applies stacks/topology.ts
          // under its own prefix.
          name: 'aws',
          include: [
            'packages/aws/tests/integration/**/*.test.ts',
            'packages/cli/tests/integration/**/*.test.ts',
            'packages/local/tests/integration/aws-*.test.ts',
            'services/*/tests/integration/**/*.test.ts',
          ],
          globalSetup: ['packages/aws/tests/aws.global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          // A real kube-apiserver (kine, controller-manager, scheduler, kwok)
          // and Prometheus, started once for the project by its global setup.
          name: 'cluster',
          include: [
            'packages/k8s/tests/integration/**/*.test.ts',
            'packages/metrics/tests/integration/**/*.test.ts',
            'packages/local/tests/integration/cluster*.test.ts',
            'services/*/tests/cluster/**/*.test.ts',
            // Needs moto too: it starts its own.
            'packages/cli/tests/cluster/**/*.test.ts',
          ],
          globalSetup: ['packages/local/tests/cluster.global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
