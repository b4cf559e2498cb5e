import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@sim/source'] },
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['test/**/*.bench.ts'] },
    // no test leans on vitest's 5 s default: CI's two CPUs may be busy with other work
    testTimeout: 60_000,
  },
});
