/**
 * @module
 * SeaBIOS 1.16.2's `pci_setup()` (src/fw/pciinit.c), access for access: bus numbering
 * (`pci_bios_init_bus_rec`), the device cache (`pci_probe_devices`), the chipset hooks
 * (`mch_mem_addr_setup` turns on PCIEXBAR, after which every access goes through MMCONFIG), BAR sizing
 * (`pci_bios_check_devices`), top-down allocation below the IOAPIC with 64-bit spill-over
 * (`pci_bios_map_devices`), the per-device hooks (`pci_bios_init_device`) and the VGA fallback.
 */
import {
  type PciConfig,
  type SbPciDevice,
  pciProbeDevices,
  pciBdfToBus,
  pciBdfToDev,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_MASK,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK,
  PCI_CAP_FLAGS,
  PCI_CLASS_BRIDGE_PCI,
  PCI_CLASS_DISPLAY_VGA,
  PCI_CLASS_SERIAL_USB,
  PCI_CLASS_STORAGE_IDE,
  PCI_EXP_FLAGS_SLOT,
  PCI_EXP_FLAGS_TYPE,
  PCI_PREF_RANGE_TYPE_MASK,
  PCI_ROM_ADDRESS_MASK,
} from './pci.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_MEM_PREFETCH,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_BRIDGE_CONTROL,
  PCI_BRIDGE_CTL_SERR,
  PCI_BRIDGE_CTL_VGA,
  PCI_CAP_ID_EXP,
  PCI_CAP_ID_SHPC,
  PCI_CAP_ID_VNDR,
  PCI_CLASS_DEVICE,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_SERR,
  PCI_DEVICE_ID,
  PCI_EXP_FLAGS,
  PCI_EXP_TYPE_DOWNSTREAM,
  PCI_EXP_TYPE_PCI_BRIDGE,
  PCI_EXP_TYPE_ROOT_PORT,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_IO_BASE,
  PCI_IO_BASE_UPPER16,
  PCI_IO_LIMIT,
  PCI_IO_LIMIT_UPPER16,
  PCI_MEMORY_BASE,
  PCI_MEMORY_LIMIT,
  PCI_PREF_BASE_UPPER32,
  PCI_PREF_LIMIT_UPPER32,
  PCI_PREF_MEMORY_BASE,
  PCI_PREF_MEMORY_LIMIT,
  PCI_PREF_RANGE_TYPE_64,
  PCI_PRIMARY_BUS,
  PCI_ROM_ADDRESS,
  PCI_ROM_ADDRESS1,
  PCI_SECONDARY_BUS,
  PCI_SUBORDINATE_BUS,
  PCI_VENDOR_ID,
} from '../hw/pci/regs.js';
import { FirmwareHang } from '../errors.js';

const PCI_DEVICE_MEM_MIN = 1 << 12; // 4k == page size
const PCI_BRIDGE_MEM_MIN = 1 << 21; // 2M == hugepage size
const PCI_BRIDGE_IO_MIN = 0x1000; // mandated by pci bridge spec
const PCI_ROM_SLOT = 6;
const PCI_NUM_REGIONS = 7;
const PCI_BRIDGE_NUM_REGIONS = 2;

const PCI_REGION_TYPE_IO = 0;
const PCI_REGION_TYPE_MEM = 1;
const PCI_REGION_TYPE_PREFMEM = 2;
const PCI_REGION_TYPE_COUNT = 3;
const REGION_TYPE_NAME = ['io', 'mem', 'prefmem'];

const BUILD_PCIMEM_START = 0xe0000000;
const BUILD_PCIMEM_END = 0xfec00000; // IOAPIC is mapped at
const BUILD_PCIMEM64_START = 0x8000000000;
const BUILD_PCIMEM64_END = 0x10000000000;

// src/fw/dev-q35.h, src/fw/dev-piix.h
const PCI_VENDOR_ID_INTEL = 0x8086;
const PCI_DEVICE_ID_INTEL_82441 = 0x1237;
const PCI_DEVICE_ID_INTEL_Q35_MCH = 0x29c0;
const PCI_DEVICE_ID_INTEL_82371SB_0 = 0x7000;
const PCI_DEVICE_ID_INTEL_82371SB_1 = 0x7010;
const PCI_DEVICE_ID_INTEL_82371AB_0 = 0x7110;
const PCI_DEVICE_ID_INTEL_82371AB = 0x7111;
const PCI_DEVICE_ID_INTEL_82371AB_3 = 0x7113;
const PCI_DEVICE_ID_INTEL_ICH9_LPC = 0x2918;
const PCI_DEVICE_ID_INTEL_ICH9_SMBUS = 0x2930;
const PCI_VENDOR_ID_IBM = 0x1014;
const PCI_CLASS_SYSTEM_PIC = 0x0800;
const PCI_VENDOR_ID_APPLE = 0x106b;
const PCI_VENDOR_ID_REDHAT = 0x1b36;
const PCI_DEVICE_ID_REDHAT_ROOT_PORT = 0x000c;
const PCI_DEVICE_ID_REDHAT_BRIDGE = 0x0001;
const Q35_HOST_BRIDGE_PCIEXBAR = 0x60;
const Q35_HOST_BRIDGE_PCIEXBAR_SIZE = 256 * 1024 * 1024;
const Q35_HOST_BRIDGE_PCIEXBAR_ADDR = 0xb0000000;
const Q35_HOST_BRIDGE_PCIEXBAREN = 1;
const ICH9_LPC_PMBASE = 0x40;
const ICH9_LPC_PMBASE_RTE = 0x1;
const ICH9_LPC_ACPI_CTRL = 0x44;
const ICH9_LPC_ACPI_CTRL_ACPI_EN = 0x80;
const ICH9_LPC_PIRQA_ROUT = 0x60;
const ICH9_LPC_PIRQE_ROUT = 0x68;
const ICH9_LPC_RCBA = 0xf0;
const ICH9_LPC_RCBA_ADDR = 0xfed1c000;
const ICH9_LPC_RCBA_EN = 0x1;
const ICH9_SMB_SMB_BASE = 0x20;
const ICH9_SMB_HOSTC = 0x40;
const ICH9_SMB_HOSTC_HST_EN = 0x01;
const PIIX_PMBASE = 0x40;
const PIIX_PMREGMISC = 0x80;
const PIIX_SMBHSTBASE = 0x90;
const PIIX_SMBHSTCFG = 0xd2;
// src/hw/ata.h
const PORT_ATA1_CMD_BASE = 0x01f0;
const PORT_ATA1_CTRL_BASE = 0x03f4;
const PORT_ATA2_CMD_BASE = 0x0170;
const PORT_ATA2_CTRL_BASE = 0x0374;
// src/fw/dev-pci.h: QEMU's Red Hat vendor capability with resource reservation hints
const PCI_CAP_REDHAT_TYPE_OFFSET = 3;
const REDHAT_CAP_RESOURCE_RESERVE = 1;
const RES_RESERVE_BUS_RES = 4;
const RES_RESERVE_IO = 8;
const RES_RESERVE_MEM = 16;
const RES_RESERVE_PREF_MEM_32 = 20;
const RES_RESERVE_PREF_MEM_64 = 24;
const RES_RESERVE_CAP_SIZE = 32;

