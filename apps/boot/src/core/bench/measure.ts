/**
 * @module
 * Timing one bench case: warm-up runs, then timed runs until both the minimum count and the minimum time are
 * reached; the median of the timed runs is the figure. Wall time (performance.now), this thread only.
 */
import { childPeakRss, type BenchCase } from './cases.js';

/** One case's figures (`pcisim bench --json` → `cases[name]`). */
export interface BenchCaseResult {
  description: string;
  /** median wall time of one run of the case (ms) */
  medianMs: number;
  /** simulated config accesses (firmware + linux phases) per second of wall time, at the median */
  accessesPerSecond: number;
  /** wall time of a run ÷ simulated config accesses in it, at the median (ns) */
  nsPerAccess: number;
  /** peak resident set of the process that ran the case (bytes; a fresh process per case unless `isolate: false`) */
  peakRssBytes: number;
  /** simulated config accesses in one run */
  accesses: number;
  iterations: number;
  minMs: number;
  maxMs: number;
  note?: string;
}

const isPromise = (x: unknown): x is Promise<number> => typeof (x as Promise<number> | undefined)?.then === 'function';

/** Runs `c` and returns its figures. `scale` < 1 shortens it (tests). */
export async function measureCase(c: BenchCase, scale = 1): Promise<BenchCaseResult> {
  const work = c.setup();
  const warmup = Math.max(1, Math.ceil(c.warmup * scale));
  const minIterations = Math.max(1, Math.ceil(c.minIterations * scale));
  const minTimeMs = c.minTimeMs * scale;
  let accesses = 0;
  for (let i = 0; i < warmup; i++) {
    const r = work();
    accesses = isPromise(r) ? await r : r;
  }
  const times: number[] = [];
  const start = performance.now();
  while (times.length < minIterations || performance.now() - start < minTimeMs) {
    const t0 = performance.now();
    const r = work();
    const n = isPromise(r) ? await r : r;
    times.push(performance.now() - t0);
    if (n !== accesses) throw new Error(`bench ${c.name}: ${n} accesses in one run, ${accesses} in another: the case is not deterministic`);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const medianMs = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return {
    description: c.description,
    medianMs,
    accessesPerSecond: accesses / (medianMs / 1000),
    nsPerAccess: (medianMs * 1e6) / accesses,
    peakRssBytes: Math.max(process.resourceUsage().maxRSS * 1024, childPeakRss),
    accesses,
    iterations: times.length,
    minMs: times[0]!,
    maxMs: times[times.length - 1]!,
    ...(c.note !== undefined ? { note: c.note } : {}),
  };
}
