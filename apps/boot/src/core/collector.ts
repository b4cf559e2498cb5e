/**
 * @module
 * What a boot tells the report formats beyond its counts: phase boundaries on each layer's track (QEMU,
 * firmware and guest on the vCPU), every VM exit with its VMX reason, its handler and its charged time,
 * and the guest's BAR sizing, all on the VM's virtual clock. `bootScenario(s, { trace })` feeds it; when no
 * collector is passed nothing of this runs (no exit observer is installed, no phase hook is called).
 *
 * Cheap enough to leave on for a q35 boot (~18k exits): per exit a few typed-array updates (Welford's
 * running mean and M2 per VMX reason, one time bin). A port exit allocates nothing; an MMIO-path exit
 * reads `vm.stats.vmxExits()` (one small object) to learn whether KVM counted it as EPT_MISCONFIG or
 * EPT_VIOLATION. `exitEvents: true` also keeps one record per exit.
 */
import {
  EXIT_EVENT_EPT_FAULT,
  EXIT_EVENT_IN_KERNEL_MMIO,
  EXIT_EVENT_IN_KERNEL_PIO,
  EXIT_EVENT_IO,
  EXIT_EVENT_MMIO,
  type Vm,
  gpaOf,
} from '@sim/kvm';

/** The track a span or mark belongs to. */
export type TraceLayer = 'guest' | 'kvm' | 'qemu';

/** The VMX exit reasons the model charges time to (CPUID exits are counted by KVM but not charged). */
export const TIMED_VMX_REASONS = ['IO_INSTRUCTION', 'EPT_MISCONFIG', 'EPT_VIOLATION'] as const;
export type TimedVmxReason = (typeof TIMED_VMX_REASONS)[number];

/** Which part of the boot an exit fell in. `boot` is all of them. */
export type ExitScope = 'firmware' | 'linux' | 'boot';
const SCOPES: readonly ExitScope[] = ['firmware', 'linux', 'boot'];

/** One closed phase: [startNs, endNs) on the virtual clock. */
export interface TraceSpan {
  layer: TraceLayer;
  name: string;
  startNs: number;
  endNs: number;
  /** nesting depth on its layer's track (0 = outermost) */
  depth: number;
  args?: Record<string, string | number>;
}

/** perf's `struct stats` for one VMX reason: count, time, min, max, and Welford's mean and M2. */
export interface ExitTimeStats {
  count: number;
  totalNs: number;
  minNs: number;
  maxNs: number;
  meanNs: number;
  m2: number;
}

/** Exits that started in one time bin, by handler and by VMX reason, and the time they were charged. */
export interface ExitBin {
  startNs: number;
  KVM_EXIT_IO: number;
  KVM_EXIT_MMIO: number;
  inKernelPio: number;
  inKernelMmio: number;
  eptFault: number;
  IO_INSTRUCTION: number;
  EPT_MISCONFIG: number;
  EPT_VIOLATION: number;
  exitNs: number;
}

/** One exit, kept only with `exitEvents: true`. */
export interface ExitRecord {
  /** EXIT_EVENT_* of @sim/kvm */
  event: number;
  reason: TimedVmxReason;
  addr: number;
  size: number;
  write: boolean;
  startNs: number;
  durationNs: number;
}

/** What a collector hands back at the end of a boot (`BootResult.trace`). */
export interface TraceData {
  /** the clock when the collector was attached (just after KVM_CREATE_VM) */
  t0Ns: number;
  /** the clock at the end of the boot */
  endNs: number;
  /** closed spans, ordered by start (an enclosing span before what it encloses) */
  spans: TraceSpan[];
  exitStats: Record<ExitScope, Record<TimedVmxReason, ExitTimeStats>>;
  binNs: number;
  /** non-empty bins only, in time order */
  bins: ExitBin[];
  /** every exit, when the collector was created with `exitEvents: true` */
  exits: ExitRecord[] | null;
}