/** host irqs corresponding to PCI irqs A-D (`pci_irqs`) */
const PCI_IRQS = [10, 10, 11, 11] as const;

const U32 = 2 ** 32;
const alignUp = (v: number, a: number): number => Math.ceil(v / a) * a;
const alignDown = (v: number, a: number): number => Math.floor(v / a) * a;

/** What `pci_setup()` needs from the rest of SeaBIOS (fw_cfg files, the E820 it built). */
export interface PciSetupInputs {
  /** RamSize: RAM below 4 GiB */
  ramSize: number;
  /** RamSizeOver4G */
  ramSizeOver4G: number;
  /** romfile "etc/extra-pci-roots" (pxb host bridges) */
  extraPciRoots: number;
  /** romfile "etc/reserved-memory-end" (memory hotplug area), 0 if absent */
  reservedMemoryEnd: number;
  /** acpi_pm_base: 0x600 when QEMU provides "etc/table-loader" */
  acpiPmBase: number;
}

/** What `pci_setup()` leaves behind for the rest of POST. */
export interface PciSetupResult {
  devices: SbPciDevice[];
  maxPciBus: number;
  pcimemStart: number;
  pcimemEnd: number;
  pcimem64Start: number;
  pcimem64End: number;
  /** ICH9LpcBDF, ICH9SmbusBDF, PiixPmBDF, MCHMmcfgBDF: what pci_resume() re-programs */
  ich9LpcBdf: number;
  ich9SmbusBdf: number;
  piixPmBdf: number;
  mchMmcfgBdf: number;
}

interface RegionEntry {
  dev: SbPciDevice;
  /** -1 for a bridge window */
  bar: number;
  size: number;
  align: number;
  is64: boolean;
  type: number;
}

interface PciRegion {
  base: number;
  list: RegionEntry[];
}

interface PciBusRes {
  r: PciRegion[];
  busDev: SbPciDevice | null;
}

type HotplugType = 0 | 1 | 2; // HOTPLUG_NO_SUPPORTED, HOTPLUG_PCIE, HOTPLUG_SHPC

/** struct pci_device_id */
interface PciDeviceId {
  vendor: number;
  device: number;
  classId: number;
  func: (d: SbPciDevice) => void;
}
const PCI_DEVICE = (vendor: number, device: number, func: PciDeviceId['func']): PciDeviceId => ({
  vendor,
  device,
  classId: -1,
  func,
});
const PCI_DEVICE_CLASS = (vendor: number, device: number, classId: number, func: PciDeviceId['func']): PciDeviceId => ({
  vendor,
  device,
  classId,
  func,
});

/** One run of `pci_setup()` (src/fw/pciinit.c). */
export class PciInit {
  private devices: SbPciDevice[] = [];
  private maxPciBus = 0;
  private pcimemStart = BUILD_PCIMEM_START;
  private pcimemEnd = BUILD_PCIMEM_END;
  private pcimem64Start = BUILD_PCIMEM64_START;
  private pcimem64End = BUILD_PCIMEM64_END;
  private pciIoLowEnd = 0xa000;
  private slotGetIrq: (pci: SbPciDevice, pin: number) => number = () => 0xff; // dummy_pci_slot_get_irq
  private ich9LpcBdf = -1;
  private ich9SmbusBdf = -1;
  private piixPmBdf = -1;
  private mchMmcfgBdf = -1;

  constructor(
    private readonly pci: PciConfig,
    private readonly inputs: PciSetupInputs,
    private readonly log: (msg: string) => void = () => {},
  ) {}

  /** pci_setup(); null when pci_probe_host() finds no PCI */
  run(): PciSetupResult | null {
    if (!this.pci.probeHost()) {
      this.log('Detected non-PCI system');
      return null;
    }
    this.initBus();
    const probed = pciProbeDevices(this.pci, this.inputs.extraPciRoots & 0xff);
    this.devices = probed.devices;
    this.maxPciBus = probed.maxPciBus;
    this.log(`Found ${this.devices.length} PCI devices (max PCI bus is ${hex2(this.maxPciBus)})`);
    this.pcimemStart = this.inputs.ramSize;
    this.initPlatform();
    const busses: PciBusRes[] = [];
    for (let i = 0; i <= this.maxPciBus; i++) {
      busses.push({ r: [0, 1, 2].map(() => ({ base: 0, list: [] })), busDev: null });
    }
    this.checkDevices(busses);
    this.mapDevices(busses);
    for (const d of this.devices) this.initDevice(d);
    this.enableDefaultVga();
    return {
      devices: this.devices,
      maxPciBus: this.maxPciBus,
      pcimemStart: this.pcimemStart,
      pcimemEnd: this.pcimemEnd,
      pcimem64Start: this.pcimem64Start,
      pcimem64End: this.pcimem64End,
      ich9LpcBdf: this.ich9LpcBdf,
      ich9SmbusBdf: this.ich9SmbusBdf,
      piixPmBdf: this.piixPmBdf,
      mchMmcfgBdf: this.mchMmcfgBdf,
    };
  }

