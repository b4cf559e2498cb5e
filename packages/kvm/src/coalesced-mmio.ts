/**
 * @module
 * Coalesced PIO (virt/kvm/coalesced_mmio.c; KVM_CAP_COALESCED_PIO, Linux 4.19). The VMM registers a zone
 * (KVM_REGISTER_COALESCED_MMIO with KVM_COALESCED_PIO): guest writes to it are appended to a ring shared with
 * the VMM instead of exiting; the VMM drains the ring before it handles the next access to a region marked
 * `flush_coalesced`, so its device sees the writes in order. Reads still exit. QEMU registers the PCI
 * config-address port 0xcf8 so on pc and q35.
 *
 * The ring and its flush are folded into one step here: the write reaches the VMM's handler at once, which
 * is the order the flush restores, and it is counted as an exit KVM handled in the kernel. Coalesced MMIO
 * zones are not modelled.
 */
import { NOT_HANDLED, type AccessSize, type InKernelDevice, type VmOps } from './types.js';
import type { Vm } from './vm.js';

/** `struct kvm_coalesced_mmio_zone` with `pio` set: a port range. */
export interface KvmCoalescedPioZone {
  port: number;
  size: number;
}

/** coalesced_mmio_ops on KVM_PIO_BUS: writes into the ring, reads left to userspace. */
class CoalescedPioDevice implements InKernelDevice {
  readonly name = 'coalesced-pio';
  constructor(private readonly vmm: Pick<VmOps, 'pioWrite'>) {}
  read(): number {
    return NOT_HANDLED;
  }
  write(addr: number, size: AccessSize, value: number): boolean {
    // coalesced_mmio_write(): queued in the ring; the VMM's flush replays it into its handler.
    // The ring holds the bytes; they go on as an int32 (`| 0`), which V8 passes without allocating (an
    // unsigned 0xcf8 address ≥ 2^31 is a heap number per write through the port dispatch).
    this.vmm.pioWrite(addr, size, value | 0);
    return true;
  }
}

/**
 * kvm_vm_ioctl_register_coalesced_mmio() for a PIO zone; `vmm` is the handler the VMM's flush of the ring
 * reaches (QEMU's I/O address space).
 */
export function kvmRegisterCoalescedPio(vm: Vm, zone: KvmCoalescedPioZone, vmm: Pick<VmOps, 'pioWrite'>): void {
  vm.registerIoDevice('pio', zone.port, zone.size, new CoalescedPioDevice(vmm));
}
