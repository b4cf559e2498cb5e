/**
 * @module
 * The guest kernel as the package's users see it: {@link Linux} boots on a {@link Cpu} with the firmware's
 * {@link BootInfo} and reports what it found. The kernel itself is src/init/main.ts (its state and boot order)
 * and the files under src/arch and src/drivers, named after the kernel files they model.
 */
import { rawPciRead, rawPciWrite } from './arch/x86/pci/common.js';
import { pciDirectConf1 } from './arch/x86/pci/direct.js';
import { pcibiosBusDepthFirst } from './arch/x86/pci/i386.js';
import { pciMmcfg } from './arch/x86/pci/mmconfig_64.js';
import { type LinuxPciOptions, parseCmdline } from './cmdline.js';
import type { BootInfo, Cpu } from './cpu.js';
import { pciHostBridgeNative } from './drivers/acpi/pci_root.js';
import { pciBusReadDevVendorId } from './drivers/pci/probe.js';
import { forEachPciDev, pciFindBus } from './drivers/pci/search.js';
import type { FoundDevice, PciBusState, PciDev } from './include/linux/pci.js';
import { createKernelState, startKernel } from './init/main.js';
import { type ConfigAccessHook, type GuestPatch, type KernelState, registerKernelState } from './init/state.js';
import { type KernelFlavour, type KernelVersion, kernelBuild } from './version.js';



export type { ConfigAccessHook, GuestPatch } from './init/state.js';

export interface LinuxOptions {
  /** which kernel build (default `linux-6.1-cloud`): its release and CONFIG_ options */
  flavour?: KernelFlavour;
  /** which of the 2020 MMCONFIG patches the kernel carries */
  patch?: GuestPatch;
  /** bit number of KVM_FEATURE_PCI_GO_MMCONFIG for the v2 patch (default 15, as in the v2 posting) */
  pvFeatureBit?: number;
  /** called at the boundaries of the phases the report and the trace name */
  onPhase?: (name: string, edge: 'begin' | 'end') => void;
  /**
   * Called once per config data access the kernel makes (mechanism 0 conf1, 1 mmcfg; write 0/1; the value
   * read or written, a dword as the int32 of its bytes: `value >>> 0` for the unsigned value): the guest's
   * own account, which still sees the accesses KVM answers without an exit.
   */
  onConfigAccess?: ConfigAccessHook;
  /**
   * The "enlightened guest" lower bound: the VMM hands over the list of functions (bus << 8 | devfn), and
   * the kernel probes nothing else — no vendor-ID reads of empty slots, no peer-bus scan.
   */
  pvEnumeration?: ReadonlySet<number>;
}

/** A Linux x86-64 guest kernel's PCI initialisation, access by access, on any {@link Cpu}. */
export class Linux {
  readonly #k: KernelState;

  constructor(cpu: Cpu, info: BootInfo, options: LinuxOptions = {}) {
    this.#k = createKernelState({
      cpu,
      info,
      opts: parseCmdline(info.cmdline),
      version: kernelBuild(options.flavour ?? 'linux-6.1-cloud'),
      patch: options.patch ?? 'none',
      pvBit: options.pvFeatureBit ?? 15,
      hook: options.onConfigAccess ?? null,
      onPhase: options.onPhase ?? null,
      pvList: options.pvEnumeration ?? null,
    });
    registerKernelState(this, this.#k);
  }

  /** the command line's PCI options */
  get opts(): LinuxPciOptions {
    return this.#k.opts;
  }

  /** which kernel this is: flavour, release, LINUX_VERSION_CODE */
  get version(): KernelVersion {
    return this.#k.version;
  }

  /** the kernel log lines the model writes */
  get log(): string[] {
    return this.#k.log;
  }

  /** Runs from early setup_arch to the device initcalls; returns what Linux found. */
  boot(): FoundDevice[] {
    startKernel(this.#k);
    return this.foundDevices();
  }

  /** what Linux found, as `lspci` lists it (by bus, then devfn) */
  foundDevices(): FoundDevice[] {
    const out: FoundDevice[] = [];
    for (const d of forEachPciDev(this.#k)) {
      const f: FoundDevice = {
        bus: d.bus.number,
        devfn: d.devfn,
        vendor: d.vendor,
        device: d.device,
        classCode: d.classCode,
        hdrType: d.hdrType,
      };
      if (d.subordinate) {
        f.secondary = d.subordinate.number;
        f.subordinate = d.subordinate.busnEnd;
      }
      out.push(f);
    }
    return out.sort((a, b) => a.bus - b.bus || a.devfn - b.devfn);
  }

  /** which mechanism serves base (offset < 256) accesses, for the report */
  get baseAccess(): 'conf1' | 'mmcfg' | 'none' {
    const k = this.#k;
    return k.rawPciOps === pciDirectConf1 ? 'conf1' : k.rawPciOps === pciMmcfg ? 'mmcfg' : k.rawPciExtOps ? 'mmcfg' : 'none';
  }

  /** the hand-off it boots with (E820, ACPI tables, command line): what scripts/guest-fixture.mjs saves */
  get info(): BootInfo {
    return this.#k.info;
  }

  /** every device in the order for_each_pci_dev() walks the PCI bus type's list: device_add() order */
  allDevices(): readonly PciDev[] {
    return forEachPciDev(this.#k);
  }

  /** every device, each bus's list with its subordinate buses depth-first (pcibios_allocate_resources()) */
  busDepthFirst(): Generator<PciDev> {
    return pcibiosBusDepthFirst(this.#k);
  }

  /** what _OSC granted (host->native_pcie_hotplug, native_shpc_hotplug), pcie_ports=native included */
  get osc(): { nativePcieHotplug: boolean; nativeShpc: boolean } {
    return pciHostBridgeNative(this.#k);
  }

  /** raw_pci_read(): conf1 below 256 bytes when it works, else the extended ops (unsigned) */
  rawRead(bus: number, devfn: number, reg: number, len: number): number {
    return rawPciRead(this.#k, bus, devfn, reg, len);
  }

  /** raw_pci_write() */
  rawWrite(bus: number, devfn: number, reg: number, len: number, v: number): void {
    rawPciWrite(this.#k, bus, devfn, reg, len, v);
  }

  /** pci_find_bus(0, n) */
  findBus(n: number): PciBusState | null {
    return pciFindBus(this.#k, n);
  }

  /** pci_bus_read_dev_vendor_id(bus, devfn, &l, 0): the dword, or null for no device */
  readDevVendorId(bus: PciBusState, devfn: number): number | null {
    return pciBusReadDevVendorId(this.#k, bus, devfn);
  }
}
