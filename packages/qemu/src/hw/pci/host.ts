/**
 * @module
 * The two ways a CPU reaches config space on x86 QEMU: type-1 ports 0xcf8/0xcfc (hw/pci/pci_host.c)
 * and the ECAM/MMCONFIG window (hw/pci/pcie_host.c, region `pcie-mmcfg-mmio`). Every data access is
 * reported to an optional observer with numbers only, which is where the boot report counts.
 *
 * The access path allocates nothing. `pci_find_device()`'s walk down the bridges is cached per bus number
 * (what a guest scan does: 32-256 accesses to one bus, then the next). A cached bus is used only while
 * (1) no function was plugged or unplugged and no bridge was reset anywhere ({@link pciTopologyEpoch}),
 * (2) no config write through this host changed what a bridge claims in a way that covers the number (its
 * SECONDARY_BUS, SUBORDINATE_BUS, or the secondary-bus-reset bit of BRIDGE_CONTROL), and (3) it still answers the walk's
 * own questions: its bridge's SECONDARY_BUS is the number, and every bridge above it forwards the number
 * (no secondary bus reset, SECONDARY < number ≤ SUBORDINATE). "No bus has that number" is cached too, under
 * (1) and (2). Code that rewrites those registers without a config access calls `pciTopologyChanged()`
 * (pci_bridge_reset does) or {@link PciHost.invalidateBusCache}.
 */
import { pciTopologyEpoch, secondaryBusInRange, type PciBus } from './bus.js';
import type { PciDevice } from './device.js';
import * as R from './regs.js';
import type { MemoryRegionOps } from '../../system/memory.js';

export const MECH_CONF1 = 0;
export const MECH_MMCFG = 1;

