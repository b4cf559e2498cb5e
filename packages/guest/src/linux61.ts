/**
 * @module
 * Linux 6.1's PCI initialisation on x86-64, access for access (Debian 6.1.192 as the reference recordings
 * run it). Each method mirrors the kernel function named in its comment; the order of the methods called
 * by {@link Linux61.boot} is the order of initcalls. What the kernel decides from a value it read (a
 * capability found, a BAR's size, a bridge's bus numbers) is decided here from the value the CPU returned,
 * so the counts follow from the algorithm and the devices, never from a table of expected numbers.
 */
import type { AcpiPciDevice, BootInfo, Cpu } from './cpu.js';
import { GuestError } from './errors.js';
import { parseCmdline, type LinuxPciOptions } from './cmdline.js';

const PCI_VENDOR_ID = 0x00;
const PCI_DEVICE_ID = 0x02;
const PCI_COMMAND = 0x04;
const PCI_STATUS = 0x06;
const PCI_CLASS_REVISION = 0x08;
const PCI_CLASS_PROG = 0x09;
const PCI_CLASS_DEVICE = 0x0a;
const PCI_CACHE_LINE_SIZE = 0x0c;
const PCI_HEADER_TYPE = 0x0e;
const PCI_BASE_ADDRESS_0 = 0x10;
const PCI_PRIMARY_BUS = 0x18;
const PCI_IO_BASE = 0x1c;
const PCI_IO_LIMIT = 0x1d;
const PCI_MEMORY_BASE = 0x20;
const PCI_MEMORY_LIMIT = 0x22;
const PCI_PREF_MEMORY_BASE = 0x24;
const PCI_PREF_MEMORY_LIMIT = 0x26;
const PCI_PREF_BASE_UPPER32 = 0x28;
const PCI_PREF_LIMIT_UPPER32 = 0x2c;
const PCI_IO_BASE_UPPER16 = 0x30;
const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
const PCI_SUBSYSTEM_ID = 0x2e;
const PCI_ROM_ADDRESS = 0x30;
const PCI_CAPABILITY_LIST = 0x34;
const PCI_ROM_ADDRESS1 = 0x38;
const PCI_INTERRUPT_LINE = 0x3c;
const PCI_INTERRUPT_PIN = 0x3d;
const PCI_BRIDGE_CONTROL = 0x3e;
const PCI_BRIDGE_CTL_SERR = 0x02;
const PCI_BRIDGE_CTL_MASTER_ABORT = 0x20;
const PCI_COMMAND_IO = 0x1;
const PCI_COMMAND_MEMORY = 0x2;
const PCI_COMMAND_INTX_DISABLE = 0x400;
const PCI_STATUS_CAP_LIST = 0x10;

const PCI_CAP_ID_PM = 0x01;
const PCI_CAP_ID_VPD = 0x03;
const PCI_CAP_ID_MSI = 0x05;
const PCI_CAP_ID_PCIX = 0x07;
const PCI_CAP_ID_SSVID = 0x0d;
const PCI_CAP_ID_EXP = 0x10;
const PCI_CAP_ID_MSIX = 0x11;
const PCI_CAP_ID_AF = 0x13;
const PCI_CAP_ID_EA = 0x14;

const PCI_EXT_CAP_ID_ERR = 0x01;
const PCI_EXT_CAP_ID_VC = 0x02;
const PCI_EXT_CAP_ID_VC9 = 0x09;
const PCI_EXT_CAP_ID_MFVC = 0x08;
const PCI_EXT_CAP_ID_VNDR = 0x0b;
const PCI_EXT_CAP_ID_ACS = 0x0d;
const PCI_EXT_CAP_ID_ARI = 0x0e;
const PCI_EXT_CAP_ID_ATS = 0x0f;
const PCI_EXT_CAP_ID_SRIOV = 0x10;
const PCI_EXT_CAP_ID_REBAR = 0x15;
const PCI_EXT_CAP_ID_LTR = 0x18;
const PCI_EXT_CAP_ID_DPC = 0x1d;
const PCI_EXT_CAP_ID_L1SS = 0x1e;
const PCI_EXT_CAP_ID_PTM = 0x1f;
const PCI_EXT_CAP_ID_PRI = 0x13;
const PCI_EXT_CAP_ID_PASID = 0x1b;

const PCI_EXP_FLAGS = 0x02;
const PCI_EXP_DEVCAP = 0x04;
const PCI_EXP_DEVCTL = 0x08;
const PCI_EXP_LNKCAP = 0x0c;
const PCI_EXP_LNKCTL = 0x10;
const PCI_EXP_LNKSTA = 0x12;
const PCI_EXP_SLTCAP = 0x14;
const PCI_EXP_RTCAP = 0x1e;
const PCI_EXP_RTCTL = 0x1c;
const PCI_EXP_DEVCAP2 = 0x24;
const PCI_EXP_DEVCTL2 = 0x28;
const PCI_EXP_TYPE_ENDPOINT = 0x0;
const PCI_EXP_TYPE_LEG_END = 0x1;
const PCI_EXP_TYPE_ROOT_PORT = 0x4;
const PCI_EXP_TYPE_UPSTREAM = 0x5;
const PCI_EXP_TYPE_DOWNSTREAM = 0x6;
const PCI_EXP_TYPE_PCI_BRIDGE = 0x7;
const PCI_EXP_TYPE_PCIE_BRIDGE = 0x8;
const PCI_EXP_TYPE_RC_END = 0x9;
const PCI_EXP_TYPE_RC_EC = 0xa;

const PCI_CLASS_BRIDGE_HOST = 0x0600;
const PCI_CLASS_BRIDGE_PCI = 0x0604;
const PCI_CLASS_BRIDGE_CARDBUS = 0x0607;
const PCI_CLASS_STORAGE_IDE = 0x0101;
const PCI_CLASS_DISPLAY_VGA = 0x0300;

/** PCI_PROBE_* (arch/x86/include/asm/pci_x86.h) */
export const PCI_PROBE_BIOS = 0x1;
export const PCI_PROBE_CONF1 = 0x2;
export const PCI_PROBE_CONF2 = 0x4;
export const PCI_PROBE_MMCONF = 0x8;
export const PCI_PROBE_MASK = 0xf;
export const PCI_PROBE_NOEARLY = 0x10;
export const PCI_NO_CHECKS = 0x400;

/** `KVM_FEATURE_PCI_GO_MMCONFIG` of the unmerged 2020 patch (bit 15 in v2; configurable here) */
export const KVM_CPUID_SIGNATURE = 0x40000000;
export const KVM_CPUID_FEATURES = 0x40000001;

/** The guest patches of Julia Suvorova's 2020 series, selectable. */
export type GuestPatch = 'none' | 'mmconfig-v1' | 'mmconfig-v2';

export interface Linux61Options {
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

export type ConfigAccessHook = (mech: number, write: number, bus: number, devfn: number, reg: number, size: number, value: number) => void;

/** The kernel's `struct pci_dev`, with what this model needs of it. */
/** A device record. Every literal lists every field, so that all device records share one hidden class. */
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
  isHotplugBridge: boolean;
  pmCap: number;
  aerCap: number;
  msiCap: number;
  msixCap: number;
  transparent: boolean;
  subordinate: PciBusState | null;
  linkActiveReporting: boolean;
  /** bridge windows: I/O, memory, prefetchable memory */
  windows?: { io: BridgeWindow | null; mem: BridgeWindow | null; pref: BridgeWindow | null };
  /** the BARs pci_read_bases() sized (index 0-5; the ROM is not reassigned by this model) */
  bars: BarResource[];
  /** io_window: the bridge decodes an I/O window (pci_read_bridge_windows()) */
  ioWindow: boolean;
  /** pref_window / pref_64_window: 0 none, 32 or 64 bits wide (pci_read_bridge_windows()) */
  prefWindow?: 0 | 32 | 64;
}

/** A bridge window pbus_size_io()/pbus_size_mem() sized: `size` required, `add` on realloc_head. */
interface SizedWindow {
  size: number;
  add: number;
  /** b_res->start (IORESOURCE_STARTALIGN), or the add_align when larger */
  align: number;
}

interface SizedWindows {
  io: SizedWindow | null;
  mem: SizedWindow | null;
  pref: SizedWindow | null;
  /** where the prefetchable window's contents came from: 64-bit pref only, or all prefetchable */
  prefHolds: 'mem64pref' | 'pref' | null;
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

/** `struct pci_bus` */
/** A bus record. Every literal lists every field, in this order, so that all bus records share one hidden class. */
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

/** pci_find_bus() below `b`: depth first, `b` itself included */
function findBusBelow(b: PciBusState, n: number): PciBusState | null {
  if (b.number === n) return b;
  for (const c of b.children) {
    const f = findBusBelow(c, n);
    if (f) return f;
  }
  return null;
}

export class Linux61 {
  readonly opts: LinuxPciOptions;
  /** raw_pci_ops / raw_pci_ext_ops: 0 none, 1 conf1, 2 conf2, 3 mmcfg */
  private rawOps = 0;
  private rawExtOps = 0;
  private pciProbe: number;
  private pcibiosLastBus = -1;
  private mmcfgBase = -1;
  private mmcfgStartBus = 0;
  private mmcfgEndBus = -1;
  private amd = false;
  private amdFamily = 0;
  private hasApic = false;
  private readonly roots: PciBusState[] = [];
  readonly log: string[] = [];
  private oscNativeAer = false;
  private oscNativeHotplug = false;
  private oscNativeShpc = false;
  private oscNativePme = false;
  private readonly patch: GuestPatch;
  private readonly pvBit: number;

  constructor(
    private readonly cpu: Cpu,
    private readonly info: BootInfo,
    options: Linux61Options = {},
  ) {
    this.opts = parseCmdline(info.cmdline);
    this.pciProbe = this.opts.pciProbe;
    if (this.opts.lastBus !== undefined) this.pcibiosLastBus = this.opts.lastBus;
    this.patch = options.patch ?? 'none';
    this.pvBit = options.pvFeatureBit ?? 15;
    this.onPhase = options.onPhase ?? null;
    this.hook = options.onConfigAccess ?? null;
    this.pvList = options.pvEnumeration ?? null;
  }

  private readonly hook: ConfigAccessHook | null;
  private readonly pvList: ReadonlySet<number> | null;

  /** pv enumeration: a function the VMM did not list is not probed */
  private pvAbsent(bus: number, devfn: number): boolean {
    return this.pvList !== null && !this.pvList.has((bus << 8) | devfn);
  }

  private readonly onPhase: ((name: string, edge: 'begin' | 'end') => void) | null;

  private phase(name: string, edge: 'begin' | 'end'): void {
    this.onPhase?.(name, edge);
  }

  // ------------------------------------------------------------------
  // Config access primitives
  // ------------------------------------------------------------------

  /** arch/x86/pci/early.c read_pci_config*(): conf1, no lock, no check */
  private earlyRead(bus: number, slot: number, fn: number, off: number, len: 1 | 2 | 4): number {
    const devfn = (slot << 3) | fn;
    if (this.pvAbsent(bus, devfn)) return len === 4 ? 0xffffffff : len === 2 ? 0xffff : 0xff;
    this.cpu.outl(0xcf8, 0x80000000 | (bus << 16) | (slot << 11) | (fn << 8) | (off & 0xfc));
    const v = len === 4 ? this.cpu.inl(0xcfc) >>> 0 : len === 2 ? this.cpu.inw(0xcfc + (off & 2)) : this.cpu.inb(0xcfc + (off & 3));
    this.hook?.(0, 0, bus, devfn, off, len, bitsOf(v, len));
    return v;
  }

  /**
   * pci_conf1_read() (direct.c). Dwords go to the CPU and come back as the int32 of their bytes (see
   * {@link Cpu}), and stay so up to {@link rawRead}: an unsigned PCI_CONF1_ADDRESS or 0xffffffff of an
   * absent function has bit 31 set, and V8 would box it in a fresh heap number at every call it does not
   * inline. The `*Read` primitives below return such "bits": -1 is a dword of all-ones.
   */
  private conf1Read(bus: number, devfn: number, reg: number, len: number): number {
    if (bus > 255 || devfn > 255 || reg > 4095) return -1;
    if (this.pvAbsent(bus, devfn)) return -1;
    this.cpu.outl(0xcf8, 0x80000000 | ((reg & 0xf00) << 16) | (bus << 16) | (devfn << 8) | (reg & 0xfc));
    const v = len === 1 ? this.cpu.inb(0xcfc + (reg & 3)) : len === 2 ? this.cpu.inw(0xcfc + (reg & 2)) : this.cpu.inl(0xcfc) | 0;
    this.hook?.(0, 0, bus, devfn, reg, len, v);
    return v;
  }

  private conf1Write(bus: number, devfn: number, reg: number, len: number, value: number): void {
    if (bus > 255 || devfn > 255 || reg > 4095) return;
    if (this.pvAbsent(bus, devfn)) return;
    this.cpu.outl(0xcf8, 0x80000000 | ((reg & 0xf00) << 16) | (bus << 16) | (devfn << 8) | (reg & 0xfc));
    if (len === 1) this.cpu.outb(0xcfc + (reg & 3), value & 0xff);
    else if (len === 2) this.cpu.outw(0xcfc + (reg & 2), value & 0xffff);
    else this.cpu.outl(0xcfc, value | 0);
    this.hook?.(0, 1, bus, devfn, reg, len, bitsOf(value, len));
  }

  /** pci_mmcfg_read() (mmconfig_64.c) */
  /** PCI_MMCFG_ADDR(): below 4 GiB as the int32 of its bits (see Cpu), which V8 passes without allocating */
  private ecamGpa(bus: number, devfn: number, reg: number): number {
    const addr = this.mmcfgBase + (bus - this.mmcfgStartBus) * 2 ** 20 + (devfn << 12) + reg;
    return addr < 0x1_0000_0000 ? addr | 0 : addr;
  }

  private mmcfgRead(bus: number, devfn: number, reg: number, len: number): number {
    if (bus < this.mmcfgStartBus || bus > this.mmcfgEndBus || this.mmcfgBase < 0) return -1;
    if (this.pvAbsent(bus, devfn)) return -1;
    const addr = this.ecamGpa(bus, devfn, reg);
    const v = len === 1 ? this.cpu.readb(addr) : len === 2 ? this.cpu.readw(addr) : this.cpu.readl(addr) | 0;
    this.hook?.(1, 0, bus, devfn, reg, len, v);
    return v;
  }

  private mmcfgWrite(bus: number, devfn: number, reg: number, len: number, value: number): void {
    if (bus < this.mmcfgStartBus || bus > this.mmcfgEndBus || this.mmcfgBase < 0) return;
    if (this.pvAbsent(bus, devfn)) return;
    const addr = this.ecamGpa(bus, devfn, reg);
    if (len === 1) this.cpu.writeb(addr, value & 0xff);
    else if (len === 2) this.cpu.writew(addr, value & 0xffff);
    else this.cpu.writel(addr, value | 0);
    this.hook?.(1, 1, bus, devfn, reg, len, bitsOf(value, len));
  }

  private opsRead(ops: number, bus: number, devfn: number, reg: number, len: number): number {
    if (ops === 1) return this.conf1Read(bus, devfn, reg, len);
    if (ops === 3) return this.mmcfgRead(bus, devfn, reg, len);
    return -1;
  }

  private opsWrite(ops: number, bus: number, devfn: number, reg: number, len: number, v: number): void {
    if (ops === 1) this.conf1Write(bus, devfn, reg, len, v);
    else if (ops === 3) this.mmcfgWrite(bus, devfn, reg, len, v);
  }

  /** raw_pci_read() (common.c): conf1 below 256 bytes when it works, else the extended ops */
  rawRead(bus: number, devfn: number, reg: number, len: number): number {
    const v = this.rawReadBits(bus, devfn, reg, len);
    return len === 4 ? v >>> 0 : v;
  }

