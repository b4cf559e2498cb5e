/**
 * @module
 * `runSweep()`: boot every scenario of a matrix on `jobs` threads (this one and `jobs - 1` workers), and hand
 * back one result per scenario in matrix order, whatever order the threads finish in. The results are the
 * same, byte for byte, for every `jobs` (each boot is deterministic and self-contained).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bootScenario } from '../boot-scenario.js';
import { MachineCache, type MachineCacheStats } from '../machine-cache.js';
import type { ExitTally } from '../report-types.js';
import { checkMatrix, matrixSize, resolveScenario, scenarioAt, type SweepMatrix, type SweepScenario } from './matrix.js';

/** One JSON line of `pcisim sweep`. */
export interface SweepResult {
  /** position in the matrix (first axis slowest) */
  index: number;
  scenario: SweepScenario;
  /** the linux phase, as `pcisim boot --json` reports it */
  linux?: { accesses: number; absent: number; exits: ExitTally; timeNs: number };
  /** the firmware phase's config accesses */
  firmware?: { accesses: number };
  /** why the scenario did not boot (QEMU's, KVM's or the guest's message) */
  error?: string;
}

export interface SweepOptions {
  /** threads booting scenarios: the calling thread and `jobs - 1` worker threads (default 1: no worker) */
  jobs?: number;
  /** each result, in matrix order */
  onResult?: (r: SweepResult) => void;
  /** after each result: how many are done out of how many */
  onProgress?: (done: number, total: number) => void;
  /** scenarios handed to a worker at a time (default: about 1/8 of a worker's share, 1..64) */
  chunk?: number;
  /**
   * build and realize a new machine for every scenario, instead of restoring the one an earlier scenario
   * with the same QEMU command line realized (the results are the same; this is slower)
   */
  freshMachines?: boolean;
}

export interface SweepSummary {
  scenarios: number;
  errors: number;
  jobs: number;
  wallMs: number;
  /** what the threads' caches did: machines built and reused, VMs powered on and restored (see {@link MachineCache}) */
  machines: MachineCacheStats;
}

/** Boots scenario `index` of `m` (already checked), on a machine from `machines` when given. */
export function runScenario(m: SweepMatrix, index: number, machines?: MachineCache): SweepResult {
  const scenario = scenarioAt(m, index);
  try {
    const r = resolveScenario(m, scenario);
    const b = bootScenario(r.scenario, {
      kvm: r.kvm,
      guestPatch: r.guestPatch,
      ...(r.costProfile !== undefined ? { costProfile: r.costProfile } : {}),
      ...(r.pvEnumeration ? { pvEnumeration: true } : {}),
      ...(machines ? { machines } : {}),
    });
    const l = b.report.phases.linux;
    const e = l.exits!;
    return {
      index,
      scenario,
      linux: {
        accesses: l.config.accesses.total,
        absent: l.config.absent,
        exits: { KVM_EXIT_IO: e.KVM_EXIT_IO, KVM_EXIT_MMIO: e.KVM_EXIT_MMIO, inKernel: e.inKernel, noExit: e.noExit },
        timeNs: l.timeNs!,
      },
      firmware: { accesses: b.report.phases.firmware.config.accesses.total },
    };
  } catch (err) {
    // QEMU's, KVM's and the guest's errors (they carry a `code`) as their message; anything else, a bug,
    // with its class name so that it does not pass for a refusal
    const e = err as { code?: unknown; name?: string; message?: string };
    const error = err instanceof Error ? (e.code !== undefined ? err.message : `${err.name}: ${err.message}`) : String(err);
    return { index, scenario, error };
  }
}

/** Scenarios each thread boots first, spread over the matrix (see {@link spreadSample}). */
const SAMPLE_PER_THREAD = 32;

/**
 * `n` scenario indices of `total` spread over the whole matrix: a Weyl sequence, k × p mod total with p near
 * total/φ and prime to it, so that every axis's values come up within the first few dozen (all of the bench
 * matrix's within 32). A thread boots these before the rest, in matrix order: V8 then optimizes the boot's
 * code with every device set, mitigation and guest already seen, instead of deoptimizing and compiling it
 * again as each first appears (a cold 1,000-scenario sweep: ~20 % less compile CPU, 10-15 % less time on one
 * CPU). The results are the same; only the order they are computed in changes.
 */
export function spreadSample(total: number, n: number): number[] {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  let p = Math.max(1, Math.round(total / 1.618033988749895));
  while (gcd(p, total) !== 1) p++;
  const out: number[] = [];
  for (let k = 0; k < Math.min(n, total); k++) out.push((k * p) % total);
  return out;
}

/** Boots every scenario of `matrix`; resolves once all are done and reported through `onResult`. */
export async function runSweep(matrix: SweepMatrix | unknown, opts: SweepOptions = {}): Promise<SweepSummary> {
  const m = checkMatrix(matrix);
  const total = matrixSize(m);
  const jobsWanted = opts.jobs ?? 1;
  if (!Number.isInteger(jobsWanted) || jobsWanted < 1) throw new RangeError(`jobs ${String(jobsWanted)}: must be an integer >= 1`);
  const jobs = Math.max(1, Math.min(jobsWanted, total));
  const t0 = performance.now();
  const machines = opts.freshMachines ? undefined : new MachineCache();
  const workerStats: MachineCacheStats[] = [];
  let errors = 0;
  let done = 0;
  const emit = (r: SweepResult): void => {
    if (r.error !== undefined) errors++;
    done++;
    opts.onResult?.(r);
    opts.onProgress?.(done, total);
  };
  if (jobs === 1) {
    // the sample first, its results held until their turn; then the rest in matrix order
    const held = new Map<number, SweepResult>();
    for (const i of spreadSample(total, SAMPLE_PER_THREAD)) held.set(i, runScenario(m, i, machines));
    for (let i = 0; i < total; i++) {
      const r = held.get(i);
      held.delete(i);
      emit(r ?? runScenario(m, i, machines));
    }
  } else {
    const chunk = opts.chunk ?? Math.max(1, Math.min(64, Math.ceil(total / (jobs * 8))));
    await runOnWorkers(m, total, jobs, chunk, machines, workerStats, emit);
  }
  const stats: MachineCacheStats = { built: 0, reused: 0, poweredOn: 0, restored: 0, refused: 0 };
  for (const st of [...(machines ? [machines.stats] : []), ...workerStats]) {
    for (const k of Object.keys(stats) as (keyof MachineCacheStats)[]) stats[k] += st[k];
  }
  return { scenarios: total, errors, jobs, wallMs: performance.now() - t0, machines: stats };
}

