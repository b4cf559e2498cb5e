/**
 * @module
 * The vCPU: the CPU the guest runs on (it satisfies @sim/guest's structural `Cpu`). Every access takes the
 * path the real kernel takes, is counted, and is charged to the virtual clock. The access methods allocate
 * nothing: counters are typed arrays, costs are numbers, the observer (off by default) gets numbers.
 *
 * Paths mirrored (Linux 6.1):
 * - port I/O: handle_io() → kvm_fast_pio() → emulator_pio_in_out() → kvm_io_bus_read/write(KVM_PIO_BUS),
 *   else KVM_EXIT_IO      https://elixir.bootlin.com/linux/v6.1/A/ident/emulator_pio_in_out
 * - MMIO with no memslot: EPT_VIOLATION (MMIO SPTE cached) then EPT_MISCONFIG (handle_ept_misconfig()),
 *   emulation → vcpu_mmio_read/write() → kvm_io_bus_read/write(KVM_MMIO_BUS), else KVM_EXIT_MMIO
 *                         https://elixir.bootlin.com/linux/v6.1/A/ident/vcpu_mmio_read
 * - a write to a READONLY slot: the fault gets KVM_PFN_ERR_RO_FAULT → RET_PF_EMULATE (kvm_handle_bad_page()),
 *   no SPTE, the write goes the MMIO way (bus, else KVM_EXIT_MMIO)
 *                         https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_handle_bad_page
 * - KVM_MEM_PCI_HOLE (v2, unmerged): a read faults → RET_PF_EMULATE → __kvm_read_guest_page() fills 0xff,
 *   in KVM; a write is a READONLY write.
 */

import type { VmCore } from './core.js';
import { KvmError } from './errors.js';
import type { Slot } from './memslots.js';
import {
  C_NO_EXIT,
  C_VMX_CPUID,
  N_TIME_CATEGORIES,
  R_EPT_VIOLATION,
  R_IO_INSTRUCTION,
  T_EPT_MAP,
  T_IDLE,
  T_KERN_MMIO,
  T_KERN_PIO,
  T_NO_EXIT,
  T_USER_IO,
  T_USER_MMIO,
  type VmClock,
} from './stats.js';
import { NOT_HANDLED, gpaOf, type AccessSize, type CpuidResult, type VmOps } from './types.js';
import { KVM_EXIT_IO, KVM_EXIT_MMIO, PAGE_SIZE } from './uapi.js';

/** `vm.onExit` event: an exit to userspace with KVM_EXIT_IO. */
export const EXIT_EVENT_IO = KVM_EXIT_IO;
/** `vm.onExit` event: an exit to userspace with KVM_EXIT_MMIO. */
export const EXIT_EVENT_MMIO = KVM_EXIT_MMIO;
/** `vm.onExit` event: a port access finished by a KVM_PIO_BUS device. */
export const EXIT_EVENT_IN_KERNEL_PIO = 0x100;
/** `vm.onExit` event: an MMIO access finished in KVM (KVM_MMIO_BUS device, PCI_HOLE read). */
export const EXIT_EVENT_IN_KERNEL_MMIO = 0x101;
/** `vm.onExit` event: an EPT violation that mapped memory. */
export const EXIT_EVENT_EPT_FAULT = 0x102;

const PAGE_MASK = PAGE_SIZE - 1;

function mask(v: number, size: AccessSize): number {
  return size === 4 ? v >>> 0 : size === 2 ? v & 0xffff : v & 0xff;
}

/**
 * A value as it travels inside KVM and back to the guest: the access's bytes as an int32, which V8 keeps as a
 * small integer. A dword with bit 31 set (every 0xcf8 address, 0xffffffff for BAR sizing or an absent
 * function) would otherwise be a heap-allocated number wherever it crosses a call V8 does not inline. The VMM
 * (VmOps) and in-kernel devices get a dword written so, and a dword read reaches the guest so (`>>> 0` for the
 * unsigned value).
 */
function bits(v: number, size: AccessSize): number {
  return size === 4 ? v | 0 : size === 2 ? v & 0xffff : v & 0xff;
}

/**
 * The gfn of a gpa given on the MMIO path, its int32 form included (types.ts, Gpa). Below 4 GiB a shift of the
 * address's 32 bits read unsigned (`>>>` makes the int32 form the address): a floating-point division here was
 * ~5 ns of a ~17 ns MMIO exit.
 */