  /** {@link rawRead} with a dword as the int32 of its bytes (see {@link conf1Read}): for the scan's probes */
  private rawReadBits(bus: number, devfn: number, reg: number, len: number): number {
    if (reg < 256 && this.rawOps) return bitsOf(this.opsRead(this.rawOps, bus, devfn, reg, len), len);
    if (this.rawExtOps) return bitsOf(this.opsRead(this.rawExtOps, bus, devfn, reg, len), len);
    return bitsOf(-1, len);
  }

  rawWrite(bus: number, devfn: number, reg: number, len: number, v: number): void {
    if (reg < 256 && this.rawOps) return this.opsWrite(this.rawOps, bus, devfn, reg, len, v);
    if (this.rawExtOps) this.opsWrite(this.rawExtOps, bus, devfn, reg, len, v);
  }

  // pci_read_config_*: via the bus's ops; config space past cfg_size is not accessed (pci_read_config checks)
  private rd(dev: PciDev, reg: number, len: number): number {
    return this.rawRead(dev.bus.number, dev.devfn, reg, len);
  }
  private wr(dev: PciDev, reg: number, len: number, v: number): void {
    this.rawWrite(dev.bus.number, dev.devfn, reg, len, v);
  }

  // ------------------------------------------------------------------
  // Boot: the initcalls that touch PCI config space, in order
  // ------------------------------------------------------------------

  /** Runs from early setup_arch to pci_apply_final_quirks; returns what Linux found. */
  boot(): FoundDevice[] {
    this.identifyCpu();
    this.phase('setup_arch', 'begin');
    this.earlyInitAmd();
    this.snbGfxWorkaroundNeeded();
    this.detectVsmpBox();
    this.earlyQuirks();
    this.earlyInitAmd(); // identify_cpu() -> init_amd() -> early_init_amd()
    this.phase('setup_arch', 'end');
    this.amdPostcoreInit();
    this.phase('pci_arch_init', 'begin');
    this.pciArchInit();
    this.phase('pci_arch_init', 'end');
    this.phase('acpi_init', 'begin');
    if (this.info.acpi && !this.opts.acpiOff) this.acpiInit();
    this.phase('acpi_init', 'end');
    this.phase('pci_subsys_init', 'begin');
    this.pciSubsysInit();
    this.phase('pci_subsys_init', 'end');
    this.vgaArbDeviceInit();
    if (this.info.acpi && !this.opts.acpiOff) this.pnpacpiInit();
    this.pcibiosAssignResources();
    this.pciApplyFinalQuirks();
    // device_initcall: built-in PCI drivers bind (the cloud kernel builds in the PCIe port driver only)
    this.phase('pcie_portdrv_init', 'begin');
    this.pciePortdrvInit();
    this.phase('pcie_portdrv_init', 'end');
    return this.foundDevices();
  }

  /** identify_cpu(): vendor and family from CPUID leaves 0 and 1 */
  private identifyCpu(): void {
    const l0 = this.cpu.cpuid(0);
    const vendor = regsToString(l0.ebx, l0.edx, l0.ecx);
    this.amd = vendor === 'AuthenticAMD' || vendor === 'HygonGenuine';
    const l1 = this.cpu.cpuid(1);
    const base = (l1.eax >>> 8) & 0xf;
    this.amdFamily = base === 0xf ? base + ((l1.eax >>> 20) & 0xff) : base;
    this.hasApic = (l1.edx & (1 << 9)) !== 0;
  }

  /** early_pci_allowed() */
  private earlyPciAllowed(): boolean {
    return (this.pciProbe & (PCI_PROBE_CONF1 | PCI_PROBE_NOEARLY)) === PCI_PROBE_CONF1;
  }

  /** arch/x86/kernel/cpu/amd.c early_init_amd(): K8..16h check the extended APIC ID bit in 00:18.0 */
  private earlyInitAmd(): void {
    if (!this.amd || !this.hasApic) return;
    if (this.amdFamily > 0x16 || this.amdFamily < 0xf) return;
    this.earlyRead(0, 24, 0, 0x68, 4);
  }

  /** arch/x86/kernel/setup.c snb_gfx_workaround_needed() */
  private snbGfxWorkaroundNeeded(): void {
    const vendor = this.earlyRead(0, 2, 0, PCI_VENDOR_ID, 2);
    if (vendor !== 0x8086) return;
    this.earlyRead(0, 2, 0, PCI_DEVICE_ID, 2);
  }

  /** arch/x86/kernel/vsmp_64.c detect_vsmp_box() */
  private detectVsmpBox(): void {
    if (!this.earlyPciAllowed()) return;
    this.earlyRead(0, 0x1f, 0, PCI_VENDOR_ID, 4);
  }

  /** arch/x86/kernel/early-quirks.c early_quirks() -> early_pci_scan_bus(0) */
  private earlyQuirks(): void {
    if (!this.earlyPciAllowed()) return;
    this.earlyPciScanBus(0);
  }

  /** early_pci_scan_bus(): function 0 of each slot, all functions of a multifunction slot, bridges recursively */
  private earlyPciScanBus(bus: number): void {
    for (let slot = 0; slot < 32; slot++) {
      for (let fn = 0; fn < 8; fn++) {
        if (this.checkDevQuirk(bus, slot, fn)) break;
      }
    }
  }

  /** check_dev_quirk(): the quirks in early_qrk[] match no QEMU device, so only the probe reads */
  private checkDevQuirk(bus: number, slot: number, fn: number): boolean {
    const cls = this.earlyRead(bus, slot, fn, PCI_CLASS_DEVICE, 2);
    if (cls === 0xffff) return true;
    this.earlyRead(bus, slot, fn, PCI_VENDOR_ID, 2);
    this.earlyRead(bus, slot, fn, PCI_DEVICE_ID, 2);
    const type = this.earlyRead(bus, slot, fn, PCI_HEADER_TYPE, 1);
    if ((type & 0x7f) === 1) {
      const sec = this.earlyRead(bus, slot, fn, 0x19, 1);
      if (sec > bus) this.earlyPciScanBus(sec);
    }
    return !(type & 0x80);
  }

  /** arch/x86/pci/amd_bus.c amd_postcore_init() -> early_root_info_init() */
  private amdPostcoreInit(): void {
    if (!this.amd) return;
    const hbProbes: [number, number, number][] = [
      [0, 0x18, 0x1100],
      [0, 0x18, 0x1200],
      [0xff, 0, 0x1200],
      [0, 0x18, 0x1300],
      [0, 0x18, 0x1600],
    ];
    for (const [bus, slot, device] of hbProbes) {
      const id = this.earlyRead(bus, slot, 0, PCI_VENDOR_ID, 4);
      const vendor = id & 0xffff;
      if (vendor !== 0x1022 && vendor !== 0x1d94) continue;
      if (id >>> 16 === device) throw new GuestError('UNSUPPORTED', 'an AMD northbridge was found: amd_bus routing is not modelled');
    }
    // pci_io_ecs_init(): only for family 10h..16h with a northbridge
  }

  /** arch/x86/pci/init.c pci_arch_init() */
  private pciArchInit(): void {
    const type = this.pciDirectProbe();
    if (!(this.pciProbe & PCI_PROBE_NOEARLY)) this.pciMmcfgEarlyInit();
    let pcbios = 1;
    if (this.patch === 'mmconfig-v2' && this.kvmParaHasFeature(this.pvBit)) {
      // kvm_pci_arch_init(): the hook of the v2 patch, installed by kvm_init_platform()
      pcbios = this.kvmPciArchInit();
    }
    if (!pcbios) return;
    this.pciDirectInit(type);
    if (!this.rawOps && !this.rawExtOps) this.log.push('PCI: Fatal: No config space access function found');
  }

  /** kvm_para_available() && kvm_para_has_feature(bit) */
  private kvmParaHasFeature(bit: number): boolean {
    if (!this.kvmParaAvailable()) return false;
    return (this.cpu.cpuid(KVM_CPUID_FEATURES).eax & (1 << bit)) !== 0;
  }

  private kvmParaAvailable(): boolean {
    const sig = this.cpu.cpuid(KVM_CPUID_SIGNATURE);
    return regsToString(sig.ebx, sig.ecx, sig.edx) === 'KVMKVMKVM\0\0\0';
  }

  /** the v2 patch's kvm_pci_arch_init() */
  private kvmPciArchInit(): number {
    if (this.rawExtOps) {
      this.log.push('PCI: Using MMCONFIG for base access');
      this.rawOps = this.rawExtOps;
      return 0;
    }
    return 1;
  }

  /** direct.c pci_direct_probe() + pci_check_type1(); 0 means no direct access */
  private pciDirectProbe(): number {
    if (this.pciProbe & PCI_PROBE_CONF1) {
      // pci_check_type1(): port accesses only
      this.cpu.outb(0xcfb, 0x01);
      const tmp = this.cpu.inl(0xcf8);
      this.cpu.outl(0xcf8, 0x80000000);
      let works = false;
      if (this.cpu.inl(0xcf8) >>> 0 === 0x80000000) works = this.pciSanityCheck(1);
      this.cpu.outl(0xcf8, tmp);
      if (works) {
        this.rawOps = 1;
        return 1;
      }
    }
    if (this.pciProbe & PCI_PROBE_CONF2) {
      // pci_check_type2(): port accesses only; a machine with no config ports reads back all-ones
      this.cpu.outb(0xcfb, 0x00);
      this.cpu.outb(0xcf8, 0x00);
      this.cpu.outb(0xcfa, 0x00);
      if (this.cpu.inb(0xcf8) === 0x00 && this.cpu.inb(0xcfa) === 0x00) {
        throw new GuestError('UNSUPPORTED', 'a type-2 configuration mechanism answered: conf2 is not modelled');
      }
    }
    return 0;
  }

  /** direct.c pci_sanity_check(): trusted without a look when the BIOS is from 2001 or later */
  private pciSanityCheck(ops: number): boolean {
    if (this.pciProbe & PCI_NO_CHECKS) return true;
    if (dmiBiosYear(this.info.dmiBiosDate) >= 2001) return true;
    for (let devfn = 0; devfn < 0x100; devfn++) {
      const cls = mask(this.opsRead(ops, 0, devfn, PCI_CLASS_DEVICE, 2), 2);
      if (cls === 0x0600 || cls === 0x0300) return true;
      const v = mask(this.opsRead(ops, 0, devfn, PCI_VENDOR_ID, 2), 2);
      if (v === 0x8086 || v === 0x0e11) return true;
    }
    return false;
  }

  /** mmconfig-shared.c pci_mmcfg_early_init() -> __pci_mmcfg_init(1) */
  private pciMmcfgEarlyInit(): void {
    if (!(this.pciProbe & PCI_PROBE_MMCONF)) return;
    let known = false;
    if (this.rawOps) {
      // pci_mmcfg_check_hostbridge(): E7520, 945G, AMD fam10h (twice), nVidia MCP55
      const probes: [number, number, number, number][] = [
        [0, 0, 0x8086, 0x3590],
        [0, 0, 0x8086, 0x2770],
        [0, 0xc0, 0x1022, 0x1200],
        [0xff, 0, 0x1022, 0x1200],
        [0, 0, 0x10de, 0x0369],
      ];
      for (const [bus, devfn, vendor, device] of probes) {
        const l = this.opsRead(this.rawOps, bus, devfn, PCI_VENDOR_ID, 4);
        if ((l & 0xffff) === vendor && l >>> 16 === device) {
          throw new GuestError('UNSUPPORTED', `MMCONFIG chipset probe for ${hex4(vendor)}:${hex4(device)} is not modelled`);
        }
      }
    }
    if (!known && this.info.acpi) {
      // acpi_table_parse(MCFG, pci_parse_mcfg)
      const m = this.info.acpi.mcfg.find((e) => e.segment === 0);
      if (m) {
        this.mmcfgBase = m.base;
        this.mmcfgStartBus = m.startBus;
        this.mmcfgEndBus = m.endBus;
        this.log.push(`PCI: MMCONFIG for domain 0000 [bus ${hex2(m.startBus)}-${hex2(m.endBus)}]`);
      }
    }
    if (this.mmcfgBase < 0) return;
    // pci_mmcfg_reject_broken(): 6.1 checks E820 only when type 1 works
    if (!this.rawOps || !this.mmcfgReservedInE820()) {
      this.mmcfgBase = -1;
      return;
    }
    // pci_mmcfg_arch_init()
    this.rawExtOps = 3;
    if (this.patch === 'mmconfig-v1' && this.kvmParaAvailable()) this.rawOps = 3;
    // pci_mmcfg_early_init sets pcibios_last_bus from MCFG unless pci=lastbus= did
    if (this.pcibiosLastBus < 0) this.pcibiosLastBus = this.mmcfgEndBus;
    this.pciProbe = (this.pciProbe & ~PCI_PROBE_MASK) | PCI_PROBE_MMCONF;
  }

  /** is_mmconf_reserved(e820__mapped_all): the whole window must be E820-reserved (halving down to 16 MiB) */
  private mmcfgReservedInE820(): boolean {
    const start = this.mmcfgBase;
    let size = (this.mmcfgEndBus - this.mmcfgStartBus + 1) * 2 ** 20;
    const old = size;
    while (!this.e820MappedAll(start, start + size, 2)) {
      size >>= 1;
      if (size < 16 * 2 ** 20) break;
    }
    if (size < 16 * 2 ** 20 && size !== old) return false;
    if (size !== old) this.mmcfgEndBus = this.mmcfgStartBus + size / 2 ** 20 - 1;
    return true;
  }

  private e820MappedAll(start: number, end: number, type: number): boolean {
    let cur = start;
    const entries = [...this.info.e820].sort((a, b) => a.addr - b.addr);
    for (const e of entries) {
      if (e.type !== type) continue;
      if (e.addr <= cur && e.addr + e.size > cur) cur = e.addr + e.size;
      if (cur >= end) return true;
    }
    return cur >= end;
  }

  /** direct.c pci_direct_init() */
  private pciDirectInit(type: number): void {
    if (type === 0) return;
    this.log.push(`PCI: Using configuration type ${type} for base access`);
    if (type === 1) {
      this.rawOps = this.patch === 'mmconfig-v1' && this.rawExtOps && this.kvmParaAvailable() ? this.rawExtOps : 1;
    }
  }

  // ------------------------------------------------------------------
  // ACPI: namespace op-region set-up, the root bridge, acpiphp, the scan, interrupt links
  // ------------------------------------------------------------------

  private regionSetUp = false;

  /** acpi_os_read_pci_configuration() of a PCI_Config op-region field: raw_pci_read */
  private amlRegionRead(bus: number, devfn: number, offset: number): number {
    if (!this.regionSetUp) {
      // acpi_ev_pci_config_region_setup() -> acpi_hw_derive_pci_id(): the header type of each device on the path
      this.regionSetUp = true;
      this.rawRead(bus, devfn, PCI_HEADER_TYPE, 1);
    }
    return this.rawRead(bus, devfn, offset, 1);
  }

  private amlRegionWrite(bus: number, devfn: number, offset: number, v: number): void {
    this.rawWrite(bus, devfn, offset, 1, v);
  }

  /** QEMU's link `_STA`: IQST(PRQx) */
  private linkSta(i: number): number {
    const l = this.info.acpi!.links[i]!;
    if (!l.pirqReg) return 0x0b;
    const v = this.amlRegionRead(l.pirqReg.region.bus, l.pirqReg.region.devfn, l.pirqReg.offset);
    return v & 0x80 ? 0x09 : 0x0b;
  }

  /** QEMU's link `_CRS`: IQCR(PRQx) */
  private linkCrs(i: number): void {
    const l = this.info.acpi!.links[i]!;
    if (!l.pirqReg) return;
    this.amlRegionRead(l.pirqReg.region.bus, l.pirqReg.region.devfn, l.pirqReg.offset);
  }

  /** QEMU's link `_DIS`: Or(PRQx, 0x80, PRQx) */
  private linkDis(i: number): void {
    const l = this.info.acpi!.links[i]!;
    if (!l.pirqReg) return;
    const { bus, devfn } = l.pirqReg.region;
    const v = this.amlRegionRead(bus, devfn, l.pirqReg.offset);
    this.amlRegionWrite(bus, devfn, l.pirqReg.offset, v | 0x80);
  }

