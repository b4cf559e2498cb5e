/**
 * @module
 * The `-device` types pcisim models, as QEMU 7.2's QOM registers them: name, ancestry (for `-global` and
 * "a non-abstract device type"), the bus type they plug into, every property with its type, default and
 * owning type (virtio properties are aliases owned by the inner `virtio-*-device`), and how to build the
 * PCI function once the properties are known. Each type is declared in its device's file, beside the model;
 * this collects them (the alias table and the types pcisim knows but does not model stay here).
 */
import type { QdevTypeInfo } from './core/qdev.js';
import { PCI_DEVICE_TYPE } from './pci/qdev-pci.js';
import { VIRTIO_PCI_TYPE } from './virtio/virtio-pci.js';
import { VIRTIO_NET_PCI_TYPES } from './virtio/virtio-net-pci.js';
import { VIRTIO_BLK_PCI_TYPES } from './virtio/virtio-blk-pci.js';
import { VIRTIO_SCSI_PCI_TYPES } from './virtio/virtio-scsi-pci.js';
import { VIRTIO_SERIAL_PCI_TYPES, VIRTIO_SERIAL_PORT_TYPES } from './virtio/virtio-serial-pci.js';
import { VIRTIO_RNG_PCI_TYPES } from './virtio/virtio-rng-pci.js';
import { VIRTIO_BALLOON_PCI_TYPES } from './virtio/virtio-balloon-pci.js';
import { VHOST_VSOCK_PCI_TYPES } from './virtio/vhost-vsock-pci.js';
import { VHOST_USER_FS_PCI_TYPES } from './virtio/vhost-user-fs-pci.js';
import { BASE_PCI_BRIDGE_TYPE, PCI_BRIDGE_SEAT_TYPE, PCI_BRIDGE_TYPE, PCIE_PCI_BRIDGE_TYPE } from './pci-bridge/pci-bridge.js';
import { IOH3420_TYPE, PCIE_ROOT_PORT_BASE_TYPE, PCIE_ROOT_PORT_TYPE } from './pci-bridge/pcie-root-port.js';
import { X3130_UPSTREAM_TYPE } from './pci-bridge/xio3130-upstream.js';
import { XIO3130_DOWNSTREAM_TYPE } from './pci-bridge/xio3130-downstream.js';
import { I82801B11_BRIDGE_TYPE } from './pci-bridge/i82801b11.js';
import { QEMU_XHCI_TYPE } from './usb/hcd-xhci-pci.js';
import { NEC_XHCI_TYPE } from './usb/hcd-xhci-nec.js';
import { UHCI_TYPES } from './usb/hcd-uhci.js';
import { EHCI_PCI_TYPES } from './usb/hcd-ehci-pci.js';
import { USB_HID_TYPES } from './usb/dev-hid.js';
import { USB_STORAGE_TYPE } from './usb/dev-storage-classic.js';
import { USB_HUB_TYPE } from './usb/dev-hub.js';
import { INTEL_HDA_TYPES } from './audio/intel-hda.js';
import { HDA_CODEC_TYPES } from './audio/hda-codec.js';
import { AC97_TYPE } from './audio/ac97.js';
import { PXB_PCIE_TYPE, PXB_TYPE } from './pci-bridge/pci-expander-bridge.js';
import { E1000_TYPES } from './net/e1000.js';
import { E1000E_TYPE } from './net/e1000e.js';
import { SECONDARY_VGA_TYPE, VGA_TYPE } from './display/vga.js';
import { VIRTIO_VGA_TYPES } from './display/virtio-vga.js';
import { VIRTIO_GPU_PCI_TYPES } from './display/virtio-gpu-pci.js';
import { QXL_TYPES } from './display/qxl.js';
import { CIRRUS_VGA_TYPE } from './display/cirrus_vga.js';
import { BOCHS_DISPLAY_TYPE } from './display/bochs-display.js';
import { IVSHMEM_TYPES } from './misc/ivshmem.js';
import { RAMFB_TYPE } from './display/ramfb-standalone.js';
import { VIRTIO_IOMMU_PCI_TYPES } from './virtio/virtio-iommu-pci.js';
import { INTEL_IOMMU_TYPE } from './i386/intel_iommu.js';
import { AMD_IOMMU_TYPE } from './i386/amd_iommu.js';
import { VFIO_PCI_TYPES } from './vfio/pci.js';
import { RTL8139_TYPE } from './net/rtl8139.js';
import { I6300ESB_TYPE } from './watchdog/wdt_i6300esb.js';
import { PVPANIC_PCI_TYPE } from './misc/pvpanic-pci.js';
import { PCI_TESTDEV_TYPE } from './misc/pci-testdev.js';
import { EDU_TYPE } from './misc/edu.js';
import { NVME_TYPE } from './nvme/ctrl.js';
import { NVME_NS_TYPE } from './nvme/ns.js';
import { ISA_SERIAL_TYPE } from './char/serial-isa.js';
import { NVDIMM_TYPE, PC_DIMM_TYPE } from './mem/pc-dimm.js';

