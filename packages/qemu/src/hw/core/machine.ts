/**
 * @module
 * What every machine type offers the rest of pcisim: the VMM half of the exit loop (it is the
 * {@link VmOps} the vCPU calls back), its PCI host and buses, the firmware hand-off, and its defaults.
 */
import type { VmOps } from '@sim/kvm';
import type { PciBus } from '../pci/bus.js';
import type { PciHost } from '../pci/host.js';
import type { PciDevice } from '../pci/device.js';
import type { BootInfo } from '../i386/bootinfo.js';
import type { AddressSpace } from '../../system/memory.js';
import type { PcMemoryLayout } from '../i386/pc.js';

export type FirmwareKind = 'seabios' | 'qboot' | 'none';

/** A port range QEMU asks KVM to coalesce (memory_region_set_coalescing() on an I/O region). */
export interface CoalescedPioZone {
  port: number;
  size: number;
}

/** A property default for every device of a type (GlobalProperty): what `-global` and compat properties set. */
export interface GlobalProperty {
  driver: string;
  property: string;
  value: string;
}

export interface Machine extends VmOps {
  /** `q35`, `pc`, `microvm` */
  readonly name: string;
  /** the I/O address space (`address_space_io`): port exits are dispatched through it */
  readonly io: AddressSpace;
  /** the memory address space's MMIO regions (`address_space_memory` less RAM, which KVM maps): MMIO exits go through it */
  readonly memory: AddressSpace;
  /** the PCI host, or null for a machine without PCI (microvm with pcie=off) */
  readonly host: PciHost | null;
  readonly rootBus: PciBus | null;
  /** QEMU's default firmware for this machine */
  readonly defaultFirmware: FirmwareKind;
  /** RAM size, bytes */
  readonly ramBytes: number;
  /** pc_memory_init()'s layout (q35, pc): RAM below and above 4 GiB, device memory, the 64-bit hole */
  readonly memoryLayout?: PcMemoryLayout;
  /**
   * x86_machine_is_acpi_enabled() (pc, q35: -machine acpi=off clears it): QEMU builds the ACPI tables and
   * loads them through fw_cfg ("etc/table-loader"). Absent: true.
   */
  readonly acpiEnabled?: boolean;
  /** what firmware hands the kernel (ACPI tables, E820, DMI) */
  bootInfo(cmdline: string): BootInfo;
  /** every function on every bus, in bus-walk order */
  functions(): Iterable<{ bus: number; dev: PciDevice }>;
  /** the type-1 config ports 0xcf8/0xcfc exist (pc, q35; not microvm, whose only mechanism is ECAM) */
  readonly conf1Ports: boolean;
  /**
   * MachineClass::compat_props: the machine type's own defaults for device types, applied before `-global`.
   * Where an older machine type's `hw_compat_X_Y` goes once pcisim models one.
   */
  readonly compatProps: readonly GlobalProperty[];
  /** port ranges QEMU registers with KVM as coalesced PIO (0xcf8 on pc and q35) */
  readonly coalescedPio?: readonly CoalescedPioZone[];
}

/** The type-1 config mechanism's ports (pc and q35 register both with pci_host_conf_le_ops/data_le_ops). */
export const PCI_CONFIG_ADDR_PORT = 0xcf8;
export const PCI_CONFIG_DATA_PORT = 0xcfc;

/** qemu_system_reset(): every PCI function on every bus back to its reset state (pcibus_reset). */
export function systemReset(machine: Machine): void {
  for (const { dev } of machine.functions()) dev.reset();
}