  /** drivers/acpi/bus.c acpi_init() */
  private acpiInit(): void {
    const acpi = this.info.acpi!;
    // acpi_bus_scan() of \_SB: each PNP0C0F link's _STA is evaluated twice (acpi_bus_check_add, acpi_add_single_object)
    for (let i = 0; i < acpi.links.length; i++) {
      this.linkSta(i);
      this.linkSta(i);
    }
    for (const hb of acpi.hostBridges) this.acpiPciRootAdd(hb);
    // acpi_pci_link_init(): acpi_pci_link_add() -> _PRS, acpi_pci_link_get_current() (_STA, _CRS), then _DIS
    for (let i = 0; i < acpi.links.length; i++) {
      this.linkSta(i);
      this.linkCrs(i);
      this.linkDis(i);
    }
  }

  /** drivers/acpi/pci_root.c acpi_pci_root_add() */
  private acpiPciRootAdd(hb: import('./cpu.js').AcpiHostBridge): void {
    // negotiate_os_control(): the OS asks only when MMCONFIG gives it extended config space
    if (hb.osc && this.rawExtOps) {
      const g = hb.osc.grantMask;
      this.oscNativeHotplug = (g & 0x01) !== 0;
      this.oscNativeShpc = (g & 0x02) !== 0;
      this.oscNativeAer = (g & 0x08) !== 0;
      this.oscNativePme = (g & 0x04) !== 0;
    }
    if (this.opts.pcieNative) {
      this.oscNativeHotplug = this.oscNativeAer = this.oscNativePme = true;
    }
    this.phase('pci_acpi_scan_root', 'begin');
    // arch/x86/pci/acpi.c setup_mcfg_map(): a host bridge's _CBA becomes an MMCONFIG region
    // (pci_mmconfig_insert(); the range must be reserved by a PNP0C02 resource, which firmware that sets _CBA provides)
    if (hb.cba !== undefined && (!this.rawExtOps || this.rawExtOps === 3) && this.pciProbe & PCI_PROBE_MMCONF && this.mmcfgBase < 0) {
      this.mmcfgBase = hb.cba;
      this.mmcfgStartBus = hb.busStart;
      this.mmcfgEndBus = hb.busEnd;
      this.rawExtOps = 3;
      this.log.push(`acpi PNP0A08:00: MMCONFIG at [mem 0x${hb.cba.toString(16)}-0x${(hb.cba + (hb.busEnd - hb.busStart + 1) * 2 ** 20 - 1).toString(16)}] (base 0x${hb.cba.toString(16)})`);
    }
    const bus: PciBusState = {
      number: hb.busStart,
      self: null,
      parent: null,
      devices: [],
      children: [],
      busnEnd: hb.busEnd,
      acpiDevices: hb.devices,
      noExtCfg: false,
      bridgeCtl: undefined,
    };
    this.roots.push(bus);
    // pci_create_root_bus() -> pcibios_add_bus() -> acpi_pci_add_bus() -> acpiphp_enumerate_slots()
    this.acpiphpEnumerateSlots(bus);
    this.pciScanChildBus(bus);
    this.phase('pci_acpi_scan_root', 'end');
  }

  /** drivers/pci/hotplug/acpiphp_glue.c acpiphp_enumerate_slots() -> acpiphp_add_context() */
  private acpiphpEnumerateSlots(bus: PciBusState): void {
    if (!bus.acpiDevices) return;
    if (this.opts.acpiphpDisabled) return;
    // a bridge handled by native hotplug gets no acpiphp context
    if (bus.self && ((bus.self.isHotplugBridge && this.oscNativeHotplug && bus.self.pcieCap) || (bus.self.isHotplugBridge && this.oscNativeShpc && !bus.self.pcieCap && false))) return;
    for (const d of bus.acpiDevices) {
      const device = (d.adr >>> 16) & 0xffff;
      const fn = d.adr & 0xffff;
      this.pciBusReadDevVendorId(bus, (device << 3) | fn);
    }
  }

  // ------------------------------------------------------------------
  // drivers/pci/probe.c
  // ------------------------------------------------------------------

  /** pci_bus_generic_read_dev_vendor_id() */
  private pciBusReadDevVendorId(bus: PciBusState, devfn: number): number | null {
    // the dword as its int32 (rawReadBits): every empty slot of every bus scanned reads 0xffffffff
    const l = this.rawReadBits(bus.number, devfn, PCI_VENDOR_ID, 4);
    if (l === -1 || l === 0 || l === 0x0000ffff || l === (0xffff0000 | 0)) return null;
    if ((l & 0xffff) === 0x0001) throw new GuestError('UNSUPPORTED', 'CRS completion: pci_bus_wait_crs is not modelled');
    return l >>> 0;
  }

  /** pci_scan_child_bus_extend() */
  private pciScanChildBus(bus: PciBusState, availableBuses = 0): number {
    const start = bus.number;
    let max = start;
    this.phase(`scan bus ${hex2(bus.number)}`, 'begin');
    for (let devfn = 0; devfn < 256; devfn += 8) this.pciScanSlot(bus, devfn);
    // pcibios_fixup_bus() -> pci_read_bridge_bases() for a non-root bus
    if (bus.self) this.pciReadBridgeBases(bus);
    const bridges = bus.devices.filter((d) => d.hdrType === 1 || d.hdrType === 2);
    let hotplugBridges = 0;
    let normalBridges = 0;
    for (const d of bridges) {
      if (d.isHotplugBridge) hotplugBridges++;
      else normalBridges++;
    }
    for (const d of bridges) {
      const cmax = max;
      max = this.pciScanBridgeExtend(bus, d, max, 0, 0);
      if (max - cmax > 0) availableBuses = Math.max(0, availableBuses - (max - cmax));
    }
    for (const d of bridges) {
      const cmax = max;
      let buses = 0;
      if (d.isHotplugBridge) buses = Math.floor(availableBuses / Math.max(1, hotplugBridges));
      else if (normalBridges === 1) buses = availableBuses;
      max = this.pciScanBridgeExtend(bus, d, cmax, buses, 1);
    }
    // a hotplug bridge reserves at least pci_hotplug_bus_size - 1 extra buses (default 1: none)
    this.phase(`scan bus ${hex2(bus.number)}`, 'end');
    return max;
  }

  /** only_one_child() */
  private onlyOneChild(bus: PciBusState): boolean {
    if (this.opts.pcieScanAll) return false;
    const b = bus.self;
    if (!b || !b.pcieCap) return false;
    const t = pcieType(b);
    // pcie_downstream_port(): a PCI/PCI-X-to-PCIe bridge counts, a PCIe-to-PCI bridge does not
    return t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_PCIE_BRIDGE;
  }

  /** pci_scan_slot() */
  private pciScanSlot(bus: PciBusState, devfn: number): number {
    if (this.onlyOneChild(bus) && devfn > 0) return 0;
    let fn = 0;
    let nr = 0;
    do {
      const dev = this.pciScanSingleDevice(bus, devfn + fn);
      if (dev) {
        if (!this.hpAdded.has(dev)) nr++;
        if (fn > 0) dev.multifunction = true;
      } else if (fn === 0) {
        break;
      }
      // next_fn(): no ARI in these topologies
      if (fn >= 7 || (dev && !dev.multifunction)) break;
      fn++;
    } while (fn < 8);
    if (bus.self && nr) this.pcieAspmInitLinkState(bus.self);
    return nr;
  }

  /** pci_scan_single_device() */
  private pciScanSingleDevice(bus: PciBusState, devfn: number): PciDev | null {
    const existing = bus.devices.find((d) => d.devfn === devfn);
    if (existing) return existing;
    const l = this.pciBusReadDevVendorId(bus, devfn);
    if (l === null) return null;
    const dev: PciDev = {
      bus,
      devfn,
      vendor: l & 0xffff,
      device: l >>> 16,
      classCode: 0,
      revision: 0,
      hdrType: 0,
      multifunction: false,
      pcieCap: 0,
      pcieFlags: 0,
      devcap: 0,
      cfgSize: 256,
      mmioAlwaysOn: false,
      isHotplugBridge: false,
      pmCap: 0,
      aerCap: 0,
      msiCap: 0,
      msixCap: 0,
      transparent: false,
      subordinate: null,
      linkActiveReporting: false,
      // set later on bridges only, present on every record from the start: one hidden class for all of them
      windows: undefined,
      bars: [],
      ioWindow: false,
      prefWindow: undefined,
    };
    this.pciSetupDevice(dev);
    this.pciDeviceAdd(dev, bus);
    return dev;
  }

  /** pci_setup_device() */
  private pciSetupDevice(dev: PciDev): void {
    const hdr = this.rd(dev, PCI_HEADER_TYPE, 1);
    dev.hdrType = hdr & 0x7f;
    dev.multifunction = (hdr & 0x80) !== 0;
    this.setPciePortType(dev);
    const cls = this.rd(dev, PCI_CLASS_REVISION, 4);
    dev.revision = cls & 0xff;
    dev.classCode = cls >>> 8;
    dev.cfgSize = this.pciCfgSpaceSize(dev);
    this.hp?.deviceFound(dev); // pci_info(dev, "[%04x:%04x] type %02x class %#08x")
    // set_pcie_thunderbolt(): the Intel VSEC is looked for in extended space
    if (dev.vendor === 0x8086) this.pciFindVsecCapability(dev);
    // pci_fixup_device(pci_fixup_early)
    this.earlyFixups(dev);
    const cls16 = dev.classCode >>> 8;
    this.pciIntxMaskBroken(dev);
    if (dev.hdrType === 0) {
      if (cls16 === PCI_CLASS_BRIDGE_PCI) return;
      this.pciReadIrq(dev);
      this.pciReadBases(dev, 6, PCI_ROM_ADDRESS);
      this.rd(dev, PCI_SUBSYSTEM_VENDOR_ID, 2);
      this.rd(dev, PCI_SUBSYSTEM_ID, 2);
      if (cls16 === PCI_CLASS_STORAGE_IDE) this.rd(dev, PCI_CLASS_PROG, 1);
    } else if (dev.hdrType === 1) {
      this.pciReadIrq(dev);
      dev.transparent = (dev.classCode & 0xff) === 1;
      this.pciReadBases(dev, 2, PCI_ROM_ADDRESS1);
      this.pciReadBridgeWindows(dev);
      // set_pcie_hotplug_bridge()
      if (dev.pcieCap && this.pcieCapRegImplemented(dev, PCI_EXP_SLTCAP)) {
        const sltcap = this.rd(dev, dev.pcieCap + PCI_EXP_SLTCAP, 4);
        if (sltcap & 0x40) dev.isHotplugBridge = true;
      }
      const pos = this.pciFindCapability(dev, PCI_CAP_ID_SSVID);
      if (pos) {
        this.rd(dev, pos + 4, 2);
        this.rd(dev, pos + 6, 2);
      }
    } else if (dev.hdrType === 2) {
      if (cls16 !== PCI_CLASS_BRIDGE_CARDBUS) return;
      this.pciReadIrq(dev);
      this.pciReadBases(dev, 1, 0);
      this.rd(dev, 0x40, 2);
      this.rd(dev, 0x42, 2);
    }
  }

  /** set_pcie_port_type() */
  private setPciePortType(dev: PciDev): void {
    const pos = this.pciFindCapability(dev, PCI_CAP_ID_EXP);
    if (!pos) return;
    dev.pcieCap = pos;
    dev.pcieFlags = this.rd(dev, pos + PCI_EXP_FLAGS, 2);
    dev.devcap = this.rd(dev, pos + PCI_EXP_DEVCAP, 4);
  }

  /** pci_cfg_space_size() */
  private pciCfgSpaceSize(dev: PciDev): number {
    if (dev.bus.noExtCfg) return 256;
    const cls16 = dev.classCode >>> 8;
    if (cls16 === PCI_CLASS_BRIDGE_HOST || dev.pcieCap) return this.pciCfgSpaceSizeExt(dev);
    const pos = this.pciFindCapability(dev, PCI_CAP_ID_PCIX);
    if (!pos) return 256;
    const status = this.rd(dev, pos + 4, 4);
    if (status & (0x00020000 | 0x00040000)) return this.pciCfgSpaceSizeExt(dev);
    return 256;
  }

  /** pci_cfg_space_size_ext() + pci_ext_cfg_is_aliased() */
  private pciCfgSpaceSizeExt(dev: PciDev): number {
    const status = this.rd(dev, 0x100, 4);
    if (status === 0xffffffff) return 256;
    const header = this.rd(dev, PCI_VENDOR_ID, 4);
    for (let pos = 0x100; pos < 0x1000; pos += 0x100) {
      const tmp = this.rd(dev, pos, 4);
      if (header !== tmp) return 4096;
    }
    return 256;
  }

  /** pci_intx_mask_broken() */
  private pciIntxMaskBroken(dev: PciDev): void {
    const orig = this.rd(dev, PCI_COMMAND, 2);
    const toggle = orig ^ PCI_COMMAND_INTX_DISABLE;
    this.wr(dev, PCI_COMMAND, 2, toggle);
    this.rd(dev, PCI_COMMAND, 2);
    this.wr(dev, PCI_COMMAND, 2, orig);
  }

  /** pci_read_irq() */
  private pciReadIrq(dev: PciDev): void {
    const pin = this.rd(dev, PCI_INTERRUPT_PIN, 1);
    if (pin) this.rd(dev, PCI_INTERRUPT_LINE, 1);
  }

  /** pci_read_bases() */
  private pciReadBases(dev: PciDev, howmany: number, rom: number): void {
    for (let pos = 0; pos < howmany; pos++) {
      pos += this.pciReadBase(dev, false, PCI_BASE_ADDRESS_0 + (pos << 2), pos);
    }
    if (rom) this.pciReadBase(dev, true, rom, 6);
  }