export interface TraceCollectorOptions {
  /** width of an exit-rate bin, ns (default 100 µs) */
  binNs?: number;
  /** also keep every exit (for `ph:"i"` instants); off by default: ~18k objects for a q35 boot */
  exitEvents?: boolean;
}

// per-bin slots
const B_IO = 0;
const B_MMIO = 1;
const B_KPIO = 2;
const B_KMMIO = 3;
const B_EPT = 4;
const B_REASON = 5; // + reason index
const B_NS = 8;
const B_WIDTH = 9;

// per (scope, reason) slots
const S_N = 0;
const S_TOTAL = 1;
const S_MIN = 2;
const S_MAX = 3;
const S_MEAN = 4;
const S_M2 = 5;
const S_WIDTH = 6;

const R_IO = 0;
const R_MISCONFIG = 1;
const R_VIOLATION = 2;

const BAR_SIZING_PREFIX = 'BAR sizing ';

interface OpenMark {
  name: string;
  startNs: number;
  depth: number;
  args: Record<string, string | number> | undefined;
}

/** Collects one boot. Pass it as `bootScenario(s, { trace })`; read `BootResult.trace`. */
export class TraceCollector {
  readonly binNs: number;
  private readonly keepExits: boolean;
  private vm: Vm | null = null;
  private t0 = 0;
  private readonly open: Record<TraceLayer, OpenMark[]> = { guest: [], kvm: [], qemu: [] };
  private readonly spans: TraceSpan[] = [];
  /** 0 firmware, 1 linux, -1 neither */
  private scope = -1;
  private readonly stats = new Float64Array(SCOPES.length * 3 * S_WIDTH);
  private readonly bins = new Map<number, Float64Array>();
  private lastBinKey = -1;
  private lastBin: Float64Array | null = null;
  private lastMisconfig = 0;
  private exitLog: ExitRecord[] | null;
  /** start of the first exit since the guest's last config access (−1: none) */
  private pendingStart = -1;
  // the BAR sizing group being built: the function, its start and end
  private barKey = -1;
  private barStart = 0;
  private barEnd = 0;
  private barRegs = 0;
  private lastBarReadKey = -1;
  private lastBarReadReg = -1;
  private lastBarReadStart = 0;
  private finished: TraceData | null = null;

  constructor(opts: TraceCollectorOptions = {}) {
    const b = opts.binNs ?? 100_000;
    if (!(b > 0) || !Number.isFinite(b)) throw new RangeError(`binNs must be a positive number of ns, not ${String(b)}`);
    this.binNs = b;
    this.keepExits = opts.exitEvents ?? false;
    this.exitLog = this.keepExits ? [] : null;
    for (let s = 0; s < SCOPES.length; s++) {
      for (let r = 0; r < 3; r++) this.stats[(s * 3 + r) * S_WIDTH + S_MIN] = Infinity;
    }
  }

  /** The VM exists: observe its exits from now on (sets `vm.onExit`). */
  attach(vm: Vm): void {
    if (this.vm !== null) throw new Error('a TraceCollector records one boot; create a new one for each boot');
    this.vm = vm;
    this.t0 = vm.clock.now();
    this.lastMisconfig = vm.stats.vmxExits().EPT_MISCONFIG;
    vm.onExit = (event, addr, size, isWrite, startNs, durationNs) => this.exit(event, addr, size, isWrite, startNs, durationNs);
  }

  private now(): number {
    return this.vm === null ? 0 : this.vm.clock.now();
  }

