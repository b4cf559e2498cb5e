/**
 * @module
 * The shapes @sim/kvm shares with its callers. The VMM (e.g. @sim/qemu) implements {@link VmOps} and is
 * called back through it on every exit to userspace, the way QEMU's `kvm_cpu_exec()` loop handles
 * `KVM_EXIT_IO` and `KVM_EXIT_MMIO` (cloud-hypervisor's `hypervisor::VmOps` has the same shape).
 */

/**
 * A guest physical address. Every x86 gpa fits in 53 bits, so a plain number. On the MMIO path (a vCPU's
 * `readb`…`writel`, {@link VmOps}, an in-kernel MMIO device, `vm.onExit`) a gpa below 4 GiB may also come as
 * the int32 of its 32 bits, negative from 2 GiB up: V8 keeps a number ≥ 2^31 as a heap object wherever it
 * crosses a call it does not inline, and an ECAM window at 0xb0000000 would cost one per config access.
 * {@link gpaOf} gives the address either way.
 */
export type Gpa = number & { readonly __brand: 'Gpa' };
/** An x86 I/O port, 0..0xffff. */
export type Port = number & { readonly __brand: 'Port' };
/** A host virtual address (what `userspace_addr` holds). */
export type Hva = number & { readonly __brand: 'Hva' };

export const gpa = (n: number): Gpa => n as Gpa;

/** The address a gpa given on the MMIO path stands for (see {@link Gpa}): the int32 form back to unsigned. */
export function gpaOf(gpa: number): number {
  // an addition on both paths: `gpa < 0 ? gpa + 2 ** 32 : gpa` would merge a computed double with the argument
  // as it came, which V8 does by boxing the double. The hot paths write this expression out where they
  // compare, rather than call this: a call V8 does not inline returns the double as a heap number
  return gpa + (gpa < 0 ? 0x1_0000_0000 : 0);
}
export const port = (n: number): Port => n as Port;
export const hva = (n: number): Hva => n as Hva;

/** Width of a data access in bytes. */
export type AccessSize = 1 | 2 | 4;

/**
 * The VMM side of an exit to userspace. Mirrors the `kvm_run` cases QEMU handles in `kvm_cpu_exec()`
 * (accel/kvm/kvm-all.c): `KVM_EXIT_IO` → `kvm_handle_io()`, `KVM_EXIT_MMIO` → `address_space_rw()`.
 * Must not allocate: it runs once per guest access.
 */
export interface VmOps {
  /** the bytes read; a dword may be returned as its int32 (the vCPU hands dwords to the guest so) */
  pioRead(port: number, size: AccessSize): number;
  /** `value`: the bytes written, a dword as their int32 (`value >>> 0` for the unsigned value) */
  pioWrite(port: number, size: AccessSize, value: number): void;
  /** `gpa` as the guest gave it: below 4 GiB possibly the int32 of its bits ({@link gpaOf}); returns as pioRead */
  mmioRead(gpa: number, size: AccessSize): number;
  /** `gpa` as for {@link VmOps.mmioRead}; `value` as for {@link VmOps.pioWrite} */
  mmioWrite(gpa: number, size: AccessSize, value: number): void;
}

/**
 * Returned by an in-kernel device's `read` when the access is not its to answer (KVM: -EOPNOTSUPP). Neither
 * an int32 nor a uint32, so that a dword read of all-ones, returned as its int32 (-1), is not mistaken for it.
 */
export const NOT_HANDLED = -0x1_0000_0000;

/**
 * A device on KVM's in-kernel `KVM_PIO_BUS` or `KVM_MMIO_BUS` (`struct kvm_io_device_ops`):
 * coalesced MMIO, ioeventfd, or the proposed all-ones device. `read` returns the bytes read (a dword may be
 * returned as its int32: 0xffffffff as -1, which V8 keeps unboxed), or {@link NOT_HANDLED} to let the access
 * go on to userspace; `write` returns false likewise.
 */
export interface InKernelDevice {
  readonly name: string;
  /**
   * True for an ioeventfd. `kvm_io_bus_register_dev()` leaves ioeventfds out of the NR_IOBUS_DEVS limit
   * (they are bounded by the number of fds instead).
   */
  readonly ioeventfd?: boolean;
  read(addr: number, size: AccessSize): number;
  /** `value`: the bytes written; a 4-byte write comes as their int32 (`value >>> 0` for the unsigned value) */
  write(addr: number, size: AccessSize, value: number): boolean;
}

/** `struct kvm_userspace_memory_region` (include/uapi/linux/kvm.h). */
export interface UserspaceMemoryRegion {
  /** bits 0-15: slot id; bits 16-31: address space id (1 = SMM on x86). */
  slot: number;
  flags: number;
  guestPhysAddr: number;
  memorySize: number;
  userspaceAddr: number;
}

/** What a CPUID leaf returns. */
export interface CpuidResult {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

export interface CpuidEntry extends CpuidResult {
  function: number;
  index: number;
  /**
   * `struct kvm_cpuid_entry2.flags`. With `KVM_CPUID_FLAG_SIGNIFCANT_INDEX` (1) the entry answers only its
   * own `index` (subleaf); without it (or when absent) it answers every subleaf of `function`.
   */
  flags?: number;
}

/** Where an exit (or a non-exit) was handled. Names as in DESIGN.md §6. */
export interface ExitCounts {
  KVM_EXIT_IO: number;
  KVM_EXIT_MMIO: number;
  /**
   * handled inside KVM: emulated MMIO in a PCI_HOLE slot, an in-kernel bus device, or the EPT violation
   * that maps a RAM/READONLY page on its first touch
   */
  inKernel: number;
  /** a guest access that did not exit at all (RAM, a mapped READONLY page) */
  noExit: number;
}

/** VMX exit reasons as `perf kvm stat` names them, for the accesses this model makes. */
export interface VmxExitCounts {
  IO_INSTRUCTION: number;
  EPT_MISCONFIG: number;
  EPT_VIOLATION: number;
  /** CPUID exits (always handled in KVM; counted, not charged to the clock). */
  CPUID?: number;
}
