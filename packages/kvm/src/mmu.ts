/**
 * @module
 * The two-dimensional MMU, reduced to what decides exits: which GFNs have a present SPTE (so a guest
 * access does not exit), which have an MMIO SPTE (so the next access is an EPT_MISCONFIG rather than an
 * EPT_VIOLATION), and what one EPT violation installs: one 4 KiB SPTE, a 2 MiB SPTE, or a 4 KiB SPTE plus
 * prefetched neighbours.
 *
 * Mirrors (Linux 6.1, arch/x86/kvm/mmu/mmu.c):
 * - kvm_mmu_hugepage_adjust() / kvm_mmu_max_mapping_level()
 *     https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_mmu_hugepage_adjust
 * - host_pfn_mapping_level(): a 2 MiB SPTE needs a 2 MiB host mapping (THP/hugetlbfs)
 * - kvm_alloc_memslot_metadata() lpage_info: head/tail frames of a slot and gfn/hva misalignment disallow
 *   large pages   https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_alloc_memslot_metadata
 * - direct_pte_prefetch() / __direct_pte_prefetch() / direct_pte_prefetch_many(): the aligned group of
 *   PTE_PREFETCH_NUM SPTEs around the faulting one, runs of non-present entries, each run within one slot
 *     https://elixir.bootlin.com/linux/v6.1/A/ident/__direct_pte_prefetch
 * - kvm_mmu_zap_all_fast(): every memslot DELETE/MOVE invalidates all SPTEs (kvm_arch_flush_shadow_memslot)
 *     https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_mmu_zap_all_fast
 * - handle_abnormal_pfn() / handle_mmio_page_fault(): MMIO SPTEs for gfns with no slot
 *
 * Where this departs from 6.1, on purpose (the ro-page mitigation variants of DESIGN.md §3):
 * - 6.1's default TDP MMU (kvm_tdp_mmu_map) never prefetches; only the legacy direct_map() path does, and
 *   gfn_to_page_many_atomic() asks for writable pages, so READONLY slots are never prefetched. Here
 *   `prefetch` applies to every slot kind but PCI_HOLE, and may be any power of two up to 512 (a whole
 *   2 MiB range, Sean's "prefetching 2mb ranges").
 */

import { KvmError, hex } from './errors.js';
import type { HostMemory } from './hostmem.js';
import type { MemslotTable, Slot } from './memslots.js';
import { C_EPT_FAULTS, C_SPTE_2M, C_SPTE_4K, C_SPTE_MMIO, C_SPTE_PREFETCH, C_ZAP_ALL, R_EPT_MISCONFIG, R_EPT_VIOLATION } from './stats.js';
import { shiftDown } from './shift.js';
import { HPAGE_2M_SIZE, PAGES_PER_2M, PAGE_SIZE } from './uapi.js';

/** How one EPT violation maps memory (a Vm option). */
export interface MmuOptions {
  /**
   * Map a whole 2 MiB frame with one SPTE when KVM allows it: the frame lies inside one slot, gfn and hva
   * are congruent modulo 2 MiB, the slot has no dirty logging, is not PCI_HOLE, and the host mapping is a
   * 2 MiB-aligned range of at least 2 MiB (THP). Default false: the host backs guest memory with 4 KiB pages.
   */
  hugepages?: boolean;
  /**
   * SPTE prefetch on a 4 KiB fault: also map the other non-present SPTEs of the aligned group of this many
   * entries (a power of two, 1..512). 0 or 1: none (6.1's TDP MMU). 8: PTE_PREFETCH_NUM, the legacy MMU's
   * direct_pte_prefetch(). 512: the whole 2 MiB range. Default 0.
   */
  prefetch?: number;
}

/** log2(PAGES_PER_2M): a gfn's 2 MiB frame is gfn >> FRAME_SHIFT */
const FRAME_SHIFT = 9;
const F_MMIO = 16;
const F_FLAGS = 32;
const FRAME_WORDS = 33;
const FLAG_HUGE = 1;