  /** __pci_read_base(): returns 1 for a 64-bit BAR */
  private pciReadBase(dev: PciDev, isRom: boolean, pos: number, index: number): number {
    const maskV = isRom ? 0xfffff800 : 0xffffffff;
    let origCmd = 0;
    if (!dev.mmioAlwaysOn) {
      origCmd = this.rd(dev, PCI_COMMAND, 2);
      if (origCmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) {
        this.wr(dev, PCI_COMMAND, 2, origCmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
      }
    }
    let l = this.rd(dev, pos, 4);
    this.wr(dev, pos, 4, (l | maskV) >>> 0);
    let sz = this.rd(dev, pos, 4);
    this.wr(dev, pos, 4, l);
    if (sz === 0xffffffff) sz = 0;
    if (l === 0xffffffff) l = 0;
    const io = !isRom && (l & 1) === 1;
    const is64 = !isRom && !io && (l & 6) === 4;
    let szHi = 0;
    let lHi = 0;
    if (is64) {
      lHi = this.rd(dev, pos + 4, 4);
      this.wr(dev, pos + 4, 4, 0xffffffff);
      szHi = this.rd(dev, pos + 4, 4);
      this.wr(dev, pos + 4, 4, lHi);
    }
    if (!dev.mmioAlwaysOn && origCmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) this.wr(dev, PCI_COMMAND, 2, origCmd);
    if (isRom) {
      // the ROM resource: sized like a BAR, allocated if unassigned, written only if enabled (it is not)
      const lo = (sz & 0xfffff800) >>> 0;
      const size = lo ? (lo & -lo) >>> 0 : 0;
      if (size) dev.bars.push({ index: 6, io: false, is64: false, prefetch: true, size, start: (l & 0xfffff800) >>> 0, rom: true });
    }
    if (!isRom) {
      // pci_size(): the lowest writable address bit gives the size
      const mask = io ? 0xfffffffc : 0xfffffff0;
      const lo = (sz & mask) >>> 0;
      let size = 0;
      if (is64 && lo === 0 && szHi) size = (szHi & -szHi) * 2 ** 32;
      else if (lo) size = (lo & -lo) >>> 0;
      if (io) size &= 0xffff;
      if (size) {
        dev.bars.push({
          index,
          io,
          is64,
          prefetch: !io && (l & 8) !== 0,
          size,
          start: ((io ? l & 0xfffffffc : l & 0xfffffff0) >>> 0) + (is64 ? lHi * 2 ** 32 : 0),
        });
      }
    }
    return is64 ? 1 : 0;
  }

  /** pci_read_bridge_windows() */
  private pciReadBridgeWindows(dev: PciDev): void {
    let io = this.rd(dev, PCI_IO_BASE, 2);
    if (!io) {
      this.wr(dev, PCI_IO_BASE, 2, 0xe0f0);
      io = this.rd(dev, PCI_IO_BASE, 2);
      this.wr(dev, PCI_IO_BASE, 2, 0);
    }
    if (io) dev.ioWindow = true;
    if (dev.vendor === 0x1011 && dev.device === 0x0001) return;
    let pmem = this.rd(dev, PCI_PREF_MEMORY_BASE, 4);
    if (!pmem) {
      this.wr(dev, PCI_PREF_MEMORY_BASE, 4, 0xffe0fff0);
      pmem = this.rd(dev, PCI_PREF_MEMORY_BASE, 4);
      this.wr(dev, PCI_PREF_MEMORY_BASE, 4, 0);
    }
    if (!pmem) return;
    dev.prefWindow = (pmem & 0xf) === 1 ? 64 : 32;
    if ((pmem & 0xf) === 1) {
      const p = this.rd(dev, PCI_PREF_BASE_UPPER32, 4);
      this.wr(dev, PCI_PREF_BASE_UPPER32, 4, 0xffffffff);
      this.rd(dev, PCI_PREF_BASE_UPPER32, 4);
      this.wr(dev, PCI_PREF_BASE_UPPER32, 4, p);
    }
  }

  /** pci_read_bridge_bases(): pci_read_bridge_io/mmio/mmio_pref */
  private pciReadBridgeBases(child: PciBusState): void {
    const dev = child.self!;
    const w: NonNullable<PciDev['windows']> = { io: null, mem: null, pref: null };
    // pci_read_bridge_io()
    const ioBaseLo = this.rd(dev, PCI_IO_BASE, 1);
    const ioLimitLo = this.rd(dev, PCI_IO_LIMIT, 1);
    let ioBase = (ioBaseLo & 0xf0) << 8;
    let ioLimit = (ioLimitLo & 0xf0) << 8;
    if ((ioBaseLo & 0xf) === 1) {
      ioBase |= this.rd(dev, PCI_IO_BASE_UPPER16, 2) << 16;
      ioLimit |= this.rd(dev, PCI_IO_BASE_UPPER16 + 2, 2) << 16;
    }
    if (ioBase <= ioLimit) w.io = { start: ioBase, end: ioLimit + 0xfff };
    // pci_read_bridge_mmio()
    const memBase = (this.rd(dev, PCI_MEMORY_BASE, 2) & 0xfff0) * 65536;
    const memLimit = (this.rd(dev, PCI_MEMORY_LIMIT, 2) & 0xfff0) * 65536;
    if (memBase <= memLimit) w.mem = { start: memBase, end: memLimit + 0xfffff };
    // pci_read_bridge_mmio_pref()
    const prefBaseLo = this.rd(dev, PCI_PREF_MEMORY_BASE, 2);
    const prefLimitLo = this.rd(dev, PCI_PREF_MEMORY_LIMIT, 2);
    let prefBase = (prefBaseLo & 0xfff0) * 65536;
    let prefLimit = (prefLimitLo & 0xfff0) * 65536;
    const is64 = (prefBaseLo & 0xf) === 1;
    if (is64) {
      const hiBase = this.rd(dev, PCI_PREF_BASE_UPPER32, 4);
      const hiLimit = this.rd(dev, PCI_PREF_LIMIT_UPPER32, 4);
      if (hiBase <= hiLimit) {
        prefBase += hiBase * 2 ** 32;
        prefLimit += hiLimit * 2 ** 32;
      }
    }
    if (prefBase <= prefLimit) w.pref = { start: prefBase, end: prefLimit + 0xfffff, is64 };
    dev.windows = w;
  }

  /** drivers/pci/setup-bus.c __pci_setup_bridge(): reprogram the windows, then BRIDGE_CONTROL */
  private pciSetupBridge(bus: PciBusState): void {
    const bridge = bus.self!;
    const w = bridge.windows ?? { io: null, mem: null, pref: null };
    // pci_setup_bridge_io()
    let l = 0x00f0;
    let ioUpper16 = 0;
    if (w.io) {
      this.rd(bridge, PCI_IO_BASE, 2);
      l = (((w.io.end >>> 8) & 0xf0) << 8) | ((w.io.start >>> 8) & 0xf0);
      ioUpper16 = ((w.io.end & 0xffff0000) | (w.io.start >>> 16)) >>> 0;
    }
    this.wr(bridge, PCI_IO_BASE_UPPER16, 4, 0x0000ffff);
    this.wr(bridge, PCI_IO_BASE, 2, l);
    this.wr(bridge, PCI_IO_BASE_UPPER16, 4, ioUpper16);
    // pci_setup_bridge_mmio()
    const m = w.mem ? ((((w.mem.end / 65536) & 0xfff0) << 16) | ((w.mem.start / 65536) & 0xfff0)) >>> 0 : 0x0000fff0;
    this.wr(bridge, PCI_MEMORY_BASE, 4, m);
    // pci_setup_bridge_mmio_pref()
    this.wr(bridge, PCI_PREF_LIMIT_UPPER32, 4, 0);
    let p = 0x0000fff0;
    let bu = 0;
    let lu = 0;
    if (w.pref) {
      p = ((((w.pref.end / 65536) & 0xfff0) << 16) | ((w.pref.start / 65536) & 0xfff0)) >>> 0;
      if (w.pref.is64) {
        bu = Math.floor(w.pref.start / 2 ** 32);
        lu = Math.floor(w.pref.end / 2 ** 32);
      }
    }
    this.wr(bridge, PCI_PREF_MEMORY_BASE, 4, p);
    this.wr(bridge, PCI_PREF_BASE_UPPER32, 4, bu);
    this.wr(bridge, PCI_PREF_LIMIT_UPPER32, 4, lu);
    this.wr(bridge, PCI_BRIDGE_CONTROL, 2, bus.bridgeCtl ?? 0);
  }

  /**
   * arch/x86/pci/i386.c pcibios_assign_resources() -> pci_assign_unassigned_resources(): per bus, assign what
   * firmware left unassigned (pbus_assign_resources_sorted(), largest alignment first), then each child
   * bus, then program the bridge (__pci_bus_assign_resources() + pci_setup_bridge()).
   */
  private pcibiosAssignResources(): void {
    for (const root of this.roots) {
      const hb = this.info.acpi?.hostBridges.find((h) => root.number >= h.busStart && root.number <= h.busEnd);
      const claimed: Interval[] = [];
      this.claimAssigned(root, claimed);
      const windows: Window[] = (hb?.windows ?? []).map((w) => ({ kind: w.kind, min: w.min, max: w.max }));
      this.pciBusSizeBridges(root);
      this.assignBus(root, windows, claimed);
    }
  }

  /** bridge windows __pci_bus_size_bridges() sized, waiting for assignment */
  private readonly sizedWindows = new Map<PciDev, SizedWindows>();

  /**
   * setup-bus.c __pci_bus_size_bridges() with a realloc_head (pci_assign_unassigned_root_bus_resources()):
   * children first, then each bridge window firmware left unassigned is sized from the unassigned
   * resources below it — pbus_size_io(), pbus_size_mem() for the 64-bit (or 32-bit) prefetchable window, then
   * for the rest — with a hot-plug bridge's pci_hotplug_io_size (256) / pci_hotplug_mmio_size (2 MiB) /
   * pci_hotplug_mmio_pref_size (2 MiB) as add_size. A window firmware assigned stays as it is.
   */
  private pciBusSizeBridges(bus: PciBusState): void {
    for (const dev of bus.devices) if (dev.subordinate) this.pciBusSizeBridges(dev.subordinate);
    const self = bus.self;
    if (!self || self.hdrType !== 1 || !bus.parent) return;
    const w = self.windows;
    const hp = self.isHotplugBridge;
    const addIo = hp ? 256 : 0;
    let addMmio = hp ? 2 << 20 : 0;
    const addPref = hp ? 2 << 20 : 0;
    // every unassigned resource directly below, with what realloc_head holds for a child bridge's windows
    type Res = { size: number; io: boolean; is64: boolean; prefetch: boolean; align: number; add: number; addAlign: number };
    const res: Res[] = [];
    for (const d of bus.devices) {
      for (const b of d.bars) if (!b.start) res.push({ size: b.size, io: b.io, is64: b.is64, prefetch: b.prefetch, align: b.size, add: 0, addAlign: 0 });
      const z = this.sizedWindows.get(d);
      if (z?.io) res.push({ size: z.io.size, io: true, is64: false, prefetch: false, align: z.io.align, add: z.io.add, addAlign: z.io.align });
      if (z?.mem) res.push({ size: z.mem.size, io: false, is64: false, prefetch: false, align: z.mem.align, add: z.mem.add, addAlign: z.mem.align });
      if (z?.pref) res.push({ size: z.pref.size, io: false, is64: z.prefHolds === 'mem64pref' && d.prefWindow === 64, prefetch: true, align: z.pref.align, add: z.pref.add, addAlign: z.pref.align });
    }
    const sized: SizedWindows = { io: null, mem: null, pref: null, prefHolds: null };
    // pbus_size_io()
    if (self.ioWindow && !w?.io) {
      // calculate_iosize(); its CONFIG_ISA/EISA rescaling (x4 above the low byte) is not modelled: it changes
      // nothing while a bus needs less than 256 bytes of I/O, as every recording does
      let total = 0;
      let minAlign = 0x1000;
      let childAdd = 0;
      for (const r of res) {
        if (!r.io) continue;
        total += r.size;
        if (r.align > minAlign) minAlign = r.align;
        childAdd += r.add;
      }
      const ioSize = (add: number, cadd: number) => alignUp(Math.max(total, add) + cadd, minAlign);
      const size0 = ioSize(0, 0);
      const size1 = !addIo && !childAdd ? size0 : ioSize(addIo, childAdd);
      if (size0 || size1) sized.io = { size: size0, add: size1 - size0, align: minAlign };
    }
    // pbus_size_mem(): which resources a window takes
    const sizeMem = (take: (r: Res) => boolean, add: number): SizedWindow | null => {
      let size = 0;
      let childAdd = 0;
      let addAlign = 0;
      const aligns = new Array<number>(40).fill(0);
      let maxOrder = 0;
      for (const r of res) {
        if (r.io || !take(r)) continue;
        const order = Math.max(0, Math.log2(r.align) - 20); // __ffs(align) - 20: alignments are powers of two
        size += Math.max(r.size, r.align);
        if (r.size <= r.align) aligns[order]! += r.align;
        if (order > maxOrder) maxOrder = order;
        childAdd += r.add;
        if (r.add) addAlign = Math.max(addAlign, r.addAlign);
      }
      // calculate_mem_align()
      let acc = 0;
      let minAlign = 0;
      for (let order = 0; order <= maxOrder; order++) {
        const align1 = 2 ** (order + 20);
        if (!acc) minAlign = align1;
        else if (alignUp(acc + minAlign, minAlign) < align1) minAlign = align1 / 2;
        acc += aligns[order]!;
      }
      minAlign = Math.max(minAlign, 1 << 20); // window_alignment(): PCI_P2P_DEFAULT_MEM_ALIGN
      const size0 = alignUp(size, minAlign);
      addAlign = Math.max(minAlign, addAlign);
      const size1 = !add && !childAdd ? size0 : alignUp(Math.max(size, add) + childAdd, addAlign);
      if (!size0 && !size1) return null;
      return { size: size0, add: size1 - size0, align: size1 > size0 ? addAlign : minAlign };
    };
    let memTakes: (r: Res) => boolean = (r) => !r.prefetch;
    if (self.prefWindow && !w?.pref) {
      if (self.prefWindow === 64) {
        sized.pref = sizeMem((r) => r.prefetch && r.is64, addPref);
        sized.prefHolds = 'mem64pref';
        memTakes = (r) => !(r.prefetch && r.is64);
      } else {
        sized.pref = sizeMem((r) => r.prefetch, addPref);
        sized.prefHolds = 'pref';
      }
    } else if (!self.prefWindow) {
      addMmio += addPref;
      memTakes = () => true;
    }
    if (!w?.mem) sized.mem = sizeMem(memTakes, addMmio);
    if (sized.io || sized.mem || sized.pref) this.sizedWindows.set(self, sized);
  }

  /** pcibios_allocate_resources(): every BAR and bridge window firmware programmed is taken */
  private claimAssigned(bus: PciBusState, claimed: Interval[]): void {
    for (const dev of bus.devices) {
      for (const b of dev.bars) if (b.start) claimed.push({ io: b.io, start: b.start, end: b.start + b.size - 1 });
      const w = dev.windows;
      // pcibios_allocate_bridge_resources(): a window at address 0 ("something is wrong with the region") is
      // invalidated; pci_bridge_check_ranges() brings it back unassigned for __pci_bus_size_bridges()
      if (w) {
        if (w.io?.start === 0) w.io = null;
        if (w.mem?.start === 0) w.mem = null;
        if (w.pref?.start === 0) w.pref = null;
      }
      if (w?.io) claimed.push({ io: true, start: w.io.start, end: w.io.end });
      if (w?.mem) claimed.push({ io: false, start: w.mem.start, end: w.mem.end });
      if (w?.pref) claimed.push({ io: false, start: w.pref.start, end: w.pref.end });
      if (dev.subordinate) this.claimAssigned(dev.subordinate, claimed);
    }
  }

  private assignBus(bus: PciBusState, windows: Window[], claimed: Interval[]): void {
    // pbus_assign_resources_sorted(): this bus's unassigned BARs (required), and each hot-plug bridge's
    // missing I/O window, which pbus_size_io() sized 0 with pci_hotplug_io_size as add_size (optional,
    // rounded to the 4 KiB window granularity), sorted by alignment, largest first
    type Req = { dev: PciDev; bar: BarResource | null; window?: 'io' | 'mem' | 'pref'; required: number; add: number; align: number; io: boolean; mem64pref: boolean; start: number | null; size?: number };
    const reqs: Req[] = [];
    for (const dev of bus.devices) {
      for (const b of dev.bars) if (!b.start) reqs.push({ dev, bar: b, required: b.size, add: 0, align: b.size, io: b.io, mem64pref: b.is64 && b.prefetch, start: null });
      const z = this.sizedWindows.get(dev);
      if (z) {
        // bridge windows come after the BARs and the ROM in dev->resource[]: io, mem, pref
        if (z.io) reqs.push({ dev, bar: null, window: 'io', required: z.io.size, add: z.io.add, align: z.io.align, io: true, mem64pref: false, start: null });
        if (z.mem) reqs.push({ dev, bar: null, window: 'mem', required: z.mem.size, add: z.mem.add, align: z.mem.align, io: false, mem64pref: false, start: null });
        if (z.pref) reqs.push({ dev, bar: null, window: 'pref', required: z.pref.size, add: z.pref.add, align: z.pref.align, io: false, mem64pref: dev.prefWindow === 64, start: null });
        this.sizedWindows.delete(dev);
      } else if (dev.hdrType === 1 && dev.isHotplugBridge && dev.ioWindow && !dev.windows?.io) {
        reqs.push({ dev, bar: null, window: 'io', required: 0, add: 0x1000, align: 0x1000, io: true, mem64pref: false, start: null });
      }
    }
    const align = (r: Req) => r.align;
    const head = [...reqs].sort((a, b) => align(b) - align(a));
    const place = (r: Req, size: number): boolean => {
      const start = allocate(windows, claimed, size, r.io, r.mem64pref, r.io ? PCIBIOS_MIN_IO : this.pciMemStart(), r.align);
      if (start === null) {
        const what = r.bar ? `BAR ${r.bar.index}` : 'bridge window';
        this.log.push(`pci ${this.bdfName(r.dev)}: ${what} [${r.io ? 'io ' : 'mem'} size 0x${size.toString(16)}]: can't assign; no space`);
        return false;
      }
      claimed.push({ io: r.io, start, end: start + size - 1 });
      r.start = start;
      r.size = size;
      if (r.bar) {
        r.bar.start = start;
        if (!r.bar.rom) this.pciUpdateResource(r.dev, r.bar);
      }
      return true;
    };
    const release = (r: Req) => {
      const i = claimed.findIndex((c) => c.io === r.io && c.start === r.start);
      if (i >= 0) claimed.splice(i, 1);
      if (r.bar) r.bar.start = 0;
      r.start = null;
    };
    // __assign_resources_sorted(): first required + add_size for everything
    const optional = reqs.filter((r) => r.add > 0);
    const failed = head.filter((r) => !place(r, r.required + r.add));
    if (failed.length && optional.length) {
      // release what shares the failed type (pci_need_to_release()), then the must-haves, then the
      // add_size requests again in realloc_head's order (add_to_list() puts each new entry first)
      const failIo = failed.some((r) => r.io);
      const failMem = failed.some((r) => !r.io);
      for (const r of head) if (r.start !== null && ((r.io && failIo) || (!r.io && failMem))) release(r);
      for (const r of head) if (r.start === null && r.required > 0) place(r, r.required);
      for (const r of [...optional].reverse()) if (r.start === null) place(r, r.add);
    }
    for (const r of reqs) {
      if (r.bar === null && r.start !== null && r.window) {
        const end = r.start + (r.size ?? r.required + r.add) - 1;
        r.dev.windows ??= { io: null, mem: null, pref: null };
        if (r.window === 'pref') r.dev.windows.pref = { start: r.start, end, is64: r.dev.prefWindow === 64 };
        else r.dev.windows[r.window] = { start: r.start, end };
      }
    }
    for (const dev of bus.devices) {
      if (!dev.subordinate) continue;
      const w = dev.windows;
      const childWindows: Window[] = [];
      if (w?.io) childWindows.push({ kind: 'io', min: w.io.start, max: w.io.end });
      if (w?.mem) childWindows.push({ kind: 'mem', min: w.mem.start, max: w.mem.end });
      if (w?.pref) childWindows.push({ kind: w.pref.is64 ? 'mem64' : 'mem', min: w.pref.start, max: w.pref.end });
      this.assignBus(dev.subordinate, childWindows, claimed);
      if (dev.hdrType === 1) this.pciSetupBridge(dev.subordinate);
    }
  }

  /** setup-res.c pci_std_update_resource(): a 64-bit BAR is written with memory decode off */
  private pciUpdateResource(dev: PciDev, b: BarResource): void {
    const reg = PCI_BASE_ADDRESS_0 + 4 * b.index;
    const lo = b.io ? (b.start & 0xfffffffc) | 1 : ((b.start % 2 ** 32) | (b.is64 ? 4 : 0) | (b.prefetch ? 8 : 0)) >>> 0;
    const disable = b.is64 && !dev.mmioAlwaysOn;
    let cmd = 0;
    if (disable) {
      cmd = this.rd(dev, PCI_COMMAND, 2);
      this.wr(dev, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MEMORY);
    }
    this.wr(dev, reg, 4, lo);
    this.rd(dev, reg, 4);
    if (b.is64) {
      this.wr(dev, reg + 4, 4, Math.floor(b.start / 2 ** 32));
      this.rd(dev, reg + 4, 4);
    }
    if (disable) this.wr(dev, PCI_COMMAND, 2, cmd);
  }

  /** PCIBIOS_MIN_MEM = pci_mem_start: e820__setup_pci_gap()'s largest hole below 4 GiB */
  private pciMemStart(): number {
    const entries = [...this.info.e820].sort((a, b) => a.addr - b.addr);
    let last = 0x100000000;
    let gapStart = 0x10000000;
    let gapSize = 0x400000;
    // e820_search_gap(): walk down from 4 GiB, keeping the largest gap
    for (let i = entries.length - 1; i >= 0; i--) {
      const e = entries[i]!;
      const end = e.addr + e.size;
      if (e.addr >= 0x100000000) continue;
      if (last > end) {
        const gap = last - end;
        if (gap >= gapSize) {
          gapSize = gap;
          gapStart = end;
        }
      }
      if (e.addr < last) last = e.addr;
    }
    return gapStart;
  }

  private bdfName(dev: PciDev): string {
    return `0000:${hex2(dev.bus.number)}:${hex2(dev.devfn >> 3)}.${dev.devfn & 7}`;
  }

  /** pci_scan_bridge_extend() for a bridge the firmware numbered (the unnumbered path is modelled too) */
  private pciScanBridgeExtend(bus: PciBusState, dev: PciDev, max: number, availableBuses: number, pass: number): number {
    const buses = this.rd(dev, PCI_PRIMARY_BUS, 4);
    const primary = buses & 0xff;
    const secondary = (buses >>> 8) & 0xff;
    const subordinate = (buses >>> 16) & 0xff;
    let bctl = this.rd(dev, PCI_BRIDGE_CONTROL, 2);
    this.wr(dev, PCI_BRIDGE_CONTROL, 2, bctl & ~PCI_BRIDGE_CTL_MASTER_ABORT);
    this.pciEnableCrs(dev);
    const broken = !(primary === bus.number && secondary > bus.number && subordinate >= secondary) && (secondary || subordinate);
    if ((secondary || subordinate) && !this.opts.assignBusses && !broken) {
      if (pass) {
        // already scanned in pass 0
      } else {
        let child = bus.children.find((c) => c.number === secondary) ?? null;
        if (!child) {
          child = this.pciAddNewBus(bus, dev, secondary, subordinate);
          child.bridgeCtl = bctl;
        }
        const cmax = this.pciScanChildBus(child, Math.max(0, subordinate - secondary - 0));
        if (cmax > max) max = cmax;
        if (subordinate > max) max = subordinate;
      }
    } else {
      if (!pass) {
        if (broken || this.opts.assignBusses) this.wr(dev, PCI_PRIMARY_BUS, 4, (buses & 0xff000000) >>> 0);
      } else {
        this.wr(dev, PCI_STATUS, 2, 0xffff);
        const next = max + 1;
        const child = this.pciAddNewBus(bus, dev, next, 0xff);
        const newBuses = ((buses & 0xff000000) | bus.number | (next << 8) | (bus.busnEnd << 16)) >>> 0;
        this.wr(dev, PCI_PRIMARY_BUS, 4, newBuses);
        max = this.pciScanChildBus(child, availableBuses);
        this.wr(dev, PCI_PRIMARY_BUS + 2, 1, max);
        child.busnEnd = max;
      }
    }
    this.wr(dev, PCI_BRIDGE_CONTROL, 2, bctl);
    bctl = 0;
    return max;
  }

  /** pci_add_new_bus() -> pci_alloc_child_bus() -> pci_set_bus_speed() + acpiphp */
  private pciAddNewBus(parent: PciBusState, dev: PciDev, busnr: number, end: number): PciBusState {
    const acpiNode = this.acpiChildren(parent, dev);
    const child: PciBusState = {
      number: busnr,
      self: dev,
      parent,
      devices: [],
      children: [],
      busnEnd: end,
      acpiDevices: acpiNode,
      noExtCfg: parent.noExtCfg === true,
      bridgeCtl: undefined,
    };
    dev.subordinate = child;
    parent.children.push(child);
    // pci_set_bus_speed(): AGP, AGP3 and PCI-X capabilities, then a PCIe bridge's LNKCAP and LNKSTA
    let agp = this.pciFindCapability(dev, 0x02);
    if (!agp) agp = this.pciFindCapability(dev, 0x0e);
    if (agp) this.rd(dev, agp + 4, 4);
    const pcix = this.pciFindCapability(dev, PCI_CAP_ID_PCIX);
    if (pcix) this.rd(dev, pcix + 4, 2);
    if (dev.pcieCap) {
      const linkcap = this.pcieCapRead(dev, PCI_EXP_LNKCAP, 4);
      dev.linkActiveReporting = (linkcap & 0x00100000) !== 0;
      this.pcieCapRead(dev, PCI_EXP_LNKSTA, 2);
    }
    if (!this.pciBridgeChildExtCfgAccessible(dev)) {
      child.noExtCfg = true;
      this.log.push(`pci_bus 0000:${hex2(busnr)}: extended config space not accessible`);
    }
    // pcibios_add_bus() -> acpiphp_enumerate_slots()
    this.acpiphpEnumerateSlots(child);
    return child;
  }

  /** pci_bridge_child_ext_cfg_accessible() */
  private pciBridgeChildExtCfgAccessible(bridge: PciDev): boolean {
    if (bridge.bus.noExtCfg) return false;
    if (bridge.pcieCap) {
      const t = pcieType(bridge);
      if (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_UPSTREAM || t === PCI_EXP_TYPE_DOWNSTREAM) return true;
    }
    const pos = this.pciFindCapability(bridge, PCI_CAP_ID_PCIX);
    if (!pos) return false;
    const status = this.rd(bridge, pos + 4, 4);
    return (status & (0x00020000 | 0x00040000)) !== 0;
  }

  private acpiChildren(parent: PciBusState, dev: PciDev): AcpiPciDevice[] | null {
    if (!parent.acpiDevices) return null;
    const adr = ((dev.devfn >> 3) << 16) | (dev.devfn & 7);
    const node = parent.acpiDevices.find((d) => d.adr === adr);
    return node ? node.children : null;
  }

  /** pci_enable_crs(): root ports only */
  private pciEnableCrs(dev: PciDev): void {
    if (!dev.pcieCap || pcieType(dev) !== PCI_EXP_TYPE_ROOT_PORT) return;
    if (!this.pcieCapRegImplemented(dev, PCI_EXP_RTCAP)) return;
    const rtcap = this.rd(dev, dev.pcieCap + PCI_EXP_RTCAP, 2);
    if (rtcap & 0x1) {
      const ctl = this.rd(dev, dev.pcieCap + PCI_EXP_RTCTL, 2);
      this.wr(dev, dev.pcieCap + PCI_EXP_RTCTL, 2, ctl | 0x10);
    }
  }

  /** pcie_capability_reg_implemented() */
  private pcieCapRegImplemented(dev: PciDev, pos: number): boolean {
    if (!dev.pcieCap) return false;
    const v = dev.pcieFlags & 0xf;
    const t = pcieType(dev);
    const hasLink = v > 1 || t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_ENDPOINT || t === PCI_EXP_TYPE_LEG_END;
    const hasSlot = (t === PCI_EXP_TYPE_ROOT_PORT || (t === PCI_EXP_TYPE_DOWNSTREAM && (dev.pcieFlags & 0x100) !== 0)) && (dev.pcieFlags & 0x100) !== 0;
    const hasRtctl = t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC;
    switch (pos) {
      case PCI_EXP_FLAGS:
        return true;
      case PCI_EXP_DEVCAP:
      case PCI_EXP_DEVCTL:
      case 0x0a:
        return true;
      case PCI_EXP_LNKCAP:
      case PCI_EXP_LNKCTL:
      case PCI_EXP_LNKSTA:
        return hasLink;
      case PCI_EXP_SLTCAP:
      case 0x18:
      case 0x1a:
        return hasSlot;
      case PCI_EXP_RTCTL:
      case PCI_EXP_RTCAP:
      case 0x20:
        return hasRtctl;
      case PCI_EXP_DEVCAP2:
      case PCI_EXP_DEVCTL2:
      case 0x2c:
      case 0x30:
      case 0x32:
        return v > 1;
      default:
        return false;
    }
  }

  private pcieCapRead(dev: PciDev, pos: number, len: number): number {
    if (!this.pcieCapRegImplemented(dev, pos)) return 0;
    return this.rd(dev, dev.pcieCap + pos, len);
  }

  /** pcie_capability_clear_and_set_word(): read-modify-write only if implemented */
  private pcieCapRmw(dev: PciDev, pos: number, clear: number, set: number): void {
    if (!this.pcieCapRegImplemented(dev, pos)) return;
    const v = this.rd(dev, dev.pcieCap + pos, 2);
    this.wr(dev, dev.pcieCap + pos, 2, (v & ~clear) | set);
  }

  /** pci_find_capability() -> __pci_bus_find_cap_start() + __pci_find_next_cap_ttl() */
  private pciFindCapability(dev: PciDev, cap: number): number {
    const status = this.rd(dev, PCI_STATUS, 2);
    if (!(status & PCI_STATUS_CAP_LIST)) return 0;
    const start = dev.hdrType === 2 ? 0x14 : PCI_CAPABILITY_LIST;
    let pos = this.rd(dev, start, 1);
    let ttl = 48;
    while (ttl--) {
      if (pos < 0x40) break;
      pos &= ~3;
      const ent = this.rd(dev, pos, 2);
      const id = ent & 0xff;
      if (id === 0xff) break;
      if (id === cap) return pos;
      pos = ent >> 8;
    }
    return 0;
  }

  /** pci_find_ext_capability() */
  private pciFindExtCapability(dev: PciDev, cap: number): number {
    if (dev.cfgSize <= 256) return 0;
    let pos = 0x100;
    let ttl = (4096 - 256) / 8;
    let header = this.rd(dev, pos, 4);
    if (header === 0) return 0;
    while (ttl-- > 0) {
      if ((header & 0xffff) === cap && pos !== 0) return pos;
      pos = header >>> 20;
      if (pos < 0x100) break;
      header = this.rd(dev, pos, 4);
    }
    return 0;
  }

  /** pci_find_vsec_capability(dev, Intel, TBT) */
  private pciFindVsecCapability(dev: PciDev): void {
    let vsec = this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_VNDR);
    while (vsec) {
      const hdr = this.rd(dev, vsec + 4, 4);
      if ((hdr & 0xffff) === 0x1234) return;
      vsec = this.pciFindNextExtCapability(dev, vsec, PCI_EXT_CAP_ID_VNDR);
    }
  }

