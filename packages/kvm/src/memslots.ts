/**
 * @module
 * Memslots: `KVM_SET_USER_MEMORY_REGION` with the validation order and errnos of Linux 6.1, and the
 * gpa → slot lookup the vCPU does on every MMIO access (sorted array + binary search + last-hit cache, the
 * shape of rust-vmm's `vm_memory`/`Bus` over sorted ranges).
 *
 * Mirrors (Linux 6.1):
 * - kvm_vm_ioctl_set_memory_region()  https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_vm_ioctl_set_memory_region
 * - check_memory_region_flags()       https://elixir.bootlin.com/linux/v6.1/A/ident/check_memory_region_flags
 * - __kvm_set_memory_region()         https://elixir.bootlin.com/linux/v6.1/A/ident/__kvm_set_memory_region
 * - kvm_check_memslot_overlap()       https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_check_memslot_overlap
 * - kvm_arch_prepare_memory_region()  https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_arch_prepare_memory_region
 * plus the v2 KVM_MEM_PCI_HOLE checks (Kuznetsov, Aug 2020, never merged).
 */

import { KvmError, hex } from './errors.js';
import type { HostRegion } from './hostmem.js';
import type { UserspaceMemoryRegion } from './types.js';
import {
  KVM_ADDRESS_SPACE_NUM,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_MAX_NR_PAGES,
  KVM_MEM_PCI_HOLE,
  KVM_MEM_READONLY,
  KVM_MEM_SINGLE_HVA,
  KVM_USER_MEM_SLOTS,
  PAGE_SIZE,
  TASK_SIZE_MAX,
} from './uapi.js';

const OP = 'KVM_SET_USER_MEMORY_REGION';

/** What a memslot looks like from outside (`vm.memslots()`): a copy. */
export interface Memslot {
  /** the raw `slot` field: address space id << 16 | slot id */
  readonly slot: number;
  readonly asId: number;
  readonly id: number;
  readonly flags: number;
  readonly guestPhysAddr: number;
  readonly memorySize: number;
  readonly userspaceAddr: number;
  readonly baseGfn: number;
  readonly npages: number;
  /**
   * Why KVM can map no part of this slot with a 2 MiB SPTE, or null when some 2 MiB frame of it can be
   * (e.g. "KVM_MEM_SINGLE_HVA routes every GFN to one 4 KiB host page").
   */
  readonly hugepageBlocker: string | null;
}

/** `enum kvm_mr_change`. */
export type MemslotChange = 'create' | 'delete' | 'move' | 'flagsOnly' | 'none';

/** The kernel's `struct kvm_memory_slot`, as much as the model needs. */
export class Slot {
  readonly asId: number;
  readonly id: number;
  flags: number;
  baseGfn: number;
  readonly npages: number;
  /** guest physical range [gpa, end) */
  gpa: number;
  end: number;
  readonly hva: number;
  /** hot-path copies of the flags */
  readonly: boolean;
  pciHole: boolean;
  singleHva: boolean;
  dirtyLog: boolean;
  /** host mapping cache (resolved on the first fault; reset when the mapping goes away) */
  region: HostRegion | null = null;
  /**
   * `hva - region.start` for the cached region: offsets into the region stay small numbers, so no large
   * (boxed) number crosses a call on the access path.
   */
  regionBase = 0.5;
  /** KVM_MEM_SINGLE_HVA: length of the host range the GFNs repeat over (0 until resolved) */
  period = 0;
  /**
   * `period - 1` when the period is a power of two up to 1 GiB (a 4 KiB page, a 2 MiB hugepage), else -1: the
   * offset in the period is then a mask, not `%` of a double, which V8 compiles to a call to fmod
   */
  periodMask = -1;