  /** A phase boundary on `layer`'s track, at the current virtual time. */
  mark(layer: TraceLayer, name: string, edge: 'begin' | 'end', args?: Record<string, string | number>): void {
    const t = this.now();
    this.closeBarGroup();
    this.pendingStart = -1;
    const stack = this.open[layer];
    if (edge === 'begin') {
      stack.push({ name, startNs: t, depth: stack.length, args });
      if (layer === 'guest' && stack.length === 1) this.scope = name === 'firmware' ? 0 : name === 'linux' ? 1 : -1;
      return;
    }
    let i = stack.length - 1;
    while (i >= 0 && stack[i]!.name !== name) i--;
    if (i < 0) return; // an end with no begin: ignored
    // anything opened inside and never ended closes here
    while (stack.length > i) {
      const m = stack.pop()!;
      this.spans.push({ layer, name: m.name, startNs: m.startNs, endNs: t, depth: m.depth, ...(m.args ? { args: m.args } : {}) });
    }
    if (layer === 'guest' && stack.length === 0) this.scope = -1;
  }

  /**
   * The guest's account of one config access (Linux's `onConfigAccess`), after the access. Used to find
   * BAR sizing: `__pci_read_base()` writes all-ones (0xfffff800 for a ROM BAR) to a BAR and reads it back;
   * one span per function covers its sizing, from the read of its first BAR to the restore of its last.
   */
  configAccess(write: number, bus: number, devfn: number, reg: number, size: number, value: number): void {
    const end = this.now();
    const start = this.pendingStart >= 0 ? this.pendingStart : end;
    this.pendingStart = -1;
    const key = (bus << 8) | devfn;
    if (this.barKey >= 0 && key !== this.barKey) this.closeBarGroup();
    const bar = size === 4 && ((reg >= 0x10 && reg <= 0x24 && (reg & 3) === 0) || reg === 0x30 || reg === 0x38);
    if (!bar) return;
    if (write === 0) {
      this.lastBarReadKey = key;
      this.lastBarReadReg = reg;
      this.lastBarReadStart = start;
      if (this.barKey === key) this.barEnd = end;
      return;
    }
    const v = value >>> 0;
    const sizing = reg === 0x30 || reg === 0x38 ? (v & 0xfffff800) >>> 0 === 0xfffff800 : v === 0xffffffff;
    if (sizing) {
      if (this.barKey !== key) {
        this.barKey = key;
        this.barStart = this.lastBarReadKey === key && this.lastBarReadReg === reg ? this.lastBarReadStart : start;
        this.barRegs = 0;
      }
      this.barRegs++;
      this.barEnd = end;
    } else if (this.barKey === key) {
      this.barEnd = end;
    }
  }

  private closeBarGroup(): void {
    if (this.barKey < 0) return;
    const stack = this.open.guest;
    const bus = this.barKey >>> 8;
    const devfn = this.barKey & 0xff;
    const bdf = `${hex2(bus)}:${hex2(devfn >>> 3)}.${devfn & 7}`;
    this.spans.push({
      layer: 'guest',
      name: BAR_SIZING_PREFIX + bdf,
      startNs: this.barStart,
      endNs: this.barEnd,
      depth: stack.length,
      args: { bdf, 'registers sized': this.barRegs },
    });
    this.barKey = -1;
  }

  private exit(event: number, addr: number, size: number, isWrite: number, startNs: number, durationNs: number): void {
    if (this.pendingStart < 0) this.pendingStart = startNs;
    let reason = R_IO;
    let slot = B_IO;
    if (event === EXIT_EVENT_IO) slot = B_IO;
    else if (event === EXIT_EVENT_IN_KERNEL_PIO) slot = B_KPIO;
    else {
      // an MMIO-path exit: KVM has just counted it as EPT_MISCONFIG (an MMIO SPTE was cached) or EPT_VIOLATION
      const m = this.vm!.stats.vmxExits().EPT_MISCONFIG;
      reason = m !== this.lastMisconfig ? R_MISCONFIG : R_VIOLATION;
      this.lastMisconfig = m;
      slot = event === EXIT_EVENT_MMIO ? B_MMIO : event === EXIT_EVENT_IN_KERNEL_MMIO ? B_KMMIO : event === EXIT_EVENT_EPT_FAULT ? B_EPT : B_KMMIO;
    }
    if (this.scope >= 0) this.account(this.scope, reason, durationNs);
    this.account(2, reason, durationNs);
    const key = Math.floor(startNs / this.binNs);
    let bin = this.lastBin;
    if (key !== this.lastBinKey || bin === null) {
      bin = this.bins.get(key) ?? null;
      if (bin === null) {
        bin = new Float64Array(B_WIDTH);
        this.bins.set(key, bin);
      }
      this.lastBinKey = key;
      this.lastBin = bin;
    }
    bin[slot]!++;
    bin[B_REASON + reason]!++;
    bin[B_NS]! += durationNs;
    // a gpa may come as the int32 of its bits (@sim/kvm's Gpa); the log keeps the address
    this.exitLog?.push({ event, reason: TIMED_VMX_REASONS[reason]!, addr: gpaOf(addr), size, write: isWrite === 1, startNs, durationNs });
  }

