import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Each file runs in its own process: the local stack configures handlers through process.env.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 120_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      FRAMEBRIDGE_LOG_LEVEL: 'ERROR',
    },
  },
});
