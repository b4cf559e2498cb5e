/**
 * @module
 * `pcisim boot --trace out.json`: the boot as Chrome Trace Event JSON (the JSON Object Format:
 * `{"traceEvents": [...], "displayTimeUnit": "ns"}`), which ui.perfetto.dev and chrome://tracing open.
 *
 * One process (pid) per layer, labelled with `ph:"M"` process_name / thread_name / *_sort_index:
 *   pid 1 guest — tid 1 "vCPU 0": the firmware and linux phases and, nested in them, setup_arch,
 *                 pci_arch_init, acpi_init, pci_acpi_scan_root, each `scan bus NN`, each function's BAR
 *                 sizing, pci_subsys_init, pcibios_fixup_peer_bridges (`ph:"X"` complete events);
 *                 the boot milestones as global instants (`ph:"i"`, `s:"g"`).
 *   pid 2 kvm   — counters (`ph:"C"`): VM exits per bin by VMX reason, exits finished in KVM by kind, and
 *                 the exit time charged per bin; tid 1 "vCPU 0 exits": one instant per exit, only on request.
 *   pid 3 qemu  — tid 1 "main": QEMU init (memslots) and the KVM mitigations it installs (`X`); counter:
 *                 the userspace exits it handled per bin (KVM_EXIT_IO, KVM_EXIT_MMIO).
 * `ts`/`dur` are µs (the format's unit; `displayTimeUnit` only chooses how viewers print them), fractional
 * for ns precision.
 *
 * Exits as counters, not instants: a q35 boot takes ~18k exits 1-6 µs apart. 18k instants are ~2 MB of
 * JSON and draw as one solid smear at any zoom that shows a phase; counters per 100 µs bin (~650 bins for
 * q35, a few hundred events per counter) show the rate, where it changes and which reason dominates, in
 * ~100 KB. `exitInstants: true` (with a collector made with `exitEvents: true`) adds every exit as well.
 */
import type { BootResult } from '../core/boot.js';
import type { ExitBin, TraceSpan } from '../core/collector.js';
import { milestones } from './milestones.js';

/** A Trace Event (the subset of fields pcisim writes). */
export interface TraceEvent {
  name: string;
  ph: 'X' | 'i' | 'C' | 'M';
  pid: number;
  tid: number;
  /** µs */
  ts: number;
  /** µs, `X` only */
  dur?: number;
  cat?: string;
  /** instant scope: g(lobal), p(rocess), t(hread) */
  s?: 'g' | 'p' | 't';
  args?: Record<string, string | number>;
}

export interface TraceEventFile {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ns';
  otherData: Record<string, string>;
}

export interface TraceEventOptions {
  /** one `ph:"i"` per exit (needs a collector made with `exitEvents: true`); default false */
  exitInstants?: boolean;
}

export const PID_GUEST = 1;
export const PID_KVM = 2;
export const PID_QEMU = 3;

const NO_TRACE = '--trace needs the collected boot: bootScenario(scenario, { trace: new TraceCollector() })';

/** ns → µs, exact to the ns (Perfetto rounds ts × 1000 to the nearest ns) */
const us = (ns: number) => Math.round(ns) / 1000;

const EXIT_EVENT_NAMES: Record<number, string> = {
  2: 'KVM_EXIT_IO',
  6: 'KVM_EXIT_MMIO',
  0x100: 'in-kernel PIO',
  0x101: 'in-kernel MMIO',
  0x102: 'EPT fault (map)',
};

