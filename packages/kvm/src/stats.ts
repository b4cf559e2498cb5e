/**
 * @module
 * The virtual clock and the statistics of one VM. The hot path writes plain numbers into two typed arrays
 * indexed by the constants below (no objects per access); the public getters build plain objects on demand.
 */

import { KvmError } from './errors.js';
import type { ExitCounts, VmxExitCounts } from './types.js';

// ---- count indices (Float64Array `c`) ----
export const C_EXIT_IO = 0;
export const C_EXIT_MMIO = 1;
export const C_IN_KERNEL = 2;
export const C_NO_EXIT = 3;
export const C_VMX_IO = 4;
export const C_VMX_MISCONFIG = 5;
export const C_VMX_VIOLATION = 6;
export const C_VMX_CPUID = 7;
export const C_EPT_FAULTS = 8;
export const C_SPTE_4K = 9;
export const C_SPTE_2M = 10;
export const C_SPTE_PREFETCH = 11;
export const C_SPTE_MMIO = 12;
export const C_ZAP_ALL = 13;
export const C_MEMSLOT_CREATE = 14;
export const C_MEMSLOT_DELETE = 15;
export const C_MEMSLOT_MOVE = 16;
export const C_MEMSLOT_FLAGS = 17;
export const C_IN_KERNEL_PIO = 18;
export const C_IN_KERNEL_MMIO = 19;
export const C_IN_KERNEL_EPT = 20;
const N_COUNTS = 21;

// ---- time indices (Float64Array `t`), in ns ----
export const T_USER_IO = 0;
export const T_USER_MMIO = 1;
export const T_KERN_MMIO = 2;
export const T_KERN_PIO = 3;
export const T_EPT_MAP = 4;
export const T_NO_EXIT = 5;
export const T_MEMSLOT = 6;
export const T_IDLE = 7;
export const T_EXTERNAL = 8;
const N_TIMES = 9;

/** number of time categories (the `exitsBy` stride) */
export const N_TIME_CATEGORIES = N_TIMES;

// ---- VMX reasons for per-reason time (Float64Array `v`: [total, min, max] per reason) ----
export const R_IO_INSTRUCTION = 0;
export const R_EPT_MISCONFIG = 1;
export const R_EPT_VIOLATION = 2;
export const R_CPUID = 3;
/** A VMX exit reason as `perf kvm stat` names it. */
export type VmxReason = 'IO_INSTRUCTION' | 'EPT_MISCONFIG' | 'EPT_VIOLATION' | 'CPUID';
const VMX_REASONS: readonly VmxReason[] = ['IO_INSTRUCTION', 'EPT_MISCONFIG', 'EPT_VIOLATION', 'CPUID'];
const VMX_COUNT_INDEX = [C_VMX_IO, C_VMX_MISCONFIG, C_VMX_VIOLATION, C_VMX_CPUID] as const;

/** Virtual time by where it went, in ns. `total` is their sum (= the clock, for a fresh VM). */
export interface TimeNs {
  userspaceExitIo: number;
  userspaceExitMmio: number;
  inKernelMmio: number;
  inKernelPio: number;
  eptViolationMap: number;
  noExitAccess: number;
  memslotUpdate: number;
  /** `Vcpu.sleepNs()`: the guest idling. */
  idle: number;
  /** `vm.clock.advance()` from outside KVM (e.g. the VMM charging its own work). */
  external: number;
  total: number;
}

/** Per VMX exit reason, for a `perf kvm stat`-like table. `minNs`/`maxNs` are 0 when `count` is 0. */
export interface VmxExitTime {
  count: number;
  totalNs: number;
  minNs: number;
  maxNs: number;
}

/** SPTEs KVM installed. */
export interface SpteCounts {
  /** 4 KiB SPTEs installed by the faulting access itself */
  map4k: number;
  /** 2 MiB SPTEs (hugepages) */
  map2m: number;
  /** 4 KiB SPTEs installed by prefetch around a fault */
  prefetched: number;
  /** MMIO SPTEs cached for gfns with no memslot */
  mmio: number;
  /** `kvm_mmu_zap_all_fast()` runs (every memslot DELETE or MOVE) */
  zapAll: number;
}

export interface MemslotChangeCounts {
  create: number;
  delete: number;
  move: number;
  flagsOnly: number;
}

