/**
 * @module
 * `pcisim bench [--json]`: how fast the simulator runs, case by case (see BENCHMARKS.md for the definitions).
 *
 * Each case runs in a fresh `node` process (its own JIT state and peak RSS), one after the other; when the
 * compiled child entry is not there (running from the TypeScript sources), in this process instead.
 * "Per access" is always: wall time of a run ÷ the simulated PCI config accesses it made (the boot report's
 * `config.accesses.total`, firmware + linux), at the median run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BENCH_CASES, coldProcessCase, coldSweepCase, type BenchCase, type ColdSweepVariant } from './cases.js';
import { measureCase, type BenchCaseResult } from './measure.js';
import { groupThousands } from '../../formats/number.js';

export { BENCH_CASES, type BenchCase } from './cases.js';
export { measureCase, type BenchCaseResult } from './measure.js';
export { topologyArgs, topologyWithBuses, largestTopologyArgs, MAX_ROOT_PORTS, type TopologyOptions } from './topology.js';

export interface BenchOptions {
  /** print JSON (`{ "cases": { name: { medianMs, accessesPerSecond, nsPerAccess, peakRssBytes, … } } }`) instead of a table */
  json?: boolean;
  /** only these cases (names or prefixes ending in `*`) */
  cases?: readonly string[];
  /** one fresh process per case (default: when the compiled child entry exists) */
  isolate?: boolean;
  /** shrink every case's iteration counts by this factor (e.g. 0.05 for a smoke test); default 1 */
  scale?: number;
  /** where the output goes (default: stdout) */
  write?: (s: string) => void;
  /** each case's figures as they come */
  onCase?: (name: string, r: BenchCaseResult) => void;
}

export interface BenchResult {
  schema: 'pcisim.bench/1';
  host: { nproc: number; cpu: string; node: string; platform: string };
  cases: Record<string, BenchCaseResult>;
}

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Every case, the cold-process one included when the compiled `pcisim` is there to spawn. */
export function benchCases(): BenchCase[] {
  const out = [...BENCH_CASES];
  const bin = here('../../bin.js');
  const hook = here('./rss-hook.js');
  const runner = here('./sweep-run.js');
  if (existsSync(bin) && existsSync(hook)) out.splice(1, 0, coldProcessCase(bin, hook));
  if (existsSync(runner) && existsSync(hook)) {
    const at = out.findIndex((c) => c.name === 'sweep-1000-warm');
    const variants: ColdSweepVariant[] = [{ jobs: 1 }, { jobs: 2 }, { jobs: 1, freshMachines: true }];
    // "on one core": only where taskset is (util-linux); the case is left out elsewhere
    if (spawnSync('taskset', ['-c', '0', 'true']).status === 0) variants.push({ jobs: 1, oneCpu: true });
    out.splice(at, 0, ...variants.map((v) => coldSweepCase(runner, v)));
  }
  return out;
}

function select(all: BenchCase[], names: readonly string[] | undefined): BenchCase[] {
  if (!names || names.length === 0) return all;
  const picked = all.filter((c) => names.some((n) => (n.endsWith('*') ? c.name.startsWith(n.slice(0, -1)) : c.name === n)));
  const unknown = names.filter((n) => !all.some((c) => (n.endsWith('*') ? c.name.startsWith(n.slice(0, -1)) : c.name === n)));
  if (unknown.length) throw new RangeError(`pcisim bench: no case ${unknown.map((n) => `'${n}'`).join(', ')} (${all.map((c) => c.name).join(', ')})`);
  return picked;
}

/** Runs the cases and prints their figures; resolves to them. */
export async function runBench(opts: BenchOptions = {}): Promise<BenchResult> {
  const write = opts.write ?? ((s: string) => void process.stdout.write(s));
  const scale = opts.scale ?? 1;
  const cases = select(benchCases(), opts.cases);
  const child = here('./child.js');
  const isolate = opts.isolate ?? existsSync(child);
  const result: BenchResult = { schema: 'pcisim.bench/1', host: hostInfo(), cases: {} };
  if (!opts.json) write(`pcisim bench: ${result.host.nproc} CPUs (${result.host.cpu}), Node ${result.host.node}; ${isolate ? 'one process per case' : 'in process'}\n\n${header()}\n`);
  for (const c of cases) {
    const r = isolate ? runIsolated(child, c.name, scale) : await measureCase(c, scale);
    result.cases[c.name] = r;
    opts.onCase?.(c.name, r);
    if (!opts.json) write(row(c.name, r) + '\n');
  }
  if (opts.json) write(JSON.stringify(result, null, 2) + '\n');
  else write('\nper access = wall time of a run ÷ simulated config accesses in it (firmware + linux), at the median run\n');
  return result;
}

function runIsolated(child: string, name: string, scale: number): BenchCaseResult {
  const out = execFileSync(process.execPath, [child, name, String(scale)], { encoding: 'utf8', maxBuffer: 1 << 24, stdio: ['ignore', 'pipe', 'inherit'] });
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as BenchCaseResult;
}

function hostInfo(): BenchResult['host'] {
  const c = cpus();
  return { nproc: availableParallelism(), cpu: c[0]?.model.trim() ?? 'unknown', node: process.version, platform: `${process.platform}-${process.arch}` };
}

const COLS: [string, number][] = [
  ['case', 18],
  ['median ms', 10],
  ['min ms', 9],
  ['runs', 6],
  ['accesses', 10],
  ['accesses/s', 12],
  ['ns/access', 10],
  ['peak RSS', 10],
];

function header(): string {
  return COLS.map(([h, w], i) => (i === 0 ? h.padEnd(w) : h.padStart(w))).join(' ');
}

function row(name: string, r: BenchCaseResult): string {
  const cells = [
    name,
    fmt(r.medianMs),
    fmt(r.minMs),
    String(r.iterations),
    groupThousands(r.accesses),
    `${(r.accessesPerSecond / 1e6).toFixed(2)} M`,
    r.nsPerAccess.toFixed(1),
    `${Math.round(r.peakRssBytes / (1 << 20))} MiB`,
  ];
  return cells.map((x, i) => (i === 0 ? x.padEnd(COLS[i]![1]) : x.padStart(COLS[i]![1]))).join(' ');
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(3);
}
