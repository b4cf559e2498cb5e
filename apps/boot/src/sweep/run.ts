/**
 * @module
 * `runSweep()`: boot every scenario of a matrix on `jobs` threads (this one and `jobs - 1` workers), and hand
 * back one result per scenario in matrix order, whatever order the threads finish in. The results are the
 * same, byte for byte, for every `jobs` (each boot is deterministic and self-contained).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bootScenario } from '../boot.js';
import { MachineCache, type MachineCacheStats } from '../machine-cache.js';
import type { ExitTally } from '../report/types.js';
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
  /** machines built, and boots on a restored one, over all threads (see {@link MachineCache}) */
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
    for (let i = 0; i < total; i++) emit(runScenario(m, i, machines));
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
  const dist = new URL('../../dist/sweep/worker.js', import.meta.url);
  if (existsSync(fileURLToPath(dist))) return dist;
  throw new Error(`pcisim sweep: no compiled worker at ${fileURLToPath(here)}; build apps/boot first (tsc -b)`);
}

/** Messages between runSweep and its workers. */
export type ToWorker = { start: number; end: number } | { stop: true };
export type FromWorker = { start: number; results: SweepResult[]; machines: MachineCacheStats | null } | { fatal: string };
/** What a worker is started with. */
export interface WorkerInit {
  matrix: SweepMatrix;
  freshMachines: boolean;
}

/**
 * `jobs` threads booting: this one and `jobs - 1` workers. Chunks of scenarios go to whichever thread is
 * free (a worker keeps two queued so it never waits for this thread); results are reported in matrix order.
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
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const workers: Worker[] = [];
  const fail = (e: unknown): void => {
    failure ??= e instanceof Error ? e : new Error(String(e));
    wake?.();
  };
  const take = (size: number): [number, number] | null => {
    if (nextToSend >= total) return null;
    const start = nextToSend;
    nextToSend = Math.min(total, start + size);
    return [start, nextToSend];
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
    if (c) w.postMessage({ start: c[0], end: c[1] } satisfies ToWorker);
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
        msg.results.forEach((r, k) => (pending[msg.start + k] = r));
        if (msg.machines) workerStats[slot] = msg.machines;
        feed(w);
        flush();
      });
      w.on('error', fail);
      w.on('exit', (code) => {
        if (nextToEmit < total && code !== 0) fail(new Error(`pcisim sweep: worker exited with status ${code}`));
      });
    }
    // two chunks each: a worker starts its second while the first's results travel back
    for (const w of workers) feed(w);
    for (const w of workers) feed(w);
    // this thread boots smaller chunks, and lets the workers' messages in between
    const own = Math.max(1, chunk >> 1);
    for (;;) {
      if (failure !== null) throw failure;
      const c = take(own);
      if (c === null) break;
      for (let i = c[0]; i < c[1]; i++) pending[i] = runScenario(m, i, machines);
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