function gfnOf(gpa: number): number {
  return gpa < 0x1_0000_0000 ? gpa >>> 12 : Math.floor(gpa / PAGE_SIZE);
}

/** All-ones of `size` bytes, a dword as its int32 (-1) like every value read (see {@link bits}). */
function ones(size: AccessSize): number {
  return size === 4 ? -1 : size === 2 ? 0xffff : 0xff;
}

/**
 * A vCPU (`vm.createVcpu()`): the guest's port I/O, MMIO, CPUID and idle time, each access taking the path
 * the real kernel takes. Structurally a @sim/guest `Cpu`.
 */
export interface Vcpu {
  /** The vCPU id given to createVcpu (KVM_CREATE_VCPU's argument, the initial APIC id). */
  readonly id: number;
  inb(port: number): number;
  inw(port: number): number;
  inl(port: number): number;
  outb(port: number, value: number): void;
  outw(port: number, value: number): void;
  outl(port: number, value: number): void;
  /** MMIO and RAM reads; a `gpa` below 4 GiB may be the int32 of its bits (see {@link Gpa}). */
  readb(gpa: number): number;
  readw(gpa: number): number;
  readl(gpa: number): number;
  writeb(gpa: number, value: number): void;
  writew(gpa: number, value: number): void;
  writel(gpa: number, value: number): void;
  /**
   * CPUID: a VM exit handled in KVM from the table set with `vm.setCpuid()` (KVM PV leaves by default).
   * Counted as VMX reason CPUID; not charged to the clock.
   */
  cpuid(leaf: number, subleaf?: number): CpuidResult;
  /** Virtual nanoseconds since the VM was created. */
  now(): number;
  /** The guest idles for `ns` (e.g. udelay): the clock moves, no exit is accounted. */
  sleepNs(ns: number): void;
}

/**
 * The engine behind {@link Vcpu} (KVM's `struct kvm_vcpu`): it keeps the VM's shared state and the typed
 * arrays and clock it writes on every access in its own fields, so an access reaches them without a lookup.
 */
export class KvmVcpu implements Vcpu {
  readonly id: number;
  private readonly core: VmCore;
  private readonly ops: VmOps;
  private readonly c: Float64Array;
  private readonly t: Float64Array;
  private readonly exitsBy: Float64Array;
  private readonly clk: VmClock;

  constructor(core: VmCore, id: number, ops: VmOps) {
    this.core = core;
    this.id = id;
    this.ops = ops;
    this.c = core.stats.c;
    this.t = core.stats.t;
    this.exitsBy = core.stats.exitsBy;
    this.clk = core.clock;
  }

  // ---- port I/O ----
  inb(port: number): number {
    return this.pioIn(port, 1);
  }
  inw(port: number): number {
    return this.pioIn(port, 2);
  }
  inl(port: number): number {
    return this.pioIn(port, 4);
  }
  outb(port: number, value: number): void {
    this.pioOut(port, 1, value);
  }
  outw(port: number, value: number): void {
    this.pioOut(port, 2, value);
  }
  outl(port: number, value: number): void {
    this.pioOut(port, 4, value);
  }

  // ---- MMIO: `gpa` below 4 GiB may be the int32 of its bits (types.ts, Gpa); it goes on as it came ----
  readb(gpa: number): number {
    return this.mmioRead(gpa, 1);
  }
  readw(gpa: number): number {
    return this.mmioRead(gpa, 2);
  }
  readl(gpa: number): number {
    return this.mmioRead(gpa, 4);
  }
  writeb(gpa: number, value: number): void {
    this.mmioWrite(gpa, 1, value);
  }
  writew(gpa: number, value: number): void {
    this.mmioWrite(gpa, 2, value);
  }
  writel(gpa: number, value: number): void {
    this.mmioWrite(gpa, 4, value);
  }

  /**
   * CPUID: a VM exit handled in KVM from the table set with `vm.setCpuid()` (KVM PV leaves by default).
   * Counted as VMX reason CPUID; not charged to the clock (no cost-profile event; the reference recorder
   * does not see it).
   */
  cpuid(leaf: number, subleaf = 0): CpuidResult {
    this.core.ran = true;
    this.c[C_VMX_CPUID]!++;
    return this.core.cpuid.lookup(leaf >>> 0, subleaf >>> 0);
  }