export class Mmu {
  readonly hugepages: boolean;
  readonly prefetch: number;
  /** 2 MiB frame index (gfn / 512) → [0..15] present bits, [16..31] MMIO-SPTE bits, [32] flags */
  private frames = new Map<number, Uint32Array>();
  private lastKey = -1;
  private lastFrame: Uint32Array | null = null;
  private readonly table: MemslotTable;
  private readonly host: HostMemory;
  private readonly c: Float64Array;

  constructor(opts: MmuOptions | undefined, table: MemslotTable, host: HostMemory, counts: Float64Array) {
    const hp = opts?.hugepages ?? false;
    const pf = opts?.prefetch ?? 0;
    if (typeof hp !== 'boolean') throw new KvmError('EINVAL', 'KVM_CREATE_VM', `mmu.hugepages must be a boolean, got ${String(hp)}`);
    if (!Number.isInteger(pf) || pf < 0 || pf > PAGES_PER_2M || (pf & (pf - 1)) !== 0) {
      throw new KvmError('EINVAL', 'KVM_CREATE_VM', `mmu.prefetch ${String(pf)} must be 0 or a power of two up to ${PAGES_PER_2M}`);
    }
    this.hugepages = hp;
    this.prefetch = pf <= 1 ? 0 : pf;
    this.table = table;
    this.host = host;
    this.c = counts;
  }

