/**
 * @module
 * The kernel's global state as one object (what Linux keeps in global variables: boot_cpu_data, pci_probe,
 * raw_pci_ops, pci_root_buses, the PCI device list, the _OSC grants, ...), which every function of the model
 * takes as its first argument as the kernel's functions read their globals. init/main.ts builds it and runs
 * the boot order; this file only declares it, so that every file can import it without an import cycle.
 */
import type { PciRawOps } from '../arch/x86/include/asm/pci_x86.js';
import type { LinuxPciOptions } from '../cmdline.js';
import type { BootInfo, Cpu } from '../cpu.js';
import type { BarResource, PciBusState, PciDev, PcieLinkState, SizedWindows } from '../include/linux/pci.js';
import { printk } from '../kernel/printk.js';
import type { KernelVersion } from '../version.js';
import type { VectorMatrix } from '../arch/x86/kernel/apic/vector.js';
import type { MsiDesc } from '../include/linux/msi.js';
import type { IrqReturn } from '../include/linux/sched.js';

/** struct acpi_pci_link: the IRQ its _CRS reported and whether acpi_pci_link_allocate() set it up */
export interface AcpiPciLinkState {
  active: number;
  initialized: boolean;
  refcnt: number;
}

/** The guest patches of Julia Suvorova's 2020 series, selectable. */
export type GuestPatch = 'none' | 'mmconfig-v1' | 'mmconfig-v2';

export type ConfigAccessHook = (mech: number, write: number, bus: number, devfn: number, reg: number, size: number, value: number) => void;

/** What the hot-plug runtime attached to the kernel is told (printk of the PCI core's lines) and asked. */
export interface PciHotplugHooks {
  /** pci_setup_device(): "[vvvv:dddd] type 00 class 0x…" — the line the reference measures to */
  deviceFound(dev: PciDev): void;
  /** after pci_scan_single_device(): its BAR lines */
  deviceScanned(dev: PciDev): void;
  /** pci_assign_resource(): "BAR n [...]: assigned" */
  barAssigned(dev: PciDev, bar: BarResource): void;
  /** __pci_setup_bridge(): "PCI bridge to [bus xx]" and the windows */
  bridgeSetUp(bridge: PciDev): void;
  /** pci_bus_add_device() */
  deviceAdded(dev: PciDev): void;
  /** pci_destroy_dev() */
  deviceRemoved(dev: PciDev): void;
  /** pcie_port_device_register() -> pcie_device_init(PCIE_PORT_SERVICE_HP) -> pciehp_probe() */
  pciehpProbe(port: PciDev): void;
  /**
   * request_irq(IRQF_SHARED) of a port service (PME, AER) on the port's vector: its hard handler runs, in
   * registration order with pciehp's, whenever the vector fires
   */
  requestPortServiceIrq(port: PciDev, name: string, handler: () => IrqReturn): void;
  /** printk() of a PCI core message, on the running kernel's log and console */
  printk(text: string): void;
}