  /** Virtual nanoseconds since the VM was created. */
  now(): number {
    return this.clk.t;
  }

  /** The guest idles for `ns` (e.g. udelay): the clock moves, no exit is accounted. */
  sleepNs(ns: number): void {
    if (!(ns >= 0) || !Number.isFinite(ns)) {
      throw new KvmError('EINVAL', 'sleepNs', `cannot sleep ${ns} ns (must be finite and >= 0)`);
    }
    this.clk.t += ns;
    this.t[T_IDLE]! += ns;
  }

  // ---- internals ----

  /**
   * Charge one exit: the clock, the (reason, time category) count that KvmStats derives every other exit
   * statistic from when it is read (KvmStats.exitsBy, fold()), the observer. `ns` is always the category's
   * cost under the current profile.
   */
  private charge(cat: number, reason: number, ns: number, event: number, addr: number, size: number, isWrite: number): void {
    const clk = this.clk;
    const start = clk.t;
    clk.t = start + ns;
    this.exitsBy[reason * N_TIME_CATEGORIES + cat]!++;
    const o = this.core.onExit;
    if (o !== null) o(event, addr, size, isWrite, start, ns);
  }

  private pioIn(port: number, size: AccessSize): number {
    const core = this.core;
    const p = port & 0xffff;
    core.ran = true;
    // the bus's span tested here, not in a call: the data port (0xcfc) is outside every in-kernel PIO range,
    // and V8 does not always inline IoBus.read into this function
    const bus = core.pioBus;
    if (p >= bus.lo && p + size <= bus.hi) {
      const v = bus.read(p, size);
      if (v !== NOT_HANDLED) {
        this.charge(T_KERN_PIO, R_IO_INSTRUCTION, core.costKPio, EXIT_EVENT_IN_KERNEL_PIO, p, size, 0);
        return bits(v, size);
      }
    }
    this.charge(T_USER_IO, R_IO_INSTRUCTION, core.costIo, EXIT_EVENT_IO, p, size, 0);
    return bits(this.ops.pioRead(p, size), size);
  }

  private pioOut(port: number, size: AccessSize, value: number): void {
    const core = this.core;
    const p = port & 0xffff;
    const val = bits(value, size);
    core.ran = true;
    const bus = core.pioBus;
    if (p >= bus.lo && p + size <= bus.hi && bus.write(p, size, val)) {
      this.charge(T_KERN_PIO, R_IO_INSTRUCTION, core.costKPio, EXIT_EVENT_IN_KERNEL_PIO, p, size, 1);
      return;
    }
    this.charge(T_USER_IO, R_IO_INSTRUCTION, core.costIo, EXIT_EVENT_IO, p, size, 1);
    this.ops.pioWrite(p, size, val);
  }

  /**
   * An EPT violation on an unmapped gfn of a RAM/READONLY slot: map it, count it, charge it. The access
   * exited and KVM alone handled it (`inKernel`); the guest then re-executes it against the new SPTE.
   */
  private mapFault(slot: Slot, gfn: number, gpa: number, size: number, isWrite: number): void {
    const reason = this.core.mmu.fault(slot, gfn);
    this.charge(T_EPT_MAP, reason, this.core.costEpt, EXIT_EVENT_EPT_FAULT, gpa, size, isWrite);
  }

  private noExit(): void {
    const ns = this.core.costNoExit;
    this.c[C_NO_EXIT]!++;
    this.clk.t += ns;
    this.t[T_NO_EXIT]! += ns;
  }

  private mmioRead(gpa: number, size: AccessSize): number {
    if ((gpa & PAGE_MASK) + size > PAGE_SIZE) return this.splitRead(gpa, size);
    const core = this.core;
    core.ran = true;
    const slot = core.table.find(gpa);
    if (slot !== null) {
      if (slot.pciHole) {
        // RET_PF_EMULATE on every read; the emulator's guest-memory read returns 0xff
        this.charge(T_KERN_MMIO, R_EPT_VIOLATION, core.costKMmio, EXIT_EVENT_IN_KERNEL_MMIO, gpa, size, 0);
        return ones(size);
      }
      const gfn = gfnOf(gpa);
      if (core.mmu.isMapped(gfn)) this.noExit();
      else this.mapFault(slot, gfn, gpa, size, 0);
      const off = core.mmu.hostOffset(slot, gpa);
      return bits(slot.region!.read(off, size), size);
    }
    return this.mmioExitRead(gpa, size, R_EPT_VIOLATION, true);
  }