/** A plain copy of every statistic, for phase boundaries. */
export interface KvmStatsSnapshot {
  nowNs: number;
  exits: ExitCounts;
  /**
   * `exits.inKernel` split: KVM_PIO_BUS devices; emulated MMIO (KVM_MMIO_BUS devices, PCI_HOLE reads);
   * accesses whose EPT violation mapped the page (= `eptFaults`)
   */
  inKernel: { pio: number; mmio: number; eptFault: number };
  vmxExits: Required<VmxExitCounts>;
  /** cumulative since the VM was created (min/max cannot be differenced) */
  vmxExitTimes: Record<VmxReason, VmxExitTime>;
  eptFaults: number;
  sptes: SpteCounts;
  memslotUpdates: number;
  memslotChanges: MemslotChangeCounts;
  timeNs: TimeNs;
}

/** The VM's clock (`vm.clock`): virtual nanoseconds, advanced only by the cost model and by explicit calls. */
export interface VirtualClock {
  /** Virtual nanoseconds since the VM was created. */
  now(): number;
  /** Moves the clock forward by `ns` (≥ 0), accounted as `external` time. */
  advance(ns: number): void;
}

/** Statistics of one VM (`vm.stats`). Counts never depend on the cost profile; times do. */
export interface KvmStats {
  /** Guest accesses by where they were handled (DESIGN.md §6 `exits`). */
  exits(): ExitCounts;
  /** VM exits by VMX basic exit reason, as `perf kvm stat` counts them. */
  vmxExits(): Required<VmxExitCounts>;
  /** Per-reason count, total, min and max of the time charged (cumulative). */
  vmxExitTimes(): Record<VmxReason, VmxExitTime>;
  /** EPT violations that installed a mapping (RAM or READONLY slot). */
  readonly eptFaults: number;
  /** Successful KVM_SET_USER_MEMORY_REGION calls that changed something. */
  readonly memslotUpdates: number;
  /** {@link KvmStats.memslotUpdates} by kind of change. */
  readonly memslotChanges: MemslotChangeCounts;
  /** SPTEs KVM installed. */
  readonly sptes: SpteCounts;
  /** Virtual time by category (a fresh object). */
  readonly timeNs: TimeNs;
  /** A plain-object copy of everything. */
  snapshot(): KvmStatsSnapshot;
}

/**
 * The engine behind {@link VirtualClock}: the vCPUs move `t` directly (a field store, no call), and charge
 * external time to the VM's time categories.
 */
export class VmClock implements VirtualClock {
  /**
   * Virtual ns. Created holding a non-integer so that V8 gives the field a double representation
   * from the start: a Smi field would be generalised (and its code deoptimised) when the clock passes 2^31 ns.
   */
  t = 0.5;
  /** the VM's time categories (VmStat's `t`) */
  readonly times: Float64Array;

  constructor(times: Float64Array) {
    this.times = times;
    this.t = 0;
  }

  /** Virtual nanoseconds since the VM was created. */
  now(): number {
    return this.t;
  }

  /** Moves the clock forward by `ns` (≥ 0), accounted as `external` time. */
  advance(ns: number): void {
    if (!(ns >= 0) || !Number.isFinite(ns)) {
      throw new KvmError('EINVAL', 'clock', `cannot advance by ${ns} ns (must be finite and >= 0)`);
    }
    this.t += ns;
    this.times[T_EXTERNAL]! += ns;
  }
}

/**
 * The engine behind {@link KvmStats} (KVM's `struct kvm_vm_stat` and `kvm_vcpu_stat`, as typed arrays): the
 * hot path writes into its arrays, indexed by the constants above; the public methods build plain objects.
 */
export class VmStat implements KvmStats {
  /** counts, by C_* index */
  readonly c = new Float64Array(N_COUNTS);
  /**
   * ns per time category. Exits reach it through {@link exitsBy} (see {@link fold}); idle time,
   * memslot updates, exit-free accesses and external time are added directly. Read it after a fold.
   */
  readonly t = new Float64Array(N_TIMES);
  /** Per VMX reason: [total, min, max] ns of the exits folded in so far. */
  readonly v = new Float64Array(VMX_REASONS.length * 3);
  /**
   * (reason × N_TIMES + time category) → exits charged, since the VM was created. The exit path
   * counts here and moves the clock, nothing else: every other exit statistic is a function of these
   * counts (see {@link fold}), and every exit of a category costs the same under one profile.
   */
  readonly exitsBy = new Float64Array(VMX_REASONS.length * N_TIMES);
  /** the part of {@link exitsBy} already folded into `t`, `v` and `c` */
  private readonly folded = new Float64Array(VMX_REASONS.length * N_TIMES);
  /** the ns one exit of each time category costs under the current profile */
  readonly catCost = new Float64Array(N_TIMES);
  clock: VmClock | null = null;

