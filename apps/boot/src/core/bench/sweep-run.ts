/**
 * @module
 * `node dist/core/bench/sweep-run.js <jobs> [--fresh-machines]`: the bench sweep (1,000 scenarios) as `pcisim sweep
 * --jobs N` runs it in a fresh process; prints the simulated config accesses it made (firmware + linux, all
 * scenarios).
 */
import { BENCH_MATRIX, runSweep } from '../sweep/index.js';

const jobs = Number(process.argv[2] ?? '1');
let accesses = 0;
await runSweep(BENCH_MATRIX, {
  jobs,
  freshMachines: process.argv.includes('--fresh-machines'),
  onResult: (r) => {
    if (r.error !== undefined) throw new Error(`sweep scenario ${r.index}: ${r.error}`);
    accesses += r.linux!.accesses + r.firmware!.accesses;
  },
});
process.stdout.write(`${accesses}\n`);
