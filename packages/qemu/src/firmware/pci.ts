/**
 * @module
 * SeaBIOS 1.16.2's config-space layer: src/hw/pci.c (conf1 and MMCONFIG accessors, capability walk, bus
 * walk, `pci_probe_host`) and src/hw/pcidevice.c (the `PCIDevices` cache `pci_probe_devices()` builds and
 * the `pci_enable_*` helpers the drivers call). Every access goes through the {@link FirmwareCpu}, so the
 * VMM sees exactly the port I/O and MMIO SeaBIOS makes.
 */

// src/hw/pci_regs.h: the registers SeaBIOS's POST shares with Linux's pci_regs.h
import {
  PCI_VENDOR_ID,
  PCI_DEVICE_ID,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_SERR,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_CLASS_DEVICE,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_NORMAL,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_SUBSYSTEM_ID,
  PCI_ROM_ADDRESS,
  PCI_ROM_ADDRESS_ENABLE,
  PCI_CAPABILITY_LIST,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_PRIMARY_BUS,
  PCI_SECONDARY_BUS,
  PCI_SUBORDINATE_BUS,
  PCI_IO_BASE,
  PCI_IO_LIMIT,
  PCI_MEMORY_BASE,
  PCI_MEMORY_LIMIT,
  PCI_PREF_MEMORY_BASE,
  PCI_PREF_MEMORY_LIMIT,
  PCI_PREF_RANGE_TYPE_64,
  PCI_PREF_BASE_UPPER32,
  PCI_PREF_LIMIT_UPPER32,
  PCI_IO_BASE_UPPER16,
  PCI_IO_LIMIT_UPPER16,
  PCI_ROM_ADDRESS1,
  PCI_BRIDGE_CONTROL,
  PCI_BRIDGE_CTL_SERR,
  PCI_BRIDGE_CTL_VGA,
  PCI_CAP_ID_VNDR,
  PCI_CAP_ID_SHPC,
  PCI_CAP_ID_EXP,
  PCI_EXP_FLAGS,
  PCI_EXP_TYPE_ROOT_PORT,
  PCI_EXP_TYPE_DOWNSTREAM,
  PCI_EXP_TYPE_PCI_BRIDGE,
} from '../hw/pci/regs.js';

/**
 * The CPU SeaBIOS runs on: port I/O and MMIO, the guest's ISA. A dword written may come as the int32 of
 * its bytes (`value >>> 0` for the unsigned value); so may a gpa below 4 GiB (@sim/kvm's `gpaOf`).
 */
export interface FirmwareCpu {
  inb(port: number): number;
  inw(port: number): number;
  inl(port: number): number;
  outb(port: number, value: number): void;
  outw(port: number, value: number): void;
  outl(port: number, value: number): void;
  readb(gpa: number): number;
  readw(gpa: number): number;
  readl(gpa: number): number;
  writeb(gpa: number, value: number): void;
  writew(gpa: number, value: number): void;
  writel(gpa: number, value: number): void;
}

export const PORT_PCI_CMD = 0x0cf8;
export const PORT_PCI_DATA = 0x0cfc;

// the rest of src/hw/pci_regs.h that SeaBIOS's POST uses
export const PCI_CLASS_REVISION = 0x08;
export const PCI_HEADER_TYPE_CARDBUS = 2;
export const PCI_BASE_ADDRESS_1 = 0x14;
export const PCI_BASE_ADDRESS_2 = 0x18;
export const PCI_BASE_ADDRESS_3 = 0x1c;
export const PCI_BASE_ADDRESS_4 = 0x20;
export const PCI_BASE_ADDRESS_5 = 0x24;
export const PCI_BASE_ADDRESS_MEM_TYPE_MASK = 0x06;
export const PCI_BASE_ADDRESS_MEM_MASK = 0xfffffff0;
export const PCI_BASE_ADDRESS_IO_MASK = 0xfffffffc;
export const PCI_ROM_ADDRESS_MASK = 0xfffff800;
export const PCI_PREF_RANGE_TYPE_MASK = 0x0f;
export const PCI_CAP_LIST_ID = 0;
export const PCI_CAP_LIST_NEXT = 1;
export const PCI_CAP_FLAGS = 2;
export const PCI_EXP_FLAGS_TYPE = 0x00f0;
export const PCI_EXP_FLAGS_SLOT = 0x0100;

