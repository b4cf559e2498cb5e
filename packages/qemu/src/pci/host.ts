/**
 * @module
 * The two ways a CPU reaches config space on x86 QEMU: type-1 ports 0xcf8/0xcfc (hw/pci/pci_host.c)
 * and the ECAM/MMCONFIG window (hw/pci/pcie_host.c, region `pcie-mmcfg-mmio`). Every data access is
 * reported to an optional observer with numbers only, which is where the boot report counts.
 */
import type { PciBus } from './bus.js';
import type { PciDevice } from './device.js';

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

  constructor(readonly rootBus: PciBus) {}

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
    const dev = this.rootBus.findDevice(bus, devfn);
    const value = dev === null ? 0xffffffff : readCommon(dev, reg, 0x100, size);
    this.observer?.(MECH_CONF1, 0, bus, devfn, reg, size, value, dev !== null);
    return value;
  }

  writeConfigData(offset: number, size: number, value: number): void {
    const addr = this.configReg;
    if ((addr & 0x80000000) === 0) return;
    const bus = (addr >>> 16) & 0xff;
    const devfn = (addr >>> 8) & 0xff;
    const reg = (addr & 0xfc) | (offset & 3);
    const dev = this.rootBus.findDevice(bus, devfn);
    if (dev !== null) writeCommon(dev, reg, 0x100, value, size);
    this.observer?.(MECH_CONF1, 1, bus, devfn, reg, size, value, dev !== null);
  }

  // --- ECAM: pcie_mmcfg_data_read/write; `offset` is relative to the window base ---
  readMmcfg(offset: number, size: number): number {
    const bus = (offset >>> 20) & 0xff;
    const devfn = (offset >>> 12) & 0xff;
    const reg = offset & 0xfff;
    const dev = this.rootBus.findDevice(bus, devfn);
    const value = dev === null ? 0xffffffff : readCommon(dev, reg, dev.configSize, size);
    this.observer?.(MECH_MMCFG, 0, bus, devfn, reg, size, value, dev !== null);
    return value;
  }

  writeMmcfg(offset: number, size: number, value: number): void {
    const bus = (offset >>> 20) & 0xff;
    const devfn = (offset >>> 12) & 0xff;
    const reg = offset & 0xfff;
    const dev = this.rootBus.findDevice(bus, devfn);
    if (dev !== null) writeCommon(dev, reg, dev.configSize, value, size);
    this.observer?.(MECH_MMCFG, 1, bus, devfn, reg, size, value, dev !== null);
  }

  /** the ECAM window decodes this gpa */
  mmcfgContains(gpa: number): boolean {
    return this.mmcfgBase >= 0 && gpa >= this.mmcfgBase && gpa < this.mmcfgBase + this.mmcfgSize;
  }
}

/** pci_adjust_config_limit(): extended space only where every bridge up to the root is Express */
function allowsExtendedConfig(dev: PciDevice): boolean {
  for (let bus = dev.bus; bus !== null; bus = bus.parentBridge?.bus ?? null) {
    if (!bus.isExpress) return false;
    if (bus.parentBridge === null) return true;
  }
  return false;
}

/** pci_host_config_read_common() */
function readCommon(dev: PciDevice, addr: number, limit: number, len: number): number {
  if (limit > 0x100 && !allowsExtendedConfig(dev)) limit = 0x100;
  if (limit <= addr) return 0xffffffff;
  if (dev.hotplugged && dev.function0() === null) return 0xffffffff;
  return dev.configRead(addr, Math.min(len, limit - addr));
}

/** pci_host_config_write_common() */
function writeCommon(dev: PciDevice, addr: number, limit: number, val: number, len: number): void {
  if (limit > 0x100 && !allowsExtendedConfig(dev)) limit = 0x100;
  if (limit <= addr) return;
  if (dev.hotplugged && dev.function0() === null) return;
  dev.configWrite(addr, val, Math.min(len, limit - addr));
}
