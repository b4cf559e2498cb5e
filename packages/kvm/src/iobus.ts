/**
 * @module
 * `struct kvm_io_bus`: KVM_PIO_BUS and KVM_MMIO_BUS, a sorted array of ranges searched with the kernel's
 * bsearch. Registration copies the array (the kernel allocates a new bus and publishes it with RCU); the
 * lookup allocates nothing.
 *
 * Mirrors (Linux 6.1, virt/kvm/kvm_main.c):
 * - kvm_io_bus_cmp()            https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_io_bus_cmp
 * - kvm_io_bus_get_first_dev()  https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_io_bus_get_first_dev
 * - __kvm_io_bus_read/write()   https://elixir.bootlin.com/linux/v6.1/A/ident/__kvm_io_bus_read
 * - kvm_io_bus_register_dev()   https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_io_bus_register_dev
 * - kvm_io_bus_unregister_dev() https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_io_bus_unregister_dev
 * The kernel does not refuse overlapping ranges: every device whose range contains the access is tried
 * in sorted order until one accepts it.
 */

import { KvmError, hex } from './errors.js';
import { NOT_HANDLED, type AccessSize, type InKernelDevice } from './types.js';
import { NR_IOBUS_DEVS } from './uapi.js';

/** Which in-kernel bus. */
export type IoBusName = 'pio' | 'mmio';

export class IoBus {
  readonly name: IoBusName;
  /** ranges, sorted as kvm_io_bus_register_dev() inserts them */
  addr = new Float64Array(0);
  len = new Float64Array(0);
  devs: InKernelDevice[] = [];
  count = 0;
  ioeventfdCount = 0;
  /**
   * Bounds of what any range can take: no device takes an access starting below `lo` or ending past `hi`
   * (kvm_io_bus_cmp() never returns 0 for it), so such an access skips the bsearch. Recomputed on
   * (un)registration; an empty bus takes nothing (lo = +∞).
   */
  lo = Infinity;
  hi = -Infinity;
  /** {@link firstDev}'s last question and answer; memoAddr -1: none */
  private memoAddr = -1;
  private memoLen = 0;
  private memoFirst = -1;

  constructor(name: IoBusName) {
    this.name = name;
  }

  /**
   * kvm_io_bus_cmp(r1, r2): -1 if r1 starts below r2; else, when r2 has a length, 1 if r1 ends past r2's
   * end; when r2.len is 0, 1 if r1 starts past r2 (exact-address match). 0 means "r2 takes r1".
   */
  private static cmp(a1: number, l1: number, a2: number, l2: number): number {
    if (a1 < a2) return -1;
    if (l2 !== 0 ? a1 + l1 > a2 + l2 : a1 > a2) return 1;
    return 0;
  }

  /**
   * {@link cmp} of an access against range `i`. The access's address may be the int32 form of an MMIO gpa
   * (types.ts, Gpa), made the address here; the range is read here too: a range start ≥ 2^31 (an ECAM hole)
   * or a normalized address handed to a call V8 does not inline would be a heap number per comparison.
   */
  private cmpAt(addr: number, len: number, i: number): number {
    const a = addr + (addr < 0 ? 0x1_0000_0000 : 0);
    const r = this.addr[i]!;
    if (a < r) return -1;
    const rl = this.len[i]!;
    if (rl !== 0 ? a + len > r + rl : a > r) return 1;
    return 0;
  }

  /**
   * kvm_io_bus_get_first_dev(): index of the first range that takes [addr, addr+len), or -1. The last
   * answer is kept until the bus changes: a guest hits the same port over and over (0xcf8 on every conf1
   * access), and the search's answer depends only on (addr, len) and the ranges.
   */
  private firstDev(addr: number, len: number): number {
    if (addr === this.memoAddr && len === this.memoLen) return this.memoFirst;
    const first = this.searchFirstDev(addr, len);
    this.memoAddr = addr;
    this.memoLen = len;
    this.memoFirst = first;
    return first;
  }

  private searchFirstDev(addr: number, len: number): number {
    // lib/bsearch.c
    let base = 0;
    let num = this.count;
    let found = -1;
    while (num > 0) {
      const pivot = base + (num >> 1);
      const r = this.cmpAt(addr, len, pivot);
      if (r === 0) {
        found = pivot;
        break;
      }
      if (r > 0) {
        base = pivot + 1;
        num--;
      }
      num >>= 1;
    }
    if (found < 0) return -1;
    while (found > 0 && this.cmpAt(addr, len, found - 1) === 0) found--;
    return found;
  }

  /** __kvm_io_bus_read(): the value a device gave, or NOT_HANDLED (-EOPNOTSUPP). */
  read(addr: number, size: AccessSize): number {
    // an MMIO gpa may come as the int32 of its bits (types.ts, Gpa): compared as the address, handed on as it
    // came (see cmpAt)
    const a = addr + (addr < 0 ? 0x1_0000_0000 : 0);
    if (a < this.lo || a + size > this.hi) return NOT_HANDLED;
    let idx = this.firstDev(addr, size);
    if (idx < 0) return NOT_HANDLED;
    // the first device takes the access (firstDev's answer); the ones after it are tried while they do too
    do {
      const v = this.devs[idx]!.read(addr, size);
      if (v !== NOT_HANDLED) return v;
      idx++;
    } while (idx < this.count && this.cmpAt(addr, size, idx) === 0);
    return NOT_HANDLED;
  }