const ALL: readonly QdevTypeInfo[] = [
  ...VIRTIO_NET_PCI_TYPES,
  ...VIRTIO_BLK_PCI_TYPES,
  ...VIRTIO_SCSI_PCI_TYPES,
  ...VIRTIO_SERIAL_PCI_TYPES,
  ...VIRTIO_RNG_PCI_TYPES,
  ...VIRTIO_BALLOON_PCI_TYPES,
  ...VHOST_VSOCK_PCI_TYPES,
  ...VHOST_USER_FS_PCI_TYPES,
  PCI_BRIDGE_TYPE,
  PCI_BRIDGE_SEAT_TYPE,
  PCIE_PCI_BRIDGE_TYPE,
  PCIE_ROOT_PORT_TYPE,
  PCIE_ROOT_PORT_BASE_TYPE,
  IOH3420_TYPE,
  X3130_UPSTREAM_TYPE,
  XIO3130_DOWNSTREAM_TYPE,
  I82801B11_BRIDGE_TYPE,
  PXB_TYPE,
  PXB_PCIE_TYPE,
  BASE_PCI_BRIDGE_TYPE,
  QEMU_XHCI_TYPE,
  NEC_XHCI_TYPE,
  ...UHCI_TYPES,
  ...EHCI_PCI_TYPES,
  ...USB_HID_TYPES,
  USB_STORAGE_TYPE,
  USB_HUB_TYPE,
  ...INTEL_HDA_TYPES,
  ...HDA_CODEC_TYPES,
  AC97_TYPE,
  ...E1000_TYPES,
  E1000E_TYPE,
  VGA_TYPE,
  SECONDARY_VGA_TYPE,
  ...VIRTIO_VGA_TYPES,
  ...VIRTIO_GPU_PCI_TYPES,
  ...QXL_TYPES,
  CIRRUS_VGA_TYPE,
  BOCHS_DISPLAY_TYPE,
  ...IVSHMEM_TYPES,
  RAMFB_TYPE,
  RTL8139_TYPE,
  I6300ESB_TYPE,
  PVPANIC_PCI_TYPE,
  PCI_TESTDEV_TYPE,
  EDU_TYPE,
  NVME_TYPE,
  NVME_NS_TYPE,
  ISA_SERIAL_TYPE,
  PC_DIMM_TYPE,
  NVDIMM_TYPE,
  PCI_DEVICE_TYPE,
  VIRTIO_PCI_TYPE,
  ...VIRTIO_SERIAL_PORT_TYPES,
  ...VIRTIO_IOMMU_PCI_TYPES,
  INTEL_IOMMU_TYPE,
  AMD_IOMMU_TYPE,
  ...VFIO_PCI_TYPES,
];
const BY_NAME = new Map(ALL.map((t) => [t.name, t]));

/**
 * qdev_alias_table[] entries that apply to x86 (QEMU_ARCH_VIRTIO_PCI and the unconditional ones).
 */