  private frame(key: number): Uint32Array | null {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.lastFrame = this.frames.get(key) ?? null;
    }
    return this.lastFrame;
  }

  private frameForWrite(key: number): Uint32Array {
    let f = this.frame(key);
    if (f === null) {
      f = new Uint32Array(FRAME_WORDS);
      this.frames.set(key, f);
      this.lastFrame = f;
    }
    return f;
  }

  /** Is there a present SPTE for `gfn`? (the no-exit test on every RAM/ROM access) */
  isMapped(gfn: number): boolean {
    const key = shiftDown(gfn, FRAME_SHIFT);
    const f = this.frame(key);
    if (f === null) return false;
    const bit = gfn - key * PAGES_PER_2M;
    return ((f[bit >>> 5]! >>> (bit & 31)) & 1) !== 0;
  }

  /**
   * An access to a gfn with no memslot. Returns the VMX exit reason it takes: EPT_VIOLATION the first time
   * (KVM caches an MMIO SPTE), EPT_MISCONFIG afterwards (the MMIO SPTE's reserved bits).
   */
  mmioAccess(gfn: number): number {
    const key = shiftDown(gfn, FRAME_SHIFT);
    const bit = gfn - key * PAGES_PER_2M;
    const f = this.frame(key);
    if (f !== null && ((f[F_MMIO + (bit >>> 5)]! >>> (bit & 31)) & 1) !== 0) return R_EPT_MISCONFIG;
    const w = this.frameForWrite(key);
    w[F_MMIO + (bit >>> 5)]! |= 1 << (bit & 31);
    this.c[C_SPTE_MMIO]!++;
    return R_EPT_VIOLATION;
  }

  /** Does `gfn` hold an MMIO SPTE (left from when it had no slot)? */
  private hasMmioSpte(gfn: number): boolean {
    const key = shiftDown(gfn, FRAME_SHIFT);
    const f = this.frame(key);
    if (f === null) return false;
    const bit = gfn - key * PAGES_PER_2M;
    return ((f[F_MMIO + (bit >>> 5)]! >>> (bit & 31)) & 1) !== 0;
  }

  private setMapped(gfn: number): void {
    const key = shiftDown(gfn, FRAME_SHIFT);
    const bit = gfn - key * PAGES_PER_2M;
    const f = this.frameForWrite(key);
    const w = bit >>> 5;
    const m = 1 << (bit & 31);
    f[w]! |= m;
    f[F_MMIO + w]! &= ~m;
  }

  /**
   * Offset into `slot.region` of the host byte behind `gpa` (which is in `slot`); sets `slot.region`. A
   * KVM_RUN EFAULT when the VMM never mapped that host memory. The access path: only small numbers cross it.
   */
  hostOffset(slot: Slot, gpa: number): number {
    const r = slot.region;
    if (r !== null && r.alive) {
      const rel = gpa + (gpa < 0 ? 0x1_0000_0000 : 0) - slot.gpa; // the int32 form too (types.ts, Gpa)
      const m = slot.periodMask;
      const off = slot.regionBase + (slot.singleHva ? (m >= 0 && rel <= 0x7fff_ffff ? rel & m : rel % slot.period) : rel);
      if (off >= 0 && off < r.size) return off;
    }
    return this.resolveHost(slot, gpa);
  }

  /** Finds the host mapping behind `gpa` and caches it in the slot (KVM_MEM_SINGLE_HVA: and its period). */
  private resolveHost(slot: Slot, gpa: number): number {
    if (slot.singleHva) {
      const r = this.host.find(slot.hva);
      if (r === undefined) throw this.efault(slot, gpa, slot.hva);
      slot.period = r.end - slot.hva;
      slot.periodMask = (slot.period & (slot.period - 1)) === 0 && slot.period <= 2 ** 30 ? slot.period - 1 : -1;
      slot.region = r;
      slot.regionBase = slot.hva - r.start;
      return slot.regionBase + ((gpa - slot.gpa) % slot.period);
    }
    const hva = slot.hva + (gpa - slot.gpa);
    const r = this.host.find(hva);
    if (r === undefined) throw this.efault(slot, gpa, hva);
    slot.region = r;
    slot.regionBase = slot.hva - r.start;
    return hva - r.start;
  }

  private efault(slot: Slot, gpa: number, hva: number): KvmError {
    return new KvmError('EFAULT', 'KVM_RUN', `gpa ${hex(gpa)} in ${slot.describe()} is backed by hva ${hex(hva)}, which the VMM has not mapped`);
  }

  /**
   * An EPT violation on a gfn of a RAM or READONLY slot that has no SPTE: installs the mapping (with
   * hugepage or prefetch per the options) and returns the VMX exit reason it came as.
   */
  fault(slot: Slot, gfn: number): number {
    const reason = this.hasMmioSpte(gfn) ? R_EPT_MISCONFIG : R_EPT_VIOLATION;
    this.hostOffset(slot, gfn * PAGE_SIZE);
    this.c[C_EPT_FAULTS]!++;
    if (this.hugepages && this.hugeOk(slot, gfn)) {
      const key = shiftDown(gfn, FRAME_SHIFT);
      const f = this.frameForWrite(key);
      for (let w = 0; w < 16; w++) {
        f[w] = 0xffff_ffff;
        f[F_MMIO + w] = 0;
      }
      f[F_FLAGS]! |= FLAG_HUGE;
      this.c[C_SPTE_2M]!++;
      return reason;
    }
    this.setMapped(gfn);
    this.c[C_SPTE_4K]!++;
    if (this.prefetch !== 0) this.prefetchAround(gfn);
    return reason;
  }

  /** lpage_info + host_pfn_mapping_level for the 2 MiB frame of `gfn`. */
  private hugeOk(slot: Slot, gfn: number): boolean {
    if (slot.pciHole || slot.dirtyLog) return false;
    const frameGfn = gfn - (gfn % PAGES_PER_2M);
    if (frameGfn < slot.baseGfn || frameGfn + PAGES_PER_2M > slot.baseGfn + slot.npages) return false;
    if (slot.singleHva && slot.period % HPAGE_2M_SIZE !== 0) return false;
    const hvaF = slot.hvaOf(frameGfn * PAGE_SIZE);
    if (hvaF % HPAGE_2M_SIZE !== 0) return false;
    const r = this.host.find(hvaF);
    return r !== undefined && hvaF + HPAGE_2M_SIZE <= r.end;
  }

  /** __direct_pte_prefetch() over an aligned group of `prefetch` SPTEs. */
  private prefetchAround(gfn: number): void {
    const n = this.prefetch;
    const g0 = gfn - (gfn % n);
    let start = -1;
    for (let g = g0; g < g0 + n; g++) {
      if (g === gfn || this.isMapped(g)) {
        if (start < 0) continue;
        if (!this.prefetchRun(start, g)) return;
        start = -1;
      } else if (start < 0) {
        start = g;
      }
    }
    if (start >= 0) this.prefetchRun(start, g0 + n);
  }

  /** direct_pte_prefetch_many(): map [s, e) from the slot of `s`, all or nothing. */
  private prefetchRun(s: number, e: number): boolean {
    const slot = this.table.find(s * PAGE_SIZE);
    if (slot === null || slot.dirtyLog || slot.pciHole) return false;
    // gfn_to_page_many_atomic(): "if (entry < nr_pages) return 0" — the run must end inside the slot
    if (slot.baseGfn + slot.npages - s < e - s) return false;
    // get_user_pages_fast_only(): the host pages must be mapped
    const r = slot.singleHva ? this.host.find(slot.hva) : this.host.find(slot.hvaOf(s * PAGE_SIZE));
    if (r === undefined) return false;
    if (!slot.singleHva && slot.hvaOf((e - 1) * PAGE_SIZE) + PAGE_SIZE > r.end) return false;
    for (let g = s; g < e; g++) this.setMapped(g);
    this.c[C_SPTE_PREFETCH]! += e - s;
    return true;
  }

  /** kvm_mmu_zap_all_fast(): drop every SPTE, MMIO SPTEs included. */
  zapAll(): void {
    this.frames = new Map();
    this.lastKey = -1;
    this.lastFrame = null;
    this.c[C_ZAP_ALL]!++;
  }

  /** The MMU notifier on munmap(): drop the SPTEs of [startGfn, endGfn). */
  zapGfnRange(startGfn: number, endGfn: number): void {
    for (const [key, f] of this.frames) {
      const base = key * PAGES_PER_2M;
      if (base + PAGES_PER_2M <= startGfn || base >= endGfn) continue;
      const lo = Math.max(startGfn, base) - base;
      const hi = Math.min(endGfn, base + PAGES_PER_2M) - base;
      for (let b = lo; b < hi; b++) f[b >>> 5]! &= ~(1 << (b & 31));
      if (hi - lo < PAGES_PER_2M) f[F_FLAGS]! &= ~FLAG_HUGE;
      else f[F_FLAGS] = 0;
    }
  }

  /** Why no 2 MiB SPTE can map any part of `slot`, or null. */
  hugepageBlocker(slot: Slot): string | null {
    if (!this.hugepages) return "the VM's MMU maps 4 KiB pages only (mmu.hugepages is off)";
    if (slot.pciHole) return 'KVM_MEM_PCI_HOLE disallows large pages (v2: disallow_lpage)';
    if (slot.dirtyLog) return 'KVM_MEM_LOG_DIRTY_PAGES: a dirty-logged slot is mapped with 4 KiB SPTEs';
    if (slot.singleHva) {
      const r = this.host.find(slot.hva);
      if (r === undefined) return `userspace_addr ${hex(slot.hva)} is not mapped`;
      const period = r.end - slot.hva;
      if (period % HPAGE_2M_SIZE !== 0) {
        return period === PAGE_SIZE
          ? 'KVM_MEM_SINGLE_HVA routes every GFN to one 4 KiB host page'
          : `KVM_MEM_SINGLE_HVA routes the GFNs over a ${hex(period)}-byte host range, not a multiple of 2 MiB`;
      }
      slot.period = period;
    }
    const f0 = Math.ceil(slot.baseGfn / PAGES_PER_2M) * PAGES_PER_2M;
    if (f0 + PAGES_PER_2M > slot.baseGfn + slot.npages) return 'no 2 MiB-aligned 2 MiB range lies inside the slot';
    const hvaF = slot.hvaOf(f0 * PAGE_SIZE);
    if (hvaF % HPAGE_2M_SIZE !== 0) return 'guest_phys_addr and userspace_addr are not congruent modulo 2 MiB';
    const r = this.host.find(hvaF);
    if (r === undefined || hvaF + HPAGE_2M_SIZE > r.end) return 'the host mapping is not a 2 MiB-aligned range of 2 MiB or more (no THP)';
    return null;
  }
}
