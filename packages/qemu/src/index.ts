/**
 * @module
 * @sim/qemu: QEMU's PCI side — machines, device models with their real config spaces, the conf1 and
 * ECAM config mechanisms, SeaBIOS's PCI set-up, and the ACPI view handed to the guest.
 */
export { QemuError, type QemuErrorCode } from './errors.js';
export { PciDevice, type PciIoRegion } from './pci/device.js';
export { PciBus } from './pci/bus.js';
export { PciHost, MECH_CONF1, MECH_MMCFG, type ConfigAccessObserver } from './pci/host.js';
export { formatBdf, PCI_DEVFN, PCI_SLOT, PCI_FUNC } from './pci/regs.js';
export { Q35Machine, type Q35Options } from './machine/q35.js';
export type * from './machine/bootinfo.js';
export { Seabios, type FirmwareCpu, type SeabiosPlatform } from './firmware/seabios.js';
export { parseCpu, cpuidEntries, type CpuModel } from './machine/cpu-model.js';
export type { Machine, FirmwareKind } from './machine/machine.js';