/** The boot as a Trace Event JSON object (serialise with JSON.stringify). */
export function buildTraceEvents(result: BootResult, opts: TraceEventOptions = {}): TraceEventFile {
  const trace = result.trace;
  if (!trace) throw new Error(NO_TRACE);
  const ev: TraceEvent[] = [];
  const meta = (pid: number, tid: number, name: 'process_name' | 'thread_name', label: string) =>
    ev.push({ name, ph: 'M', pid, tid, ts: 0, args: { name: label } });
  const sortIndex = (pid: number, i: number) => ev.push({ name: 'process_sort_index', ph: 'M', pid, tid: 0, ts: 0, args: { sort_index: i } });

  meta(PID_GUEST, 0, 'process_name', 'guest (firmware + Linux 6.1)');
  meta(PID_GUEST, 1, 'thread_name', 'vCPU 0');
  meta(PID_KVM, 0, 'process_name', 'kvm');
  meta(PID_KVM, 1, 'thread_name', 'vCPU 0 exits');
  meta(PID_QEMU, 0, 'process_name', 'qemu-system-x86_64');
  meta(PID_QEMU, 1, 'thread_name', 'main');
  sortIndex(PID_GUEST, 0);
  sortIndex(PID_KVM, 1);
  sortIndex(PID_QEMU, 2);

  for (const s of trace.spans) ev.push(spanEvent(s));

  for (const m of milestones(result)) {
    ev.push({ name: m.name, ph: 'i', s: 'g', pid: PID_GUEST, tid: 1, ts: us(m.ns), cat: m.origin, args: { meaning: m.meaning } });
  }

  counters(ev, trace.bins, trace.binNs);

  if (opts.exitInstants) {
    if (!trace.exits) throw new Error('exit instants need a collector made with new TraceCollector({ exitEvents: true })');
    for (const x of trace.exits) {
      ev.push({
        name: x.reason,
        ph: 'i',
        s: 't',
        pid: PID_KVM,
        tid: 1,
        ts: us(x.startNs),
        cat: 'exit',
        args: { handler: EXIT_EVENT_NAMES[x.event] ?? String(x.event), addr: `0x${x.addr.toString(16)}`, size: x.size, write: x.write ? 1 : 0, durNs: x.durationNs },
      });
    }
  }

  return {
    traceEvents: ev,
    displayTimeUnit: 'ns',
    otherData: {
      generator: 'pcisim',
      qemuArgs: result.report.qemuArgs.join(' '),
      append: result.report.append,
      costProfile: result.costProfile.name,
      clock: 'virtual ns since KVM_CREATE_VM; only memslot updates, config accesses and their exits take time',
    },
  };
}

function spanEvent(s: TraceSpan): TraceEvent {
  const pid = s.layer === 'guest' ? PID_GUEST : s.layer === 'kvm' ? PID_KVM : PID_QEMU;
  const cat = s.name.startsWith('BAR sizing') ? 'bar-sizing' : s.name.startsWith('scan bus') ? 'bus-scan' : 'phase';
  // both ends rounded to the ns first, so that an enclosed span never ends after its parent
  const start = Math.round(s.startNs);
  const end = Math.max(start, Math.round(s.endNs));
  const e: TraceEvent = { name: s.name, ph: 'X', pid, tid: 1, ts: start / 1000, dur: (end - start) / 1000, cat };
  if (s.args) e.args = { ...s.args };
  return e;
}

/** Counter events, one per bin where a value changes, back to zero after an idle gap and at the end. */
function counters(ev: TraceEvent[], bins: ExitBin[], binNs: number): void {
  const binUs = binNs / 1000;
  const label = Number.isInteger(binUs) ? `${binUs} µs` : `${binUs.toFixed(3)} µs`;
  const series: { name: string; pid: number; get: (b: ExitBin) => Record<string, number> }[] = [
    { name: `VM exits per ${label}`, pid: PID_KVM, get: (b) => ({ IO_INSTRUCTION: b.IO_INSTRUCTION, EPT_MISCONFIG: b.EPT_MISCONFIG, EPT_VIOLATION: b.EPT_VIOLATION }) },
    { name: `finished in KVM per ${label}`, pid: PID_KVM, get: (b) => ({ pio: b.inKernelPio, mmio: b.inKernelMmio, 'ept fault': b.eptFault }) },
    { name: `exit time per ${label} (µs)`, pid: PID_KVM, get: (b) => ({ exits: b.exitNs / 1000 }) },
    { name: `userspace exits per ${label}`, pid: PID_QEMU, get: (b) => ({ KVM_EXIT_IO: b.KVM_EXIT_IO, KVM_EXIT_MMIO: b.KVM_EXIT_MMIO }) },
  ];
  for (const c of series) {
    let prev = '';
    let prevEnd = -1;
    const emit = (ns: number, args: Record<string, number>) => {
      const key = JSON.stringify(args);
      if (key === prev) return;
      prev = key;
      ev.push({ name: c.name, ph: 'C', pid: c.pid, tid: 0, ts: us(ns), cat: 'exits', args });
    };
    const zero = (): Record<string, number> => {
      const z: Record<string, number> = {};
      for (const k of Object.keys(c.get(emptyBin))) z[k] = 0;
      return z;
    };
    emit(0, zero());
    for (const b of bins) {
      if (prevEnd >= 0 && b.startNs > prevEnd) emit(prevEnd, zero());
      emit(b.startNs, c.get(b));
      prevEnd = b.startNs + binNs;
    }
    if (prevEnd >= 0) emit(prevEnd, zero());
  }
}

const emptyBin: ExitBin = {
  startNs: 0,
  KVM_EXIT_IO: 0,
  KVM_EXIT_MMIO: 0,
  inKernelPio: 0,
  inKernelMmio: 0,
  eptFault: 0,
  IO_INSTRUCTION: 0,
  EPT_MISCONFIG: 0,
  EPT_VIOLATION: 0,
  exitNs: 0,
};