/**
 * Called once per config data access, after it was served: mechanism (0 conf1, 1 mmcfg), write (0/1),
 * bus, devfn, register, size, the value read or written (unmasked, as QEMU traces it) as the int32 of its
 * bytes (`value >>> 0` for the unsigned value: an unsigned 0xffffffff was a heap number on every access to
 * an absent function, observer or not, where V8 tagged the argument before testing for an observer), and
 * whether a function answered.
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
  /**
   * The 0xcf8 latch, kept as an int32: an unsigned address (bit 31 set on every conf1 access) in a field
   * would be a fresh heap number per latch write once V8 widens the field's representation.
   */
  private latch = 0;
  /** the 0xcf8 latch (unsigned) */
  get configReg(): number {
    return this.latch >>> 0;
  }
  set configReg(value: number) {
    this.latch = value | 0;
  }
  /** ECAM window base, or -1 when unmapped (PCIE_BASE_ADDR_UNMAPPED) */
  mmcfgBase = -1;
  mmcfgSize = 0;
  observer: ConfigAccessObserver | null = null;
  /**
   * Called after each config write a function took, once the write is done: the hot-plug controllers' part of
   * a function's write_config (pci_bridge_write_config → pcie_cap_slot_write_config / shpc_cap_write_config,
   * ich9_lpc_config_write → ich9_pm_iospace_update), which QEMU reaches from the device's own handler.
   */
  onConfigWrite: ((dev: PciDevice) => void) | null = null;
  /** config data accesses this host has handled (conf1 data port and ECAM), observer or not */
  configAccesses = 0;

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
    if (this.cacheGen[busNum] !== this.gen || (bus !== null && !stillRoutes(bus, busNum))) {
      bus = this.rootBus.findBus(busNum);
      this.cacheBus[busNum] = bus;
      this.cacheGen[busNum] = this.gen;
      this.cacheExt[busNum] = bus !== null && busAllowsExtendedConfig(bus) ? 1 : 0;
    }
    if (bus === null) return null;
    this.foundExt = this.cacheExt[busNum] === 1;
    return bus.devices[devfn] ?? null;
  }

  /**
   * Drops the cached bus numbers in [lo, hi]: what a bridge claims (its SECONDARY_BUS, and unless its
   * secondary bus is in reset SECONDARY..SUBORDINATE) before or after a write to its routing registers. A bus
   * number outside both spans is looked up the same way before and after (the walk passes that bridge by).
   */
  private invalidateBusRange(lo: number, hi: number): void {
    this.cacheGen.fill(0, lo, hi + 1);
  }

  /** A config write of [reg, reg+len) through this host, cache kept right (see {@link invalidateBusRange}). */
  private writeDev(dev: PciDevice, reg: number, limit: number, value: number, len: number, ext: boolean): void {
    const end = reg + len;
    // SECONDARY_BUS, SUBORDINATE_BUS (0x19, 0x1a) and BRIDGE_CONTROL's low byte (0x3e: secondary bus reset)
    if (!dev.isBridge || !((reg <= R.PCI_SUBORDINATE_BUS && end > R.PCI_SECONDARY_BUS) || (reg <= R.PCI_BRIDGE_CONTROL && end > R.PCI_BRIDGE_CONTROL))) {
      writeCommon(dev, reg, limit, value, len, ext);
      return;
    }
    const c = dev.config;
    const sec0 = c[R.PCI_SECONDARY_BUS]!;
    const hi0 = (c[R.PCI_BRIDGE_CONTROL]! & R.PCI_BRIDGE_CTL_BUS_RESET) !== 0 ? sec0 : Math.max(sec0, c[R.PCI_SUBORDINATE_BUS]!);
    writeCommon(dev, reg, limit, value, len, ext);
    const sec1 = c[R.PCI_SECONDARY_BUS]!;
    const hi1 = (c[R.PCI_BRIDGE_CONTROL]! & R.PCI_BRIDGE_CTL_BUS_RESET) !== 0 ? sec1 : Math.max(sec1, c[R.PCI_SUBORDINATE_BUS]!);
    if (sec0 !== sec1 || hi0 !== hi1) this.invalidateBusRange(Math.min(sec0, sec1), Math.max(hi0, hi1));
  }

  // --- 0xcf8: pci_host_config_read/write ---
  /** only a dword write at offset 0 latches (pci_host_config_write) */
  writeConfigAddress(offset: number, size: number, value: number): void {
    if (offset !== 0 || size !== 4) return;
    this.latch = value | 0;
  }

  /** bus << 8 | devfn of the latched address, or -1 while its enable bit (31) is clear */
  latchedTarget(): number {
    const addr = this.latch;
    return (addr & 0x80000000) === 0 ? -1 : (addr >>> 8) & 0xffff;
  }

  readConfigAddress(): number {
    return this.latch >>> 0;
  }

  // --- 0xcfc..0xcff: pci_host_data_read/write ---
  /** pci_host_data_read(): the `size` bytes read, a dword as the int32 of its bytes (`>>> 0` for unsigned) */
  readConfigData(offset: number, size: number): number {
    const addr = this.latch;
    if ((addr & 0x80000000) === 0) return bytesOf(-1, size);
    const bus = (addr >>> 16) & 0xff;
    const devfn = (addr >>> 8) & 0xff;
    const reg = (addr & 0xfc) | (offset & 3);
    const dev = this.find(bus, devfn);
    // a function without power (pci_set_power()) answers nothing, and the access is not the host's to count
    if (dev !== null && !dev.hasPower) return bytesOf(-1, size);
    // the value as an int32 until it leaves (see ConfigAccessObserver)
    const v32 = dev === null ? -1 : readCommon(dev, reg, 0x100, size, false) | 0;
    this.configAccesses++;
    this.observer?.(MECH_CONF1, 0, bus, devfn, reg, size, v32, dev !== null);
    return bytesOf(v32, size);
  }

  writeConfigData(offset: number, size: number, value: number): void {
    // kept small enough for V8 to inline into the machine's port dispatch; the work is in conf1Write,
    // which gets the value as an int32 so that no heap number is made to pass it (see `conf1Write`)
    if ((this.latch & 0x80000000) !== 0) this.conf1Write(offset, size, value | 0);
  }

  /**
   * The data write itself. `v32` is the written bytes as an int32: a dword with bit 31 set would otherwise be
   * boxed (a heap number per call) wherever V8 passes it to a call it did not inline, and V8 does that on the
   * caller's whole path (every 0xcf8 latch write through the machine's port dispatch), not just this branch.
   */
  private conf1Write(offset: number, size: number, v32: number): void {
    const addr = this.latch;
    const bus = (addr >>> 16) & 0xff;
    const devfn = (addr >>> 8) & 0xff;
    const reg = (addr & 0xfc) | (offset & 3);
    const value = v32 >>> 0;
    const dev = this.find(bus, devfn);
    if (dev !== null && !dev.hasPower) return;
    if (dev !== null) this.writeDev(dev, reg, 0x100, value, size, false);
    this.configAccesses++;
    this.observer?.(MECH_CONF1, 1, bus, devfn, reg, size, v32, dev !== null);
    if (dev !== null && this.onConfigWrite !== null) this.onConfigWrite(dev);
  }

  // --- ECAM: pcie_mmcfg_data_read/write; `offset` is relative to the window base ---
  /** pcie_mmcfg_data_read(): as {@link readConfigData}, a dword as the int32 of its bytes */
  readMmcfg(offset: number, size: number): number {
    const bus = (offset >>> 20) & 0xff;
    const devfn = (offset >>> 12) & 0xff;
    const reg = offset & 0xfff;
    const dev = this.find(bus, devfn);
    if (dev !== null && !dev.hasPower) return bytesOf(-1, size);
    // the value as an int32 until it leaves (see ConfigAccessObserver)
    const v32 = dev === null ? -1 : readCommon(dev, reg, dev.configSize, size, this.foundExt) | 0;
    this.configAccesses++;
    this.observer?.(MECH_MMCFG, 0, bus, devfn, reg, size, v32, dev !== null);
    return bytesOf(v32, size);
  }

  writeMmcfg(offset: number, size: number, value: number): void {
    this.mmcfgWrite(offset, size, value | 0);
  }

  /** {@link writeMmcfg}'s work, with the value as an int32 (see `conf1Write`). */
  private mmcfgWrite(offset: number, size: number, v32: number): void {
    const bus = (offset >>> 20) & 0xff;
    const devfn = (offset >>> 12) & 0xff;
    const reg = offset & 0xfff;
    const value = v32 >>> 0;
    const dev = this.find(bus, devfn);
    if (dev !== null && !dev.hasPower) return;
    if (dev !== null) this.writeDev(dev, reg, dev.configSize, value, size, this.foundExt);
    this.configAccesses++;
    this.observer?.(MECH_MMCFG, 1, bus, devfn, reg, size, v32, dev !== null);
    if (dev !== null && this.onConfigWrite !== null) this.onConfigWrite(dev);
  }

  /** the ECAM window decodes this gpa */
  mmcfgContains(gpa: number): boolean {
    return this.mmcfgOffset(gpa) >= 0;
  }

  /**
   * Where in the ECAM window this gpa falls, or -1 outside it. `gpa` as the vCPU gives it (@sim/kvm's `Gpa`:
   * below 4 GiB possibly the int32 of its bits); the offset (< 256 MiB) comes back as an int32.
   */
  mmcfgOffset(gpa: number): number {
    const a = gpa + (gpa < 0 ? 0x1_0000_0000 : 0);
    return this.mmcfgBase >= 0 && a >= this.mmcfgBase && a < this.mmcfgBase + this.mmcfgSize ? (a - this.mmcfgBase) | 0 : -1;
  }
}

