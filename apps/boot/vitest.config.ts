import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@sim/source'] },
  test: { include: ['test/**/*.test.ts'], benchmark: { include: ['test/**/*.bench.ts'] } },
});
