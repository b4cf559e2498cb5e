/**
 * @module
 * The VMM process's host memory, as far as KVM sees it: anonymous mappings at host virtual addresses
 * (what `userspace_addr` points into). Each mapping reads as its fill byte until a page is written; only
 * written pages get storage, so a multi-GiB guest RAM costs nothing until touched.
 */

import { KvmError, hex } from './errors.js';
import { shiftDown } from './shift.js';
import { HPAGE_2M_SIZE, PAGE_SHIFT, PAGE_SIZE, TASK_SIZE_MAX } from './uapi.js';

/** Where the simulator's mmap() starts handing out addresses (a typical x86-64 mmap area). */
const MMAP_BASE = 0x7e00_0000_0000;

export class HostRegion {
  readonly start: number;
  readonly size: number;
  readonly end: number;
  readonly fill: number;
  /** page index within the region → its bytes, once written */
  readonly pages = new Map<number, Uint8Array>();
  alive = true;

  constructor(start: number, size: number, fill: number) {
    this.start = start;
    this.size = size;
    this.end = start + size;
    this.fill = fill;
  }

  /** Little-endian read of `size` bytes at region offset `off` (must not cross a page); a dword as its int32. */
  read(off: number, size: number): number {
    const idx = shiftDown(off, PAGE_SHIFT);
    // a region nothing has written to (the 0xff page behind a READONLY slot, a ROM) needs no page lookup
    const page = this.pages.size === 0 ? undefined : this.pages.get(idx);
    if (page === undefined) {
      const f = this.fill;
      if (size === 1) return f;
      if (size === 2) return f | (f << 8);
      return f | (f << 8) | (f << 16) | (f << 24);
    }
    const o = off - idx * PAGE_SIZE;
    if (size === 1) return page[o]!;
    if (size === 2) return page[o]! | (page[o + 1]! << 8);
    return page[o]! | (page[o + 1]! << 8) | (page[o + 2]! << 16) | (page[o + 3]! << 24);
  }

  /** Little-endian write (must not cross a page). Allocates the page's storage on its first write. */
  write(off: number, size: number, value: number): void {
    const idx = shiftDown(off, PAGE_SHIFT);
    let page = this.pages.get(idx);
    if (page === undefined) {
      page = new Uint8Array(PAGE_SIZE);
      if (this.fill !== 0) page.fill(this.fill);
      this.pages.set(idx, page);
    }
    const o = off - idx * PAGE_SIZE;
    page[o] = value & 0xff;
    if (size >= 2) page[o + 1] = (value >>> 8) & 0xff;
    if (size === 4) {
      page[o + 2] = (value >>> 16) & 0xff;
      page[o + 3] = (value >>> 24) & 0xff;
    }
  }

  /**
   * Bytes of host RAM this mapping holds: all of it when it was filled with a non-zero byte (the VMM
   * wrote every page), else only the pages written since (anonymous memory is committed on first write).
   */
  committedBytes(): number {
    return this.fill !== 0 ? this.size : this.pages.size * PAGE_SIZE;
  }
}

/** The host address space of one VMM process. */
export class HostMemory {
  /** sorted by start */
  private regions: HostRegion[] = [];
  private next = MMAP_BASE;

  mmap(size: number, fill: number): HostRegion {
    if (!Number.isSafeInteger(size) || size <= 0) {
      throw new KvmError('EINVAL', 'mmap', `length ${size} must be a positive integer`);
    }
    if (!Number.isInteger(fill) || fill < 0 || fill > 0xff) {
      throw new KvmError('EINVAL', 'mmap', `fill ${fill} is not a byte value (0..255)`);
    }
    const len = Math.ceil(size / PAGE_SIZE) * PAGE_SIZE;
    // Mappings of 2 MiB or more start 2 MiB-aligned, so that THP can back them (as glibc/QEMU arrange).
    const align = len >= HPAGE_2M_SIZE ? HPAGE_2M_SIZE : PAGE_SIZE;
    const start = Math.ceil(this.next / align) * align;
    if (start + len > TASK_SIZE_MAX) {
      throw new KvmError('ENOMEM', 'mmap', `no room for ${hex(len)} bytes below TASK_SIZE_MAX`);
    }
    // one guard page between mappings, so that adjacent mappings never look like one
    this.next = start + len + PAGE_SIZE;
    const r = new HostRegion(start, len, fill);
    this.regions.push(r);
    return r;
  }

  /** Unmaps the whole mapping that starts at `start`. Returns it, or undefined if there is none. */
  munmap(start: number): HostRegion | undefined {
    const i = this.regions.findIndex((r) => r.start === start);
    if (i < 0) return undefined;
    const [r] = this.regions.splice(i, 1);
    if (r) r.alive = false;
    return r;
  }

  /** The mapping containing `hva`, if any. */
  find(hva: number): HostRegion | undefined {
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = rs[mid]!;
      if (hva < r.start) hi = mid - 1;
      else if (hva >= r.end) lo = mid + 1;
      else return r;
    }
    return undefined;
  }

  committedBytes(): number {
    let n = 0;
    for (const r of this.regions) n += r.committedBytes();
    return n;
  }

  mappedBytes(): number {
    let n = 0;
    for (const r of this.regions) n += r.size;
    return n;
  }
}
