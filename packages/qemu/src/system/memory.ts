/**
 * @module
 * One small address space: what softmmu/memory.c's flat view of an AddressSpace (`address_space_io`,
 * `address_space_memory`) comes to for the regions pcisim models, in rust-vmm vm-device's `Bus` shape:
 * sorted, non-overlapping regions; {@link AddressSpace.insert} refuses an overlap, {@link AddressSpace.lookup}
 * finds the region an access starts in, {@link AddressSpace.remove} takes one out. A machine answers the
 * vCPU's port I/O and MMIO exits through two of them (its VmOps is this dispatch): the type-1 config ports,
 * the ECAM window, and what the hot-plug controllers map (ACPI PCI hot-plug and PM/GPE registers, SHPC BARs).
 *
 * An access no region takes is unassigned: reads return all-ones, writes are dropped (unassigned_mem_ops).
 * Dispatch allocates nothing; the region found last is tried first (a guest's config scan stays on one).
 */
import { QemuError } from '../errors.js';

/** A region's handlers (MemoryRegionOps): `offset` from the region's start; values as the access's bytes. */
export interface MemoryRegionOps {
  /** the bytes read; a dword may be returned as its int32 */
  read(offset: number, size: number): number;
  /** `value`: the bytes written, a dword possibly as their int32 */
  write(offset: number, size: number, value: number): void;
}

/** One mapped region, as {@link AddressSpace.regions} lists them. */
export interface MappedRegion {
  name: string;
  addr: number;
  size: number;
}

const TWO_32 = 4294967296;

/** A mapped region as dispatch reads it: one shape for every region, so the loads below stay monomorphic. */
class FlatRange {
  constructor(
    readonly start: number,
    readonly end: number,
    readonly ops: MemoryRegionOps,
  ) {}
}

/** no region: the memo slots start (and are reset) with a range nothing falls in */
const NO_RANGE = new FlatRange(0, 0, { read: () => 0, write: () => {} });

/** An address space: the regions mapped in it, sorted by address, none overlapping. */
export class AddressSpace {
  private starts = new Float64Array(0);
  private ends = new Float64Array(0);
  private ops: MemoryRegionOps[] = [];
  private names: string[] = [];
  private ranges: FlatRange[] = [];
  /**
   * The range the last read and the last write fell in, tried first (reads and writes apart: a conf1 read is
   * a write of 0xcf8, then a read of 0xcfc)
   */
  private lastRead = NO_RANGE;
  private lastWrite = NO_RANGE;

  constructor(readonly name: string) {}

  /** regions mapped */
  get size(): number {
    return this.ops.length;
  }

  /**
   * Maps `ops` at [addr, addr + size) (memory_region_add_subregion()). Throws if it overlaps a mapped region
   * (QEMU would need priorities; pcisim's regions never overlap).
   */
  insert(name: string, addr: number, size: number, ops: MemoryRegionOps): void {
    if (size <= 0 || size > 0x80000000) throw new QemuError('UNSUPPORTED', `pcisim: ${this.name}: region ${name}: size 0x${size.toString(16)} (0 < size ≤ 2 GiB)`);
    const at = this.overlapping(addr, size);
    if (at >= 0) {
      throw new QemuError(
        'UNSUPPORTED',
        `pcisim: ${this.name}: region ${name} [0x${addr.toString(16)}, +0x${size.toString(16)}) overlaps ${this.names[at]!}`,
      );
    }
    let i = 0;
    while (i < this.ops.length && this.starts[i]! < addr) i++;
    this.starts = insertAt(this.starts, i, addr);
    this.ends = insertAt(this.ends, i, addr + size);
    this.ops.splice(i, 0, ops);
    this.names.splice(i, 0, name);
    this.ranges.splice(i, 0, new FlatRange(addr, addr + size, ops));
    this.lastRead = this.lastWrite = NO_RANGE;
  }

  /** Unmaps the region `ops` was mapped with (memory_region_del_subregion()); false if it is not mapped. */
  remove(ops: MemoryRegionOps): boolean {
    const i = this.ops.indexOf(ops);
    if (i < 0) return false;
    this.starts = removeAt(this.starts, i);
    this.ends = removeAt(this.ends, i);
    this.ops.splice(i, 1);
    this.names.splice(i, 1);
    this.ranges.splice(i, 1);
    this.lastRead = this.lastWrite = NO_RANGE;
    return true;
  }

  /** The index of the mapped region [addr, addr + size) overlaps, or -1. */
  private overlapping(addr: number, size: number): number {
    for (let i = 0; i < this.ops.length; i++) if (addr < this.ends[i]! && this.starts[i]! < addr + size) return i;
    return -1;
  }

  /** Whether [addr, addr + size) overlaps a mapped region. */
  overlaps(addr: number, size: number): boolean {
    return this.overlapping(addr, size) >= 0;
  }

  /**
   * The index of the region `addr` falls in, or -1 (a binary search, the last answer first). `addr` as the
   * vCPU gives it: a guest-physical address below 4 GiB may come as the int32 of its bits (@sim/kvm's Gpa),
   * made the address here, so that no unsigned address ≥ 2^31 is passed to a call (a heap number per access).
   */
  lookup(addr: number): number {
    // one float64 add, no phi of a double and an int32 (which V8 may tag, a heap number per access)
    const a = addr + (addr < 0 ? TWO_32 : 0);
    let lo = 0;
    let hi = this.ops.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (a < this.starts[mid]!) hi = mid - 1;
      else if (a >= this.ends[mid]!) lo = mid + 1;
      else return mid;
    }
    return -1;
  }

  /** The range `a` (an address, not its int32 form) falls in, or NO_RANGE. */
  private rangeAt(a: number): FlatRange {
    const i = this.lookup(a);
    return i < 0 ? NO_RANGE : this.ranges[i]!;
  }

  /** A read at `addr` (address_space_read() of one access); `addr` as for {@link lookup}. Unassigned: all-ones. */
  read(addr: number, size: number): number {
    // one float64 add (see lookup); the last read's range first, checked here so that V8 inlines the dispatch
    const a = addr + (addr < 0 ? TWO_32 : 0);
    let r = this.lastRead;
    if (a < r.start || a >= r.end) this.lastRead = r = this.rangeAt(a);
    if (r === NO_RANGE) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    // the offset goes on as an int32 (regions are under 2 GiB): a double there is a heap number per call
    return r.ops.read((a - r.start) | 0, size);
  }

  /** A write at `addr` (address_space_write() of one access); `addr` as for {@link lookup}. Unassigned: dropped. */
  write(addr: number, size: number, value: number): void {
    const a = addr + (addr < 0 ? TWO_32 : 0);
    let r = this.lastWrite;
    if (a < r.start || a >= r.end) this.lastWrite = r = this.rangeAt(a);
    if (r !== NO_RANGE) r.ops.write((a - r.start) | 0, size, value);
  }

  /** The regions mapped, in address order (`info mtree`, flattened). */
  regions(): MappedRegion[] {
    return this.ops.map((_, i) => ({ name: this.names[i]!, addr: this.starts[i]!, size: this.ends[i]! - this.starts[i]! }));
  }
}

function insertAt(a: Float64Array<ArrayBuffer>, i: number, v: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(a.length + 1);
  out.set(a.subarray(0, i));
  out[i] = v;
  out.set(a.subarray(i), i + 1);
  return out;
}

function removeAt(a: Float64Array<ArrayBuffer>, i: number): Float64Array<ArrayBuffer> {
  const out = new Float64Array(a.length - 1);
  out.set(a.subarray(0, i));
  out.set(a.subarray(i + 1), i);
  return out;
}
