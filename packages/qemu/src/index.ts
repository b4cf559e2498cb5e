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
export { systemReset, type Machine, type FirmwareKind, type CoalescedPioZone } from './machine/machine.js';
export { NOT_HOTPLUGGABLE, HAS_OWN_AML } from './machine/acpi-pci.js';
export {
  PcMachine,
  qbootE820,
  PIIX_LINK_SEMANTICS,
  PIIX_LNKS_IRQ,
  type PcOptions,
  type PcAcpiHostBridge,
  type PiixLinkSemantics,
} from './machine/pc.js';
export {
  MicrovmMachine,
  microvmOptionsFromProperties,
  PCIE_ECAM_BASE,
  PCIE_ECAM_SIZE,
  PCIE_MMIO_BASE,
  PCIE_MMIO_SIZE,
  VIRTIO_MMIO_BASE,
  type MicrovmOptions,
  type OnOffAuto,
  type VirtioMmioTransport,
} from './machine/microvm.js';
export { I440fx, I440FX_PAM, I440FX_SMRAM, type I440fxMemoryMappings } from './devices/i440fx.js';
export { Piix3, Piix3Ide, Piix3UsbUhci, Piix4Pm, PIIX_PIRQCA, type Piix4IsaPresence } from './devices/piix.js';
export { E1000 } from './devices/e1000.js';
export {
  GpexRoot,
  acpiDsdtAddGpex,
  gpexGsiLinks,
  gpexPrtLink,
  GPEX_OSC_GRANT_MASK,
  type GpexConfig,
  type GpexAcpiHostBridge,
  type GpexGsiLink,
} from './devices/gpex.js';
export { KvmPciAccel, absentEcamRanges, parseKvmMitigations, kvmOptionsFor, KVM_PCI_MITIGATIONS, type KvmPciMitigation, type EcamRange } from './accel/kvm/kvm-pci.js';
export {
  parseQemuArgs,
  stubMissingBackends,
  DEFAULT_QEMU_RELEASE,
  type QemuConfig,
  type QemuRelease,
  type MachineType,
  parseQemuCommandLine,
  parseGlobal,
  type ParsedCommandLine,
  type DeviceOption,
  type NetdevOption,
  type ObjectOption,
  type BlockdevOption,
  type DriveOption,
  type ChardevOption,
  type GlobalOption,
  type OtherOption,
  type JsonValue,
} from './system/vl.js';
export {
  realizeCommandLine,
  realizeCommandLine as realizeDevices,
  realizeArgv,
  plugDeviceOption,
  describeTopology,
  realizedDevices,
  unrealizeDevice,
  type RealizeOptions,
  type RealizeResult,
  type RealizedDevice,
  type TopologyBus,
  type TopologyFunction,
} from './system/qdev-monitor.js';
export { qemuCreateMachine, qemuInitMachine } from './system/board.js';
export { x86BiosRomInit, x86RunFirmware, x86BootInfo, type FirmwareRun } from './machine/x86.js';
export { kvmInitMachine, kvmSetPhysMem, kvmCoalescePioAdd, type KvmInitOptions } from './accel/kvm/kvm-all.js';
export { parseQemuOpts, parseKeyval, idWellformed, type QemuOpts, type QemuOpt, type KeyvalDict } from './util/qemu-option.js';
export { lookupDeviceType, modelledDeviceTypes } from './devices/registry.js';
export { VirtioPciDevice } from './devices/virtio-pci.js';
export { PciBridgeDev, PciePciBridge } from './devices/pci-bridge.js';
export { PcieRootPort } from './devices/pcie-root-port.js';
export { QemuXhci } from './devices/xhci.js';
export { QdevPciDevice, resetBus } from './devices/qdev-pci.js';
export * from './hotplug/index.js';
export {
  Qboot,
  qbootExtractE820,
  QBOOT_PCIE_MMCONFIG_BASE,
  QBOOT_PCIE_MMCONFIG_SIZE,
  QBOOT_SMBIOS_BIOS_DATE,
  QBOOT_SMBIOS_BIOS_VERSION,
  type QbootPlatform,
  type QbootResult,
  type QbootBridge,
} from './firmware/qboot.js';