/**
 * pci_host_conf_le_ops: the config-address register at 0xcf8 (4 ports). Only a dword write at offset 0
 * latches; a read returns the latch (`dwordRead`: only a dword read at offset 0 does, as q35 answers; else
 * the latch's low bytes at any offset, as i440fx does).
 */
export class PciHostConfAddressRegion implements MemoryRegionOps {
  constructor(
    private readonly host: PciHost,
    private readonly dwordRead: boolean,
  ) {}
  read(offset: number, size: number): number {
    if (this.dwordRead) return offset === 0 && size === 4 ? this.host.readConfigAddress() : size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    // pci_host_config_read() returns the latch whatever the offset; the memory core keeps `size` bytes
    return (this.host.readConfigAddress() & (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff)) >>> 0;
  }
  write(offset: number, size: number, value: number): void {
    this.host.writeConfigAddress(offset, size, value);
  }
}

/** pci_host_data_le_ops: the config-data window at 0xcfc (4 ports). */
export class PciHostConfDataRegion implements MemoryRegionOps {
  constructor(private readonly host: PciHost) {}
  read(offset: number, size: number): number {
    return this.host.readConfigData(offset, size);
  }
  write(offset: number, size: number, value: number): void {
    this.host.writeConfigData(offset, size, value);
  }
}

/** pcie_mmcfg_ops: the ECAM window (`pcie-mmcfg-mmio`), mapped where the host's MMCONFIG base puts it. */
export class PcieMmcfgRegion implements MemoryRegionOps {
  constructor(private readonly host: PciHost) {}
  read(offset: number, size: number): number {
    return this.host.readMmcfg(offset, size);
  }
  write(offset: number, size: number, value: number): void {
    this.host.writeMmcfg(offset, size, value);
  }
}

/**
 * The bytes of a config read the memory core keeps (`size` of them), from its int32: a dword as that int32
 * (VmOps may return one so: 0xffffffff of an absent function unsigned would be a heap number on its way to the
 * vCPU and the guest), a word or byte as the small integer it is.
 */
function bytesOf(v32: number, size: number): number {
  return size === 4 ? v32 : v32 & (size === 2 ? 0xffff : 0xff);
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