  constructor() {
    for (let r = 0; r < VMX_REASONS.length; r++) this.v[r * 3 + 1] = Infinity;
  }

  /**
   * Brings `t`, `v` and the exit counters of `c` up to date with {@link exitsBy}: the exits
   * charged since the last fold are costed at the current profile (so it runs before the costs change),
   * which gives what charging each exit on its own would, for one increment per exit on the hot path.
   */
  fold(): void {
    const by = this.exitsBy;
    const folded = this.folded;
    const v = this.v;
    const c = this.c;
    for (let r = 0; r < VMX_REASONS.length; r++) {
      for (let cat = 0; cat < N_TIMES; cat++) {
        const i = r * N_TIMES + cat;
        const n = by[i]! - folded[i]!;
        if (n === 0) continue;
        folded[i] = by[i]!;
        const ns = this.catCost[cat]!;
        this.t[cat]! += n * ns;
        v[r * 3]! += n * ns;
        if (ns < v[r * 3 + 1]!) v[r * 3 + 1] = ns;
        if (ns > v[r * 3 + 2]!) v[r * 3 + 2] = ns;
      }
    }
    // the counters each charged exit stands for: its VMX reason, and where it was handled
    const perCat = (cat: number): number => {
      let n = 0;
      for (let r = 0; r < VMX_REASONS.length; r++) n += by[r * N_TIMES + cat]!;
      return n;
    };
    const perReason = (r: number): number => {
      let n = 0;
      for (let cat = 0; cat < N_TIMES; cat++) n += by[r * N_TIMES + cat]!;
      return n;
    };
    c[C_VMX_IO] = perReason(R_IO_INSTRUCTION);
    c[C_VMX_MISCONFIG] = perReason(R_EPT_MISCONFIG);
    c[C_VMX_VIOLATION] = perReason(R_EPT_VIOLATION);
    c[C_EXIT_IO] = perCat(T_USER_IO);
    c[C_EXIT_MMIO] = perCat(T_USER_MMIO);
    c[C_IN_KERNEL_PIO] = perCat(T_KERN_PIO);
    c[C_IN_KERNEL_MMIO] = perCat(T_KERN_MMIO);
    c[C_IN_KERNEL_EPT] = perCat(T_EPT_MAP);
    c[C_IN_KERNEL] = c[C_IN_KERNEL_PIO]! + c[C_IN_KERNEL_MMIO]! + c[C_IN_KERNEL_EPT]!;
  }

  /** Guest accesses by where they were handled (DESIGN.md §6 `exits`). */
  exits(): ExitCounts {
    this.fold();
    const c = this.c;
    return { KVM_EXIT_IO: c[C_EXIT_IO]!, KVM_EXIT_MMIO: c[C_EXIT_MMIO]!, inKernel: c[C_IN_KERNEL]!, noExit: c[C_NO_EXIT]! };
  }

  /** VM exits by VMX basic exit reason, as `perf kvm stat` counts them. */
  vmxExits(): Required<VmxExitCounts> {
    this.fold();
    const c = this.c;
    return {
      IO_INSTRUCTION: c[C_VMX_IO]!,
      EPT_MISCONFIG: c[C_VMX_MISCONFIG]!,
      EPT_VIOLATION: c[C_VMX_VIOLATION]!,
      CPUID: c[C_VMX_CPUID]!,
    };
  }

  /** Per-reason count, total, min and max of the time charged (cumulative). */
  vmxExitTimes(): Record<VmxReason, VmxExitTime> {
    this.fold();
    const out = {} as Record<VmxReason, VmxExitTime>;
    for (let r = 0; r < VMX_REASONS.length; r++) {
      const count = this.c[VMX_COUNT_INDEX[r]!]!;
      out[VMX_REASONS[r]!] = {
        count,
        totalNs: this.v[r * 3]!,
        minNs: count === 0 ? 0 : this.v[r * 3 + 1]!,
        maxNs: count === 0 ? 0 : this.v[r * 3 + 2]!,
      };
    }
    return out;
  }

