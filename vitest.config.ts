import { defineConfig } from 'vitest/config';

// Projects: `unit` is pure and fast (`npm run test:unit`); the others talk to
// real local servers (moto, kube-apiserver, Prometheus) started by their
// global setup.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/*/tests/unit/**/*.test.ts', 'services/*/tests/unit/**/*.test.ts'],
        },
      },
    ],
  },
});