// src/hw/pci_ids.h (classes SeaBIOS's POST dispatches on)
export const PCI_CLASS_STORAGE_IDE = 0x0101;
export const PCI_CLASS_STORAGE_SATA = 0x0106;
export const PCI_CLASS_STORAGE_NVME = 0x0108;
export const PCI_CLASS_DISPLAY_VGA = 0x0300;
export const PCI_CLASS_DISPLAY_OTHER = 0x0380;
export const PCI_CLASS_BRIDGE_PCI = 0x0604;
export const PCI_CLASS_SYSTEM_SDHCI = 0x0805;
export const PCI_CLASS_SERIAL_USB = 0x0c03;

export const pciBdfToBus = (bdf: number): number => (bdf >> 8) & 0xff;
export const pciBdfToDev = (bdf: number): number => (bdf >> 3) & 0x1f;
export const pciBdfToFn = (bdf: number): number => bdf & 0x07;
export const pciBdfToDevfn = (bdf: number): number => bdf & 0xff;
export const pciToBdf = (bus: number, dev: number, fn: number): number => (bus << 8) | (dev << 3) | fn;

/**
 * src/hw/pci.c. `pci_config_*` use MMCONFIG once `pci_enable_mmconfig()` has set it, except in 16-bit code
 * (`MODESEGMENT`: the PCI BIOS, option ROMs, SeaVGABIOS), which always uses conf1: construct that view with
 * `modeSegment`. `pci_ioconfig_*` are always conf1.
 */
export class PciConfig {
  /** `static u32 mmconfig` */
  mmconfig = 0;

  constructor(
    readonly cpu: FirmwareCpu,
    private readonly modeSegment = false,
  ) {}

  /** The 16-bit (MODESEGMENT) view: the same CPU, conf1 only. */
  segment(): PciConfig {
    return new PciConfig(this.cpu, true);
  }

  private mm(): boolean {
    return !this.modeSegment && this.mmconfig !== 0;
  }
  /** mmconfig_addr() */
  /** the ECAM gpa, below 4 GiB as the int32 of its bits (@sim/kvm's `Gpa`), as the guest model passes it too */
  private mmAddr(bdf: number, addr: number): number {
    const gpa = this.mmconfig + bdf * 4096 + addr;
    return gpa < 0x1_0000_0000 ? gpa | 0 : gpa;
  }
  /** ioconfig_cmd(), as the int32 of its bytes (V8 boxes an unsigned dword ≥ 2^31 at each call it passes) */
  private cmd(bdf: number, addr: number): number {
    return 0x80000000 | (bdf << 8) | (addr & 0xfc);
  }