  private pciFindNextExtCapability(dev: PciDev, start: number, cap: number): number {
    let header = this.rd(dev, start, 4);
    let pos = header >>> 20;
    while (pos >= 0x100) {
      header = this.rd(dev, pos, 4);
      if ((header & 0xffff) === cap) return pos;
      pos = header >>> 20;
    }
    return 0;
  }

  /** pci_fixup_device(pci_fixup_early): the quirks that match QEMU's devices */
  private earlyFixups(dev: PciDev): void {
    const cls16 = dev.classCode >>> 8;
    // quirk_mmio_always_on: host bridges keep decoding while their BARs are sized
    if (cls16 === PCI_CLASS_BRIDGE_HOST) dev.mmioAlwaysOn = true;
  }

  /** every device in device_add() order: what for_each_pci_dev() walks */
  private readonly addOrder: PciDev[] = [];

  /** pci_device_add() */
  private pciDeviceAdd(dev: PciDev, bus: PciBusState): void {
    this.pciConfigureDevice(dev);
    this.headerFixups(dev);
    this.pciInitCapabilities(dev);
    bus.devices.push(dev);
    this.addOrder.push(dev);
    // device_add() -> sysfs: resource_resize_is_visible() looks for Resizable BAR once per BAR
    for (let i = 0; i < 6; i++) this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_REBAR);
  }

  /** pci_fixup_device(pci_fixup_header) */
  private headerFixups(dev: PciDev): void {
    if (dev.classCode >>> 8 === PCI_CLASS_DISPLAY_VGA) this.pciFixupVideo(dev);
    // quirks.c quirk_ich7_lpc() for ICH9 LPC 8086:2918: ich6_lpc_acpi_gpio() then the generic decode ranges
    if (dev.vendor === 0x8086 && dev.device === 0x2918) {
      const acpiCntl = this.rd(dev, 0x44, 1);
      if (acpiCntl & 0x80) this.rd(dev, 0x40, 2); // quirk_io_region(ICH6_PMBASE)
      const gpioCntl = this.rd(dev, 0x4c, 1);
      if (gpioCntl & 0x10) this.rd(dev, 0x48, 2); // quirk_io_region(ICH6_GPIOBASE)
      for (let i = 0; i < 4; i++) this.rd(dev, 0x84 + i * 4, 4); // ich7_lpc_generic_decode()
    }
    // quirk_piix4_acpi() for PIIX4 ACPI 8086:7113
    if (dev.vendor === 0x8086 && dev.device === 0x7113) {
      this.rd(dev, 0x40, 2); // quirk_io_region(PIIX4 ACPI)
      this.rd(dev, 0x90, 2); // quirk_io_region(PIIX4 SMB)
      const resA = this.rd(dev, 0x5c, 4);
      this.rd(dev, 0x60, 4); // piix4_io_quirk(devres B)
      this.rd(dev, 0x64, 4); // devres C
      if (resA & (1 << 29)) {
        this.rd(dev, 0x68, 4);
        this.rd(dev, 0x6c, 4);
      }
      if (resA & (1 << 30)) {
        this.rd(dev, 0x70, 4);
        this.rd(dev, 0x74, 4);
      }
      this.rd(dev, 0x78, 4); // devres I
      this.rd(dev, 0x7c, 4); // devres J
    }
  }