  constructor(asId: number, id: number, flags: number, gpa: number, size: number, hva: number) {
    this.asId = asId;
    this.id = id;
    this.flags = flags;
    this.gpa = gpa;
    this.end = gpa + size;
    this.baseGfn = gpa / PAGE_SIZE;
    this.npages = size / PAGE_SIZE;
    this.hva = hva;
    this.readonly = (flags & (KVM_MEM_READONLY | KVM_MEM_PCI_HOLE)) !== 0;
    this.pciHole = (flags & KVM_MEM_PCI_HOLE) !== 0;
    this.singleHva = (flags & KVM_MEM_SINGLE_HVA) !== 0;
    this.dirtyLog = (flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
    this.regionBase = 0;
  }

  setFlags(flags: number): void {
    this.flags = flags;
    this.dirtyLog = (flags & KVM_MEM_LOG_DIRTY_PAGES) !== 0;
  }

  moveTo(gpa: number): void {
    const size = this.end - this.gpa;
    this.gpa = gpa;
    this.end = gpa + size;
    this.baseGfn = gpa / PAGE_SIZE;
  }

  /** Host virtual address backing guest physical `gpa` (which must be in the slot). */
  hvaOf(gpa: number): number {
    const off = gpa - this.gpa;
    return this.singleHva ? this.hva + (off % this.period) : this.hva + off;
  }

  describe(): string {
    const name = this.asId === 0 ? `slot ${this.id}` : `slot ${this.id} (address space ${this.asId})`;
    return `${name} [${hex(this.gpa)}, ${hex(this.end)})`;
  }
}

export interface MemslotCaps {
  readonlyMem: boolean;
  pciHole: boolean;
  singleHva: boolean;
  /** kvm_mmu_max_gfn(): (1 << (host MAXPHYADDR - PAGE_SHIFT)) - 1 */
  maxGfn: number;
}

export interface MemslotUpdate {
  change: MemslotChange;
  slot: Slot | null;
}

const u64 = (field: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new KvmError('EINVAL', OP, `${field} ${String(v)} is not a u64 this model can represent (integer 0..2^53-1)`);
  }
  return v;
};

const u32 = (field: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new KvmError('EINVAL', OP, `${field} ${String(v)} is not a u32`);
  }
  return v;
};

function flagNames(flags: number): string {
  const names: string[] = [];
  if (flags & KVM_MEM_LOG_DIRTY_PAGES) names.push('KVM_MEM_LOG_DIRTY_PAGES');
  if (flags & KVM_MEM_READONLY) names.push('KVM_MEM_READONLY');
  if (flags & KVM_MEM_PCI_HOLE) names.push('KVM_MEM_PCI_HOLE');
  if (flags & KVM_MEM_SINGLE_HVA) names.push('KVM_MEM_SINGLE_HVA');
  const rest = flags & ~(KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY | KVM_MEM_PCI_HOLE | KVM_MEM_SINGLE_HVA);
  if (rest) names.push(hex(rest >>> 0));
  return names.join('|') || '0';
}

/** The memslots of one VM, both address spaces. */
export class MemslotTable {
  private readonly byId: Map<number, Slot>[] = [];
  /** per address space, sorted by gpa; slots never overlap within one */
  private readonly sorted: Slot[][] = [];
  /** the slot the last lookup hit (address space 0) */
  private last: Slot | null = null;

  constructor() {
    for (let as = 0; as < KVM_ADDRESS_SPACE_NUM; as++) {
      this.byId.push(new Map());
      this.sorted.push([]);
    }
  }

