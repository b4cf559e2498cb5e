/**
 * @module
 * @sim/qemu: QEMU's PCI side — machines, device models with their real config spaces, the conf1 and
 * ECAM config mechanisms, SeaBIOS's PCI set-up, and the ACPI view handed to the guest.
 */
export { FirmwareHang, QemuError, type QemuErrorCode } from './errors.js';
export { PciDevice, type PciDeviceBus, type PciIoRegion } from './hw/pci/device.js';
export { PciBus } from './hw/pci/bus.js';
export { PciHost, MECH_CONF1, MECH_MMCFG, type ConfigAccessObserver } from './hw/pci/host.js';
export { formatBdf, PCI_DEVFN, PCI_SLOT, PCI_FUNC } from './hw/pci/regs.js';
export { Q35Machine, type Q35Options } from './hw/i386/pc-q35.js';
export { pcMemoryLayout, type PcMemoryLayout, type MachineMemory } from './hw/i386/pc.js';
export type * from './hw/i386/bootinfo.js';
export { Seabios, type FirmwareCpu, type SeabiosPlatform } from './firmware/seabios.js';
export { parseCpu, cpuidEntries, HOST_CPUS, type CpuModel, type CpuContext, type HostCpu } from './target/i386/cpu.js';
export { systemReset, type Machine, type FirmwareKind, type CoalescedPioZone, type GlobalProperty } from './hw/core/machine.js';
export { NOT_HOTPLUGGABLE, HAS_OWN_AML } from './hw/i386/acpi-pci.js';
export {
  PcMachine,
  qbootE820,
  PIIX_LINK_SEMANTICS,
  PIIX_LNKS_IRQ,
  type PcOptions,
  type PcAcpiHostBridge,
  type PiixLinkSemantics,
} from './hw/i386/pc-piix.js';
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
} from './hw/i386/microvm.js';
export { I440fx, I440FX_PAM, I440FX_SMRAM, type I440fxMemoryMappings } from './hw/pci-host/i440fx.js';
export { Piix3, Piix3Ide, Piix4Pm, PIIX_PIRQCA, type Piix4IsaPresence } from './hw/isa/piix.js';
export { E1000 } from './hw/net/e1000.js';
export {
  GpexRoot,
  acpiDsdtAddGpex,
  gpexGsiLinks,
  gpexPrtLink,
  GPEX_OSC_GRANT_MASK,
  type GpexConfig,
  type GpexAcpiHostBridge,
  type GpexGsiLink,
} from './hw/pci-host/gpex.js';
export { KvmPciAccel, absentEcamRanges, parseKvmMitigations, kvmOptionsFor, KVM_PCI_MITIGATIONS, type KvmPciMitigation, type EcamRange } from './accel/kvm/kvm-pci.js';
export {
  parseQemuArgs,
  stubMissingBackends,
  DEFAULT_QEMU_RELEASE,
  type QemuConfig,
  type QemuRelease,
  type MachineType,
  type VgaInterface,
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
export { qemuCreateMachine, qemuInitMachine, kvmIrqchip } from './system/board.js';
export type { KvmIrqchip } from './hw/core/qdev.js';
export { parseLspci, parseSysfsConfig, parseSysfsResource, normaliseBdf, VfioHostError, type VfioHostDevice } from './hw/vfio/host.js';
export { VfioPciDevice } from './hw/vfio/pci.js';
export { AddressSpace, type MemoryRegionOps, type MappedRegion } from './system/memory.js';
export { x86BiosRomInit, x86RunFirmware, x86BootInfo, type FirmwareRun } from './hw/i386/x86.js';
export { getBootDevicesList, pciFwDevPath } from './system/bootdevice.js';
export { kvmInitMachine, kvmSetPhysMem, kvmCoalescePioAdd, type KvmInitOptions } from './accel/kvm/kvm-all.js';
export { parseQemuOpts, parseKeyval, idWellformed, type QemuOpts, type QemuOpt, type KeyvalDict } from './util/qemu-option.js';
export { lookupDeviceType, modelledDeviceTypes } from './hw/registry.js';
export { VirtioPciDevice, type VirtioPciRegion } from './hw/virtio/virtio-pci.js';
export { PciBridgeDev, PciePciBridge } from './hw/pci-bridge/pci-bridge.js';
export { PcieRootPort } from './hw/pci-bridge/pcie-root-port.js';
export { PcieSlot } from './hw/pci/pcie.js';
export { Xio3130Upstream } from './hw/pci-bridge/xio3130-upstream.js';
export { Xio3130Downstream } from './hw/pci-bridge/xio3130-downstream.js';
export { I82801b11Bridge } from './hw/pci-bridge/i82801b11.js';
export { QemuXhci, XhciPci, type XhciConfig } from './hw/usb/hcd-xhci-pci.js';
export { Uhci, Piix3UsbUhci, UHCI_INFO, type UhciInfo } from './hw/usb/hcd-uhci.js';
export { EhciPci, EHCI_PCI_INFO, type EhciPciInfo } from './hw/usb/hcd-ehci-pci.js';
export { IntelHda } from './hw/audio/intel-hda.js';
export { Ac97 } from './hw/audio/ac97.js';
export { QdevPciDevice, resetBus } from './hw/pci/qdev-pci.js';
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
