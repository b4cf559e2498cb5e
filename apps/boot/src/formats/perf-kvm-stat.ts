/**
 * @module
 * `pcisim boot --format perf-kvm-stat`: the simulated exits as `perf kvm stat report` prints them, so a
 * simulated table and one taken on a real host diff line by line. Layout from Linux 6.1's
 * tools/perf/builtin-kvm.c print_result(): the decode column is `decode_str_len` (20) wide, then
 * `%10llu`, `%8.2f%%` twice, `%9.2fus` three times and ` ( +-%7.2f%% )`; rows sorted by samples, largest
 * first (the default `--key sample`); rows with no samples left out (event_is_valid()). The ± is perf's
 * relative standard error of the mean (stddev_stats() / avg_stats() of tools/perf/util/stat.c).
 *
 * What is counted: every VM exit the model takes, by VMX basic exit reason, timed by the cost profile
 * (exit to re-entry, as perf times kvm_exit → kvm_entry). CPUID exits are counted by KVM but the cost
 * model does not charge them, so their times print as 0.00us. Nothing else the kernel or firmware does
 * (HLT, MSR writes, interrupts, EPT faults on RAM it never touches here) is simulated, so those rows are
 * absent, not zero.
 */
import type { BootResult } from '../core/boot.js';
import { TIMED_VMX_REASONS, type ExitScope, type ExitTimeStats } from '../core/collector.js';

/** The VMX basic exit reasons of arch/x86/include/uapi/asm/vmx.h the model produces, with their numbers. */
const VMX_EXIT_CODE: Record<string, number> = { CPUID: 10, IO_INSTRUCTION: 30, EPT_VIOLATION: 48, EPT_MISCONFIG: 49 };

/** `decode_str_len` in tools/perf/arch/x86/util/kvm-stat.c */
const DECODE_STR_LEN = 20;

export interface PerfKvmStatOptions {
  /** which exits: the linux phase (default), the firmware phase, or the whole boot */
  phase?: ExitScope;
}

export interface PerfKvmStatRow {
  reason: string;
  samples: number;
  timeNs: number;
  minNs: number;
  maxNs: number;
  /** relative standard error of the mean time, % (perf's `( +- x% )`) */
  relStddevPct: number;
}

export interface PerfKvmStat {
  phase: ExitScope;
  rows: PerfKvmStatRow[];
  totalSamples: number;
  totalTimeNs: number;
}

const NO_TRACE =
  'perf-kvm-stat needs every exit: boot with bootScenario(scenario, { trace: new TraceCollector() }) (apps/boot/src/core/collector.ts)';

/** The table's numbers: one row per VMX exit reason that occurred, largest sample count first. */
export function perfKvmStat(result: BootResult, opts: PerfKvmStatOptions = {}): PerfKvmStat {
  const phase = opts.phase ?? 'linux';
  if (!result.trace) throw new Error(NO_TRACE);
  const rows: PerfKvmStatRow[] = [];
  const timed = result.trace.exitStats[phase];
  for (const r of TIMED_VMX_REASONS) {
    const s = timed[r];
    if (s.count > 0) rows.push({ reason: r, samples: s.count, timeNs: s.totalNs, minNs: s.minNs, maxNs: s.maxNs, relStddevPct: relStddev(s) });
  }
  // counted by KVM, never charged: from the phase's counters
  const cpuid =
    phase === 'boot'
      ? result.kvmStats.firmware.vmxExits.CPUID + result.kvmStats.linux.vmxExits.CPUID
      : result.kvmStats[phase].vmxExits.CPUID;
  if (cpuid > 0) rows.push({ reason: 'CPUID', samples: cpuid, timeNs: 0, minNs: 0, maxNs: 0, relStddevPct: 0 });
  rows.sort((a, b) => b.samples - a.samples || (VMX_EXIT_CODE[a.reason] ?? 0) - (VMX_EXIT_CODE[b.reason] ?? 0));
  let totalSamples = 0;
  let totalTimeNs = 0;
  for (const r of rows) {
    totalSamples += r.samples;
    totalTimeNs += r.timeNs;
  }
  return { phase, rows, totalSamples, totalTimeNs };
}

