/**
 * @module
 * A QOM device type as pcisim registers it (hw/core/qdev.c's TypeInfo and DeviceClass, as far as `-device`
 * needs them): its name and ancestry, the bus it plugs into, its properties, and how the PCI function is
 * built once the properties are known. Each device file declares its own; hw/registry.ts collects them.
 */
import type { PciBus } from '../pci/bus.js';
import type { PciDevice } from '../pci/device.js';
import type { PcieChassisRegistry } from '../pci/pcie-port.js';
import type { PropBag, QdevPropDef } from './qdev-properties.js';
import type { Machine } from './machine.js';
import type { VfioHostDevice } from '../vfio/host.js';

/**
 * What a sysbus device's realize gets (`-device intel-iommu`, `amd-iommu`): the machine it joins and how the
 * interrupt controller was configured (kvm_irqchip_in_kernel(), kvm_irqchip_is_split()).
 */
export interface SysbusRealizeContext {
  typeName: string;
  props: PropBag;
  machine: Machine;
  irqchip: KvmIrqchip;
  /** realize a PCI function the device owns onto the machine's root bus (amd-iommu's AMDVI-PCI) at the first free slot */
  plugRootPci: (dev: PciDevice) => void;
}

/** `-machine kernel-irqchip=` under the accelerator: what kvm_irqchip_in_kernel() and kvm_irqchip_is_split() answer */
export interface KvmIrqchip {
  inKernel: boolean;
  split: boolean;
}

/** The bus types pcisim knows (QEMU's bus type names). */
export type QdevBusType = 'PCI' | 'PCIE' | 'virtio-serial-bus' | 'virtio-bus' | 'usb-bus' | 'HDA' | 'SCSI' | 'System' | 'ISA' | 'nvme-bus' | 'none';

/** What a type's builder gets. */
export interface BuildContext {
  typeName: string;
  props: PropBag;
  bus: PciBus;
  /** number of vCPUs (virtio_pci_optimal_num_queues) */
  smpCpus: number;
  /** ms->numa_state->num_nodes: how many `-numa node` the command line gave (0 when none or unknown) */
  numaNodes?: number;
  /** queues of the -netdev a NIC is attached to (1 when none) */
  netdevQueues: number;
  /** the default x-native-hotplug for PCIe slots (false when q35's ACPI hot-plug took over) */
  nativeHotplugDefault: boolean;
  chassis: PcieChassisRegistry;
  /** the MAC a NIC gets when `mac=` is not given (qemu_macaddr_default_if_unset) */
  defaultMac: () => number[];
  hotplugged: boolean;
  /** the option ROM BAR size pci_add_option_rom() settled on (0: none) */
  romSize: number;
  /** the `size` of the memory backend object `id` (a `memdev=` link), in bytes */
  memdevSize?: (id: string) => number | undefined;
  /** vfio-pci: the host device pcisim was given for a `DDDD:BB:DD.F` (--vfio-config), and whether one device has it */
  vfioHost?: (bdf: string) => VfioHostAttachment | undefined;
  /**
   * host_memory_backend_is_mapped(), then host_memory_backend_set_mapped(): false when the backend `id` is
   * mapped already (by another device, or as the machine's RAM)
   */
  mapMemdev?: (id: string) => boolean;
}

/** A host function given for vfio-pci, and whether a vfio-pci already holds it. */
export interface VfioHostAttachment {
  readonly host: VfioHostDevice;
  attached: boolean;
}

/** What a USB host controller's realize does with its ports. */
export interface UsbHostInfo {
  /** the root hub's ports it registers on its own USB bus (from its properties, for xHCI's p2/p3) */
  ports: number | ((props: PropBag) => number);
  /** an EHCI with companion_enable: its bus takes companion controllers */
  takesCompanions?: boolean;
  /** a UHCI companion: with `masterbus=` its ports go to that EHCI's bus and it has no bus of its own */
  companion?: boolean;
}

/** A USB device type (USBDeviceClass): its product string, and the ports a hub adds. */
export interface UsbDeviceInfo {
  /** usb_device_get_product_desc(): iProduct of its descriptor, for usb_claim_port()'s error */
  productDesc: string;
  /** usb-hub: the downstream ports it registers on the bus */
  hubPorts?: (props: PropBag) => number;
  /** realize brings a SCSI bus (usb-storage's one-LUN bus) */
  scsiBus?: boolean;
}

/** One QOM device type. */
export interface QdevTypeInfo {
  name: string;
  /** this type and its parents, most derived first */
  ancestors: readonly string[];
  /** the ancestry of the inner device whose properties are aliased (virtio, xhci) */
  innerAncestors?: readonly string[];
  abstract?: boolean;
  busType: QdevBusType;
  props: readonly QdevPropDef[];
  /** `PCIDeviceClass::romfile` */
  romfile?: string;
  /** PCI functions: build the model (called after the bus is known, before plug) */
  build?: (ctx: BuildContext) => PciDevice;
  /** sysbus devices: their realize (after the machine's pre-plug) */
  realizeSysbus?: (ctx: SysbusRealizeContext) => void;
  /**
   * pcisim's kind of device: a PCI function, or one of the devices without one that it accepts (a virtio-serial
   * port, a dynamic sysbus device, a USB device, an HDA codec, an ISA serial port, a DIMM, a virtio device on a
   * virtio-mmio transport, an NVMe namespace)
   */
  kind: 'pci' | 'virtio-serial-port' | 'sysbus' | 'usb-device' | 'hda-codec' | 'isa-serial' | 'memory-device' | 'virtio-mmio' | 'nvme-ns';
  /** a USB host controller: the USB bus its realize creates (usb_bus_new) or the EHCI it joins as companion */
  usbHost?: UsbHostInfo;
  /** an HDA controller: realize creates its codec bus (hda_codec_bus_init) */
  hdaBus?: boolean;
  /** a USB device: what usb_qdev_realize() needs besides its bus */
  usbDevice?: UsbDeviceInfo;
  /** checks the device's realize makes on its properties before anything is plugged (errors in QEMU's words) */
  realizeCheck?: (props: PropBag) => void;
  /** INTERFACE_PCIE_DEVICE without INTERFACE_CONVENTIONAL_PCI_DEVICE */
  pcieOnly?: boolean;
}
