/**
 * @module
 * init/main.c: the kernel's state and its boot order. {@link KernelState} is what the kernel keeps in global
 * variables (boot_cpu_data, pci_probe, raw_pci_ops, pci_root_buses, the PCI device list, the _OSC grants,
 * ...): one object every function of the model takes as its first argument, as the kernel's functions read
 * their globals. {@link startKernel} runs the part of start_kernel() that touches PCI configuration space:
 * setup_arch(), then do_initcalls() in initcall order. Each function lives in the file named after the
 * kernel file it models (src/arch/x86/..., src/drivers/...).
 */
import type { PciRawOps } from '../arch/x86/include/asm/pci_x86.js';
import { earlyInitAmd } from '../arch/x86/kernel/cpu/amd.js';
import { identifyCpu } from '../arch/x86/kernel/cpu/common.js';
import { earlyQuirks } from '../arch/x86/kernel/early-quirks.js';
import { snbGfxWorkaroundNeeded } from '../arch/x86/kernel/setup.js';
import { detectVsmpBox } from '../arch/x86/kernel/vsmp_64.js';
import { amdPostcoreInit } from '../arch/x86/pci/amd_bus.js';
import { pcibiosAssignResources } from '../arch/x86/pci/i386.js';
import { pciArchInit } from '../arch/x86/pci/init.js';
import { pciSubsysInit } from '../arch/x86/pci/legacy.js';
import type { LinuxPciOptions } from '../cmdline.js';
import type { BootInfo, Cpu } from '../cpu.js';
import { acpiInit } from '../drivers/acpi/bus.js';
import type { PcieLinkState } from '../drivers/pci/pcie/aspm.js';
import { pciePortdrvInit } from '../drivers/pci/pcie/portdrv.js';
import { pciApplyFinalQuirks } from '../drivers/pci/quirks.js';
import type { SizedWindows } from '../drivers/pci/setup-bus.js';
import { vgaArbDeviceInit } from '../drivers/pci/vgaarb.js';
import { pnpacpiInit } from '../drivers/pnp/pnpacpi.js';
import type { BarResource, PciBusState, PciDev } from '../include/linux/pci.js';
import type { ConfigAccessHook, GuestPatch } from '../linux.js';
import type { KernelVersion } from '../version.js';

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
  rawPciOps: PciRawOps | null;
  rawPciExtOps: PciRawOps | null;
  /** pci_probe, pcibios_last_bus (-1: unset) */
  pciProbe: number;
  pcibiosLastBus: number;
  /** pci_mmcfg_list's one region (base -1: none) */
  mmcfgBase: number;
  mmcfgStartBus: number;
  mmcfgEndBus: number;
  /** ACPICA: the PCI_Config op-region has been set up (acpi_ev_pci_config_region_setup()) */
  regionSetUp: boolean;
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
  /** the attached hot-plug runtime (null: a boot without one) */
  hp: PciHotplugHooks | null;
  /** pci_dev_is_added(): pci_bus_add_device() has seen the device */
  readonly hpAdded: WeakSet<PciDev>;
}

export interface KernelStateInit {
  cpu: Cpu;
  info: BootInfo;
  opts: LinuxPciOptions;
  version: KernelVersion;
  patch: GuestPatch;
  pvBit: number;
  hook: ConfigAccessHook | null;
  onPhase: ((name: string, edge: 'begin' | 'end') => void) | null;
  pvList: ReadonlySet<number> | null;
}

/** The state at boot: nothing probed, the command line parsed. */
export function createKernelState(init: KernelStateInit): KernelState {
  return {
    cpu: init.cpu,
    info: init.info,
    opts: init.opts,
    version: init.version,
    patch: init.patch,
    pvBit: init.pvBit,
    hook: init.hook,
    onPhase: init.onPhase,
    pvList: init.pvList,
    log: [],
    amd: false,
    amdFamily: 0,
    hasApic: false,
    rawPciOps: null,
    rawPciExtOps: null,
    pciProbe: init.opts.pciProbe,
    pcibiosLastBus: init.opts.lastBus ?? -1,
    mmcfgBase: -1,
    mmcfgStartBus: 0,
    mmcfgEndBus: -1,
    regionSetUp: false,
    oscNativeAer: false,
    oscNativeHotplug: false,
    oscNativeShpc: false,
    oscNativePme: false,
    pciRootBuses: [],
    pciDevices: [],
    sizedWindows: new Map(),
    vgaDefault: null,
    linkStates: new Map(),
    pcieBoundPorts: new Set(),
    msixEnabled: new Set(),
    hp: null,
    hpAdded: new WeakSet(),
  };
}

/**
 * start_kernel() from setup_arch() to the device initcalls, as far as PCI configuration space goes: the
 * early conf1 reads of setup_arch(), then do_initcalls() in its order (postcore, arch, subsys, fs, device).
 */
export function startKernel(k: KernelState): void {
  identifyCpu(k);
  k.onPhase?.('setup_arch', 'begin');
  earlyInitAmd(k);
  snbGfxWorkaroundNeeded(k);
  detectVsmpBox(k);
  earlyQuirks(k);
  earlyInitAmd(k); // identify_cpu() -> init_amd() -> early_init_amd()
  k.onPhase?.('setup_arch', 'end');
  doInitcalls(k);
}

/** do_initcalls(): the initcalls that touch PCI configuration space, in the order they run */
function doInitcalls(k: KernelState): void {
  // postcore_initcall
  amdPostcoreInit(k);
  // arch_initcall
  k.onPhase?.('pci_arch_init', 'begin');
  pciArchInit(k);
  k.onPhase?.('pci_arch_init', 'end');
  // subsys_initcall: acpi_init() before pci_subsys_init() (link order: drivers/acpi before arch/x86/pci)
  k.onPhase?.('acpi_init', 'begin');
  if (k.info.acpi && !k.opts.acpiOff) acpiInit(k);
  k.onPhase?.('acpi_init', 'end');
  k.onPhase?.('pci_subsys_init', 'begin');
  pciSubsysInit(k);
  k.onPhase?.('pci_subsys_init', 'end');
  // subsys_initcall_sync
  vgaArbDeviceInit(k);
  // fs_initcall
  if (k.info.acpi && !k.opts.acpiOff) pnpacpiInit(k);
  pcibiosAssignResources(k);
  pciApplyFinalQuirks(k);
  // device_initcall: built-in PCI drivers bind (the cloud kernel builds in the PCIe port driver only)
  k.onPhase?.('pcie_portdrv_init', 'begin');
  pciePortdrvInit(k);
  k.onPhase?.('pcie_portdrv_init', 'end');
}