/** rel_stddev_stats(stddev_stats(s), avg_stats(s)): the standard error of the mean, as % of the mean */
function relStddev(s: ExitTimeStats): number {
  if (s.count < 2 || s.meanNs === 0) return 0;
  const variance = s.m2 / (s.count - 1);
  return (100 * Math.sqrt(variance / s.count)) / s.meanNs;
}

const PHASE_TITLE: Record<ExitScope, string> = {
  linux: 'linux phase only (the kernel from its first instruction to the end of PCI init; firmware exits excluded)',
  firmware: 'firmware phase only (the firmware from reset to the hand-off to the kernel)',
  boot: 'whole boot (firmware and linux phases)',
};

/**
 * The `perf kvm stat report` text. The first line is pcisim's title (which phase, which scenario, which
 * cost profile); from the two blank lines on it is perf's output, byte for byte in layout.
 */
export function formatPerfKvmStat(result: BootResult, opts: PerfKvmStatOptions = {}): string {
  const t = perfKvmStat(result, opts);
  const args = result.report.qemuArgs.join(' ') || '(no qemu args)';
  const append = result.report.append ? ` -append "${result.report.append}"` : '';
  let out = `# pcisim perf-kvm-stat: ${PHASE_TITLE[t.phase]}; ${args}${append}; cost profile ${result.costProfile.name}; virtual time\n`;
  out += '\n\n';
  out += 'Analyze events for all VMs, all VCPUs:\n\n';
  out += `${pad('VM-EXIT', DECODE_STR_LEN)} ${pad('Samples', 10)} ${pad('Samples%', 9)} ${pad('Time%', 9)} ${pad('Min Time', 11)} ${pad('Max Time', 11)} ${pad('Avg time', 16)} \n\n`;
  for (const r of t.rows) {
    out += `${pad(r.reason, DECODE_STR_LEN)} `;
    out += `${pad(String(r.samples), 10)} `;
    out += `${pad(pct(r.samples, t.totalSamples), 8)}% `;
    out += `${pad(pct(r.timeNs, t.totalTimeNs), 8)}% `;
    out += `${pad(us(r.minNs), 9)}us `;
    out += `${pad(us(r.maxNs), 9)}us `;
    out += `${pad(us(r.samples ? r.timeNs / r.samples : 0), 9)}us ( +-${pad(r.relStddevPct.toFixed(2), 7)}% )`;
    out += '\n';
  }
  out += `\nTotal Samples:${t.totalSamples}, Total events handled time:${us(t.totalTimeNs)}us.\n\n`;
  return out;
}

/** printf's `%*s`: right-aligned, never truncated */
const pad = (s: string, w: number) => s.padStart(w);
/** `%.2f` of a percentage; perf divides by zero into "-nan", pcisim prints 0.00 for an empty total */
const pct = (a: number, total: number) => (total > 0 ? printfFixed((a / total) * 100, 2) : '0.00');
const us = (ns: number) => printfFixed(ns / 1000, 2);

/**
 * glibc's `%.<d>f` for 0 <= x < 1e21: the exact binary value rounded to nearest, ties to even. JS's
 * toFixed() rounds ties up (0.125 → "0.13" where printf gives "0.12"); toFixed(100) is exact here.
 */
export function printfFixed(x: number, d: number): string {
  if (!(x >= 0) || x >= 1e21) return x.toFixed(d);
  const exact = x.toFixed(100);
  const dot = exact.indexOf('.');
  const frac = exact.slice(dot + 1);
  if (frac[d] === '5' && /^0*$/.test(frac.slice(d + 1))) {
    const last = d > 0 ? frac[d - 1]! : exact[dot - 1]!;
    if (Number(last) % 2 === 0) return d > 0 ? exact.slice(0, dot + 1 + d) : exact.slice(0, dot);
  }
  return x.toFixed(d);
}
