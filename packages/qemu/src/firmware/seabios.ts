/**
 * @module
 * SeaBIOS 1.16's PCI set-up (src/fw/pciinit.c `pci_setup()`, src/hw/pci.c), run through the vCPU so its
 * config accesses are counted in the firmware phase: bus numbering, device probe, the q35 platform hooks
 * (PCIEXBAR, LPC PIRQ routing, PMBASE, RCBA, SMBus), BAR sizing and top-down allocation below the IOAPIC,
 * bridge windows, interrupt lines and command registers. Once PCIEXBAR is on, SeaBIOS switches to ECAM.
 */
import * as R from '../pci/regs.js';

/** The CPU SeaBIOS runs on: port I/O and MMIO, the guest's ISA. */
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

export interface SeabiosPlatform {
  machine: 'q35' | 'pc';
  ramBytes: number;
}

const PORT_PCI_CMD = 0xcf8;
const PORT_PCI_DATA = 0xcfc;
const Q35_HOST_BRIDGE_PCIEXBAR_ADDR = 0xb0000000;
const Q35_HOST_BRIDGE_PCIEXBAR_SIZE = 0x10000000;
const PORT_ACPI_PM_BASE = 0x600;
const ICH9_LPC_RCBA_ADDR = 0xfed1c000;
const PCI_IRQS = [10, 10, 11, 11];
const PCI_DEVICE_MEM_MIN = 0x1000;
const PCI_BRIDGE_IO_MIN = 0x1000;
const PCI_BRIDGE_MEM_MIN = 0x100000;

const TYPE_IO = 0;
const TYPE_MEM = 1;
const TYPE_PREFMEM = 2;

interface SbDevice {
  bdf: number;
  vendor: number;
  device: number;
  classId: number;
  headerType: number;
  secondaryBus: number;
  parent: SbDevice | null;
}

interface RegionEntry {
  dev: SbDevice;
  bar: number;
  size: number;
  align: number;
  is64: boolean;
  type: number;
}

interface SbBus {
  r: { base: number; list: RegionEntry[] }[];
  busDev: SbDevice | null;
}

/** One run of SeaBIOS's PCI initialisation against `cpu`. */
export class Seabios {
  private mmconfig = 0;
  private readonly devices: SbDevice[] = [];
  private maxBus = 0;
  private pcimemStart = 0;
  private readonly pcimemEnd = 0xfec00000;
  private slotGetIrq: (d: SbDevice, pin: number) => number = () => 0;

  constructor(
    private readonly cpu: FirmwareCpu,
    private readonly platform: SeabiosPlatform,
  ) {}