  /** The slot of address space 0 containing `gpa`, or null. The vCPU's hot path. */
  find(gpa: number): Slot | null {
    // the int32 form of a gpa below 4 GiB too (types.ts, Gpa): compared here and passed to nothing (a double
    // V8 passes to a call it does not inline is a heap number each time)
    const a = gpa + (gpa < 0 ? 0x1_0000_0000 : 0);
    const l = this.last;
    if (l !== null && a >= l.gpa && a < l.end) return l;
    const s = this.sorted[0]!;
    let lo = 0;
    let hi = s.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const slot = s[mid]!;
      if (a < slot.gpa) hi = mid - 1;
      else if (a >= slot.end) lo = mid + 1;
      else {
        this.last = slot;
        return slot;
      }
    }
    return null;
  }

  all(): Slot[] {
    return this.sorted.flat();
  }

  count(): number {
    let n = 0;
    for (const m of this.byId) n += m.size;
    return n;
  }

  /** First slot of `asId` other than `id` overlapping [gpa, end), as kvm_check_memslot_overlap(). */
  private overlap(asId: number, id: number, gpa: number, end: number): Slot | null {
    const s = this.sorted[asId]!;
    // first slot whose end > gpa
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]!.end <= gpa) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < s.length && s[i]!.gpa < end; i++) {
      if (s[i]!.id !== id) return s[i]!;
    }
    return null;
  }

  private insertSorted(slot: Slot): void {
    const s = this.sorted[slot.asId]!;
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (s[mid]!.gpa < slot.gpa) lo = mid + 1;
      else hi = mid;
    }
    s.splice(lo, 0, slot);
  }

  private removeSorted(slot: Slot): void {
    const s = this.sorted[slot.asId]!;
    const i = s.indexOf(slot);
    if (i >= 0) s.splice(i, 1);
    if (this.last === slot) this.last = null;
  }

  /**
   * Validates and applies one KVM_SET_USER_MEMORY_REGION. Throws a KvmError with the errno 6.1 returns,
   * checked in 6.1's order; returns what changed.
   */
  set(r: UserspaceMemoryRegion, caps: MemslotCaps): MemslotUpdate {
    if (typeof r !== 'object' || r === null) {
      throw new KvmError('EFAULT', OP, 'no struct kvm_userspace_memory_region given');
    }
    const rawSlot = u32('slot', r.slot);
    const flags = u32('flags', r.flags);
    const gpa = u64('guest_phys_addr', r.guestPhysAddr);
    const size = u64('memory_size', r.memorySize);
    const hva = u64('userspace_addr', r.userspaceAddr);
    const id = rawSlot & 0xffff;
    const asId = rawSlot >>> 16;

    // kvm_vm_ioctl_set_memory_region(): the internal slots above KVM_USER_MEM_SLOTS are KVM's own
    if (id >= KVM_USER_MEM_SLOTS) {
      throw new KvmError('EINVAL', OP, `slot id ${id} is not below KVM_USER_MEM_SLOTS (${KVM_USER_MEM_SLOTS})`);
    }

    // check_memory_region_flags()
    let valid = KVM_MEM_LOG_DIRTY_PAGES;
    if (caps.readonlyMem) valid |= KVM_MEM_READONLY;
    if (caps.pciHole) valid |= KVM_MEM_PCI_HOLE;
    if (caps.singleHva) valid |= KVM_MEM_SINGLE_HVA;
    if (flags & ~valid) {
      const unknown = flags & ~valid;
      let why = `flags ${flagNames(flags)} has bits KVM does not accept (${flagNames(unknown)}; valid: ${flagNames(valid)})`;
      if (unknown & KVM_MEM_PCI_HOLE) why = `flags ${flagNames(flags)}: KVM_MEM_PCI_HOLE needs KVM_CAP_PCI_HOLE_MEM, which this KVM does not have`;
      else if (unknown & KVM_MEM_SINGLE_HVA) why = `flags ${flagNames(flags)}: KVM_MEM_SINGLE_HVA needs the single-HVA capability, which this KVM does not have`;
      throw new KvmError('EINVAL', OP, why);
    }
    // v2 PCI_HOLE: "PCI_HOLE can't be used with other flags" (excludes READONLY and LOG_DIRTY_PAGES)
    if (flags & KVM_MEM_PCI_HOLE && flags !== KVM_MEM_PCI_HOLE) {
      throw new KvmError('EINVAL', OP, `flags ${flagNames(flags)}: KVM_MEM_PCI_HOLE cannot be combined with other flags`);
    }

    // General sanity checks
    if (size % PAGE_SIZE !== 0) {
      throw new KvmError('EINVAL', OP, `memory_size ${hex(size)} is not a multiple of PAGE_SIZE`);
    }
    if (gpa % PAGE_SIZE !== 0) {
      throw new KvmError('EINVAL', OP, `guest_phys_addr ${hex(gpa)} is not page-aligned`);
    }
    // v2 PCI_HOLE: there is no host memory behind the slot
    if (flags & KVM_MEM_PCI_HOLE && hva !== 0) {
      throw new KvmError('EINVAL', OP, `KVM_MEM_PCI_HOLE slot needs userspace_addr 0, got ${hex(hva)}`);
    }
    if (hva % PAGE_SIZE !== 0) {
      throw new KvmError('EINVAL', OP, `userspace_addr ${hex(hva)} is not page-aligned`);
    }
    // access_ok(userspace_addr, memory_size)
    if (hva + size > TASK_SIZE_MAX) {
      throw new KvmError('EINVAL', OP, `userspace_addr range [${hex(hva)}, ${hex(hva + size)}) is not below TASK_SIZE_MAX (access_ok)`);
    }
    if (asId >= KVM_ADDRESS_SPACE_NUM) {
      throw new KvmError('EINVAL', OP, `address space ${asId} (slot ${hex(rawSlot)}) is not below KVM_ADDRESS_SPACE_NUM (${KVM_ADDRESS_SPACE_NUM})`);
    }
    // (guest_phys_addr + memory_size wrapping a u64 cannot be represented here: both are < 2^53)
    if (size / PAGE_SIZE > KVM_MEM_MAX_NR_PAGES) {
      throw new KvmError('EINVAL', OP, `memory_size ${hex(size)} is more than KVM_MEM_MAX_NR_PAGES pages`);
    }

    const old = this.byId[asId]!.get(id) ?? null;
    // only error messages use these: formatted when one is thrown
    const name = (): string => (asId === 0 ? `slot ${id}` : `slot ${id} (address space ${asId})`);
    const range = (): string => `[${hex(gpa)}, ${hex(gpa + size)})`;

    if (size === 0) {
      if (!old) throw new KvmError('EINVAL', OP, `cannot delete ${name()}: it does not exist`);
      this.byId[asId]!.delete(id);
      this.removeSorted(old);
      return { change: 'delete', slot: old };
    }

    let change: MemslotChange;
    if (!old) {
      change = 'create';
    } else {
      if (hva !== old.hva) {
        throw new KvmError('EINVAL', OP, `${name()}: userspace_addr of an existing slot cannot change (${hex(old.hva)} → ${hex(hva)}); delete it first`);
      }
      if (size / PAGE_SIZE !== old.npages) {
        throw new KvmError('EINVAL', OP, `${name()}: memory_size of an existing slot cannot change (${hex(old.end - old.gpa)} → ${hex(size)}); delete it first`);
      }
      const toggled = (flags ^ old.flags) & (KVM_MEM_READONLY | KVM_MEM_PCI_HOLE | KVM_MEM_SINGLE_HVA);
      if (toggled) {
        throw new KvmError('EINVAL', OP, `${name()}: ${flagNames(toggled)} cannot be toggled on an existing slot; delete it first`);
      }
      if (gpa !== old.gpa) change = 'move';
      else if (flags !== old.flags) change = 'flagsOnly';
      else return { change: 'none', slot: old };
    }

    if (change === 'create' || change === 'move') {
      const other = this.overlap(asId, id, gpa, gpa + size);
      if (other) throw new KvmError('EEXIST', OP, `${name()} ${range()} overlaps ${other.describe()}`);
      // kvm_arch_prepare_memory_region(): no SPTE can map a gfn above host MAXPHYADDR
      if (gpa / PAGE_SIZE + size / PAGE_SIZE - 1 > caps.maxGfn) {
        throw new KvmError('EINVAL', OP, `${name()} ${range()} ends above the host MAXPHYADDR (kvm_mmu_max_gfn ${hex(caps.maxGfn)})`);
      }
    }

    if (change === 'create') {
      const slot = new Slot(asId, id, flags, gpa, size, hva);
      this.byId[asId]!.set(id, slot);
      this.insertSorted(slot);
      return { change, slot };
    }
    const slot = old!;
    if (change === 'move') {
      this.removeSorted(slot);
      slot.moveTo(gpa);
      slot.setFlags(flags);
      this.insertSorted(slot);
    } else {
      slot.setFlags(flags);
    }
    return { change, slot };
  }
}
