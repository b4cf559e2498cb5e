/**
 * @module
 * The two ways a CPU reaches config space on x86 QEMU: type-1 ports 0xcf8/0xcfc (hw/pci/pci_host.c)
 * and the ECAM/MMCONFIG window (hw/pci/pcie_host.c, region `pcie-mmcfg-mmio`). Every data access is
 * reported to an optional observer with numbers only, which is where the boot report counts.
 *
 * The access path allocates nothing. `pci_find_device()`'s walk down the bridges is cached per bus number
 * (what a guest scan does: 32-256 accesses to one bus, then the next). A cached bus is used only while
 * (1) no function was plugged or unplugged anywhere ({@link pciTopologyEpoch}), (2) no config write went
 * through this host to a bridge since it was cached (SECONDARY/SUBORDINATE/BRIDGE_CONTROL may have
 * changed: every bridge write drops the whole cache), and (3) it still answers the walk's own questions:
 * its bridge's SECONDARY_BUS is the number, and every bridge above it forwards the number (no secondary bus
 * reset, SECONDARY < number ≤ SUBORDINATE). A system reset rewrites bridge registers directly; it zeroes
 * SECONDARY_BUS, which (3) sees.
 */
import { pciTopologyEpoch, secondaryBusInRange, type PciBus } from './bus.js';
import type { PciDevice } from './device.js';
import * as R from './regs.js';

export const MECH_CONF1 = 0;
export const MECH_MMCFG = 1;

/**
 * Called once per config data access, after it was served: mechanism (0 conf1, 1 mmcfg), write (0/1),
 * bus, devfn, register, size, the value read or written (unmasked, as QEMU traces it), and whether
 * a function answered.
 */
export type ConfigAccessObserver = (
  mech: number,
  write: number,
  bus: number,
  devfn: number,
  reg: number,
  size: number,
  value: number,
  present: boolean,
) => void;

/** A host bridge's config machinery (PCIHostState + PCIExpressHost). */
export class PciHost {
  /** the 0xcf8 latch */
  configReg = 0;
  /** ECAM window base, or -1 when unmapped (PCIE_BASE_ADDR_UNMAPPED) */
  mmcfgBase = -1;
  mmcfgSize = 0;
  observer: ConfigAccessObserver | null = null;

  // --- pci_find_device() cache, per bus number (see the module comment) ---
  private readonly cacheBus: (PciBus | null)[] = new Array<PciBus | null>(256).fill(null);
  /** 1: extended config space reaches the bus (pci_adjust_config_limit) */
  private readonly cacheExt = new Uint8Array(256);
  /** the generation an entry was made in; 0 never matches */
  private readonly cacheGen = new Int32Array(256);
  private gen = 1;
  private epoch = pciTopologyEpoch();
  /** set by {@link find}: the function's bus allows extended config space */
  private foundExt = false;

  constructor(readonly rootBus: PciBus) {}

  /** Drop the bus-number cache (after changing bridge registers without a config access). */
  invalidateBusCache(): void {
    this.gen = (this.gen + 1) | 0 || 1;
  }

  /** pci_find_device(rootBus, bus, devfn), cached per bus number; sets `foundExt`. */
  private find(busNum: number, devfn: number): PciDevice | null {
    const e = pciTopologyEpoch();
    if (e !== this.epoch) {
      this.epoch = e;
      this.invalidateBusCache();
    }
    let bus = this.cacheBus[busNum] ?? null;
    if (bus === null || this.cacheGen[busNum] !== this.gen || !stillRoutes(bus, busNum)) {
      bus = this.rootBus.findBus(busNum);
      if (bus === null) return null;
      this.cacheBus[busNum] = bus;
      this.cacheGen[busNum] = this.gen;
      this.cacheExt[busNum] = busAllowsExtendedConfig(bus) ? 1 : 0;
    }
    this.foundExt = this.cacheExt[busNum] === 1;
    return bus.devices[devfn] ?? null;
  }

  /** a config write reached a bridge: its bus numbers or bus-reset bit may have changed */
  private wrote(dev: PciDevice): void {
    if (dev.isBridge) this.invalidateBusCache();
  }

  // --- 0xcf8: pci_host_config_read/write ---
  /** only a dword write at offset 0 latches (pci_host_config_write) */
  writeConfigAddress(offset: number, size: number, value: number): void {
    if (offset !== 0 || size !== 4) return;
    this.configReg = value >>> 0;
  }

  readConfigAddress(): number {
    return this.configReg;
  }

