/**
 * @module
 * Coalesced PIO (QEMU commit "pc: register i440fx/q35 0xcf8 port as coalesced pio", 3.0; KVM
 * KVM_CAP_COALESCED_PIO, Linux 4.19). QEMU asks KVM (`kvm_coalesce_pio_add()` → KVM_REGISTER_COALESCED_MMIO
 * with KVM_COALESCED_PIO) to append guest writes to the config-address port to a ring instead of exiting
 * (virt/kvm/coalesced_mmio.c); QEMU drains the ring before it handles the next access to a region marked
 * `flush_coalesced` (the data port), so the device sees the same order of writes. Reads still exit.
 *
 * The ring and its flush are folded into one step here: the write reaches QEMU's handler at once, which is
 * the order the flush restores, and it is counted as an exit KVM handled in the kernel.
 */
import { NOT_HANDLED, type AccessSize, type InKernelDevice, type Vm } from '@sim/kvm';
import type { Machine } from '../../machine/machine.js';

export interface CoalescedPioZone {
  port: number;
  size: number;
}

class CoalescedPioDevice implements InKernelDevice {
  readonly name = 'coalesced-pio';
  constructor(private readonly machine: Machine) {}
  read(): number {
    return NOT_HANDLED;
  }
  write(addr: number, size: AccessSize, value: number): boolean {
    // coalesced_mmio_write(): queued in the ring; kvm_flush_coalesced_mmio_buffer() replays it in QEMU.
    // The ring holds the bytes; they go on as an int32 (`| 0`), which V8 passes without allocating (an
    // unsigned 0xcf8 address ≥ 2^31 is a heap number per write through the port dispatch).
    this.machine.pioWrite(addr, size, value | 0);
    return true;
  }
}

/** kvm_coalesce_pio_add() for each zone the machine declares. */
export function registerCoalescedPio(vm: Vm, machine: Machine): number {
  const zones = machine.coalescedPio ?? [];
  for (const z of zones) vm.registerIoDevice('pio', z.port, z.size, new CoalescedPioDevice(machine));
  return zones.length;
}
