/**
 * @module
 * The benchmark cases of `pcisim bench`. Each case prepares its inputs once and returns a function that
 * does the measured work and says how many simulated PCI config accesses it made (firmware + linux
 * phases, the report's `config.accesses.total`), which is what "per access" divides by.
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { bootScenario } from '../boot-scenario.js';
import { compare } from '../compare.js';
import { parseQemuArgs } from '../scenario.js';
import { BENCH_MATRIX, runSweep } from '../sweep/index.js';
import { prepareReplay } from './replay.js';
import { largestTopologyArgs, topologyWithBuses } from './topology.js';

/** One measured unit of work; returns the simulated config accesses it made. */
export type BenchWork = () => number | Promise<number>;

export interface BenchCase {
  name: string;
  description: string;
  /** builds the inputs (not timed) and returns the work */
  setup: () => BenchWork;
  /** untimed runs first (JIT warm-up) */
  warmup: number;
  /** timed runs: at least this many … */
  minIterations: number;
  /** … and until this much time has passed (ms) */
  minTimeMs: number;
  /** what the access count covers, when it is not both phases of every boot */
  note?: string;
}

/** Both phases' config accesses of a boot. */
function bootAccesses(argv: string[]): BenchWork {
  const s = parseQemuArgs(argv);
  return () => {
    const r = bootScenario(s);
    return r.report.phases.firmware.config.accesses.total + r.report.phases.linux.config.accesses.total;
  };
}

const boot = (name: string, description: string, argv: string[], note?: string): BenchCase => ({
  name,
  description,
  setup: () => bootAccesses(argv),
  // V8 is still tiering a boot's ~500 functions up for the first ~1,000 boots (their median is 1.3-1.5× the
  // later ones'); a steady-state figure starts after them
  warmup: 1000,
  minIterations: 200,
  minTimeMs: 1500,
  ...(note !== undefined ? { note } : {}),
});

/** `-M q35 -append pci=lastbus=N`: Linux scans buses 0..N for peers */
const lastbus = (n: number): BenchCase =>
  boot(`q35-lastbus-${n}`, `q35 defaults, pci=lastbus=${n}: Linux's peer-bus scan covers ${n + 1} bus${n ? 'es' : ''}`, ['-M', 'q35', '-append', `pci=lastbus=${n}`]);

/** a topology with `n` buses in use (root ports, then bridges) */
const buses = (n: number): BenchCase => ({
  ...boot(`q35-buses-${n}`, `q35 -nodefaults with ${n} bus${n === 1 ? '' : 'es'} populated (${n - 1} bridge${n === 2 ? '' : 's'})`, topologyWithBuses(n)),
  warmup: n >= 64 ? 20 : 100,
  minIterations: n >= 64 ? 20 : 100,
});

export const BENCH_CASES: readonly BenchCase[] = [
  boot('q35-default', 'pcisim boot -M q35: KVM + q35 + SeaBIOS + Linux 6.1, in process', ['-M', 'q35']),
  {
    name: 'q35-access-path',
    description: "the access path alone: q35-default's 8,867 linux-phase accesses replayed on a booted machine (vCPU → KVM → QEMU → config space)",
    setup: () => {
      const r = prepareReplay(['-M', 'q35']);
      return () => {
        r.run();
        return r.accesses;
      };
    },
    warmup: 100,
    minIterations: 300,
    minTimeMs: 1500,
    note: 'accesses: the linux phase only (the replay has no firmware phase)',
  },
  {
    ...boot(
      'q35-largest',
      'the largest single-segment topology QEMU accepts: -nodefaults, 240 pcie-root-ports (slots 1-1e, all 8 functions), a pcie-pci-bridge and 14 pci-bridges: 256 buses',
      largestTopologyArgs(),
    ),
    warmup: 10,
    minIterations: 20,
    minTimeMs: 3000,
  },
  {
    name: 'compare',
    description: 'pcisim compare -M q35: 16 boots, one per mitigation set',
    setup: () => {
      const s = parseQemuArgs(['-M', 'q35']);
      return () => {
        const r = compare(s);
        return r.rows.reduce((n, row) => n + row.config.accesses.total, 0);
      };
    },
    warmup: 5,
    minIterations: 20,
    minTimeMs: 2000,
    note: 'accesses: the linux phase of each row (compare reports no firmware phase)',
  },
  {
    name: 'sweep-1000-warm',
    description: 'runSweep of the 1,000 bench scenarios on this thread, JIT already warm (the simulator alone)',
    setup: () => sweepWork(1),
    warmup: 1,
    minIterations: 3,
    minTimeMs: 0,
  },
  lastbus(0),
  lastbus(15),
  lastbus(63),
  lastbus(255),
  buses(1),
  buses(16),
  buses(64),
  buses(256),
];