  // --- src/hw/pci.c ---
  private cmd(bdf: number, addr: number): number {
    return (0x80000000 | (bdf << 8) | (addr & 0xfc)) >>> 0;
  }
  readl(bdf: number, a: number): number {
    if (this.mmconfig) return this.cpu.readl(this.mmconfig + bdf * 4096 + a);
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, a));
    return this.cpu.inl(PORT_PCI_DATA);
  }
  readw(bdf: number, a: number): number {
    if (this.mmconfig) return this.cpu.readw(this.mmconfig + bdf * 4096 + a);
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, a));
    return this.cpu.inw(PORT_PCI_DATA + (a & 2));
  }
  readb(bdf: number, a: number): number {
    if (this.mmconfig) return this.cpu.readb(this.mmconfig + bdf * 4096 + a);
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, a));
    return this.cpu.inb(PORT_PCI_DATA + (a & 3));
  }
  writel(bdf: number, a: number, v: number): void {
    if (this.mmconfig) return this.cpu.writel(this.mmconfig + bdf * 4096 + a, v);
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, a));
    this.cpu.outl(PORT_PCI_DATA, v);
  }
  writew(bdf: number, a: number, v: number): void {
    if (this.mmconfig) return this.cpu.writew(this.mmconfig + bdf * 4096 + a, v);
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, a));
    this.cpu.outw(PORT_PCI_DATA + (a & 2), v);
  }
  writeb(bdf: number, a: number, v: number): void {
    if (this.mmconfig) return this.cpu.writeb(this.mmconfig + bdf * 4096 + a, v);
    this.cpu.outl(PORT_PCI_CMD, this.cmd(bdf, a));
    this.cpu.outb(PORT_PCI_DATA + (a & 3), v);
  }
  private maskw(bdf: number, a: number, off: number, on: number): void {
    this.writew(bdf, a, (this.readw(bdf, a) & ~off) | on);
  }

  /** pci_next(): the next present function on `bus` after `bdf` */
  private next(bdf: number, bus: number): number {
    if ((bdf & 7) === 0 && (this.readb(bdf, R.PCI_HEADER_TYPE) & 0x80) === 0) bdf += 8;
    else bdf += 1;
    for (;;) {
      if (bdf >> 8 !== bus) return -1;
      const v = this.readw(bdf, R.PCI_VENDOR_ID);
      if (v !== 0 && v !== 0xffff) return bdf;
      bdf += (bdf & 7) === 0 ? 8 : 1;
    }
  }
  private *foreachBdf(bus: number): Generator<number> {
    for (let bdf = this.next(bus * 256 - 1, bus); bdf >= 0; bdf = this.next(bdf, bus)) yield bdf;
  }

  private findCapability(bdf: number, capId: number): number {
    if ((this.readw(bdf, R.PCI_STATUS) & R.PCI_STATUS_CAP_LIST) === 0) return 0;
    let cap = this.readb(bdf, R.PCI_CAPABILITY_LIST);
    for (let i = 0; cap && i <= 0xff; i++) {
      if (this.readb(bdf, cap) === capId) return cap;
      cap = this.readb(bdf, cap + 1);
    }
    return 0;
  }

  /** pci_setup() */
  run(): void {
    // pci_probe_host()
    this.cpu.outb(PORT_PCI_CMD + 3, 0x01);
    this.cpu.outl(PORT_PCI_CMD, 0x80000000);
    if (this.cpu.inl(PORT_PCI_CMD) !== 0x80000000) return;
    this.initBus(0, { n: 0 });
    this.probeDevices();
    this.pcimemStart = this.platform.ramBytes;
    this.initPlatform();
    const busses: SbBus[] = [];
    for (let i = 0; i <= this.maxBus; i++) busses.push({ r: [0, 1, 2].map(() => ({ base: 0, list: [] })), busDev: null });
    this.checkDevices(busses);
    this.mapDevices(busses);
    for (const d of this.devices) this.initDevice(d);
    this.enableDefaultVga();
  }

  /** pci_bios_init_bus_rec() */
  private initBus(bus: number, counter: { n: number }): void {
    for (const bdf of this.foreachBdf(bus)) {
      if (this.readw(bdf, R.PCI_CLASS_DEVICE) === 0x0604) {
        this.writeb(bdf, R.PCI_SECONDARY_BUS, 255);
        this.writeb(bdf, R.PCI_SUBORDINATE_BUS, 0);
      }
    }
    for (const bdf of this.foreachBdf(bus)) {
      if (this.readw(bdf, R.PCI_CLASS_DEVICE) !== 0x0604) continue;
      const pribus = this.readb(bdf, R.PCI_PRIMARY_BUS);
      if (pribus !== bus) this.writeb(bdf, R.PCI_PRIMARY_BUS, bus);
      let secbus = this.readb(bdf, R.PCI_SECONDARY_BUS);
      counter.n++;
      if (counter.n !== secbus) {
        secbus = counter.n;
        this.writeb(bdf, R.PCI_SECONDARY_BUS, secbus);
      }
      let subbus = this.readb(bdf, R.PCI_SUBORDINATE_BUS);
      this.writeb(bdf, R.PCI_SUBORDINATE_BUS, 255);
      this.initBus(secbus, counter);
      if (subbus !== counter.n) {
        let resBus = counter.n;
        const cap = this.findResourceReserveCap(bdf);
        if (cap) {
          const tmp = this.readl(bdf, cap + 4);
          if (tmp !== 0xffffffff) {
            let r = tmp & 0xff;
            if (((r + secbus) & 0xff) < secbus || ((r + secbus) & 0xff) < r) r = 0;
            if (secbus + r > counter.n) resBus = secbus + r;
          }
        }
        subbus = resBus;
        counter.n = resBus;
      }
      this.writeb(bdf, R.PCI_SUBORDINATE_BUS, subbus);
    }
  }

  /** pci_find_resource_reserve_capability(): QEMU's vendor-specific capability on Red Hat bridges */
  private findResourceReserveCap(bdf: number): number {
    const vd = this.readl(bdf, 0);
    if ((vd & 0xffff) === 0x1b36 && ((vd >>> 16) === 0x000c || (vd >>> 16) === 0x000e)) {
      let cap = 0;
      if ((this.readw(bdf, R.PCI_STATUS) & R.PCI_STATUS_CAP_LIST) === 0) return 0;
      cap = this.readb(bdf, R.PCI_CAPABILITY_LIST);
      while (cap) {
        if (this.readb(bdf, cap) === R.PCI_CAP_ID_VNDR) {
          const len = this.readb(bdf, cap + 2);
          return len < 0x14 ? 0 : cap;
        }
        cap = this.readb(bdf, cap + 1);
      }
    }
    return 0;
  }

  /** pci_probe_devices() */
  private probeDevices(): void {
    const busdevs = new Map<number, SbDevice>();
    let bus = -1;
    while (bus < 0xff && bus < this.maxBus) {
      bus++;
      for (const bdf of this.foreachBdf(bus)) {
        const parent = busdevs.get(bus) ?? null;
        if (!parent && bus > this.maxBus) this.maxBus = bus;
        const vendev = this.readl(bdf, R.PCI_VENDOR_ID);
        const classrev = this.readl(bdf, R.PCI_REVISION_ID);
        const headerType = this.readb(bdf, R.PCI_HEADER_TYPE);
        const d: SbDevice = {
          bdf,
          vendor: vendev & 0xffff,
          device: vendev >>> 16,
          classId: classrev >>> 16,
          headerType,
          secondaryBus: 0,
          parent,
        };
        const t = headerType & 0x7f;
        if (t === 1 || t === 2) {
          const sec = this.readb(bdf, R.PCI_SECONDARY_BUS);
          d.secondaryBus = sec;
          if (sec > bus && !busdevs.has(sec)) busdevs.set(sec, d);
          if (sec > this.maxBus) this.maxBus = sec;
        }
        this.devices.push(d);
      }
    }
  }

  /** pci_bios_init_platform(): mch_mem_addr_setup() / i440fx_mem_addr_setup() */
  private initPlatform(): void {
    for (const d of this.devices) {
      if (d.vendor === 0x8086 && d.device === 0x29c0) {
        // mch_mmconfig_setup()
        this.writel(d.bdf, 0x60, 0);
        this.writel(d.bdf, 0x64, 0);
        this.writel(d.bdf, 0x60, Q35_HOST_BRIDGE_PCIEXBAR_ADDR | 1);
        this.mmconfig = Q35_HOST_BRIDGE_PCIEXBAR_ADDR;
        this.pcimemStart = Q35_HOST_BRIDGE_PCIEXBAR_ADDR + Q35_HOST_BRIDGE_PCIEXBAR_SIZE;
        this.slotGetIrq = (dev, pin) => {
          // mch_pci_slot_get_irq()
          const slot = (dev.bdf >> 3) & 0x1f;
          const pinAddend = 0;
          const irqs = [10, 10, 11, 11];
          if (slot <= 24) return irqs[((pin - 1 + pinAddend + slot) & 3)]!;
          return irqs[(pin - 1 + slot) & 3]!;
        };
      } else if (d.vendor === 0x8086 && d.device === 0x1237) {
        if (this.platform.ramBytes <= 0x80000000) this.pcimemStart = 0x80000000;
        else if (this.platform.ramBytes <= 0xc0000000) this.pcimemStart = 0xc0000000;
        this.slotGetIrq = (dev, pin) => PCI_IRQS[(pin - 1 + ((dev.bdf >> 3) & 0x1f)) & 3]!;
      }
    }
  }

  /** pci_bios_get_bar() */
  private getBar(d: SbDevice, bar: number): { type: number; size: number; is64: boolean } {
    const ofs = bar === R.PCI_ROM_SLOT ? (d.headerType & 0x7f) === 1 ? R.PCI_ROM_ADDRESS1 : R.PCI_ROM_ADDRESS : R.PCI_BASE_ADDRESS_0 + bar * 4;
    const old = this.readl(d.bdf, ofs);
    let type = TYPE_MEM;
    let is64 = false;
    let mask: number;
    if (bar === R.PCI_ROM_SLOT) {
      mask = 0xfffff800;
      this.writel(d.bdf, ofs, mask);
    } else {
      if (old & R.PCI_BASE_ADDRESS_SPACE_IO) {
        mask = 0xfffffffc;
        type = TYPE_IO;
      } else {
        mask = 0xfffffff0;
        if (old & R.PCI_BASE_ADDRESS_MEM_PREFETCH) type = TYPE_PREFMEM;
        is64 = (old & 0x06) === R.PCI_BASE_ADDRESS_MEM_TYPE_64;
      }
      this.writel(d.bdf, ofs, 0xffffffff);
    }
    const val = this.readl(d.bdf, ofs);
    this.writel(d.bdf, ofs, old);
    let size: number;
    if (is64) {
      const hold = this.readl(d.bdf, ofs + 4);
      this.writel(d.bdf, ofs + 4, 0xffffffff);
      const high = this.readl(d.bdf, ofs + 4);
      this.writel(d.bdf, ofs + 4, hold);
      const lo = (~(val & mask) >>> 0) + 1;
      const hi = ~high >>> 0;
      size = hi * 2 ** 32 + lo;
      if (lo === 2 ** 32) size = (hi + 1) * 2 ** 32;
    } else {
      size = ((~(val & mask) >>> 0) + 1) % 2 ** 32;
    }
    return { type, size, is64 };
  }

  private createEntry(bus: SbBus, dev: SbDevice, bar: number, size: number, align: number, type: number, is64: boolean): void {
    const entry: RegionEntry = { dev, bar, size, align, type, is64 };
    // pci_region_create_entry(): keep the list sorted by decreasing alignment (stable)
    const list = bus.r[type]!.list;
    let i = 0;
    while (i < list.length && list[i]!.align >= align) i++;
    list.splice(i, 0, entry);
  }

  /** pci_bios_check_devices() */
  private checkDevices(busses: SbBus[]): void {
    for (const d of this.devices) {
      if (d.classId === 0x0604) busses[d.secondaryBus]!.busDev = d;
      let bus = busses[d.bdf >> 8]!;
      if (!bus.busDev) bus = busses[0]!;
      for (let i = 0; i < R.PCI_NUM_REGIONS; i++) {
        if (d.classId === 0x0604 && i >= 2 && i < R.PCI_ROM_SLOT) continue;
        const { type, size: rawSize, is64 } = this.getBar(d, i);
        if (rawSize === 0) continue;
        const size = type !== TYPE_IO && rawSize < PCI_DEVICE_MEM_MIN ? PCI_DEVICE_MEM_MIN : rawSize;
        this.createEntry(bus, d, i, size, size, type, is64);
        if (is64) i++;
      }
    }
    for (let sec = this.maxBus; sec > 0; sec--) {
      const s = busses[sec]!;
      if (!s.busDev) continue;
      let parent = busses[s.busDev.bdf >> 8]!;
      if (!parent.busDev) parent = busses[0]!;
      const bdf = s.busDev.bdf;
      const pcieCap = this.findCapability(bdf, R.PCI_CAP_ID_EXP);
      const qemuCap = this.findResourceReserveCap(bdf);
      const hotplug = this.hotplugSupport(s, pcieCap);
      for (let type = 0; type < 3; type++) {
        let align = type === TYPE_IO ? PCI_BRIDGE_IO_MIN : PCI_BRIDGE_MEM_MIN;
        if (!this.bridgeHasRegion(s.busDev, type)) continue;
        let size = 0;
        if (qemuCap) {
          if (type === TYPE_IO) {
            const lo = this.readl(bdf, qemuCap + 8);
            const hi = this.readl(bdf, qemuCap + 12);
            if (!(lo === 0xffffffff && hi === 0xffffffff)) size = hi * 2 ** 32 + lo;
          } else if (type === TYPE_MEM) {
            const t = this.readl(bdf, qemuCap + 16);
            if (t !== 0xffffffff) size = t;
          } else {
            const t32 = this.readl(bdf, qemuCap + 20);
            const lo = this.readl(bdf, qemuCap + 24);
            const hi = this.readl(bdf, qemuCap + 28);
            const is64Unset = lo === 0xffffffff && hi === 0xffffffff;
            if (t32 !== 0xffffffff && is64Unset) size = t32;
            else if (t32 === 0xffffffff && !is64Unset) size = hi * 2 ** 32 + lo;
          }
        }
        const list = s.r[type]!.list;
        if (list.length > 0 && list[0]!.align > align) align = list[0]!.align;
        let sum = list.reduce((a, e) => a + e.size, 0);
        const optional = hotplug === 'pcie' ? pcieCap !== 0 && type === TYPE_IO : false;
        if (!sum && hotplug !== 'none' && !optional) sum = align;
        if (size > sum) {
          if (type !== TYPE_IO) size = Math.ceil(size / align) * align;
        } else {
          size = Math.ceil(sum / align) * align;
        }
        const is64 = this.bridgeRegionIs64(list, s.busDev, type);
        this.createEntry(parent, s.busDev, -1, size, align, type, is64);
      }
    }
  }

  /** pci_bus_hotplug_support() */
  private hotplugSupport(s: SbBus, pcieCap: number): 'none' | 'pcie' | 'shpc' {
    const bdf = s.busDev!.bdf;
    if (pcieCap) {
      const flags = this.readw(bdf, pcieCap + R.PCI_EXP_FLAGS);
      const portType = (flags & 0xf0) >> 4;
      const downstream = portType === R.PCI_EXP_TYPE_DOWNSTREAM || portType === R.PCI_EXP_TYPE_ROOT_PORT;
      if (!downstream) return 'none';
      const slotImplemented = (flags & 0x100) !== 0;
      if (!slotImplemented) return 'none';
      const slotCap = this.readl(bdf, pcieCap + R.PCI_EXP_SLTCAP);
      return (slotCap & 0x40) !== 0 ? 'pcie' : 'none';
    }
    return this.findCapability(bdf, R.PCI_CAP_ID_SHPC) ? 'shpc' : 'none';
  }

  /** pci_bridge_has_region() */
  private bridgeHasRegion(d: SbDevice, type: number): boolean {
    if (type === TYPE_MEM) return true;
    const reg = type === TYPE_IO ? R.PCI_IO_BASE : R.PCI_PREF_MEMORY_BASE;
    const base = this.readb(d.bdf, reg);
    if (base !== 0) return true;
    this.writeb(d.bdf, reg, 0xff);
    const v = this.readb(d.bdf, reg);
    this.writeb(d.bdf, reg, 0);
    return v !== 0;
  }

  /** pci_bios_bridge_region_is64() */
  private bridgeRegionIs64(list: RegionEntry[], d: SbDevice, type: number): boolean {
    if (type !== TYPE_PREFMEM) return false;
    let pmem = this.readl(d.bdf, R.PCI_PREF_MEMORY_BASE);
    if (!pmem) {
      this.writel(d.bdf, R.PCI_PREF_MEMORY_BASE, 0xfff0fff0);
      pmem = this.readl(d.bdf, R.PCI_PREF_MEMORY_BASE);
      this.writel(d.bdf, R.PCI_PREF_MEMORY_BASE, 0);
    }
    if ((pmem & 0x0f) !== 1) return false;
    return list.every((e) => e.is64);
  }

  /** pci_bios_map_devices(): the 32-bit windows only (no 64-bit spill in these scenarios) */
  private mapDevices(busses: SbBus[]): void {
    const root = busses[0]!;
    const io = root.r[TYPE_IO]!;
    const ioSum = io.list.reduce((a, e) => a + e.size, 0);
    io.base = ioSum < 0x4000 ? 0xc000 : 0x1000;
    let rEnd = root.r[TYPE_PREFMEM]!;
    let rStart = root.r[TYPE_MEM]!;
    const alignOf = (r: { list: RegionEntry[] }) => (r.list.length ? r.list[0]!.align : 1);
    const sumOf = (r: { list: RegionEntry[] }) => r.list.reduce((a, e) => a + e.size, 0);
    if (alignOf(rStart) < alignOf(rEnd)) {
      rEnd = root.r[TYPE_MEM]!;
      rStart = root.r[TYPE_PREFMEM]!;
    }
    rEnd.base = Math.floor((this.pcimemEnd - sumOf(rEnd)) / alignOf(rEnd)) * alignOf(rEnd);
    rStart.base = Math.floor((rEnd.base - sumOf(rStart)) / alignOf(rStart)) * alignOf(rStart);
    for (let bus = 0; bus <= this.maxBus; bus++) {
      for (let type = 0; type < 3; type++) this.mapEntries(busses, busses[bus]!.r[type]!);
    }
  }

  /** pci_region_map_entries() + pci_region_map_one_entry() */
  private mapEntries(busses: SbBus[], r: { base: number; list: RegionEntry[] }): void {
    for (const e of r.list) {
      const addr = r.base;
      r.base += e.size;
      if (e.bar === -1) busses[e.dev.secondaryBus]!.r[e.type]!.base = addr;
      const bdf = e.dev.bdf;
      if (e.bar >= 0) {
        // pci_set_io_region_addr()
        const ofs =
          e.bar === R.PCI_ROM_SLOT ? ((e.dev.headerType & 0x7f) === 1 ? R.PCI_ROM_ADDRESS1 : R.PCI_ROM_ADDRESS) : R.PCI_BASE_ADDRESS_0 + e.bar * 4;
        this.writel(bdf, ofs, addr >>> 0);
        if (e.is64) this.writel(bdf, ofs + 4, Math.floor(addr / 2 ** 32));
        continue;
      }
      const limit = addr + e.size - 1;
      if (e.type === TYPE_IO) {
        this.writeb(bdf, R.PCI_IO_BASE, (addr >>> 8) & 0xff);
        this.writew(bdf, R.PCI_IO_BASE_UPPER16, 0);
        this.writeb(bdf, R.PCI_IO_LIMIT, (limit >>> 8) & 0xff);
        this.writew(bdf, R.PCI_IO_LIMIT_UPPER16, 0);
      } else if (e.type === TYPE_MEM) {
        this.writew(bdf, R.PCI_MEMORY_BASE, (addr / 65536) & 0xffff);
        this.writew(bdf, R.PCI_MEMORY_LIMIT, (limit / 65536) & 0xffff);
      } else {
        this.writew(bdf, R.PCI_PREF_MEMORY_BASE, (addr / 65536) & 0xffff);
        this.writew(bdf, R.PCI_PREF_MEMORY_LIMIT, (limit / 65536) & 0xffff);
        this.writel(bdf, R.PCI_PREF_BASE_UPPER32, Math.floor(addr / 2 ** 32));
        this.writel(bdf, R.PCI_PREF_LIMIT_UPPER32, Math.floor(limit / 2 ** 32));
      }
    }
    r.list.length = 0;
  }

  /** pci_bios_init_device() with the pci_device_tbl hooks q35 and pc use */
  private initDevice(d: SbDevice): void {
    const bdf = d.bdf;
    const pin = this.readb(bdf, R.PCI_INTERRUPT_PIN);
    if (pin !== 0) this.writeb(bdf, R.PCI_INTERRUPT_LINE, this.slotGetIrq(d, pin));
    if (d.vendor === 0x8086 && d.device === 0x2918) {
      // mch_isa_bridge_setup()
      for (let i = 0; i < 4; i++) {
        this.writeb(bdf, 0x60 + i, PCI_IRQS[i]!);
        this.writeb(bdf, 0x68 + i, PCI_IRQS[i]!);
      }
      this.cpu.outb(0x4d0, 0x00);
      this.cpu.outb(0x4d1, 0x0c);
      this.writel(bdf, 0x40, PORT_ACPI_PM_BASE | 1);
      this.writeb(bdf, 0x44, 0x80);
      this.writel(bdf, 0xf0, ICH9_LPC_RCBA_ADDR | 1);
    } else if (d.vendor === 0x8086 && d.device === 0x2930) {
      // ich9_smbus_setup()
      this.writel(bdf, 0x20, (PORT_ACPI_PM_BASE + 0x100) | R.PCI_BASE_ADDRESS_SPACE_IO);
      this.writeb(bdf, 0x40, 0x01);
    }
    this.maskw(bdf, R.PCI_COMMAND, 0, R.PCI_COMMAND_IO | R.PCI_COMMAND_MEMORY | R.PCI_COMMAND_SERR);
    if (d.headerType & R.PCI_HEADER_TYPE_BRIDGE) this.maskw(bdf, R.PCI_BRIDGE_CONTROL, 0, R.PCI_BRIDGE_CTL_SERR);
  }

  /** pci_enable_default_vga(): a VGA behind bridges needs VGA forwarding turned on */
  private enableDefaultVga(): void {
    for (const d of this.devices) {
      if (d.classId === 0x0300) {
        const cmd = this.readw(d.bdf, R.PCI_COMMAND);
        if (cmd & R.PCI_COMMAND_IO && cmd & R.PCI_COMMAND_MEMORY) return;
      }
    }
    const vga = this.devices.find((d) => d.classId === 0x0300);
    if (!vga) return;
    this.maskw(vga.bdf, R.PCI_COMMAND, 0, R.PCI_COMMAND_IO | R.PCI_COMMAND_MEMORY);
    for (let p = vga.parent; p; p = p.parent) {
      this.maskw(p.bdf, R.PCI_BRIDGE_CONTROL, 0, R.PCI_BRIDGE_CTL_VGA);
      this.maskw(p.bdf, R.PCI_COMMAND, 0, R.PCI_COMMAND_IO | R.PCI_COMMAND_MEMORY);
    }
  }
}
