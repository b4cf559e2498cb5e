import { bench, describe } from 'vitest';
import { BENCH_CASES, type BenchCase } from '../../src/core/bench/cases.js';
import { BENCH_MATRIX, runSweep, sweepWorkerUrl } from '../../src/core/sweep/index.js';

function sweepJobs2(): () => Promise<number> {
  return async () => {
    let n = 0;
    await runSweep(BENCH_MATRIX, { jobs: 2, onResult: (r) => (n += r.linux?.accesses ?? 0) });
    return n;
  };
}

/**
 * `pnpm bench` (vitest bench): the cases of `pcisim bench`, in this process (ops/s × the case's accesses
 * per run = accesses/s; BENCHMARKS.md lists them). `pcisim bench [--json]` runs the same cases one fresh
 * process each and prints median, accesses/s, ns per access and peak RSS.
 */
function register(c: BenchCase, opts: { iterations: number; time: number; warmupIterations: number }): void {
  const work = c.setup();
  bench(
    `${c.name}: ${c.description}`,
    async () => {
      await work();
    },
    { ...opts, warmupTime: 0 },
  );
}

let workerBuilt = true;
try {
  sweepWorkerUrl();
} catch {
  workerBuilt = false;
}

describe('boot', () => {
  for (const c of BENCH_CASES.filter((x) => x.name === 'q35-default' || x.name === 'q35-access-path' || x.name.startsWith('q35-lastbus-'))) {
    register(c, { iterations: 200, time: 1000, warmupIterations: 50 });
  }
});

describe('topology', () => {
  for (const c of BENCH_CASES.filter((x) => x.name === 'q35-largest' || x.name.startsWith('q35-buses-'))) {
    register(c, { iterations: 10, time: 1000, warmupIterations: 3 });
  }
});

describe('compare and sweep', () => {
  const compareCase = BENCH_CASES.find((x) => x.name === 'compare')!;
  register(compareCase, { iterations: 10, time: 1000, warmupIterations: 2 });
  register(BENCH_CASES.find((x) => x.name === 'sweep-1000-warm')!, { iterations: 3, time: 0, warmupIterations: 1 });
  // runSweep on 2 worker threads needs the compiled worker (tsc -b apps/boot)
  if (workerBuilt) {
    const work = sweepJobs2();
    bench('sweep-1000-jobs2: the same 1,000 scenarios on 2 worker threads (worker start-up included)', async () => void (await work()), {
      iterations: 3,
      time: 0,
      warmupIterations: 0,
      warmupTime: 0,
    });
  }
});