/** How a cold sweep case runs: its thread count, new machines for every scenario, pinned to one CPU. */
export interface ColdSweepVariant {
  jobs: number;
  freshMachines?: boolean;
  /** `taskset -c 0`: the process (V8's compiler threads too) on one CPU */
  oneCpu?: boolean;
}

/** `pcisim sweep <1,000 scenarios> --jobs N` as a fresh process each run: start-up, JIT warm-up, workers. */
export function coldSweepCase(runner: string, v: ColdSweepVariant): BenchCase {
  const { jobs } = v;
  const name = `sweep-1000${jobs === 1 ? '' : `-jobs${jobs}`}${v.freshMachines ? '-fresh' : ''}${v.oneCpu ? '-1cpu' : ''}`;
  const how = [`--jobs ${jobs}`, ...(v.freshMachines ? ['--fresh-machines'] : []), ...(v.oneCpu ? ['pinned to one CPU (taskset -c 0)'] : [])].join(', ');
  return {
    name,
    description: `pcisim sweep of 1,000 q35 scenarios (5 topologies × 10 command lines × 10 KVM sets × 2 guests), ${how}, a fresh process each run`,
    setup: () => () => {
      const node = [process.execPath, '--import', pathToFileURL(runner.replace(/sweep-run\.js$/, 'rss-hook.js')).href, runner, String(jobs), ...(v.freshMachines ? ['--fresh-machines'] : [])];
      const r = v.oneCpu ? spawnSync('taskset', ['-c', '0', ...node], { encoding: 'utf8' }) : spawnSync(node[0]!, node.slice(1), { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`sweep-run (${how}) exited with ${r.status}: ${r.error?.message ?? r.stderr}`);
      const m = /pcisim-bench-maxrss=(\d+)/.exec(r.stderr);
      if (m) childPeakRss = Math.max(childPeakRss, Number(m[1]) * 1024);
      return Number(r.stdout.trim());
    },
    warmup: 0,
    minIterations: 5,
    minTimeMs: 0,
  };
}

function sweepWork(jobs: number): BenchWork {
  return async () => {
    let n = 0;
    await runSweep(BENCH_MATRIX, {
      jobs,
      onResult: (r) => {
        if (r.error !== undefined) throw new Error(`sweep scenario ${r.index}: ${r.error}`);
        n += r.linux!.accesses + r.firmware!.accesses;
      },
    });
    return n;
  };
}

/** `pcisim boot -M q35` as a fresh `node` process each time: start-up, module loading, JIT-cold boot, report. */
export function coldProcessCase(binPath: string, hookPath: string): BenchCase {
  return {
    name: 'cold-process',
    description: 'pcisim boot -M q35 as a cold process (node dist/bin.js), wall time from spawn to exit',
    setup: () => {
      const accesses = bootAccesses(['-M', 'q35'])();
      return () => {
        const r = spawnSync(process.execPath, ['--import', pathToFileURL(hookPath).href, binPath, 'boot', '-M', 'q35'], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`cold-process: pcisim boot exited with ${r.status}: ${r.stderr}`);
        const m = /pcisim-bench-maxrss=(\d+)/.exec(r.stderr);
        if (m) childPeakRss = Math.max(childPeakRss, Number(m[1]) * 1024);
        return accesses;
      };
    },
    warmup: 2,
    minIterations: 15,
    minTimeMs: 0,
  };
}

/** the largest maxRSS a spawned case process reported (bytes) */
export let childPeakRss = 0;