  /** arch/x86/pci/fixup.c pci_fixup_video() */
  private pciFixupVideo(dev: PciDev): void {
    for (let bus: PciBusState | null = dev.bus; bus; bus = bus.parent) {
      const bridge = bus.self;
      if (bridge && (bridge.hdrType === 1 || bridge.hdrType === 2)) {
        const ctl = this.rd(bridge, PCI_BRIDGE_CONTROL, 2);
        if (!(ctl & 0x08)) return;
      }
    }
    if (this.vgaDefault !== null && this.vgaDefault !== dev) return;
    const cmd = this.rd(dev, PCI_COMMAND, 2);
    if (cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) {
      // pci_disable_rom()
      const rom = this.rd(dev, PCI_ROM_ADDRESS, 4);
      this.wr(dev, PCI_ROM_ADDRESS, 4, rom & ~1);
      this.vgaDefault ??= dev;
    }
  }

  private vgaDefault: PciDev | null = null;

  /** pci_configure_device() */
  private pciConfigureDevice(dev: PciDev): void {
    // pci_configure_mps()
    if (dev.pcieCap) {
      const t = pcieType(dev);
      const upstream = dev.bus.self;
      if (t === PCI_EXP_TYPE_RC_END) {
        this.pcieSetMps(dev, 128 << (dev.devcap & 7));
      } else if (upstream && upstream.pcieCap) {
        const mps = this.pcieGetMps(dev);
        const pMps = this.pcieGetMps(upstream);
        if (mps !== pMps) {
          const mpss = 128 << (dev.devcap & 7);
          let p = pMps;
          if (mpss < pMps && pcieType(upstream) === PCI_EXP_TYPE_ROOT_PORT) {
            this.pcieSetMps(upstream, mpss);
            p = this.pcieGetMps(upstream);
          }
          this.pcieSetMps(dev, p);
        }
      }
      // pci_configure_extended_tags()
      const cap = this.pcieCapRead(dev, PCI_EXP_DEVCAP, 4);
      if (cap & 0x20) {
        const ctl = this.pcieCapRead(dev, PCI_EXP_DEVCTL, 2);
        if (!(ctl & 0x100)) this.pcieCapRmw(dev, PCI_EXP_DEVCTL, 0, 0x100);
      }
      // pci_configure_relaxed_ordering(): pcie_relaxed_ordering_enabled()
      this.pcieCapRead(dev, PCI_EXP_DEVCTL, 2);
      // pci_configure_ltr()
      this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_L1SS);
      const cap2 = this.pcieCapRead(dev, PCI_EXP_DEVCAP2, 4);
      if (cap2 & 0x800) {
        const ctl2 = this.pcieCapRead(dev, PCI_EXP_DEVCTL2, 4);
        if (!(ctl2 & 0x400) && pcieType(dev) === PCI_EXP_TYPE_ROOT_PORT && false) this.pcieCapRmw(dev, PCI_EXP_DEVCTL2, 0, 0x400);
      }
      // pci_configure_eetlp_prefix()
      this.pcieCapRead(dev, PCI_EXP_DEVCAP2, 4);
    }
    // pci_configure_serr()
    if (dev.hdrType === 1) {
      const control = this.rd(dev, PCI_BRIDGE_CONTROL, 2);
      if (!(control & PCI_BRIDGE_CTL_SERR)) this.wr(dev, PCI_BRIDGE_CONTROL, 2, control | PCI_BRIDGE_CTL_SERR);
    }
    // pci_configure_rcb()
    if (dev.pcieCap) {
      const t = pcieType(dev);
      if (t !== PCI_EXP_TYPE_ROOT_PORT && t !== PCI_EXP_TYPE_UPSTREAM && t !== PCI_EXP_TYPE_DOWNSTREAM && t !== PCI_EXP_TYPE_RC_EC) {
        const rp = this.pcieFindRootPort(dev);
        if (rp) {
          const rpLnkctl = this.pcieCapRead(rp, PCI_EXP_LNKCTL, 2);
          this.pcieCapRmw(dev, PCI_EXP_LNKCTL, 0x8, rpLnkctl & 0x8);
        }
      }
    }
  }

  private pcieGetMps(dev: PciDev): number {
    const ctl = this.pcieCapRead(dev, PCI_EXP_DEVCTL, 2);
    return 128 << ((ctl & 0xe0) >> 5);
  }

  /** pcie_set_mps() */
  private pcieSetMps(dev: PciDev, mps: number): void {
    const v = (Math.log2(mps) - 7) << 5;
    if (v >> 5 > (dev.devcap & 7)) return;
    this.pcieCapRmw(dev, PCI_EXP_DEVCTL, 0xe0, v);
  }

  private pcieFindRootPort(dev: PciDev): PciDev | null {
    for (let b: PciBusState | null = dev.bus; b; b = b.parent) {
      const s = b.self;
      if (s && s.pcieCap && pcieType(s) === PCI_EXP_TYPE_ROOT_PORT) return s;
    }
    return null;
  }

  /** pci_init_capabilities() */
  private pciInitCapabilities(dev: PciDev): void {
    // pci_ea_init()
    this.pciFindCapability(dev, PCI_CAP_ID_EA);
    // pci_msi_init()
    dev.msiCap = this.pciFindCapability(dev, PCI_CAP_ID_MSI);
    if (dev.msiCap) {
      const ctrl = this.rd(dev, dev.msiCap + 2, 2);
      if (ctrl & 1) this.wr(dev, dev.msiCap + 2, 2, ctrl & ~1);
    }
    // pci_msix_init()
    dev.msixCap = this.pciFindCapability(dev, PCI_CAP_ID_MSIX);
    if (dev.msixCap) {
      const ctrl = this.rd(dev, dev.msixCap + 2, 2);
      if (ctrl & 0x8000) this.wr(dev, dev.msixCap + 2, 2, ctrl & ~0x8000);
    }
    // pci_allocate_cap_save_buffers(): EXP, PCIX, LTR, then VC, VC9, MFVC
    this.pciFindCapability(dev, PCI_CAP_ID_EXP);
    this.pciFindCapability(dev, PCI_CAP_ID_PCIX);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_LTR);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_VC);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_VC9);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_MFVC);
    // pci_pm_init()
    const pm = this.pciFindCapability(dev, PCI_CAP_ID_PM);
    if (pm) {
      dev.pmCap = pm;
      const pmc = this.rd(dev, pm + 2, 2);
      if (pmc & 0xf800) {
        // pci_pme_active(dev, false): PMCSR read, write with PME status cleared
        const pmcsr = this.rd(dev, pm + 4, 2);
        this.wr(dev, pm + 4, 2, (pmcsr | 0x8000) & ~0x100);
      }
      this.rd(dev, PCI_STATUS, 2);
    }
    // pci_vpd_init()
    this.pciFindCapability(dev, PCI_CAP_ID_VPD);
    // pci_configure_ari(): function 0 of a PCIe device below an ARI-capable port
    if (dev.pcieCap && dev.devfn === 0) this.pciConfigureAri(dev);
    // pci_iov_init(), pci_ats_init(), pci_pri_init(), pci_pasid_init(), pci_acs_init(), pci_ptm_init()
    if (dev.pcieCap) this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_SRIOV);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_ATS);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_PRI);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_PASID);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_ACS);
    if (dev.pcieCap) this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_PTM);
    // pci_aer_init()
    dev.aerCap = this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_ERR);
    if (dev.aerCap) {
      this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_ERR); // pci_add_ext_cap_save_buffer()
      if (this.oscNativeAer) {
        // pci_aer_clear_status() -> pci_aer_raw_clear_status()
        if (pcieType(dev) === PCI_EXP_TYPE_ROOT_PORT || pcieType(dev) === PCI_EXP_TYPE_RC_EC) {
          const rs = this.rd(dev, dev.aerCap + 0x30, 4);
          this.wr(dev, dev.aerCap + 0x30, 4, rs);
        }
        const cor = this.rd(dev, dev.aerCap + 0x10, 4);
        this.wr(dev, dev.aerCap + 0x10, 4, cor);
        const unc = this.rd(dev, dev.aerCap + 0x04, 4);
        this.wr(dev, dev.aerCap + 0x04, 4, unc);
        // pci_enable_pcie_error_reporting(): DEVCTL |= CERE | NFERE | FERE | URRE
        this.pcieCapRmw(dev, PCI_EXP_DEVCTL, 0, 0x0f);
      }
    }
    // pci_dpc_init()
    if (dev.pcieCap) this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_DPC);
    // pci_rcec_init(): RC event collectors only
    // pcie_report_downtraining(): endpoints, function 0
    if (dev.pcieCap && (dev.devfn & 7) === 0) {
      const t = pcieType(dev);
      if (t === PCI_EXP_TYPE_ENDPOINT || t === PCI_EXP_TYPE_LEG_END || t === PCI_EXP_TYPE_UPSTREAM) this.pcieBandwidthAvailable(dev);
    }
    // pci_init_reset_methods(): flr uses the cached DEVCAP, af_flr looks for AF, pm reads PMCSR
    this.pciFindCapability(dev, PCI_CAP_ID_AF);
    if (dev.pmCap) this.rd(dev, dev.pmCap + 4, 2);
  }

  /** __pcie_print_link_status(dev, false): pcie_bandwidth_capable() then pcie_bandwidth_available() */
  private pcieBandwidthAvailable(dev: PciDev): void {
    // pcie_get_speed_cap(): LNKCAP2, and LNKCAP when LNKCAP2 says nothing; pcie_get_width_cap(): LNKCAP
    const lnkcap2 = this.pcieCapRead(dev, 0x2c, 4);
    if (!lnkcap2) this.pcieCapRead(dev, PCI_EXP_LNKCAP, 4);
    this.pcieCapRead(dev, PCI_EXP_LNKCAP, 4);
    // LNKSTA of the device and of each bridge above it
    for (let d: PciDev | null = dev; d; d = d.bus.self) this.pcieCapRead(d, PCI_EXP_LNKSTA, 2);
  }

  /** pci_configure_ari() */
  private pciConfigureAri(dev: PciDev): void {
    const bridge = dev.bus.self;
    if (!bridge || !bridge.pcieCap) return;
    const cap = this.pcieCapRead(bridge, PCI_EXP_DEVCAP2, 4);
    if (!(cap & 0x20)) return;
    if (this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_ARI)) {
      this.pcieCapRmw(bridge, PCI_EXP_DEVCTL2, 0, 0x20);
    } else {
      this.pcieCapRmw(bridge, PCI_EXP_DEVCTL2, 0x20, 0);
    }
  }

  private readonly linkStates = new Map<PciDev, { parent: PciDev | null; aspmSupport: number; aspmEnabled: number; aspmCapable: number }>();

  /** drivers/pci/pcie/aspm.c pcie_aspm_init_link_state(), with Debian's default policy (POLICY_DEFAULT) */
  private pcieAspmInitLinkState(pdev: PciDev): void {
    const children = pdev.subordinate?.devices ?? [];
    // pcie_aspm_sanity_check() runs before any other test
    let blacklist = false;
    for (const c of children) {
      if (!c.pcieCap) {
        blacklist = true;
        break;
      }
      if (this.opts.aspmDisabled) continue;
      const devcap = this.pcieCapRead(c, PCI_EXP_DEVCAP, 4);
      if (!(devcap & 0x8000)) {
        blacklist = true;
        break;
      }
    }
    if (this.opts.aspmDisabled) return; // aspm_support_enabled is false with pcie_aspm=off
    if (this.linkStates.has(pdev)) return;
    if (!pdev.pcieCap) return;
    const t = pcieType(pdev);
    if (t !== PCI_EXP_TYPE_ROOT_PORT && t !== PCI_EXP_TYPE_DOWNSTREAM && t !== PCI_EXP_TYPE_PCIE_BRIDGE) return;
    if (t === PCI_EXP_TYPE_ROOT_PORT && pdev.bus.self) return;
    if (!children.length) return;
    // alloc_pcie_link_state()
    const upstreamLink = t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_PCIE_BRIDGE || !pdev.bus.parent?.self ? null : pdev.bus.parent.self;
    if (upstreamLink && !this.linkStates.has(upstreamLink)) return;
    const link = { parent: upstreamLink, aspmSupport: 0, aspmEnabled: 0, aspmCapable: 0 };
    this.linkStates.set(pdev, link);
    const child = children.find((c) => (c.devfn & 7) === 0) ?? children[0]!;
    if (!blacklist) this.pcieAspmCapInit(pdev, child, children, link);
    // pcie_clkpm_cap_init()
    for (const c of children) {
      const lnkcap = this.pcieCapRead(c, PCI_EXP_LNKCAP, 4);
      if (!(lnkcap & 0x40000)) break;
      this.pcieCapRead(c, PCI_EXP_LNKCTL, 2);
    }
    // pcie_config_aspm_path() and pcie_set_clkpm() with the default policy change nothing the BIOS set
  }

  /** pcie_aspm_cap_init() */
  private pcieAspmCapInit(
    parent: PciDev,
    child: PciDev,
    children: PciDev[],
    link: { aspmSupport: number; aspmEnabled: number; aspmCapable: number },
  ): void {
    let parentLnkcap = this.pcieCapRead(parent, PCI_EXP_LNKCAP, 4);
    let childLnkcap = this.pcieCapRead(child, PCI_EXP_LNKCAP, 4);
    if (!(parentLnkcap & childLnkcap & 0xc00)) return;
    this.pcieAspmConfigureCommonClock(parent, child, children);
    parentLnkcap = this.pcieCapRead(parent, PCI_EXP_LNKCAP, 4);
    childLnkcap = this.pcieCapRead(child, PCI_EXP_LNKCAP, 4);
    const parentLnkctl = this.pcieCapRead(parent, PCI_EXP_LNKCTL, 2);
    const childLnkctl = this.pcieCapRead(child, PCI_EXP_LNKCTL, 2);
    if (parentLnkcap & childLnkcap & 0x400) link.aspmSupport |= 3;
    if (childLnkctl & 1) link.aspmEnabled |= 1;
    if (parentLnkctl & 1) link.aspmEnabled |= 2;
    if (parentLnkcap & childLnkcap & 0x800) link.aspmSupport |= 4;
    if (parentLnkctl & childLnkctl & 2) link.aspmEnabled |= 4;
    // aspm_l1ss_init(): only when both ends have an L1 PM Substates capability
    if (this.pciFindExtCapabilityCached(parent) && this.pciFindExtCapabilityCached(child)) {
      throw new GuestError('UNSUPPORTED', 'ASPM L1 substates are not modelled');
    }
    link.aspmCapable = link.aspmSupport;
    // pcie_aspm_check_latency() for each endpoint: LNKCAP of both ends of every link up to the root
    for (const c of children) {
      const ct = pcieType(c);
      if (ct !== PCI_EXP_TYPE_ENDPOINT && ct !== PCI_EXP_TYPE_LEG_END) continue;
      for (let up: PciDev | null = parent; up; up = this.linkStates.get(up)?.parent ?? null) {
        const f0 = up.subordinate?.devices.find((d) => (d.devfn & 7) === 0) ?? null;
        this.pcieCapRead(up, PCI_EXP_LNKCAP, 4);
        if (f0) this.pcieCapRead(f0, PCI_EXP_LNKCAP, 4);
      }
    }
  }

  /** the L1 PM Substates capability found by pci_configure_ltr() (never in QEMU's devices) */
  private pciFindExtCapabilityCached(_dev: PciDev): boolean {
    return false;
  }

  /** pcie_aspm_configure_common_clock() + pcie_retrain_link() */
  private pcieAspmConfigureCommonClock(parent: PciDev, child: PciDev, children: PciDev[]): void {
    let sameClock = true;
    if (!(this.pcieCapRead(child, PCI_EXP_LNKSTA, 2) & 0x1000)) sameClock = false;
    if (!(this.pcieCapRead(parent, PCI_EXP_LNKSTA, 2) & 0x1000)) sameClock = false;
    const plnkctl = this.pcieCapRead(parent, PCI_EXP_LNKCTL, 2);
    if (sameClock && plnkctl & 0x40) {
      let consistent = true;
      for (const c of children) {
        if (!(this.pcieCapRead(c, PCI_EXP_LNKCTL, 2) & 0x40)) {
          consistent = false;
          break;
        }
      }
      if (consistent) return;
    }
    const ccc = sameClock ? 0x40 : 0;
    for (const c of children) {
      this.pcieCapRead(c, PCI_EXP_LNKCTL, 2);
      this.pcieCapRmw(c, PCI_EXP_LNKCTL, 0x40, ccc);
    }
    this.pcieCapRmw(parent, PCI_EXP_LNKCTL, 0x40, ccc);
    // pcie_retrain_link(): wait for Link Training clear, set Retrain Link, wait again
    this.pcieWaitForRetrain(parent);
    const ctl = this.pcieCapRead(parent, PCI_EXP_LNKCTL, 2);
    if (this.pcieCapRegImplemented(parent, PCI_EXP_LNKCTL)) this.wr(parent, parent.pcieCap + PCI_EXP_LNKCTL, 2, ctl | 0x20);
    this.pcieWaitForRetrain(parent);
  }

  /** pcie_wait_for_retrain(): LNKSTA until Link Training clears (1 s timeout, 1 ms steps) */
  private pcieWaitForRetrain(dev: PciDev): void {
    for (let t = 0; t < 1000; t++) {
      if (!(this.pcieCapRead(dev, PCI_EXP_LNKSTA, 2) & 0x800)) return;
      this.cpu.sleepNs(1_000_000);
    }
  }

  // ------------------------------------------------------------------
  // arch/x86/pci/legacy.c pci_subsys_init(), common.c pcibios_init()
  // ------------------------------------------------------------------

  private pciSubsysInit(): void {
    if (!this.roots.length && (this.rawOps || this.rawExtOps)) {
      // pci_legacy_init(): no ACPI, scan bus 0 directly
      if (this.rawOps) {
        const bus: PciBusState = { number: 0, self: null, parent: null, devices: [], children: [], busnEnd: 0xff, acpiDevices: null, noExtCfg: false, bridgeCtl: undefined };
        this.roots.push(bus);
        this.pciScanChildBus(bus);
      }
    }
    this.phase('pcibios_fixup_peer_bridges', 'begin');
    this.pcibiosFixupPeerBridges();
    this.phase('pcibios_fixup_peer_bridges', 'end');
    // pcibios_init() -> pcibios_resource_survey(): pcibios_allocate_resources(0) then (1)
    if (!this.rawOps && !this.rawExtOps) return;
    for (let pass = 0; pass < 2; pass++) {
      for (const dev of this.busDepthFirst()) this.rd(dev, PCI_COMMAND, 2);
    }
  }

  /** pcibios_fixup_peer_bridges() -> pcibios_scan_specific_bus() */
  private pcibiosFixupPeerBridges(): void {
    if (this.pcibiosLastBus <= 0 || this.pcibiosLastBus > 0xff) return;
    for (let n = 0; n <= this.pcibiosLastBus; n++) {
      if (this.findBus(n)) continue;
      for (let devfn = 0; devfn < 256; devfn += 8) {
        const l = this.rawRead(n, devfn, PCI_VENDOR_ID, 2);
        if (l !== 0x0000 && l !== 0xffff) {
          this.log.push(`PCI: Discovered peer bus ${hex2(n)}`);
          const bus: PciBusState = { number: n, self: null, parent: null, devices: [], children: [], busnEnd: 0xff, acpiDevices: null, noExtCfg: false, bridgeCtl: undefined };
          this.roots.push(bus);
          this.pciScanChildBus(bus);
          break;
        }
      }
    }
  }

  private findBus(n: number): PciBusState | null {
    for (const r of this.roots) {
      const f = findBusBelow(r, n);
      if (f) return f;
    }
    return null;
  }

  /** every device in the order for_each_pci_dev() walks the PCI bus type's list: device_add() order */
  allDevices(): readonly PciDev[] {
    return this.addOrder;
  }

  /** every device, each bus's list with its subordinate buses depth-first (pcibios_allocate_resources()) */
  *busDepthFirst(): Generator<PciDev> {
    const walk = function* (b: PciBusState): Generator<PciDev> {
      for (const d of b.devices) {
        yield d;
        if (d.subordinate) yield* walk(d.subordinate);
      }
    };
    for (const r of this.roots) yield* walk(r);
  }

  /** drivers/pci/vgaarb.c vga_arb_device_init(): vga_arbiter_add_pci_device() each, then vga_arb_select_default_device() */
  private vgaArbDeviceInit(): void {
    let vgaDefault: PciDev | null = null;
    const vgas: PciDev[] = [];
    for (const dev of this.allDevices()) {
      if (dev.classCode >>> 8 !== PCI_CLASS_DISPLAY_VGA) continue;
      vgas.push(dev);
      // the legacy resources it owns: its decode enables, unless a bridge above does not forward VGA
      const cmd = this.rd(dev, PCI_COMMAND, 2);
      let owns = cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
      for (let b: PciBusState | null = dev.bus; b; b = b.parent) {
        if (!b.self) continue;
        if (!(this.rd(b.self, PCI_BRIDGE_CONTROL, 2) & 0x08)) {
          owns = 0;
          break;
        }
      }
      if (!vgaDefault && owns === (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) vgaDefault = dev;
    }
    // vga_arb_select_default_device(): with no legacy-owning VGA, the last one with decoding on
    if (!vgaDefault) for (const dev of [...vgas].reverse()) this.rd(dev, PCI_COMMAND, 2);
  }

  /** drivers/pnp/pnpacpi: each interrupt link's _STA when its PNP device is added */
  private pnpacpiInit(): void {
    const acpi = this.info.acpi!;
    for (let i = 0; i < acpi.links.length; i++) this.linkSta(i);
  }

  // ------------------------------------------------------------------
  // drivers/pci/pcie/portdrv_*.c: the PCIe port driver and its PME and AER services
  // ------------------------------------------------------------------

  /** pcie_portdrv_init(): service drivers first, then the port driver binds each port in device_add() order */
  private pciePortdrvInit(): void {
    for (const dev of this.allDevices()) {
      if ((dev.classCode >>> 8) !== PCI_CLASS_BRIDGE_PCI || (dev.classCode & 0xff) !== 0) continue;
      if (!dev.pcieCap) continue;
      const t = pcieType(dev);
      if (t !== PCI_EXP_TYPE_ROOT_PORT && t !== PCI_EXP_TYPE_UPSTREAM && t !== PCI_EXP_TYPE_DOWNSTREAM && t !== PCI_EXP_TYPE_RC_EC) continue;
      this.pcieBoundPorts.add(dev);
      if (this.pciePortDeviceRegister(dev)) this.pciSaveState(dev);
    }
  }

  /** ports the PCIe port driver is bound to */
  private readonly pcieBoundPorts = new Set<PciDev>();

  /** pcie_port_device_register(); false when no service could be set up */
  private pciePortDeviceRegister(dev: PciDev): boolean {
    this.pciEnableDevice(dev);
    // get_port_device_capability()
    let services = 0;
    if (dev.isHotplugBridge && this.oscNativeHotplug) {
      if (!this.hp) throw new GuestError('NEEDS_HOTPLUG_DRIVERS', 'native PCIe hot-plug (pciehp) at boot is modelled by the hot-plug drivers only');
      services |= 1 << 2; // PCIE_PORT_SERVICE_HP
      this.pcieCapRmw(dev, 0x18, 0x0010 | 0x0020, 0); // SLTCTL: clear CCIE | HPIE the BIOS may have set
    }
    if (dev.aerCap && this.oscNativeAer) services |= 1 << 1; // PCIE_PORT_SERVICE_AER
    const t = pcieType(dev);
    if ((t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC) && this.oscNativePme) {
      services |= 1 << 0; // PCIE_PORT_SERVICE_PME
      this.pcieCapRmw(dev, PCI_EXP_RTCTL, 0x8, 0); // pcie_pme_interrupt_enable(dev, false)
    }
    if (this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_DPC) && services & (1 << 1)) {
      throw new GuestError('UNSUPPORTED', 'a port with DPC: the DPC service is not modelled');
    }
    if (t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_ROOT_PORT) {
      if (this.pcieCapRead(dev, PCI_EXP_LNKCAP, 4) & 0x00200000) services |= 1 << 4; // BWNOTIF: no driver in 6.1
    }
    if (!services) return false;
    this.pciSetMaster(dev);
    // pcie_init_service_irqs() -> pcie_port_enable_irq_vec(): as many MSI-X/MSI vectors as possible (32), then as needed
    let nr = this.pciAllocIrqVectors(dev, 1, 32);
    if (nr > 0) {
      let nvec = 0;
      if (services & ((1 << 0) | (1 << 2) | (1 << 4))) {
        this.pcieCapRead(dev, PCI_EXP_FLAGS, 2); // Interrupt Message Number of PME/hot-plug
        nvec = 1;
      }
      if (services & (1 << 1) && dev.aerCap) {
        this.rd(dev, dev.aerCap + 0x30, 4); // PCI_ERR_ROOT_STATUS: the AER message number
        nvec = Math.max(nvec, 1);
      }
      if (nvec !== nr) {
        this.pciFreeIrqVectors(dev);
        nr = this.pciAllocIrqVectors(dev, nvec, nvec);
      }
    }
    // pcie_device_init() per service; their drivers probe at once (pcie_init_services() registered them)
    if (services & (1 << 0)) this.pciePmeProbe(dev);
    if (services & (1 << 1)) this.aerProbe(dev);
    if (services & (1 << 2)) this.hp!.pciehpProbe(dev); // pcie_device_init() -> pciehp_probe()
    return true;
  }

  /** pci_enable_device() -> do_pci_enable_device(): x86's pci_enable_resources() reads COMMAND; INTx left on */
  private pciEnableDevice(dev: PciDev): void {
    if (dev.pmCap) throw new GuestError('UNSUPPORTED', 'enabling a device with a PM capability (D0 transition) is not modelled');
    const cmd = this.rd(dev, PCI_COMMAND, 2);
    let want = cmd;
    // pci_enable_resources(): the BARs and, on a bridge, its windows
    if (dev.bars.some((b) => b.io) || dev.windows?.io) want |= PCI_COMMAND_IO;
    if (dev.bars.some((b) => !b.io) || dev.windows?.mem || dev.windows?.pref) want |= PCI_COMMAND_MEMORY;
    if (want !== cmd) this.wr(dev, PCI_COMMAND, 2, want);
    const pin = this.rd(dev, PCI_INTERRUPT_PIN, 1);
    if (pin) {
      const c = this.rd(dev, PCI_COMMAND, 2);
      if (c & PCI_COMMAND_INTX_DISABLE) this.wr(dev, PCI_COMMAND, 2, c & ~PCI_COMMAND_INTX_DISABLE);
    }
  }

  /** pci_set_master() (x86's pcibios_set_master() leaves PCIe latency timers alone) */
  private pciSetMaster(dev: PciDev): void {
    const cmd = this.rd(dev, PCI_COMMAND, 2);
    if (!(cmd & 0x4)) this.wr(dev, PCI_COMMAND, 2, cmd | 0x4);
    if (!dev.pcieCap) throw new GuestError('UNSUPPORTED', 'pcibios_set_master() latency timer for conventional devices is not modelled');
  }

  /** pci_intx(): COMMAND's INTx Disable bit */
  private pciIntx(dev: PciDev, enable: boolean): void {
    const cmd = this.rd(dev, PCI_COMMAND, 2);
    const want = enable ? cmd & ~PCI_COMMAND_INTX_DISABLE : cmd | PCI_COMMAND_INTX_DISABLE;
    if (want !== cmd) this.wr(dev, PCI_COMMAND, 2, want);
  }

  /** pci_msix_clear_and_set_ctrl() */
  private msixCtrl(dev: PciDev, clear: number, set: number): void {
    const ctrl = this.rd(dev, dev.msixCap + 2, 2);
    this.wr(dev, dev.msixCap + 2, 2, (ctrl & ~clear) | set);
  }

  /** pci_alloc_irq_vectors(MSI-X | MSI): __pci_enable_msix_range() then MSI; returns the vectors, or -1 */
  private pciAllocIrqVectors(dev: PciDev, min: number, max: number): number {
    if (dev.msixCap) {
      let nvec = max;
      for (;;) {
        // __pci_enable_msix(): pci_msix_vec_count()
        const entries = (this.rd(dev, dev.msixCap + 2, 2) & 0x7ff) + 1;
        if (nvec > entries) {
          if (entries < min) break;
          nvec = entries;
          continue;
        }
        // msix_capability_init()
        this.msixCtrl(dev, 0, 0xc000); // MASKALL | ENABLE
        this.rd(dev, dev.msixCap + 2, 2); // table size
        this.rd(dev, dev.msixCap + 4, 4); // msix_map_region(): PCI_MSIX_TABLE
        this.rd(dev, dev.msixCap + 2, 2); // msix_setup_msi_descs(): pci_msix_vec_count()
        this.pciIntx(dev, false);
        this.msixCtrl(dev, 0x4000, 0); // clear MASKALL
        this.msixEnabled.add(dev);
        return nvec;
      }
    }
    if (dev.msiCap) throw new GuestError('UNSUPPORTED', 'MSI (not MSI-X) vector allocation is not modelled');
    return -1;
  }

  private readonly msixEnabled = new Set<PciDev>();

  /** pci_free_irq_vectors() -> pci_disable_msix() -> pci_msix_shutdown() */
  private pciFreeIrqVectors(dev: PciDev): void {
    if (!this.msixEnabled.delete(dev)) return;
    this.msixCtrl(dev, 0x8000, 0);
    this.pciIntx(dev, true);
  }

  /** drivers/pci/pcie/pme.c pcie_pme_probe() */
  private pciePmeProbe(port: PciDev): void {
    this.pcieCapRmw(port, PCI_EXP_RTCTL, 0x8, 0); // pcie_pme_interrupt_enable(port, false)
    // pcie_clear_root_pme_status(): RTSTA |= PME status (write one to clear)
    if (this.pcieCapRegImplemented(port, 0x20)) {
      const sta = this.rd(port, port.pcieCap + 0x20, 4);
      this.wr(port, port.pcieCap + 0x20, 4, sta | 0x10000);
    }
    this.pcieCapRmw(port, PCI_EXP_RTCTL, 0, 0x8); // pcie_pme_interrupt_enable(port, true)
  }

  /** drivers/pci/pcie/aer.c aer_probe() -> aer_enable_rootport() */
  private aerProbe(port: PciDev): void {
    const devsta = this.pcieCapRead(port, 0x0a, 2);
    if (this.pcieCapRegImplemented(port, 0x0a)) this.wr(port, port.pcieCap + 0x0a, 2, devsta);
    this.pcieCapRmw(port, PCI_EXP_RTCTL, 0x7, 0); // SYSTEM_ERROR_INTR_ON_MESG_MASK
    const aer = port.aerCap;
    for (const off of [0x30, 0x10, 0x04]) {
      const v = this.rd(port, aer + off, 4);
      this.wr(port, aer + off, 4, v);
    }
    // set_downstream_devices_error_reporting(port, true): the ports in the hierarchy turn error reporting on
    this.setDeviceErrorReporting(port);
    if (port.subordinate) for (const d of this.walkBus(port.subordinate)) this.setDeviceErrorReporting(d);
    const cmd = this.rd(port, aer + 0x2c, 4);
    this.wr(port, aer + 0x2c, 4, cmd | 0x7); // ROOT_PORT_INTR_ON_MESG_MASK
  }

  /** set_device_error_reporting(dev, true) */
  private setDeviceErrorReporting(dev: PciDev): void {
    const t = dev.pcieCap ? pcieType(dev) : -1;
    if (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC || t === PCI_EXP_TYPE_UPSTREAM || t === PCI_EXP_TYPE_DOWNSTREAM) {
      if (this.oscNativeAer) this.pcieCapRmw(dev, PCI_EXP_DEVCTL, 0, 0x0f); // pci_enable_pcie_error_reporting()
    }
  }

  /** pci_walk_bus(): every device below, depth-first */
  private *walkBus(bus: PciBusState): Generator<PciDev> {
    for (const d of bus.devices) {
      yield d;
      if (d.subordinate) yield* this.walkBus(d.subordinate);
    }
  }

  /** pci_save_state(): the header, the PCIe, PCI-X, LTR, AER and VC registers */
  private pciSaveState(dev: PciDev): void {
    for (let i = 0; i < 16; i++) this.rd(dev, i * 4, 4);
    if (dev.pcieCap) {
      for (const reg of [PCI_EXP_DEVCTL, PCI_EXP_LNKCTL, 0x18, PCI_EXP_RTCTL, PCI_EXP_DEVCTL2, 0x30, 0x38]) this.pcieCapRead(dev, reg, 2);
    }
    const pcix = this.pciFindCapability(dev, PCI_CAP_ID_PCIX);
    if (pcix) throw new GuestError('UNSUPPORTED', 'saving PCI-X state is not modelled');
    if (dev.pcieCap) this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_LTR); // pci_save_ltr_state()
    if (dev.aerCap) {
      // pci_save_aer_state(): UNCOR_MASK, UNCOR_SEVER, COR_MASK, CAP, and ROOT_COMMAND where RTCTL exists
      for (const off of [0x08, 0x0c, 0x14, 0x18]) this.rd(dev, dev.aerCap + off, 4);
      if (this.pcieCapRegImplemented(dev, PCI_EXP_RTCTL)) this.rd(dev, dev.aerCap + 0x2c, 4);
    }
    // pci_save_vc_state(): MFVC, VC, VC9
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_MFVC);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_VC);
    this.pciFindExtCapability(dev, PCI_EXT_CAP_ID_VC9);
  }

  /** drivers/pci/quirks.c pci_apply_final_quirks(): each device's final fixups, then its cache line size */
  private pciApplyFinalQuirks(): void {
    for (const dev of this.allDevices()) {
      // quirk_passive_release() on the i440FX 8086:1237: the PIIX3 ISA bridge must have passive release on
      if (dev.vendor === 0x8086 && dev.device === 0x1237) {
        for (const d of this.allDevices()) {
          if (d.vendor !== 0x8086 || d.device !== 0x7000) continue;
          const dlc = this.rd(d, 0x82, 1);
          if (!(dlc & 2)) this.wr(d, 0x82, 1, dlc | 2);
        }
      }
      this.rd(dev, PCI_CACHE_LINE_SIZE, 1);
    }
  }

  foundDevices(): FoundDevice[] {
    const out: FoundDevice[] = [];
    for (const d of this.allDevices()) {
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
    return this.rawOps === 1 ? 'conf1' : this.rawOps === 3 ? 'mmcfg' : this.rawExtOps ? 'mmcfg' : 'none';
  }

  // ---- runtime API for hotplug drivers (owned by the hotplug work) ----
  // After boot() the hot-plug drivers of ./hotplug/ (acpiphp, pciehp, shpchp) reach the PCI core through
  // these methods, as the real drivers call drivers/pci/*. Nothing here runs unless a runtime is attached.

  /** @internal the attached hot-plug runtime: printk of scan lines, and pciehp as a port service */
  hp: Linux61HotplugHooks | null = null;
  /** pci_dev_is_added(): pci_bus_add_device() has seen the device (every boot device, once boot() returned) */
  private readonly hpAdded = new WeakSet<PciDev>();

  /** @internal every device boot() found was added by pci_bus_add_devices() */
  hpMarkBootDevicesAdded(): void {
    for (const d of this.allDevices()) this.hpAdded.add(d);
  }

  /** @internal pci_dev_is_added() */
  hpIsAdded(dev: PciDev): boolean {
    return this.hpAdded.has(dev);
  }

  /** @internal what _OSC granted (host->native_pcie_hotplug, native_shpc_hotplug), pcie_ports=native included */
  hpOsc(): { nativePcieHotplug: boolean; nativeShpc: boolean } {
    return { nativePcieHotplug: this.oscNativeHotplug || this.opts.pcieNative, nativeShpc: this.oscNativeShpc };
  }

  /** @internal the root buses (pci_root_buses) */
  hpRoots(): readonly PciBusState[] {
    return this.roots;
  }

  /** @internal pci_find_bus() */
  hpFindBus(n: number): PciBusState | null {
    return this.findBus(n);
  }

  /** @internal pci_read_config_{byte,word,dword}() */
  hpRead(dev: PciDev, reg: number, len: number): number {
    return this.rd(dev, reg, len);
  }

  /** @internal pci_write_config_{byte,word,dword}() */
  hpWrite(dev: PciDev, reg: number, len: number, v: number): void {
    this.wr(dev, reg, len, v);
  }

  /** @internal pci_bus_read_config_*() of a devfn that has no pci_dev */
  hpBusRead(bus: PciBusState, devfn: number, reg: number, len: number): number {
    return this.rawRead(bus.number, devfn, reg, len);
  }

  /** @internal pci_bus_read_dev_vendor_id(bus, devfn, &l, 0): the dword, or null for no device */
  hpReadDevVendorId(bus: PciBusState, devfn: number): number | null {
    return this.pciBusReadDevVendorId(bus, devfn);
  }

  /** @internal pci_find_capability() */
  hpFindCapability(dev: PciDev, cap: number): number {
    return this.pciFindCapability(dev, cap);
  }

  /** @internal pcie_capability_read_{word,dword}(): 0 without an access when the register is not implemented */
  hpPcieCapRead(dev: PciDev, pos: number, len: number): number {
    return this.pcieCapRead(dev, pos, len);
  }

  /** @internal pcie_capability_write_{word,dword}() */
  hpPcieCapWrite(dev: PciDev, pos: number, len: number, v: number): void {
    if (this.pcieCapRegImplemented(dev, pos)) this.wr(dev, dev.pcieCap + pos, len, v);
  }

  /** @internal pcie_capability_clear_and_set_word() */
  hpPcieCapRmw(dev: PciDev, pos: number, clear: number, set: number): void {
    this.pcieCapRmw(dev, pos, clear, set);
  }

  /** @internal pci_enable_device() */
  hpEnableDevice(dev: PciDev): void {
    this.pciEnableDevice(dev);
  }

  /** @internal pci_scan_slot(): the number of functions found that were not added yet */
  hpScanSlot(bus: PciBusState, devfn: number): number {
    const before = new Set(bus.devices);
    const nr = this.pciScanSlot(bus, devfn);
    for (const d of bus.devices) if (!before.has(d)) this.hp?.deviceScanned(d);
    return nr;
  }

  /** @internal pci_rescan_bus(): scan the bus and everything behind it, assign, add (sysfs `rescan`) */
  hpRescanBus(bus: PciBusState): PciDev[] {
    const before = new Set(this.allDevices());
    this.pciScanChildBus(bus);
    const found = this.allDevices().filter((d) => !before.has(d));
    for (const d of found) this.hp?.deviceScanned(d);
    this.hpAssignBusResources(bus, false);
    return this.hpBusAddDevices(bus);
  }

  /**
   * @internal pci_assign_unassigned_bridge_resources(bridge): the BARs firmware left unassigned on the
   * bridge's bus and below, from the bridge's windows (pbus_assign_resources_sorted()), then
   * pci_setup_bridge() of each bridge from the deepest up, this one last.
   */
  hpAssignUnassignedBridgeResources(bridge: PciDev): void {
    const sub = bridge.subordinate;
    if (!sub) return;
    this.hpAssignBusResources(sub, true);
  }

  /**
   * @internal __pci_bus_assign_resources(bus) as acpiphp's enable_slot() calls it: the bus's unassigned BARs
   * from the windows of the bridge above, child bridges programmed, the bridge above left as it is.
   */
  hpAssignBusResourcesNoSetup(bus: PciBusState): void {
    this.hpAssignBusResources(bus, false);
  }

  private hpAssignBusResources(bus: PciBusState, setupSelf: boolean): void {
    const bridge = bus.self;
    // what is taken inside the windows this bus allocates from: its devices' BARs and its bridges' windows
    const claimed: Interval[] = [];
    this.claimAssigned(bus, claimed);
    const unassigned: { dev: PciDev; bar: BarResource }[] = [];
    const collect = (b: PciBusState): void => {
      for (const d of b.devices) {
        for (const bar of d.bars) if (!bar.start) unassigned.push({ dev: d, bar });
        if (d.subordinate) collect(d.subordinate);
      }
    };
    collect(bus);
    let windows: Window[];
    if (bridge) {
      const w = bridge.windows;
      windows = [];
      if (w?.io) windows.push({ kind: 'io', min: w.io.start, max: w.io.end });
      if (w?.mem) windows.push({ kind: 'mem', min: w.mem.start, max: w.mem.end });
      if (w?.pref) windows.push({ kind: w.pref.is64 ? 'mem64' : 'mem', min: w.pref.start, max: w.pref.end });
    } else {
      const hb = this.info.acpi?.hostBridges.find((h) => bus.number >= h.busStart && bus.number <= h.busEnd);
      windows = (hb?.windows ?? []).map((x) => ({ kind: x.kind, min: x.min, max: x.max }));
    }
    this.assignBus(bus, windows, claimed);
    // pbus_assign_resources_sorted(): largest alignment first, and so are the "assigned" lines
    for (const u of [...unassigned].sort((a, b) => b.bar.size - a.bar.size)) if (u.bar.start) this.hp?.barAssigned(u.dev, u.bar);
    if (setupSelf && bridge && bridge.hdrType === 1) {
      this.pciSetupBridge(bus);
      this.hp?.bridgeSetUp(bridge);
    }
  }

  /** @internal pci_bus_add_devices(): pci_bus_add_device() for each new device, then the buses behind added bridges */
  hpBusAddDevices(bus: PciBusState): PciDev[] {
    const added: PciDev[] = [];
    for (const d of bus.devices) {
      if (this.hpAdded.has(d)) continue;
      this.hpAdded.add(d);
      added.push(d);
      this.hp?.deviceAdded(d);
    }
    for (const d of bus.devices) if (d.subordinate) added.push(...this.hpBusAddDevices(d.subordinate));
    return added;
  }

  /** @internal pci_stop_and_remove_bus_device(): children first, then the device leaves its bus */
  hpStopAndRemoveBusDevice(dev: PciDev): void {
    const sub = dev.subordinate;
    if (sub) {
      for (const c of [...sub.devices].reverse()) this.hpStopAndRemoveBusDevice(c);
      const i = dev.bus.children.indexOf(sub);
      if (i >= 0) dev.bus.children.splice(i, 1);
      dev.subordinate = null;
      this.linkStates.delete(dev);
    }
    this.hpAdded.delete(dev);
    const bus = dev.bus;
    const i = bus.devices.indexOf(dev);
    if (i >= 0) bus.devices.splice(i, 1);
    // pcie_aspm_exit_link_state(): the link state above goes with function 0 (link->downstream)
    if (bus.self && (dev.devfn & 7) === 0) this.linkStates.delete(bus.self);
    if (this.vgaDefault === dev) this.vgaDefault = null;
    this.hp?.deviceRemoved(dev);
  }

  /** @internal the BDF as Linux prints it */
  hpName(dev: PciDev): string {
    return this.bdfName(dev);
  }

  /** @internal pci_dev_msi_enabled() for what portdrv set up (MSI-X) */
  hpMsiEnabled(dev: PciDev): boolean {
    return this.msixEnabled.has(dev);
  }

  /**
   * @internal pci_hp_add_bridge(): the first free bus number on the parent's range, pass 0 then pass 1 of
   * pci_scan_bridge_extend() with the numbers left; false when none is free ("No bus number available").
   */
  hpAddBridge(dev: PciDev): boolean {
    const parent = dev.bus;
    const end = parent.busnEnd;
    let busnr = parent.number;
    for (; busnr <= end; busnr++) if (!this.findBus(busnr)) break;
    if (busnr-- > end) return false;
    busnr = this.pciScanBridgeExtend(parent, dev, busnr, 0, 0);
    this.pciScanBridgeExtend(parent, dev, busnr, end - busnr, 1);
    return dev.subordinate !== null;
  }
}

