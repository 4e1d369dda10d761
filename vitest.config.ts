// Test runner configuration: one real test stack (registries, token server, dockerd) started
// by the global setup for all test files; two workers to match the 2-core machines.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/stack/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // the global teardown stops dockerd, which can take several seconds
    teardownTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    server: {
      deps: {
        // it imports JSON without import attributes, which plain node refuses
        inline: ['@actions/workflow-parser'],
      },
    },
  },
});