  /**
   * An MMIO read KVM emulates: the in-kernel MMIO bus, else KVM_EXIT_MMIO to the VMM. `viaMmioSpte`: the
   * gfn has no slot, so the exit reason comes from the MMIO SPTE cache; otherwise it is `reason`.
   */
  private mmioExitRead(gpa: number, size: AccessSize, reason: number, viaMmioSpte: boolean): number {
    const core = this.core;
    const r = viaMmioSpte ? core.mmu.mmioAccess(gfnOf(gpa)) : reason;
    if (core.mmioBus.count !== 0) {
      const v = core.mmioBus.read(gpa, size);
      if (v !== NOT_HANDLED) {
        this.charge(T_KERN_MMIO, r, core.costKMmio, EXIT_EVENT_IN_KERNEL_MMIO, gpa, size, 0);
        return bits(v, size);
      }
    }
    this.charge(T_USER_MMIO, r, core.costMmio, EXIT_EVENT_MMIO, gpa, size, 0);
    return bits(this.ops.mmioRead(gpa, size), size);
  }

  private mmioWrite(gpa: number, size: AccessSize, value: number): void {
    if ((gpa & PAGE_MASK) + size > PAGE_SIZE) {
      this.splitWrite(gpa, size, value);
      return;
    }
    const core = this.core;
    core.ran = true;
    const val = bits(value, size);
    const slot = core.table.find(gpa);
    if (slot !== null) {
      if (slot.readonly) {
        // KVM_PFN_ERR_RO_FAULT → RET_PF_EMULATE: an EPT violation every time, no SPTE, MMIO semantics
        this.mmioExitWrite(gpa, size, val, R_EPT_VIOLATION, false);
        return;
      }
      const gfn = gfnOf(gpa);
      if (core.mmu.isMapped(gfn)) this.noExit();
      else this.mapFault(slot, gfn, gpa, size, 1);
      const off = core.mmu.hostOffset(slot, gpa);
      slot.region!.write(off, size, val);
      return;
    }
    this.mmioExitWrite(gpa, size, val, R_EPT_VIOLATION, true);
  }

  private mmioExitWrite(gpa: number, size: AccessSize, val: number, reason: number, viaMmioSpte: boolean): void {
    const core = this.core;
    const r = viaMmioSpte ? core.mmu.mmioAccess(gfnOf(gpa)) : reason;
    if (core.mmioBus.count !== 0 && core.mmioBus.write(gpa, size, val)) {
      this.charge(T_KERN_MMIO, r, core.costKMmio, EXIT_EVENT_IN_KERNEL_MMIO, gpa, size, 1);
      return;
    }
    this.charge(T_USER_MMIO, r, core.costMmio, EXIT_EVENT_MMIO, gpa, size, 1);
    this.ops.mmioWrite(gpa, size, val);
  }

  /**
   * An access crossing a 4 KiB boundary. KVM splits it into one fragment per page (one exit each, lengths
   * 1-3); VmOps takes sizes 1/2/4 only, so a 3-byte fragment goes as 2 + 1 here. Cold path.
   */
  private splitRead(gpa: number, size: AccessSize): number {
    gpa = gpaOf(gpa);
    let v = 0;
    let off = 0;
    while (off < size) {
      const a = gpa + off;
      const room = PAGE_SIZE - (a & PAGE_MASK);
      const n = Math.min(size - off, room);
      const piece: AccessSize = n >= 2 ? 2 : 1;
      v += this.mmioRead(a, piece) * 2 ** (8 * off);
      off += piece;
    }
    return bits(v, size);
  }

  private splitWrite(gpa: number, size: AccessSize, value: number): void {
    gpa = gpaOf(gpa);
    const val = mask(value, size);
    let off = 0;
    while (off < size) {
      const a = gpa + off;
      const room = PAGE_SIZE - (a & PAGE_MASK);
      const n = Math.min(size - off, room);
      const piece: AccessSize = n >= 2 ? 2 : 1;
      this.mmioWrite(a, piece, Math.floor(val / 2 ** (8 * off)));
      off += piece;
    }
  }
}