/** The kernel's global state. One literal ({@link createKernelState}) builds it: one hidden class. */
export interface KernelState {
  readonly cpu: Cpu;
  readonly info: BootInfo;
  /** the command line's PCI options (parseCmdline()) */
  readonly opts: LinuxPciOptions;
  /**
   * which kernel this is (src/version.ts): gates name the upstream change they follow. Set at construction
   * (LinuxOptions.flavour), or by the hot-plug runtime's attach() before boot.
   */
  version: KernelVersion;
  /** which of the 2020 MMCONFIG patches the kernel carries, and the v2 patch's PV feature bit */
  readonly patch: GuestPatch;
  readonly pvBit: number;
  /** the simulator's observers: every config access, the phase boundaries */
  readonly hook: ConfigAccessHook | null;
  readonly onPhase: ((name: string, edge: 'begin' | 'end') => void) | null;
  /** pv enumeration: the functions the VMM listed (bus << 8 | devfn); null: probe as Linux does */
  readonly pvList: ReadonlySet<number> | null;
  /** the kernel log lines the model writes (dmesg) */
  readonly log: string[];
  /** boot_cpu_data: AMD (or Hygon), its family, X86_FEATURE_APIC */
  amd: boolean;
  amdFamily: number;
  hasApic: boolean;
  /** raw_pci_ops / raw_pci_ext_ops (arch/x86/pci/common.c) */
  rawPciOps: PciRawOps<KernelState> | null;
  rawPciExtOps: PciRawOps<KernelState> | null;
  /** pci_probe, pcibios_last_bus (-1: unset) */
  pciProbe: number;
  pcibiosLastBus: number;
  /** pci_mmcfg_list's one region (base -1: none) */
  mmcfgBase: number;
  mmcfgStartBus: number;
  mmcfgEndBus: number;
  /** ACPICA: the PCI_Config op-regions set up so far (acpi_ev_pci_config_region_setup() runs once per region), by bus << 8 | devfn */
  regionSetUp: Set<number>;
  /** what _OSC granted the OS (struct pci_host_bridge's native_* bits) */
  oscNativeAer: boolean;
  oscNativeHotplug: boolean;
  oscNativeShpc: boolean;
  oscNativePme: boolean;
  /** pci_root_buses */
  readonly pciRootBuses: PciBusState[];
  /** every device in device_add() order: what for_each_pci_dev() walks */
  readonly pciDevices: PciDev[];
  /** bridge windows __pci_bus_size_bridges() sized, waiting for assignment (realloc_head) */
  readonly sizedWindows: Map<PciDev, SizedWindows>;
  /** vga_default_device() */
  vgaDefault: PciDev | null;
  /** each link's struct pcie_link_state, by its upstream port */
  readonly linkStates: Map<PciDev, PcieLinkState>;
  /** ports the PCIe port driver is bound to */
  readonly pcieBoundPorts: Set<PciDev>;
  /** functions with MSI-X enabled */
  readonly msixEnabled: Set<PciDev>;
  /** functions with MSI enabled, and their msi_desc */
  readonly msiEnabled: Map<PciDev, MsiDesc>;
  /** struct acpi_pci_link of each of the DSDT's links (drivers/acpi/pci_link.c), by index in `info.acpi.links` */
  readonly acpiLinks: AcpiPciLinkState[];
  /** pci_has_managed_irq(): functions whose INTx IRQ acpi_pci_irq_enable() set up */
  readonly irqManaged: Set<PciDev>;
  /** acpi_isa_irq_penalty[] (drivers/acpi/pci_link.c) */
  readonly acpiIsaIrqPenalty: number[];
  /** functions whose MSI/MSI-X interrupt was requested and started (irq_startup()) */
  readonly irqStarted: Set<PciDev>;
  /** the boot CPU's interrupt vectors (arch/x86/kernel/apic/vector.c) */
  readonly vectors: VectorMatrix;
  /** the attached hot-plug runtime (null: a boot without one) */
  hp: PciHotplugHooks | null;
  /**
   * x86's pcibios_add_bus() -> acpi_pci_add_bus() -> acpiphp_enumerate_slots(), called for each new bus: a
   * pointer (set by init/main.ts), as the hot-plug driver sits above the PCI core that calls it
   */
  readonly pcibiosAddBus: (k: KernelState, bus: PciBusState) => void;
  /** pci_dev_is_added(): pci_bus_add_device() has seen the device */
  readonly hpAdded: WeakSet<PciDev>;
  /** pci_acs_enable: an IOMMU driver called pci_request_acs() */
  pciAcsEnable: boolean;
  /** the IOMMU state the early params and detect_intel_iommu() leave (drivers/iommu/intel/dmar.c) */
  readonly iommu: IommuState;
}

/** What the kernel keeps about the IOMMU: iommu=, intel_iommu= and what the DMAR table showed. */
export interface IommuState {
  /** no_iommu (iommu=off) */
  noIommu: boolean;
  /** dmar_disabled: Debian's INTEL_IOMMU_DEFAULT_ON_INTGPU_OFF leaves it 0; intel_iommu=off sets it */
  dmarDisabled: boolean;
  /** intel_iommu_sm: CONFIG_INTEL_IOMMU_SCALABLE_MODE_DEFAULT_ON=y; intel_iommu=sm_off clears it */
  intelIommuSm: boolean;
  /** iommu_def_domain_type is IOMMU_DOMAIN_IDENTITY (iommu=pt; iommu=nopt undoes it) */
  passthrough: boolean;
  /** iommu_detected (pci_iommu_alloc()'s detectors) */
  detected: boolean;
  /** x86_init.iommu.iommu_init is intel_iommu_init: the DMAR table was found and valid */
  intelIommuInit: boolean;
}

const states = new WeakMap<object, KernelState>();

/** the kernel state behind a `Linux` (the hot-plug drivers run on it) */
export function kernelStateOf(linux: object): KernelState {
  const k = states.get(linux);
  if (!k) throw new Error('not a Linux');
  return k;
}

/** `Linux`'s constructor: its state, for {@link kernelStateOf} */
export function registerKernelState(linux: object, k: KernelState): void {
  states.set(linux, k);
}