  // --- 0xcfc..0xcff: pci_host_data_read/write ---
  readConfigData(offset: number, size: number): number {
    const addr = this.configReg;
    if ((addr & 0x80000000) === 0) return 0xffffffff;
    const bus = (addr >>> 16) & 0xff;
    const devfn = (addr >>> 8) & 0xff;
    const reg = (addr & 0xfc) | (offset & 3);
    const dev = this.find(bus, devfn);
    const value = dev === null ? 0xffffffff : readCommon(dev, reg, 0x100, size, false);
    this.observer?.(MECH_CONF1, 0, bus, devfn, reg, size, value, dev !== null);
    return value;
  }

  writeConfigData(offset: number, size: number, value: number): void {
    const addr = this.configReg;
    if ((addr & 0x80000000) === 0) return;
    const bus = (addr >>> 16) & 0xff;
    const devfn = (addr >>> 8) & 0xff;
    const reg = (addr & 0xfc) | (offset & 3);
    const dev = this.find(bus, devfn);
    if (dev !== null) {
      writeCommon(dev, reg, 0x100, value, size, false);
      this.wrote(dev);
    }
    this.observer?.(MECH_CONF1, 1, bus, devfn, reg, size, value, dev !== null);
  }

  // --- ECAM: pcie_mmcfg_data_read/write; `offset` is relative to the window base ---
  readMmcfg(offset: number, size: number): number {
    const bus = (offset >>> 20) & 0xff;
    const devfn = (offset >>> 12) & 0xff;
    const reg = offset & 0xfff;
    const dev = this.find(bus, devfn);
    const value = dev === null ? 0xffffffff : readCommon(dev, reg, dev.configSize, size, this.foundExt);
    this.observer?.(MECH_MMCFG, 0, bus, devfn, reg, size, value, dev !== null);
    return value;
  }

  writeMmcfg(offset: number, size: number, value: number): void {
    const bus = (offset >>> 20) & 0xff;
    const devfn = (offset >>> 12) & 0xff;
    const reg = offset & 0xfff;
    const dev = this.find(bus, devfn);
    if (dev !== null) {
      writeCommon(dev, reg, dev.configSize, value, size, this.foundExt);
      this.wrote(dev);
    }
    this.observer?.(MECH_MMCFG, 1, bus, devfn, reg, size, value, dev !== null);
  }

  /** the ECAM window decodes this gpa */
  mmcfgContains(gpa: number): boolean {
    return this.mmcfgBase >= 0 && gpa >= this.mmcfgBase && gpa < this.mmcfgBase + this.mmcfgSize;
  }
}

/** pci_adjust_config_limit(): extended space only where every bus up to the root is Express */
function busAllowsExtendedConfig(start: PciBus): boolean {
  for (let bus: PciBus | null = start; bus !== null; bus = bus.parentBridge?.bus ?? null) {
    if (!bus.isExpress) return false;
    if (bus.parentBridge === null) return true;
  }
  return false;
}

/**
 * Would pci_find_bus_nr(root, busNum) still stop at `bus`? Its bridge's SECONDARY_BUS must be the number
 * (the walk's exact match), and each bridge above must forward it without matching it first.
 */
function stillRoutes(bus: PciBus, busNum: number): boolean {
  let bridge: PciDevice | null = bus.parentBridge;
  if (bridge === null) return bus.rootBusNumber === busNum;
  if (bridge.config[R.PCI_SECONDARY_BUS] !== busNum) return false;
  for (;;) {
    const up: PciBus | null = bridge.bus;
    if (up === null) return false;
    bridge = up.parentBridge;
    if (bridge === null) return up.rootBusNumber !== busNum;
    if (bridge.config[R.PCI_SECONDARY_BUS] === busNum || !secondaryBusInRange(bridge, busNum)) return false;
  }
}

/** pci_host_config_read_common(); `ext`: the function's bus reaches extended config space */
function readCommon(dev: PciDevice, addr: number, limit: number, len: number, ext: boolean): number {
  if (limit > 0x100 && !ext) limit = 0x100;
  if (limit <= addr) return 0xffffffff;
  if (dev.hotplugged && dev.function0() === null) return 0xffffffff;
  return dev.configRead(addr, Math.min(len, limit - addr));
}

/** pci_host_config_write_common() */
function writeCommon(dev: PciDevice, addr: number, limit: number, val: number, len: number, ext: boolean): void {
  if (limit > 0x100 && !ext) limit = 0x100;
  if (limit <= addr) return;
  if (dev.hotplugged && dev.function0() === null) return;
  dev.configWrite(addr, val, Math.min(len, limit - addr));
}