const ALIASES: Record<string, string> = {
  ac97: 'AC97',
  'e1000-82540em': 'e1000',
  ahci: 'ich9-ahci',
  'virtio-balloon': 'virtio-balloon-pci',
  'virtio-blk': 'virtio-blk-pci',
  'virtio-net': 'virtio-net-pci',
  'virtio-rng': 'virtio-rng-pci',
  'virtio-scsi': 'virtio-scsi-pci',
  'virtio-serial': 'virtio-serial-pci',
  'virtio-9p': 'virtio-9p-pci',
  'virtio-gpu': 'virtio-gpu-pci',
  'virtio-iommu': 'virtio-iommu-pci',
  'virtio-keyboard': 'virtio-keyboard-pci',
  'virtio-mouse': 'virtio-mouse-pci',
  'virtio-tablet': 'virtio-tablet-pci',
  'virtio-input-host': 'virtio-input-host-pci',
  'virtio-gpu-gl': 'virtio-gpu-gl-pci',
  lsi: 'lsi53c895a',
};

/**
 * Device types QEMU 7.2 (Debian's x86 build) has and pcisim does not model: naming one is not QEMU's
 * "not a valid device model name" but pcisim's own refusal.
 */
const KNOWN_UNMODELLED = new Set([
  'ich9-ahci',
  'es1370',
  'pci-ohci', 'nvme-subsys',
  'megasas', 'megasas-gen2', 'mptsas1068', 'lsi53c895a', 'lsi53c810', 'am53c974', 'dc390', 'pvscsi',
  'ne2k_pci', 'pcnet', 'i82550', 'i82551', 'i82557a', 'i82557b', 'i82557c', 'i82558a', 'i82558b',
  'i82559a', 'i82559b', 'i82559c', 'i82559er', 'i82562', 'i82801', 'vmxnet3', 'igb', 'virtio-9p-pci',
  'virtio-gpu-gl-pci', 'virtio-vga-gl', 'virtio-keyboard-pci', 'virtio-mouse-pci', 'virtio-tablet-pci', 'virtio-input-host-pci', 'virtio-mem-pci',
  'virtio-pmem-pci', 'virtio-crypto-pci', 'vhost-user-blk-pci', 'vhost-user-scsi-pci', 'vhost-scsi-pci',
  'vhost-user-net-pci', 'vhost-user-vsock-pci', 'vhost-user-input-pci', 'vhost-user-gpu-pci',
  'vhost-user-vga', 'vhost-user-rng-pci',
  'pci-serial', 'pci-serial-2x', 'pci-serial-4x',
  'vmware-svga', 'ati-vga',
  'ib700', 'AMDVI-PCI', 'usb-host',
  'usb-redir', 'scsi-hd', 'scsi-cd', 'scsi-generic', 'scsi-block', 'ide-hd', 'ide-cd', 'floppy',
  'isa-debugcon', 'isa-debug-exit', 'pvpanic', 'vmcoreinfo', 'tpm-tis', 'tpm-crb', 'sga', 'hpet',
  'qemu-xhci-nec', 'ES1370', 'virtio-sound-pci',
]);

/** Result of qdev_get_device_class(). */
export type DeviceLookup =
  | { kind: 'found'; info: QdevTypeInfo; name: string }
  | { kind: 'unmodelled'; name: string }
  | { kind: 'none' };

/** qdev_get_device_class(): the type, through the alias table */
export function lookupDeviceType(driver: string): DeviceLookup {
  let name = driver;
  let info = BY_NAME.get(name);
  if (!info && !KNOWN_UNMODELLED.has(name)) {
    const alias = ALIASES[driver];
    if (alias !== undefined) {
      name = alias;
      info = BY_NAME.get(name);
    }
  }
  if (info) return { kind: 'found', info, name };
  if (KNOWN_UNMODELLED.has(name)) return { kind: 'unmodelled', name };
  return { kind: 'none' };
}

/** Every modelled, creatable type name (for `-device help`-like listings and tests). */
export function modelledDeviceTypes(): string[] {
  return ALL.filter((t) => !t.abstract).map((t) => t.name);
}

/** The types of -device that make QEMU drop its default VGA (vl.c default_list). */
export const VGA_DEVICE_TYPES: readonly string[] = [
  'VGA', 'cirrus-vga', 'isa-vga', 'isa-cirrus-vga', 'vmware-svga', 'qxl-vga', 'virtio-vga', 'ati-vga',
  'vhost-user-vga', 'virtio-vga-gl',
];