  /**
   * __kvm_io_bus_write(): true if a device took the write. `value` is passed on as it comes: the vCPU gives
   * a dword as the int32 of its bytes (an unsigned one ≥ 2^31 would be a heap number per call to a device
   * V8 does not inline), so a device takes `value >>> 0` when it wants it unsigned.
   */
  write(addr: number, size: AccessSize, value: number): boolean {
    const a = addr + (addr < 0 ? 0x1_0000_0000 : 0);
    if (a < this.lo || a + size > this.hi) return false;
    let idx = this.firstDev(addr, size);
    if (idx < 0) return false;
    do {
      if (this.devs[idx]!.write(addr, size, value)) return true;
      idx++;
    } while (idx < this.count && this.cmpAt(addr, size, idx) === 0);
    return false;
  }

  /** [lo, hi): the span any registered range can take an access in (see `lo`). */
  private bounds(): void {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < this.count; i++) {
      const a = this.addr[i]!;
      const l = this.len[i]!;
      if (a < lo) lo = a;
      // a zero-length range takes only accesses that start at its address (of any length)
      const end = l === 0 ? Infinity : a + l;
      if (end > hi) hi = end;
    }
    this.lo = lo;
    this.hi = hi;
    this.memoAddr = -1;
  }

  /** kvm_io_bus_register_dev(). */
  register(addr: number, len: number, dev: InKernelDevice): void {
    const op = `kvm_io_bus_register_dev(${this.name === 'pio' ? 'KVM_PIO_BUS' : 'KVM_MMIO_BUS'})`;
    if (!Number.isSafeInteger(addr) || addr < 0) throw new KvmError('EINVAL', op, `address ${String(addr)} is not a u64`);
    if (!Number.isSafeInteger(len) || len < 0 || len > 0x7fff_ffff) throw new KvmError('EINVAL', op, `length ${String(len)} is not an int >= 0`);
    if (typeof dev !== 'object' || dev === null || typeof dev.read !== 'function' || typeof dev.write !== 'function') {
      throw new KvmError('EINVAL', op, 'device has no read/write ops');
    }
    // "exclude ioeventfd which is limited by maximum fd" (from the count; an ioeventfd too is refused when full)
    if (this.count - this.ioeventfdCount > NR_IOBUS_DEVS - 1) {
      throw new KvmError('ENOSPC', op, `${dev.name} at ${hex(addr)}: the bus already has NR_IOBUS_DEVS (${NR_IOBUS_DEVS}) devices`);
    }
    let i = 0;
    for (; i < this.count; i++) {
      if (IoBus.cmp(this.addr[i]!, this.len[i]!, addr, len) > 0) break;
    }
    const n = this.count + 1;
    const a = new Float64Array(n);
    const l = new Float64Array(n);
    a.set(this.addr.subarray(0, i));
    l.set(this.len.subarray(0, i));
    a[i] = addr;
    l[i] = len;
    a.set(this.addr.subarray(i, this.count), i + 1);
    l.set(this.len.subarray(i, this.count), i + 1);
    const d = this.devs.slice();
    d.splice(i, 0, dev);
    this.addr = a;
    this.len = l;
    this.devs = d;
    this.count = n;
    this.bounds();
    if (dev.ioeventfd === true) this.ioeventfdCount++;
  }

  /** kvm_io_bus_unregister_dev(): removes the first range registered for `dev`; no error if there is none. */
  unregister(dev: InKernelDevice): boolean {
    const i = this.devs.indexOf(dev);
    if (i < 0) return false;
    const n = this.count - 1;
    const a = new Float64Array(n);
    const l = new Float64Array(n);
    a.set(this.addr.subarray(0, i));
    l.set(this.len.subarray(0, i));
    a.set(this.addr.subarray(i + 1, this.count), i);
    l.set(this.len.subarray(i + 1, this.count), i);
    const d = this.devs.slice();
    d.splice(i, 1);
    this.addr = a;
    this.len = l;
    this.devs = d;
    this.count = n;
    this.bounds();
    if (dev.ioeventfd === true) this.ioeventfdCount--;
    return true;
  }

  /** Registered ranges, for inspection. */
  list(): { addr: number; len: number; name: string }[] {
    const out: { addr: number; len: number; name: string }[] = [];
    for (let i = 0; i < this.count; i++) out.push({ addr: this.addr[i]!, len: this.len[i]!, name: this.devs[i]!.name });
    return out;
  }
}

/**
 * The in-kernel device Sean Christopherson suggested for absent PCI ranges (13 Aug 2020: "add a
 * KVM_MMIO_BUS device similar to coalesced MMIO"): reads return all-ones, writes are dropped, both in KVM.
 * Never merged; this is the `mmio-bus` mitigation of DESIGN.md §3.
 */
export function allOnesDevice(name = 'kvm-all-ones'): InKernelDevice {
  return {
    name,
    read(_addr: number, size: AccessSize): number {
      return size === 4 ? -1 : size === 2 ? 0xffff : 0xff; // a dword as its int32 (InKernelDevice.read)
    },
    write(): boolean {
      return true;
    },
  };
}
