/**
 * @module
 * include/linux/pci.h: `struct pci_dev`, `struct pci_bus` and the resources, with what this model needs of
 * them, and the small inline helpers (pci_pcie_type(), pci_name(), pcie_find_root_port()); also the PCI
 * core's own records the kernel state holds (a sized bridge window on realloc_head, struct pcie_link_state).
 */
import type { AcpiPciDevice } from '../../cpu.js';
import { PCI_EXP_TYPE_ROOT_PORT } from '../uapi/linux/pci_regs.js';
import { hex2 } from '../../lib/vsprintf.js';



/** `struct pci_dev`: a device record. Every literal lists every field, so that all device records share one hidden class. */
export interface PciDev {
  bus: PciBusState;
  devfn: number;
  vendor: number;
  device: number;
  classCode: number; // 24-bit class
  revision: number;
  hdrType: number;
  multifunction: boolean;
  pcieCap: number;
  pcieFlags: number;
  devcap: number;
  cfgSize: number;
  mmioAlwaysOn: boolean;
  /** pci_read_irq(): the INTx pin (1-4), 0 for none */
  pin: number;
  /** quirk_cmd_compl(): hot-plug command completion is not signalled */
  brokenCmdCompl: boolean;
  isHotplugBridge: boolean;
  pmCap: number;
  aerCap: number;
  msiCap: number;
  msixCap: number;
  /** the ACS extended capability (pci_acs_init()), 0: none or not reachable */
  acsCap: number;
  /** the ATS and PASID extended capabilities (pci_ats_init(), pci_pasid_init()), 0: none */
  atsCap: number;
  pasidCap: number;
  transparent: boolean;
  subordinate: PciBusState | null;
  linkActiveReporting: boolean;
  /** dev->irq: the interrupt line firmware programmed (pci_read_irq()), 0 without a pin */
  irq: number;
  /** bridge windows: I/O, memory, prefetchable memory */
  windows?: { io: BridgeWindow | null; mem: BridgeWindow | null; pref: BridgeWindow | null };
  /** the BARs pci_read_bases() sized (index 0-5; the ROM is not reassigned by this model) */
  bars: BarResource[];
  /** io_window: the bridge decodes an I/O window (pci_read_bridge_windows()) */
  ioWindow: boolean;
  /** pref_window / pref_64_window: 0 none, 32 or 64 bits wide (pci_read_bridge_windows()) */
  prefWindow?: 0 | 32 | 64;
  /** enable_cnt: pci_enable_device() calls not undone (pci_is_enabled() when above 0) */
  enableCnt?: number;
  /** is_busmaster: pci_set_master() ran */
  isBusmaster?: boolean;
}

/** A BAR as __pci_read_base() left it in `dev->resource[]`. */
export interface BarResource {
  index: number;
  io: boolean;
  is64: boolean;
  prefetch: boolean;
  size: number;
  /** bus address; 0: firmware left it unassigned (x86's pcibios_allocate_resources() does not claim it) */
  start: number;
  /** the expansion ROM (pci_update_resource() leaves a disabled ROM BAR unwritten) */
  rom?: boolean;
}

/** `struct pci_bus`: a bus record. Every literal lists every field, in this order, so that all bus records share one hidden class. */
export interface PciBusState {
  number: number;
  self: PciDev | null;
  parent: PciBusState | null;
  devices: PciDev[];
  children: PciBusState[];
  busnEnd: number;
  /** the ACPI companion's devices (for acpiphp), if the DSDT describes this bus */
  acpiDevices: AcpiPciDevice[] | null;
  /** PCI_BUS_FLAGS_NO_EXTCFG: extended config space is not reachable on this bus */
  noExtCfg?: boolean;
  /** the BRIDGE_CONTROL value read in pass 0, written back by __pci_setup_bridge() */
  bridgeCtl?: number;
  /** a root bus: its struct pci_host_bridge's native_* bits (what the host bridge's _OSC granted) */
  native?: PciHostNative;
}

/** struct pci_host_bridge's native_pcie_hotplug, native_shpc_hotplug, native_aer, native_pme */
export interface PciHostNative {
  pcieHotplug: boolean;
  shpc: boolean;
  aer: boolean;
  pme: boolean;
}

/** pci_find_host_bridge(): the native_* bits of the host bridge a bus hangs from */
export function pciFindHostBridge(bus: PciBusState): PciHostNative {
  let b = bus;
  while (b.parent) b = b.parent;
  // a root bus no ACPI host bridge made (pci_legacy_init()): pci_init_host_bridge() left every native_* bit set
  return b.native ?? { pcieHotplug: true, shpc: true, aer: true, pme: true };
}

/** A bridge window as pci_read_bridge_bases() found it (bus addresses, inclusive end). */
export interface BridgeWindow {
  start: number;
  end: number;
  is64?: boolean;
}

/** What Linux found, as `lspci` would list it. */
export interface FoundDevice {
  bus: number;
  devfn: number;
  vendor: number;
  device: number;
  classCode: number;
  hdrType: number;
  secondary?: number;
  subordinate?: number;
}


/** pci_pcie_type(): the port type from the PCI Express capability's flags */
export function pcieType(dev: PciDev): number {
  return (dev.pcieFlags & 0xf0) >> 4;
}

/** pci_name(): the BDF as Linux prints it */
export function pciName(dev: PciDev): string {
  return `0000:${hex2(dev.bus.number)}:${hex2(dev.devfn >> 3)}.${dev.devfn & 7}`;
}

/** A bridge window pbus_size_io()/pbus_size_mem() sized: `size` required, `add` on realloc_head. */
export interface SizedWindow {
  size: number;
  add: number;
  /** b_res->start (IORESOURCE_STARTALIGN), or the add_align when larger */
  align: number;
}

export interface SizedWindows {
  io: SizedWindow | null;
  mem: SizedWindow | null;
  pref: SizedWindow | null;
  /** where the prefetchable window's contents came from: 64-bit pref only, or all prefetchable */
  prefHolds: 'mem64pref' | 'pref' | null;
}

/** struct pcie_link_state: the link below a downstream port, its upstream link, the ASPM states */
export interface PcieLinkState {
  parent: PciDev | null;
  aspmSupport: number;
  aspmEnabled: number;
  aspmCapable: number;
}

/** pcie_find_root_port(): the root port above the device */
export function pcieFindRootPort(dev: PciDev): PciDev | null {
  for (let b: PciBusState | null = dev.bus; b; b = b.parent) {
    const s = b.self;
    if (s && s.pcieCap && pcieType(s) === PCI_EXP_TYPE_ROOT_PORT) return s;
  }
  return null;
}