  ioconfigWritel(bdf: number, addr: number, val: number): void {
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, addr));
    this.cpu.outl(PORT_PCI_DATA, val | 0);
  }
  ioconfigWritew(bdf: number, addr: number, val: number): void {
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, addr));
    this.cpu.outw(PORT_PCI_DATA + (addr & 2), val & 0xffff);
  }
  ioconfigWriteb(bdf: number, addr: number, val: number): void {
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, addr));
    this.cpu.outb(PORT_PCI_DATA + (addr & 3), val & 0xff);
  }
  ioconfigReadl(bdf: number, addr: number): number {
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, addr));
    return this.cpu.inl(PORT_PCI_DATA) >>> 0;
  }
  ioconfigReadw(bdf: number, addr: number): number {
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, addr));
    return this.cpu.inw(PORT_PCI_DATA + (addr & 2)) & 0xffff;
  }
  ioconfigReadb(bdf: number, addr: number): number {
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, addr));
    return this.cpu.inb(PORT_PCI_DATA + (addr & 3)) & 0xff;
  }

  writel(bdf: number, addr: number, val: number): void {
    if (this.mm()) this.cpu.writel(this.mmAddr(bdf, addr), val | 0);
    else this.ioconfigWritel(bdf, addr, val);
  }
  writew(bdf: number, addr: number, val: number): void {
    if (this.mm()) this.cpu.writew(this.mmAddr(bdf, addr), val & 0xffff);
    else this.ioconfigWritew(bdf, addr, val);
  }
  writeb(bdf: number, addr: number, val: number): void {
    if (this.mm()) this.cpu.writeb(this.mmAddr(bdf, addr), val & 0xff);
    else this.ioconfigWriteb(bdf, addr, val);
  }
  readl(bdf: number, addr: number): number {
    return this.mm() ? this.cpu.readl(this.mmAddr(bdf, addr)) >>> 0 : this.ioconfigReadl(bdf, addr);
  }
  readw(bdf: number, addr: number): number {
    return this.mm() ? this.cpu.readw(this.mmAddr(bdf, addr)) & 0xffff : this.ioconfigReadw(bdf, addr);
  }
  readb(bdf: number, addr: number): number {
    return this.mm() ? this.cpu.readb(this.mmAddr(bdf, addr)) & 0xff : this.ioconfigReadb(bdf, addr);
  }

  /** pci_config_maskw() */
  maskw(bdf: number, addr: number, off: number, on: number): void {
    const val = (this.readw(bdf, addr) & ~off) | on;
    this.writew(bdf, addr, val);
  }

  /** pci_enable_mmconfig(): only a window below 4 GiB is usable from 32-bit code */
  enableMmconfig(addr: number): void {
    if (addr >= 2 ** 32) return;
    this.mmconfig = addr;
  }

  /** pci_find_capability(): `cap` 0 finds the first, otherwise the next after `cap` */
  findCapability(bdf: number, capId: number, cap: number): number {
    const status = this.readw(bdf, PCI_STATUS);
    if (!(status & PCI_STATUS_CAP_LIST)) return 0;
    if (cap === 0) cap = this.readb(bdf, PCI_CAPABILITY_LIST);
    else cap = this.readb(bdf, cap + PCI_CAP_LIST_NEXT);
    for (let i = 0; cap && i <= 0xff; i++) {
      if (this.readb(bdf, cap + PCI_CAP_LIST_ID) === capId) return cap;
      cap = this.readb(bdf, cap + PCI_CAP_LIST_NEXT);
    }
    return 0;
  }

  /** pci_ioconfig_next() (io = true) and pci_next(): the next present function on `bus` after `bdf` */
  private nextImpl(bdf: number, bus: number, io: boolean): number {
    const rb = io ? (b: number, a: number) => this.ioconfigReadb(b, a) : (b: number, a: number) => this.readb(b, a);
    const rw = io ? (b: number, a: number) => this.ioconfigReadw(b, a) : (b: number, a: number) => this.readw(b, a);
    if (pciBdfToFn(bdf) === 0 && (rb(bdf, PCI_HEADER_TYPE) & 0x80) === 0) bdf += 8;
    else bdf += 1;
    for (;;) {
      if (pciBdfToBus(bdf) !== bus || bdf > 0xffff) return -1;
      const v = rw(bdf, PCI_VENDOR_ID);
      if (v !== 0x0000 && v !== 0xffff) return bdf;
      if (pciBdfToFn(bdf) === 0) bdf += 8;
      else bdf += 1;
    }
  }

  /** foreachbdf(BDF, BUS) */
  *foreachBdf(bus: number): Generator<number> {
    for (let bdf = this.nextImpl(bus * 256 - 1, bus, false); bdf >= 0; bdf = this.nextImpl(bdf, bus, false)) yield bdf;
  }

  /** pci_ioconfig_foreachbdf(BDF, BUS) */
  *ioconfigForeachBdf(bus: number): Generator<number> {
    for (let bdf = this.nextImpl(bus * 256 - 1, bus, true); bdf >= 0; bdf = this.nextImpl(bdf, bus, true)) yield bdf;
  }

  /** pci_probe_host(): the conf1 address latch must read back */
  probeHost(): boolean {
    this.cpu.outl(PORT_PCI_CMD, 0x80000000);
    return this.cpu.inl(PORT_PCI_CMD) >>> 0 === 0x80000000;
  }
}

/** `struct pci_device` (src/hw/pcidevice.h) */
export interface SbPciDevice {
  bdf: number;
  rootbus: number;
  parent: SbPciDevice | null;
  vendor: number;
  device: number;
  /** class << 8 | subclass, e.g. 0x0604 */
  classId: number;
  progIf: number;
  revision: number;
  headerType: number;
  secondaryBus: number;
  /** set by pci_enable_busmaster/iobar/membar: optionrom_setup skips devices a driver claimed */
  haveDriver: boolean;
}