  // --- Bus initialization ---

  /** pci_bios_init_bus() */
  private initBus(): void {
    const extraroots = this.inputs.extraPciRoots & 0xff;
    const counter = { n: 0 };
    this.initBusRec(0, counter);
    if (extraroots) {
      while (counter.n < 0xff) {
        counter.n++;
        this.initBusRec(counter.n, counter);
      }
    }
  }

  /**
   * pci_bios_init_bus_rec(): `counter.n` is the u8 `*pci_bus`. `depth` is ours: the recursion follows the bridges,
   * so it is at most 255 deep unless SeaBIOS numbers buses it already numbered, which it then does forever.
   */
  private initBusRec(bus: number, counter: { n: number }, depth = 0): void {
    if (depth > 0xff) busNumbersHang(null, bus);
    const pci = this.pci;
    // prevent accidental access to unintended devices
    for (const bdf of pci.foreachBdf(bus)) {
      if (pci.readw(bdf, PCI_CLASS_DEVICE) === PCI_CLASS_BRIDGE_PCI) {
        pci.writeb(bdf, PCI_SECONDARY_BUS, 255);
        pci.writeb(bdf, PCI_SUBORDINATE_BUS, 0);
      }
    }
    for (const bdf of pci.foreachBdf(bus)) {
      if (pci.readw(bdf, PCI_CLASS_DEVICE) !== PCI_CLASS_BRIDGE_PCI) continue;
      const pribus = pci.readb(bdf, PCI_PRIMARY_BUS);
      if (pribus !== bus) pci.writeb(bdf, PCI_PRIMARY_BUS, bus);
      let secbus = pci.readb(bdf, PCI_SECONDARY_BUS);
      counter.n = (counter.n + 1) & 0xff;
      // `(*pci_bus)++` past 255 wraps to 0: SeaBIOS makes bus 0 this bridge's secondary bus and recurses into
      // bus 0, which numbers the same bridges in the same order and wraps at the same one, without end
      if (counter.n === 0) busNumbersHang(bdf, bus);
      if (counter.n !== secbus) {
        secbus = counter.n;
        pci.writeb(bdf, PCI_SECONDARY_BUS, secbus);
      }
      // set to max for access to all subordinate buses. later set it to accurate value
      let subbus = pci.readb(bdf, PCI_SUBORDINATE_BUS);
      pci.writeb(bdf, PCI_SUBORDINATE_BUS, 255);
      this.initBusRec(secbus, counter, depth + 1);
      if (subbus !== counter.n) {
        let resBus = counter.n;
        const cap = this.findResourceReserveCapability(bdf);
        if (cap) {
          const tmpResBus = pci.readl(bdf, cap + RES_RESERVE_BUS_RES);
          if (tmpResBus !== 0xffffffff) {
            resBus = tmpResBus & 0xff;
            if (((resBus + secbus) & 0xff) < secbus || ((resBus + secbus) & 0xff) < resBus) {
              this.log(`PCI: bus_reserve value ${resBus} is invalid`);
              resBus = 0;
            }
            if (secbus + resBus > counter.n) resBus = (secbus + resBus) & 0xff;
            // (u8 res_bus): when the reservation does not reach past the buses found, res_bus stays the raw
            // capability value, as in SeaBIOS
          }
        }
        subbus = resBus;
        counter.n = resBus;
      }
      pci.writeb(bdf, PCI_SUBORDINATE_BUS, subbus);
    }
  }

  /** pci_find_resource_reserve_capability() */
  private findResourceReserveCapability(bdf: number): number {
    const pci = this.pci;
    if (pci.readw(bdf, PCI_VENDOR_ID) !== PCI_VENDOR_ID_REDHAT) return 0; // non-QEMU bridge
    const deviceId = pci.readw(bdf, PCI_DEVICE_ID);
    if (deviceId !== PCI_DEVICE_ID_REDHAT_ROOT_PORT && deviceId !== PCI_DEVICE_ID_REDHAT_BRIDGE) return 0;
    let cap = 0;
    do {
      cap = pci.findCapability(bdf, PCI_CAP_ID_VNDR, cap);
    } while (cap && pci.readb(bdf, cap + PCI_CAP_REDHAT_TYPE_OFFSET) !== REDHAT_CAP_RESOURCE_RESERVE);
    if (cap) {
      const capLen = pci.readb(bdf, cap + PCI_CAP_FLAGS);
      if (capLen < RES_RESERVE_CAP_SIZE) {
        this.log(`PCI: QEMU resource reserve cap length ${capLen} is invalid`);
        return 0;
      }
    } else {
      this.log('PCI: QEMU resource reserve cap not found');
    }
    return cap;
  }

  // --- Platform device initialization ---

  /** pci_bios_init_platform(): pci_platform_tbl */
  private initPlatform(): void {
    for (const d of this.devices) {
      if (d.vendor !== PCI_VENDOR_ID_INTEL) continue;
      if (d.device === PCI_DEVICE_ID_INTEL_82441) this.i440fxMemAddrSetup();
      else if (d.device === PCI_DEVICE_ID_INTEL_Q35_MCH) this.mchMemAddrSetup(d);
    }
  }

  /** i440fx_mem_addr_setup() */
  private i440fxMemAddrSetup(): void {
    if (this.inputs.ramSize <= 0x80000000) this.pcimemStart = 0x80000000;
    else if (this.inputs.ramSize <= 0xc0000000) this.pcimemStart = 0xc0000000;
    this.slotGetIrq = piixPciSlotGetIrq;
  }

  /** mch_mmconfig_setup() */
  mchMmconfigSetup(bdf: number): void {
    const addr = Q35_HOST_BRIDGE_PCIEXBAR_ADDR;
    const upper = Math.floor(addr / U32);
    const lower = ((addr % U32) | Q35_HOST_BRIDGE_PCIEXBAREN) >>> 0;
    this.pci.writel(bdf, Q35_HOST_BRIDGE_PCIEXBAR, 0);
    this.pci.writel(bdf, Q35_HOST_BRIDGE_PCIEXBAR + 4, upper);
    this.pci.writel(bdf, Q35_HOST_BRIDGE_PCIEXBAR, lower);
    this.pci.enableMmconfig(Q35_HOST_BRIDGE_PCIEXBAR_ADDR);
    this.log(`PCIe: using q35 mmconfig at 0x${Q35_HOST_BRIDGE_PCIEXBAR_ADDR.toString(16)}`);
  }