/** What the hot-plug runtime attached to {@link Linux61} is told (printk of the PCI core's lines) and asked. */
export interface Linux61HotplugHooks {
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

/** a range of bus addresses taken by a BAR or a window */
interface Interval {
  io: boolean;
  start: number;
  end: number;
}

/** a window resources are allocated from */
interface Window {
  kind: 'io' | 'mem' | 'mem64';
  min: number;
  max: number;
}

/**
 * pci_bus_alloc_resource() over the bus's windows: a 64-bit prefetchable BAR tries the 64-bit windows
 * first, then any; allocate_resource()'s first fit, at the lowest aligned address no claimed range overlaps.
 */
function allocate(windows: Window[], claimed: Interval[], size: number, io: boolean, mem64pref: boolean, min: number, alignment = size): number | null {
  const order: Window[] = io
    ? windows.filter((w) => w.kind === 'io')
    : mem64pref
      ? [...windows.filter((w) => w.kind === 'mem64'), ...windows.filter((w) => w.kind === 'mem')]
      : windows.filter((w) => w.kind === 'mem');
  for (const w of order) {
    // pci_bus_alloc_from_region(): PCIBIOS_MIN_IO / PCIBIOS_MIN_MEM bound the low end of 32-bit windows
    const lowest = w.kind === 'mem64' ? w.min : Math.max(w.min, min);
    let cand = Math.ceil(lowest / alignment) * alignment;
    for (;;) {
      // pcibios_align_resource(): I/O avoids the ISA alias range (addresses with bits 8-9 set)
      if (io && cand & 0x300) cand = Math.ceil(((cand + 0x3ff) & ~0x3ff) / alignment) * alignment;
      if (cand + size - 1 > w.max) break;
      // the window itself and the windows above it are parents in the resource tree, not conflicts
      const hit = claimed.find((c) => c.io === io && c.start <= cand + size - 1 && c.end >= cand && !(c.start <= w.min && c.end >= w.max));
      if (!hit) return cand;
      cand = Math.ceil((hit.end + 1) / alignment) * alignment;
    }
  }
  return null;
}

/** ALIGN(x, a) for a power-of-two a */
function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** PCIBIOS_MIN_IO (arch/x86/include/asm/pci.h) */
const PCIBIOS_MIN_IO = 0x1000;

function pcieType(dev: PciDev): number {
  return (dev.pcieFlags & 0xf0) >> 4;
}

function mask(v: number, len: number): number {
  return len === 1 ? v & 0xff : len === 2 ? v & 0xffff : v >>> 0;
}

/** {@link mask} with a dword as the int32 of its bytes (no heap number where V8 does not inline) */
function bitsOf(v: number, len: number): number {
  return len === 1 ? v & 0xff : len === 2 ? v & 0xffff : v | 0;
}

function regsToString(...regs: number[]): string {
  let s = '';
  for (const r of regs) for (let i = 0; i < 4; i++) s += String.fromCharCode((r >>> (8 * i)) & 0xff);
  return s;
}

function dmiBiosYear(date: string | null): number {
  if (!date) return 0;
  const m = /(\d{4})$/.exec(date.trim());
  return m ? Number(m[1]) : 0;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const hex4 = (n: number) => n.toString(16).padStart(4, '0');