  /** update_stats() of tools/perf/util/stat.c, plus the total */
  private account(scope: number, reason: number, ns: number): void {
    const s = this.stats;
    const i = (scope * 3 + reason) * S_WIDTH;
    const n = ++s[i + S_N]!;
    s[i + S_TOTAL]! += ns;
    const delta = ns - s[i + S_MEAN]!;
    s[i + S_MEAN]! += delta / n;
    s[i + S_M2]! += delta * (ns - s[i + S_MEAN]!);
    if (ns < s[i + S_MIN]!) s[i + S_MIN] = ns;
    if (ns > s[i + S_MAX]!) s[i + S_MAX] = ns;
  }

  /** Closes what is still open and returns the data (idempotent). The observer stays until the VM is gone. */
  finish(): TraceData {
    if (this.finished !== null) return this.finished;
    this.closeBarGroup();
    const t = this.now();
    for (const layer of ['guest', 'kvm', 'qemu'] as const) {
      const stack = this.open[layer];
      while (stack.length > 0) {
        const m = stack.pop()!;
        this.spans.push({ layer, name: m.name, startNs: m.startNs, endNs: t, depth: m.depth, args: { ...m.args, unterminated: 1 } });
      }
    }
    const spans = [...this.spans].sort((a, b) => a.startNs - b.startNs || b.endNs - a.endNs || a.depth - b.depth);
    const exitStats = {} as Record<ExitScope, Record<TimedVmxReason, ExitTimeStats>>;
    SCOPES.forEach((scope, si) => {
      const byReason = {} as Record<TimedVmxReason, ExitTimeStats>;
      TIMED_VMX_REASONS.forEach((r, ri) => {
        const i = (si * 3 + ri) * S_WIDTH;
        const s = this.stats;
        const count = s[i + S_N]!;
        byReason[r] = {
          count,
          totalNs: s[i + S_TOTAL]!,
          minNs: count === 0 ? 0 : s[i + S_MIN]!,
          maxNs: count === 0 ? 0 : s[i + S_MAX]!,
          meanNs: s[i + S_MEAN]!,
          m2: s[i + S_M2]!,
        };
      });
      exitStats[scope] = byReason;
    });
    const bins: ExitBin[] = [...this.bins.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([k, b]) => ({
        startNs: k * this.binNs,
        KVM_EXIT_IO: b[B_IO]!,
        KVM_EXIT_MMIO: b[B_MMIO]!,
        inKernelPio: b[B_KPIO]!,
        inKernelMmio: b[B_KMMIO]!,
        eptFault: b[B_EPT]!,
        IO_INSTRUCTION: b[B_REASON + R_IO]!,
        EPT_MISCONFIG: b[B_REASON + R_MISCONFIG]!,
        EPT_VIOLATION: b[B_REASON + R_VIOLATION]!,
        exitNs: b[B_NS]!,
      }));
    this.finished = { t0Ns: this.t0, endNs: t, spans, exitStats, binNs: this.binNs, bins, exits: this.exitLog };
    return this.finished;
  }
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