  /** mch_mem_addr_setup() */
  private mchMemAddrSetup(d: SbPciDevice): void {
    this.mchMmcfgBdf = d.bdf;
    this.mchMmconfigSetup(d.bdf);
    // setup pci i/o window (above mmconfig)
    this.pcimemStart = Q35_HOST_BRIDGE_PCIEXBAR_ADDR + Q35_HOST_BRIDGE_PCIEXBAR_SIZE;
    this.slotGetIrq = mchPciSlotGetIrq;
    this.pciIoLowEnd = this.inputs.acpiPmBase < 0x1000 ? 0x10000 : this.inputs.acpiPmBase;
  }

  // --- Bus sizing ---

  /** pci_bar() */
  private pciBar(d: SbPciDevice, regionNum: number): number {
    if (regionNum !== PCI_ROM_SLOT) return PCI_BASE_ADDRESS_0 + regionNum * 4;
    return (d.headerType & 0x7f) === PCI_HEADER_TYPE_BRIDGE ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
  }

  /** pci_bios_get_bar() */
  private getBar(d: SbPciDevice, bar: number): { type: number; size: number; is64: boolean } {
    const pci = this.pci;
    const ofs = this.pciBar(d, bar);
    const bdf = d.bdf;
    const old = pci.readl(bdf, ofs);
    let is64 = false;
    let type = PCI_REGION_TYPE_MEM;
    let mask: number;
    if (bar === PCI_ROM_SLOT) {
      mask = PCI_ROM_ADDRESS_MASK;
      pci.writel(bdf, ofs, mask);
    } else {
      if (old & PCI_BASE_ADDRESS_SPACE_IO) {
        mask = PCI_BASE_ADDRESS_IO_MASK;
        type = PCI_REGION_TYPE_IO;
      } else {
        mask = PCI_BASE_ADDRESS_MEM_MASK;
        if (old & PCI_BASE_ADDRESS_MEM_PREFETCH) type = PCI_REGION_TYPE_PREFMEM;
        is64 = (old & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64;
      }
      pci.writel(bdf, ofs, 0xffffffff);
    }
    const val = pci.readl(bdf, ofs);
    pci.writel(bdf, ofs, old);
    const loInv = ~(val & mask) >>> 0;
    let size: number;
    if (is64) {
      const hold = pci.readl(bdf, ofs + 4);
      pci.writel(bdf, ofs + 4, 0xffffffff);
      const high = pci.readl(bdf, ofs + 4);
      pci.writel(bdf, ofs + 4, hold);
      // (~(val & mask)) + 1 in u64, mask covering the high dword
      const hiInv = ~high >>> 0;
      size = hiInv * U32 + loInv + 1;
      if (size === 2 ** 64) size = 0;
    } else {
      size = (loInv + 1) % U32;
    }
    return { type, size, is64 };
  }

  /** pci_bios_bridge_region_is64() */
  private bridgeRegionIs64(r: PciRegion, d: SbPciDevice, type: number): boolean {
    if (type !== PCI_REGION_TYPE_PREFMEM) return false;
    const pci = this.pci;
    let pmem = pci.readl(d.bdf, PCI_PREF_MEMORY_BASE);
    if (!pmem) {
      pci.writel(d.bdf, PCI_PREF_MEMORY_BASE, 0xfff0fff0);
      pmem = pci.readl(d.bdf, PCI_PREF_MEMORY_BASE);
      pci.writel(d.bdf, PCI_PREF_MEMORY_BASE, 0x0);
    }
    if ((pmem & PCI_PREF_RANGE_TYPE_MASK) !== PCI_PREF_RANGE_TYPE_64) return false;
    return r.list.every((e) => e.is64);
  }

  /** pci_region_create_entry(): sorted by decreasing alignment, then decreasing size */
  private createEntry(
    bus: PciBusRes,
    dev: SbPciDevice,
    bar: number,
    size: number,
    align: number,
    type: number,
    is64: boolean,
  ): RegionEntry {
    const entry: RegionEntry = { dev, bar, size, align, is64, type };
    const list = bus.r[type]!.list;
    let i = 0;
    for (; i < list.length; i++) {
      const pos = list[i]!;
      if (pos.align < align || (pos.align === align && pos.size < size)) break;
    }
    list.splice(i, 0, entry);
    return entry;
  }

  /** pci_bus_hotplug_support() */
  private busHotplugSupport(bus: PciBusRes, pcieCap: number): HotplugType {
    const bdf = bus.busDev!.bdf;
    if (pcieCap) {
      const pcieFlags = this.pci.readw(bdf, pcieCap + PCI_EXP_FLAGS);
      const portType = (pcieFlags & PCI_EXP_FLAGS_TYPE) >> 4;
      if (portType !== PCI_EXP_TYPE_PCI_BRIDGE) {
        const downstreamPort = portType === PCI_EXP_TYPE_DOWNSTREAM || portType === PCI_EXP_TYPE_ROOT_PORT;
        const slotImplemented = (pcieFlags & PCI_EXP_FLAGS_SLOT) !== 0;
        return downstreamPort && slotImplemented ? 1 : 0;
      }
      // check_shpc
    }
    const shpcCap = this.pci.findCapability(bdf, PCI_CAP_ID_SHPC, 0);
    return shpcCap ? 2 : 0;
  }

  /** pci_bridge_has_region(): disables the bridge's window register as a side effect */
  private bridgeHasRegion(d: SbPciDevice, regionType: number): boolean {
    let base: number;
    if (regionType === PCI_REGION_TYPE_IO) base = PCI_IO_BASE;
    else if (regionType === PCI_REGION_TYPE_PREFMEM) base = PCI_PREF_MEMORY_BASE;
    else return true; // Regular memory support is mandatory
    this.pci.writeb(d.bdf, base, 0xff);
    return this.pci.readb(d.bdf, base) !== 0;
  }

  /** pci_bios_check_devices() */
  private checkDevices(busses: PciBusRes[]): void {
    const pci = this.pci;
    // Calculate resources needed for regular (non-bus) devices.
    for (const d of this.devices) {
      if (d.classId === PCI_CLASS_BRIDGE_PCI) busses[d.secondaryBus]!.busDev = d;
      let bus = busses[pciBdfToBus(d.bdf)]!;
      if (!bus.busDev) bus = busses[0]!; // Resources for all root busses go in busses[0]
      for (let i = 0; i < PCI_NUM_REGIONS; i++) {
        if (d.classId === PCI_CLASS_BRIDGE_PCI && i >= PCI_BRIDGE_NUM_REGIONS && i < PCI_ROM_SLOT) continue;
        const bar = this.getBar(d, i);
        let size = bar.size;
        if (size === 0) continue;
        if (bar.type !== PCI_REGION_TYPE_IO && size < PCI_DEVICE_MEM_MIN) size = PCI_DEVICE_MEM_MIN;
        this.createEntry(bus, d, i, size, size, bar.type, bar.is64);
        if (bar.is64) i++;
      }
    }
    // Propagate required bus resources to parent busses.
    for (let secondaryBus = this.maxPciBus; secondaryBus > 0; secondaryBus--) {
      const s = busses[secondaryBus]!;
      if (!s.busDev) continue;
      let parent = busses[pciBdfToBus(s.busDev.bdf)]!;
      if (!parent.busDev) parent = busses[0]!;
      const bdf = s.busDev.bdf;
      const pcieCap = pci.findCapability(bdf, PCI_CAP_ID_EXP, 0);
      const qemuCap = this.findResourceReserveCapability(bdf);
      const hotplugSupport = this.busHotplugSupport(s, pcieCap);
      for (let type = 0; type < PCI_REGION_TYPE_COUNT; type++) {
        let align = type === PCI_REGION_TYPE_IO ? PCI_BRIDGE_IO_MIN : PCI_BRIDGE_MEM_MIN;
        if (!this.bridgeHasRegion(s.busDev, type)) continue;
        let size = 0;
        if (qemuCap) {
          if (type === PCI_REGION_TYPE_IO) {
            const lo = pci.readl(bdf, qemuCap + RES_RESERVE_IO);
            const hi = pci.readl(bdf, qemuCap + RES_RESERVE_IO + 4);
            if (!(lo === 0xffffffff && hi === 0xffffffff)) size = hi * U32 + lo;
          } else if (type === PCI_REGION_TYPE_MEM) {
            const tmp = pci.readl(bdf, qemuCap + RES_RESERVE_MEM);
            if (tmp !== 0xffffffff) size = tmp;
          } else {
            const tmp32 = pci.readl(bdf, qemuCap + RES_RESERVE_PREF_MEM_32);
            const lo = pci.readl(bdf, qemuCap + RES_RESERVE_PREF_MEM_64);
            const hi = pci.readl(bdf, qemuCap + RES_RESERVE_PREF_MEM_64 + 4);
            const unset64 = lo === 0xffffffff && hi === 0xffffffff;
            if (tmp32 !== 0xffffffff && unset64) size = tmp32;
            else if (tmp32 === 0xffffffff && !unset64) size = hi * U32 + lo;
            else if (tmp32 !== 0xffffffff && !unset64) this.log('PCI: resource reserve cap PREF32 and PREF64 conflict');
          }
        }
        const r = s.r[type]!;
        if (regionAlign(r) > align) align = regionAlign(r);
        let sum = regionSum(r);
        const resourceOptional = hotplugSupport === 1 ? pcieCap !== 0 && type === PCI_REGION_TYPE_IO : false;
        if (!sum && hotplugSupport && !resourceOptional) sum = align; // reserve min size for hot-plug
        if (size > sum) {
          if (type !== PCI_REGION_TYPE_IO) size = alignUp(size, align);
        } else {
          size = alignUp(sum, align);
        }
        const is64 = this.bridgeRegionIs64(r, s.busDev, type);
        // entry->bar is -1 if the entry represents a bridge region
        const entry = this.createEntry(parent, s.busDev, -1, size, align, type, is64);
        this.log(`PCI: secondary bus ${entry.dev.secondaryBus} size ${hex8(size)} type ${REGION_TYPE_NAME[type]}`);
      }
    }
  }

  // --- BAR assignment ---

  /** pci_bios_init_root_regions_io() */
  private initRootRegionsIo(bus: PciBusRes): boolean {
    const rIo = bus.r[PCI_REGION_TYPE_IO]!;
    const sum = regionSum(rIo);
    if (sum < 0x4000) rIo.base = 0xc000; // traditional region is big enough, use it
    else if (sum < this.pciIoLowEnd - 0x1000) rIo.base = 0x1000; // use the larger region at 0x1000
    else return false;
    return true;
  }

  /** pci_bios_init_root_regions_mem() */
  private initRootRegionsMem(bus: PciBusRes): boolean {
    let rEnd = bus.r[PCI_REGION_TYPE_PREFMEM]!;
    let rStart = bus.r[PCI_REGION_TYPE_MEM]!;
    if (regionAlign(rStart) < regionAlign(rEnd)) {
      // Swap regions to improve alignment.
      rEnd = rStart;
      rStart = bus.r[PCI_REGION_TYPE_PREFMEM]!;
    }
    rEnd.base = alignDown(this.pcimemEnd - regionSum(rEnd), regionAlign(rEnd));
    rStart.base = alignDown(rEnd.base - regionSum(rStart), regionAlign(rStart));
    // Memory range requested is larger than available.
    return !(rStart.base < this.pcimemStart || rStart.base > this.pcimemEnd);
  }

  /** pci_region_migrate_64bit_entries() */
  private migrate64bitEntries(from: PciRegion, to: PciRegion): void {
    const keep: RegionEntry[] = [];
    for (const e of from.list) {
      if (!e.is64 || e.dev.classId === PCI_CLASS_SERIAL_USB) keep.push(e);
      else to.list.push(e);
    }
    from.list = keep;
  }

  /** pci_set_io_region_addr() */
  private setIoRegionAddr(d: SbPciDevice, bar: number, addr: number, is64: boolean): void {
    const ofs = this.pciBar(d, bar);
    this.pci.writel(d.bdf, ofs, addr % U32);
    if (is64) this.pci.writel(d.bdf, ofs + 4, Math.floor(addr / U32));
  }

  /** pci_region_map_one_entry() */
  private mapOneEntry(entry: RegionEntry, addr: number): void {
    const pci = this.pci;
    if (entry.bar >= 0) {
      const what = `bar ${entry.bar}, addr ${hex8(addr)}, size ${hex8(entry.size)} [${REGION_TYPE_NAME[entry.type]}]`;
      this.log(`PCI: map device bdf=${fmtBdf(entry.dev.bdf)}  ${what}`);
      this.setIoRegionAddr(entry.dev, entry.bar, addr, entry.is64);
      return;
    }
    const bdf = entry.dev.bdf;
    const limit = addr + entry.size - 1;
    if (entry.type === PCI_REGION_TYPE_IO) {
      pci.writeb(bdf, PCI_IO_BASE, Math.floor(addr / 0x100) & 0xff);
      pci.writew(bdf, PCI_IO_BASE_UPPER16, 0);
      pci.writeb(bdf, PCI_IO_LIMIT, Math.floor(limit / 0x100) & 0xff);
      pci.writew(bdf, PCI_IO_LIMIT_UPPER16, 0);
    }
    if (entry.type === PCI_REGION_TYPE_MEM) {
      pci.writew(bdf, PCI_MEMORY_BASE, Math.floor(addr / 0x10000) & 0xffff);
      pci.writew(bdf, PCI_MEMORY_LIMIT, Math.floor(limit / 0x10000) & 0xffff);
    }
    if (entry.type === PCI_REGION_TYPE_PREFMEM) {
      pci.writew(bdf, PCI_PREF_MEMORY_BASE, Math.floor(addr / 0x10000) & 0xffff);
      pci.writew(bdf, PCI_PREF_MEMORY_LIMIT, Math.floor(limit / 0x10000) & 0xffff);
      pci.writel(bdf, PCI_PREF_BASE_UPPER32, Math.floor(addr / U32));
      pci.writel(bdf, PCI_PREF_LIMIT_UPPER32, Math.floor(limit / U32));
    }
  }

  /** pci_region_map_entries() */
  private mapEntries(busses: PciBusRes[], r: PciRegion): void {
    for (const entry of r.list) {
      const addr = r.base;
      r.base += entry.size;
      // Update bus base address if entry is a bridge region
      if (entry.bar === -1) busses[entry.dev.secondaryBus]!.r[entry.type]!.base = addr;
      this.mapOneEntry(entry, addr);
    }
    r.list = [];
  }

  /** pci_bios_map_devices() */
  private mapDevices(busses: PciBusRes[]): void {
    const root = busses[0]!;
    if (!this.initRootRegionsIo(root)) seabiosPanic('PCI: out of I/O address space');
    if (!this.initRootRegionsMem(root)) {
      const r64Mem: PciRegion = { base: 0, list: [] };
      const r64Pref: PciRegion = { base: 0, list: [] };
      this.migrate64bitEntries(root.r[PCI_REGION_TYPE_MEM]!, r64Mem);
      this.migrate64bitEntries(root.r[PCI_REGION_TYPE_PREFMEM]!, r64Pref);
      if (!this.initRootRegionsMem(root)) seabiosPanic('PCI: out of 32bit address space');
      const sumMem = regionSum(r64Mem);
      const sumPref = regionSum(r64Pref);
      const alignMem = regionAlign(r64Mem);
      const alignPref = regionAlign(r64Pref);
      r64Mem.base = this.inputs.reservedMemoryEnd;
      if (r64Mem.base < U32 + this.inputs.ramSizeOver4G) r64Mem.base = U32 + this.inputs.ramSizeOver4G;
      r64Mem.base = alignUp(r64Mem.base, alignMem);
      r64Mem.base = alignUp(r64Mem.base, 2 ** 30); // 1G hugepage
      r64Pref.base = r64Mem.base + sumMem;
      r64Pref.base = alignUp(r64Pref.base, alignPref);
      r64Pref.base = alignUp(r64Pref.base, 2 ** 30); // 1G hugepage
      this.pcimem64Start = r64Mem.base;
      this.pcimem64End = alignUp(r64Pref.base + sumPref, 2 ** 30);
      this.mapEntries(busses, r64Mem);
      this.mapEntries(busses, r64Pref);
    } else {
      // no bars mapped high -> drop 64bit window (see dsdt)
      this.pcimem64Start = 0;
    }
    // Map regions on each device.
    for (let bus = 0; bus <= this.maxPciBus; bus++) {
      for (let type = 0; type < PCI_REGION_TYPE_COUNT; type++) this.mapEntries(busses, busses[bus]!.r[type]!);
    }
  }

  // --- Misc. device init ---

  /** pci_bios_init_device() */
  private initDevice(d: SbPciDevice): void {
    const pci = this.pci;
    const bdf = d.bdf;
    this.log(`PCI: init bdf=${fmtBdf(bdf)} id=${hex4(d.vendor)}:${hex4(d.device)}`);
    // map the interrupt
    const pin = pci.readb(bdf, PCI_INTERRUPT_PIN);
    if (pin !== 0) pci.writeb(bdf, PCI_INTERRUPT_LINE, this.slotGetIrq(d, pin));
    this.initDeviceTbl(d);
    // enable memory mappings
    pci.maskw(bdf, PCI_COMMAND, 0, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_SERR);
    // enable SERR# for forwarding
    if (d.headerType & PCI_HEADER_TYPE_BRIDGE) pci.maskw(bdf, PCI_BRIDGE_CONTROL, 0, PCI_BRIDGE_CTL_SERR);
  }

  /**
   * pci_device_tbl, with the PCI_DEVICE / PCI_DEVICE_CLASS macros; PCI_ANY_ID is -1, no class is -1.
   * pci_init_device() calls the first matching entry's hook.
   */
  private readonly deviceTbl: PciDeviceId[] = [
    // PIIX3/PIIX4 PCI to ISA bridge
    PCI_DEVICE(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371SB_0, (d) => this.piixIsaBridgeSetup(d)),
    PCI_DEVICE(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371AB_0, (d) => this.piixIsaBridgeSetup(d)),
    PCI_DEVICE(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_ICH9_LPC, (d) => this.mchIsaBridgeSetup(d)),
    // STORAGE IDE
    PCI_DEVICE_CLASS(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371SB_1, PCI_CLASS_STORAGE_IDE, (d) => this.piixIdeSetup(d)),
    PCI_DEVICE_CLASS(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371AB, PCI_CLASS_STORAGE_IDE, (d) => this.piixIdeSetup(d)),
    PCI_DEVICE_CLASS(-1, -1, PCI_CLASS_STORAGE_IDE, (d) => this.storageIdeSetup(d)),
    // PIC, IBM, MPIC & MPIC2: pic_ibm_setup()
    PCI_DEVICE_CLASS(PCI_VENDOR_ID_IBM, 0x0046, PCI_CLASS_SYSTEM_PIC, (d) => this.setIoRegionAddr(d, 0, 0x80840000, false)),
    PCI_DEVICE_CLASS(PCI_VENDOR_ID_IBM, 0xffff, PCI_CLASS_SYSTEM_PIC, (d) => this.setIoRegionAddr(d, 0, 0x80840000, false)),
    // PIIX4 Power Management device (for ACPI)
    PCI_DEVICE(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371AB_3, (d) => this.piix4PmSetup(d)),
    PCI_DEVICE(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_ICH9_SMBUS, (d) => this.ich9SmbusSetup(d)),
    // 0xff00: apple_macio_setup()
    PCI_DEVICE_CLASS(PCI_VENDOR_ID_APPLE, 0x0017, 0xff00, (d) => this.setIoRegionAddr(d, 0, 0x80800000, false)),
    PCI_DEVICE_CLASS(PCI_VENDOR_ID_APPLE, 0x0022, 0xff00, (d) => this.setIoRegionAddr(d, 0, 0x80800000, false)),
    // Intel IGD OpRegion setup: intel_igd_setup() writes only when QEMU passes "etc/igd-opregion" or
    // "etc/igd-bdsm-size", which it does for vfio-pci IGD assignment alone
    PCI_DEVICE_CLASS(PCI_VENDOR_ID_INTEL, -1, PCI_CLASS_DISPLAY_VGA, () => {}),
  ];

  /** pci_init_device(pci_device_tbl, pci, NULL) */
  private initDeviceTbl(d: SbPciDevice): void {
    for (const id of this.deviceTbl) {
      if (id.vendor !== -1 && id.vendor !== d.vendor) continue;
      if (id.device !== -1 && id.device !== d.device) continue;
      if (id.classId !== -1 && id.classId !== d.classId) continue;
      id.func(d);
      return;
    }
  }

  /** piix_isa_bridge_setup(): the ELCR port writes are not config accesses */
  private piixIsaBridgeSetup(d: SbPciDevice): void {
    for (let i = 0; i < 4; i++) this.pci.writeb(d.bdf, 0x60 + i, PCI_IRQS[i]!); // activate irq remapping in PIIX
  }

  /** mch_isa_lpc_setup() */
  mchIsaLpcSetup(bdf: number): void {
    this.pci.writel(bdf, ICH9_LPC_PMBASE, this.inputs.acpiPmBase | ICH9_LPC_PMBASE_RTE);
    this.pci.writeb(bdf, ICH9_LPC_ACPI_CTRL, ICH9_LPC_ACPI_CTRL_ACPI_EN); // acpi enable, SCI: IRQ9
    this.pci.writel(bdf, ICH9_LPC_RCBA, ICH9_LPC_RCBA_ADDR | ICH9_LPC_RCBA_EN);
  }

  /** mch_isa_bridge_setup(): PIRQ[A-D] and PIRQ[E-H] routing, then PMBASE/ACPI/RCBA */
  private mchIsaBridgeSetup(d: SbPciDevice): void {
    for (let i = 0; i < 4; i++) {
      this.pci.writeb(d.bdf, ICH9_LPC_PIRQA_ROUT + i, PCI_IRQS[i]!);
      this.pci.writeb(d.bdf, ICH9_LPC_PIRQE_ROUT + i, PCI_IRQS[i]!);
    }
    this.ich9LpcBdf = d.bdf;
    this.mchIsaLpcSetup(d.bdf);
  }

  /** storage_ide_setup(): map it as in ISA mode */
  private storageIdeSetup(d: SbPciDevice): void {
    this.setIoRegionAddr(d, 0, PORT_ATA1_CMD_BASE, false);
    this.setIoRegionAddr(d, 1, PORT_ATA1_CTRL_BASE, false);
    this.setIoRegionAddr(d, 2, PORT_ATA2_CMD_BASE, false);
    this.setIoRegionAddr(d, 3, PORT_ATA2_CTRL_BASE, false);
  }

  /** piix_ide_setup() */
  private piixIdeSetup(d: SbPciDevice): void {
    this.pci.writew(d.bdf, 0x40, 0x8000); // enable IDE0
    this.pci.writew(d.bdf, 0x42, 0x8000); // enable IDE1
  }

  /** piix4_pm_config_setup() */
  piix4PmConfigSetup(bdf: number): void {
    const base = this.inputs.acpiPmBase;
    this.pci.writeb(bdf, PCI_INTERRUPT_LINE, 9); // acpi sci is hardwired to 9
    this.pci.writel(bdf, PIIX_PMBASE, base | 1);
    this.pci.writeb(bdf, PIIX_PMREGMISC, 0x01); // enable PM io space
    this.pci.writel(bdf, PIIX_SMBHSTBASE, (base + 0x100) | 1);
    this.pci.writeb(bdf, PIIX_SMBHSTCFG, 0x09); // enable SMBus io space
  }

  /** piix4_pm_setup() */
  private piix4PmSetup(d: SbPciDevice): void {
    this.piixPmBdf = d.bdf;
    this.piix4PmConfigSetup(d.bdf);
  }

  /** ich9_smbus_enable() */
  ich9SmbusEnable(bdf: number): void {
    this.pci.writel(bdf, ICH9_SMB_SMB_BASE, (this.inputs.acpiPmBase + 0x100) | PCI_BASE_ADDRESS_SPACE_IO);
    this.pci.writeb(bdf, ICH9_SMB_HOSTC, ICH9_SMB_HOSTC_HST_EN);
  }

  /** ich9_smbus_setup() */
  private ich9SmbusSetup(d: SbPciDevice): void {
    this.ich9SmbusBdf = d.bdf;
    this.ich9SmbusEnable(d.bdf);
  }

  /** pci_enable_default_vga() */
  private enableDefaultVga(): void {
    const pci = this.pci;
    for (const d of this.devices) {
      if (isPciVga(pci, d)) {
        this.log(`PCI: Using ${fmtBdf(d.bdf)} for primary VGA`);
        return;
      }
    }
    let d: SbPciDevice | null = this.devices.find((x) => x.classId === PCI_CLASS_DISPLAY_VGA) ?? null;
    if (!d) {
      this.log('PCI: No VGA devices found');
      return;
    }
    this.log(`PCI: Enabling ${fmtBdf(d.bdf)} for primary VGA`);
    pci.maskw(d.bdf, PCI_COMMAND, 0, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    while (d.parent) {
      d = d.parent;
      pci.maskw(d.bdf, PCI_BRIDGE_CONTROL, 0, PCI_BRIDGE_CTL_VGA);
      pci.maskw(d.bdf, PCI_COMMAND, 0, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    }
  }
}

/** is_pci_vga() (src/optionroms.c): a VGA with legacy decoding enabled all the way up */
export function isPciVga(pci: PciConfig, d: SbPciDevice): boolean {
  if (d.classId !== PCI_CLASS_DISPLAY_VGA) return false;
  const cmd = pci.readw(d.bdf, PCI_COMMAND);
  if (!(cmd & PCI_COMMAND_IO && cmd & PCI_COMMAND_MEMORY)) return false;
  for (let p = d.parent; p; p = p.parent) {
    const ctrl = pci.readb(p.bdf, PCI_BRIDGE_CONTROL);
    if (!(ctrl & PCI_BRIDGE_CTL_VGA)) return false;
  }
  return true;
}

/** piix_pci_slot_get_irq() */
function piixPciSlotGetIrq(pci: SbPciDevice, pin: number): number {
  let slotAddend = 0;
  let d = pci;
  while (d.parent) {
    slotAddend += pciBdfToDev(d.bdf);
    d = d.parent;
  }
  slotAddend += pciBdfToDev(d.bdf) - 1;
  return PCI_IRQS[(pin - 1 + slotAddend) & 3]!;
}

/** mch_pci_slot_get_irq(): slots 0-24 rotate like PIIX from another start; 25-31 all use LNKA (= LNKE) */
function mchPciSlotGetIrq(pci: SbPciDevice, pin: number): number {
  let pinAddend = 0;
  let d = pci;
  while (d.parent) {
    pinAddend += pciBdfToDev(d.bdf);
    d = d.parent;
  }
  const slot = pciBdfToDev(d.bdf);
  if (slot <= 24) return PCI_IRQS[(pin - 1 + pinAddend + slot) & 3]!;
  return PCI_IRQS[(pin - 1 + pinAddend) & 3]!;
}

/** pci_region_align(): the first entry of the sorted list has the largest alignment */
/**
 * panic() (src/output.c): SeaBIOS prints the message on its debug console, then `irq_disable(); for (;;)
 * hlt();` — the vCPU halts for good with interrupts off, QEMU keeps running and nothing else happens.
 */
function seabiosPanic(msg: string): never {
  throw new FirmwareHang(
    'SeaBIOS',
    msg,
    `pcisim: SeaBIOS panic: ${msg} (SeaBIOS prints this on its debug console, port 0x402, then halts the vCPU ` +
      'with interrupts off: the real VM hangs in the firmware, QEMU keeps running and the guest never boots)',
  );
}

/**
 * pci_bios_init_bus_rec() out of bus numbers: no panic() and no message, SeaBIOS renumbers bus 0 over and over
 * (QEMU 7.2 + SeaBIOS 1.16.2 with 256 bridges: its debug console repeats the whole numbering, deeper in the
 * stack each time, until the stack overflows into memory it uses and the output turns to garbage; the guest
 * never starts). `bdf` is the bridge that would have needed bus 256.
 */
function busNumbersHang(bdf: number | null, bus: number): never {
  const h2 = (n: number) => n.toString(16).padStart(2, '0');
  const where =
    bdf === null
      ? `it numbers bus ${h2(bus)} again inside itself`
      : `bridge ${h2(pciBdfToBus(bdf))}:${h2(pciBdfToDev(bdf))}.${bdf & 7} would need bus 256, ` +
        "SeaBIOS's 8-bit bus counter wraps to 0 and pci_bios_init_bus_rec() numbers bus 0 again";
  throw new FirmwareHang(
    'SeaBIOS',
    null,
    `pcisim: SeaBIOS ran out of PCI bus numbers (it numbers at most 255 buses behind bridges): ${where}, without ` +
      'end: the real VM hangs in the firmware until its stack overflows, QEMU keeps running and the guest never boots',
  );
}

function regionAlign(r: PciRegion): number {
  return r.list.length ? r.list[0]!.align : 1;
}

/** pci_region_sum() */
function regionSum(r: PciRegion): number {
  return r.list.reduce((a, e) => a + e.size, 0);
}

const hex2 = (v: number) => v.toString(16).padStart(2, '0');
const hex4 = (v: number) => v.toString(16).padStart(4, '0');
const hex8 = (v: number) => v.toString(16).padStart(8, '0');
export const fmtBdf = (bdf: number): string =>
  `${hex2(pciBdfToBus(bdf))}:${hex2(pciBdfToDev(bdf))}.${bdf & 7}`;