/** pci_classprog() */
export const pciClassprog = (pci: SbPciDevice): number => (pci.classId << 8) | pci.progIf;

/** The `PCIDevices` list and `MaxPCIBus`, as pci_probe_devices() leaves them. */
export interface PciDeviceList {
  devices: SbPciDevice[];
  maxPciBus: number;
}

/** pci_probe_devices() (src/hw/pcidevice.c) */
export function pciProbeDevices(pci: PciConfig, extraroots: number): PciDeviceList {
  const busdevs = new Map<number, SbPciDevice>();
  const devices: SbPciDevice[] = [];
  let maxPciBus = 0;
  let bus = -1;
  let lastbus = 0;
  let rootbuses = 0;
  while (bus < 0xff && (bus < maxPciBus || rootbuses < extraroots)) {
    bus++;
    for (const bdf of pci.foreachBdf(bus)) {
      const parent = busdevs.get(bus) ?? null;
      let rootbus: number;
      if (!parent) {
        if (bus !== lastbus) rootbuses++;
        lastbus = bus;
        rootbus = rootbuses;
        if (bus > maxPciBus) maxPciBus = bus;
      } else {
        rootbus = parent.rootbus;
      }
      const vendev = pci.readl(bdf, PCI_VENDOR_ID);
      const classrev = pci.readl(bdf, PCI_CLASS_REVISION);
      const headerType = pci.readb(bdf, PCI_HEADER_TYPE);
      const dev: SbPciDevice = {
        bdf,
        rootbus,
        parent,
        vendor: vendev & 0xffff,
        device: vendev >>> 16,
        classId: classrev >>> 16,
        progIf: (classrev >>> 8) & 0xff,
        revision: classrev & 0xff,
        headerType,
        secondaryBus: 0,
        haveDriver: false,
      };
      devices.push(dev);
      const v = headerType & 0x7f;
      if (v === PCI_HEADER_TYPE_BRIDGE || v === PCI_HEADER_TYPE_CARDBUS) {
        const secbus = pci.readb(bdf, PCI_SECONDARY_BUS);
        dev.secondaryBus = secbus;
        if (secbus > bus && !busdevs.has(secbus)) busdevs.set(secbus, dev);
        if (secbus > maxPciBus) maxPciBus = secbus;
      }
    }
  }
  return { devices, maxPciBus };
}

/** pci_enable_busmaster() (`wait_preempt()` never waits: threads do not run during option ROMs) */
export function pciEnableBusmaster(pci: PciConfig, dev: SbPciDevice): void {
  pci.maskw(dev.bdf, PCI_COMMAND, 0, PCI_COMMAND_MASTER);
  dev.haveDriver = true;
}

/** pci_enable_iobar(): the port base, or 0 */
export function pciEnableIobar(pci: PciConfig, dev: SbPciDevice, addr: number): number {
  let bar = pci.readl(dev.bdf, addr);
  if (!(bar & PCI_BASE_ADDRESS_SPACE_IO)) return 0; // warn_internalerror()
  bar = (bar & PCI_BASE_ADDRESS_IO_MASK) >>> 0;
  if (bar === 0 || bar > 0xffff) return 0;
  pci.maskw(dev.bdf, PCI_COMMAND, 0, PCI_COMMAND_IO);
  dev.haveDriver = true;
  return bar;
}

/** pci_enable_membar(): the MMIO base, or 0 */
export function pciEnableMembar(pci: PciConfig, dev: SbPciDevice, addr: number): number {
  let bar = pci.readl(dev.bdf, addr);
  if (bar & PCI_BASE_ADDRESS_SPACE_IO) return 0; // warn_internalerror()
  if (bar & PCI_BASE_ADDRESS_MEM_TYPE_64) {
    const high = pci.readl(dev.bdf, addr + 4);
    if (high) return 0; // "Can not map memory bar over 4Gig"
  }
  bar = (bar & PCI_BASE_ADDRESS_MEM_MASK) >>> 0;
  // "Bar doesn't look valid (it is in last 4M or first 16M)", in u32 arithmetic
  if (((bar + 4 * 1024 * 1024) >>> 0) < 20 * 1024 * 1024) return 0;
  pci.maskw(dev.bdf, PCI_COMMAND, 0, PCI_COMMAND_MEMORY);
  dev.haveDriver = true;
  return bar;
}
