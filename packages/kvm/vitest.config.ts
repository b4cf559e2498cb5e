import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@sim/source'] },
  test: {
    include: ['test/**/*.test.ts'],
    benchmark: { include: ['test/**/*.bench.ts'] },
    // no test leans on vitest's 5 s default: CI's two CPUs may be busy with other work
    testTimeout: 60_000,
    // a 1 MiB young generation makes the hot-path tests' allocation checks sensitive at ~2 M accesses
    // (one object per access would be dozens of scavenges) instead of ~10 M at V8's default
    execArgv: ['--max-semi-space-size=1'],
  },
});