  /** EPT violations that installed a mapping (RAM or READONLY slot). */
  get eptFaults(): number {
    return this.c[C_EPT_FAULTS]!;
  }

  /** Successful KVM_SET_USER_MEMORY_REGION calls that changed something. */
  get memslotUpdates(): number {
    const c = this.c;
    return c[C_MEMSLOT_CREATE]! + c[C_MEMSLOT_DELETE]! + c[C_MEMSLOT_MOVE]! + c[C_MEMSLOT_FLAGS]!;
  }

  get memslotChanges(): MemslotChangeCounts {
    const c = this.c;
    return { create: c[C_MEMSLOT_CREATE]!, delete: c[C_MEMSLOT_DELETE]!, move: c[C_MEMSLOT_MOVE]!, flagsOnly: c[C_MEMSLOT_FLAGS]! };
  }

  get sptes(): SpteCounts {
    const c = this.c;
    return { map4k: c[C_SPTE_4K]!, map2m: c[C_SPTE_2M]!, prefetched: c[C_SPTE_PREFETCH]!, mmio: c[C_SPTE_MMIO]!, zapAll: c[C_ZAP_ALL]! };
  }

  /** Virtual time by category (a fresh object). */
  get timeNs(): TimeNs {
    this.fold();
    const t = this.t;
    const out: TimeNs = {
      userspaceExitIo: t[T_USER_IO]!,
      userspaceExitMmio: t[T_USER_MMIO]!,
      inKernelMmio: t[T_KERN_MMIO]!,
      inKernelPio: t[T_KERN_PIO]!,
      eptViolationMap: t[T_EPT_MAP]!,
      noExitAccess: t[T_NO_EXIT]!,
      memslotUpdate: t[T_MEMSLOT]!,
      idle: t[T_IDLE]!,
      external: t[T_EXTERNAL]!,
      total: 0,
    };
    let total = 0;
    for (let i = 0; i < N_TIMES; i++) total += t[i]!;
    out.total = total;
    return out;
  }

  /** A plain-object copy of everything. */
  snapshot(): KvmStatsSnapshot {
    this.fold();
    return {
      nowNs: this.clock ? this.clock.now() : 0,
      exits: this.exits(),
      inKernel: { pio: this.c[C_IN_KERNEL_PIO]!, mmio: this.c[C_IN_KERNEL_MMIO]!, eptFault: this.c[C_IN_KERNEL_EPT]! },
      vmxExits: this.vmxExits(),
      vmxExitTimes: this.vmxExitTimes(),
      eptFaults: this.eptFaults,
      sptes: this.sptes,
      memslotUpdates: this.memslotUpdates,
      memslotChanges: this.memslotChanges,
      timeNs: this.timeNs,
    };
  }
}

type NumRecord = Record<string, number>;
const sub = <T extends object>(a: T, b: T): T => {
  const out: NumRecord = {};
  for (const k of Object.keys(b)) out[k] = (b as NumRecord)[k]! - ((a as NumRecord)[k] ?? 0);
  return out as T;
};

/**
 * `after − before`, field by field: what happened between two snapshots (e.g. one boot phase).
 * `vmxExitTimes` counts and totals are differenced; `minNs`/`maxNs` are `after`'s (cumulative).
 */
export function diffStats(before: KvmStatsSnapshot, after: KvmStatsSnapshot): KvmStatsSnapshot {
  const times = {} as Record<VmxReason, VmxExitTime>;
  for (const r of VMX_REASONS) {
    const a = before.vmxExitTimes[r];
    const b = after.vmxExitTimes[r];
    times[r] = { count: b.count - a.count, totalNs: b.totalNs - a.totalNs, minNs: b.minNs, maxNs: b.maxNs };
  }
  return {
    nowNs: after.nowNs - before.nowNs,
    exits: sub(before.exits, after.exits),
    inKernel: sub(before.inKernel, after.inKernel),
    vmxExits: sub(before.vmxExits, after.vmxExits),
    vmxExitTimes: times,
    eptFaults: after.eptFaults - before.eptFaults,
    sptes: sub(before.sptes, after.sptes),
    memslotUpdates: after.memslotUpdates - before.memslotUpdates,
    memslotChanges: sub(before.memslotChanges, after.memslotChanges),
    timeNs: sub(before.timeNs, after.timeNs),
  };
}
