/**
 * @module
 * init/main.c: the kernel's boot order and its state at boot. {@link createKernelState} builds the state
 * (declared in init/state.ts: what the kernel keeps in global variables, one object every function takes
 * first); {@link startKernel} runs the part of start_kernel() that touches PCI configuration space:
 * setup_arch(), then do_initcalls() in initcall order. Each function lives in the file named after the
 * kernel file it models (src/arch/x86/..., src/drivers/...).
 */
import { acpiMpsCheck } from '../arch/x86/kernel/acpi/boot.js';
import { earlyInitAmd } from '../arch/x86/kernel/cpu/amd.js';
import { identifyCpu } from '../arch/x86/kernel/cpu/common.js';
import { earlyQuirks } from '../arch/x86/kernel/early-quirks.js';
import { snbGfxWorkaroundNeeded } from '../arch/x86/kernel/setup.js';
import { VectorMatrix } from '../arch/x86/kernel/apic/vector.js';
import { smpInit } from '../arch/x86/kernel/smpboot.js';
import { ACPI_ISA_IRQ_PENALTY } from '../drivers/acpi/pci_link.js';
import { detectVsmpBox } from '../arch/x86/kernel/vsmp_64.js';
import { acpiTables } from '../arch/x86/pci/acpi.js';
import { amdPostcoreInit } from '../arch/x86/pci/amd_bus.js';
import { pcibiosAssignResources } from '../arch/x86/pci/i386.js';
import { pciArchInit } from '../arch/x86/pci/init.js';
import { pciSubsysInit } from '../arch/x86/pci/legacy.js';
import type { LinuxPciOptions } from '../cmdline.js';
import type { BootInfo, Cpu } from '../cpu.js';
import { acpiInit } from '../drivers/acpi/bus.js';
import { acpiphpEnumerateSlots } from '../drivers/pci/hotplug/acpiphp_glue.js';
import { pciePortdrvInit } from '../drivers/pci/pcie/portdrv.js';
import { nvmeInit } from '../drivers/nvme/host/pci.js';
import { pciApplyFinalQuirks } from '../drivers/pci/quirks.js';
import { vgaArbDeviceInit } from '../drivers/pci/vgaarb.js';
import { pnpacpiInit } from '../drivers/pnp/pnpacpi.js';
import { iommuSetup } from '../arch/x86/kernel/pci-dma.js';
import { detectIntelIommu } from '../drivers/iommu/intel/dmar.js';
import { intelIommuInit, intelIommuSetup } from '../drivers/iommu/intel/iommu.js';
import type { ConfigAccessHook, GuestPatch, KernelState } from './state.js';
import type { KernelVersion } from '../version.js';

/** What the state is made from: the machine, the firmware's hand-off, the command line, the options. */
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
    regionSetUp: new Set(),
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
    msiEnabled: new Map(),
    irqStarted: new Set(),
    acpiLinks: [],
    irqManaged: new Set(),
    acpiIsaIrqPenalty: [...ACPI_ISA_IRQ_PENALTY],
    vectors: new VectorMatrix(),
    hp: null,
    pcibiosAddBus: acpiphpEnumerateSlots,
    hpAdded: new WeakSet(),
    pciAcsEnable: false,
    iommu: { noIommu: false, dmarDisabled: false, intelIommuSm: true, passthrough: false, detected: false, intelIommuInit: false },
  };
}

/**
 * start_kernel() from setup_arch() to the device initcalls, as far as PCI configuration space goes: the
 * early conf1 reads of setup_arch(), then do_initcalls() in its order (postcore, arch, subsys, fs, device).
 */
export function startKernel(k: KernelState): void {
  identifyCpu(k);
  k.onPhase?.('setup_arch', 'begin');
  earlyInitAmd(k); // early_cpu_init() -> early_identify_cpu() -> c_early_init
  acpiMpsCheck(k);
  snbGfxWorkaroundNeeded(k);
  detectVsmpBox(k);
  earlyQuirks(k);
  earlyInitAmd(k); // identify_cpu() -> init_amd() -> early_init_amd()
  k.onPhase?.('setup_arch', 'end');
  // parse_early_param() (iommu=) and parse_args() (intel_iommu=), then mm_init() → mem_init() → pci_iommu_alloc()
  for (const v of k.opts.iommu) iommuSetup(k, v);
  for (const v of k.opts.intelIommu) intelIommuSetup(k, v);
  detectIntelIommu(k);
  // kernel_init_freeable(): smp_init() brings up the other CPUs before do_basic_setup() runs the initcalls
  smpInit(k);
  doInitcalls(k);
}

/**
 * do_initcalls(): the initcalls that touch PCI configuration space, in the order they run. Each is a phase
 * named after its function, as `initcall_debug` names it (`pcisim validate --time` sets one against the other).
 */
function doInitcalls(k: KernelState): void {
  // postcore_initcall
  k.onPhase?.('amd_postcore_init', 'begin');
  amdPostcoreInit(k);
  k.onPhase?.('amd_postcore_init', 'end');
  // arch_initcall
  k.onPhase?.('pci_arch_init', 'begin');
  pciArchInit(k);
  k.onPhase?.('pci_arch_init', 'end');
  // subsys_initcall: acpi_init() before pci_subsys_init() (link order: drivers/acpi before arch/x86/pci)
  k.onPhase?.('acpi_init', 'begin');
  if (acpiTables(k)) acpiInit(k);
  k.onPhase?.('acpi_init', 'end');
  k.onPhase?.('pci_subsys_init', 'begin');
  pciSubsysInit(k);
  k.onPhase?.('pci_subsys_init', 'end');
  // subsys_initcall_sync
  k.onPhase?.('vga_arb_device_init', 'begin');
  vgaArbDeviceInit(k);
  k.onPhase?.('vga_arb_device_init', 'end');
  // fs_initcall
  k.onPhase?.('pnpacpi_init', 'begin');
  if (acpiTables(k)) pnpacpiInit(k);
  k.onPhase?.('pnpacpi_init', 'end');
  k.onPhase?.('pcibios_assign_resources', 'begin');
  pcibiosAssignResources(k);
  k.onPhase?.('pcibios_assign_resources', 'end');
  // fs_initcall_sync
  k.onPhase?.('pci_apply_final_quirks', 'begin');
  pciApplyFinalQuirks(k);
  k.onPhase?.('pci_apply_final_quirks', 'end');
  // rootfs_initcall: pci_iommu_init() → x86_init.iommu.iommu_init()
  intelIommuInit(k);
  // device_initcall: built-in PCI drivers bind (of the devices QEMU offers, the cloud kernel builds in the PCIe port driver and nvme)
  k.onPhase?.('pcie_portdrv_init', 'begin');
  pciePortdrvInit(k);
  k.onPhase?.('pcie_portdrv_init', 'end');
  // drivers/nvme after drivers/pci in link order; the controller comes up in its reset work
  nvmeInit(k);
}