/** The compiled worker entry: next to this module, or in dist/ when this runs from the TypeScript sources. */
export function sweepWorkerUrl(): URL {
  const here = new URL('./worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const dist = new URL('../../../dist/core/sweep/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(dist))) return dist;
  throw new Error(`pcisim sweep: no compiled worker at ${fileURLToPath(here)}; build apps/boot first (tsc -b)`);
}

/** Messages between runSweep and its workers. */
export type ToWorker = { indices: number[] } | { stop: true };
export type FromWorker = { indices: number[]; results: SweepResult[]; machines: MachineCacheStats | null } | { fatal: string };
/** What a worker is started with. */
export interface WorkerInit {
  matrix: SweepMatrix;
  freshMachines: boolean;
}

/**
 * `jobs` threads booting: this one and `jobs - 1` workers. Each thread boots its share of a spread sample first
 * ({@link spreadSample}: every isolate compiles the code on its own), then chunks of consecutive scenarios go
 * to whichever thread is free (a worker keeps two queued so it never waits for this thread); results are
 * reported in matrix order.
 */
async function runOnWorkers(
  m: SweepMatrix,
  total: number,
  jobs: number,
  chunk: number,
  machines: MachineCache | undefined,
  workerStats: MachineCacheStats[],
  emit: (r: SweepResult) => void,
): Promise<void> {
  const url = sweepWorkerUrl();
  const pending: (SweepResult | undefined)[] = new Array<SweepResult | undefined>(total);
  let nextToEmit = 0;
  let nextToSend = 0;
  const sample = spreadSample(total, SAMPLE_PER_THREAD * jobs);
  const sampled = new Uint8Array(total);
  for (const i of sample) sampled[i] = 1;
  /** thread `j`'s share of the sample (this thread is 0) */
  const sampleOf = (j: number): number[] => sample.filter((_, k) => k % jobs === j);
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const workers: Worker[] = [];
  const fail = (e: unknown): void => {
    failure ??= e instanceof Error ? e : new Error(String(e));
    wake?.();
  };
  /** the next `size` scenarios in matrix order that are not in the sample; null when none are left */
  const take = (size: number): number[] | null => {
    const out: number[] = [];
    while (out.length < size && nextToSend < total) {
      if (sampled[nextToSend] === 0) out.push(nextToSend);
      nextToSend++;
    }
    return out.length > 0 ? out : null;
  };
  const flush = (): void => {
    while (failure === null && nextToEmit < total && pending[nextToEmit] !== undefined) {
      const r = pending[nextToEmit]!;
      pending[nextToEmit] = undefined;
      nextToEmit++;
      try {
        emit(r);
      } catch (e) {
        fail(e);
      }
    }
    if (nextToEmit === total) wake?.();
  };
  const feed = (w: Worker): void => {
    const c = take(chunk);
    if (c) w.postMessage({ indices: c } satisfies ToWorker);
  };
  try {
    for (let j = 1; j < jobs; j++) {
      const w = new Worker(url, { workerData: { matrix: m, freshMachines: machines === undefined } satisfies WorkerInit, execArgv: [] });
      const slot = workers.length;
      workers.push(w);
      w.on('message', (msg: FromWorker) => {
        if (failure !== null) return;
        if ('fatal' in msg) {
          fail(new Error(msg.fatal));
          return;
        }
        msg.results.forEach((r, k) => (pending[msg.indices[k]!] = r));
        if (msg.machines) workerStats[slot] = msg.machines;
        feed(w);
        flush();
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (nextToEmit < total && code !== 0) fail(new Error(`pcisim sweep: worker exited with status ${code}`));
      });
    }
    // its share of the sample, then a chunk: a worker starts the chunk while the sample's results travel back
    workers.forEach((w, j) => {
      const own = sampleOf(j + 1);
      if (own.length > 0) w.postMessage({ indices: own } satisfies ToWorker);
      else feed(w);
    });
    for (const w of workers) feed(w);
    for (const i of sampleOf(0)) pending[i] = runScenario(m, i, machines);
    flush();
    // this thread boots smaller chunks, and lets the workers' messages in between
    const own = Math.max(1, chunk >> 1);
    for (;;) {
      if (failure !== null) throw failure;
      const c = take(own);
      if (c === null) break;
      for (const i of c) pending[i] = runScenario(m, i, machines);
      flush();
      await new Promise<void>((r) => setImmediate(r));
    }
    while (failure === null && nextToEmit < total) {
      await new Promise<void>((r) => {
        wake = r;
      });
      wake = null;
    }
    if (failure !== null) throw failure;
  } finally {
    for (const w of workers) w.postMessage({ stop: true } satisfies ToWorker);
    if (failure !== null) for (const w of workers) void w.terminate();
  }
}
