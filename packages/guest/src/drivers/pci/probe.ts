/**
 * @module
 * drivers/pci/probe.c: enumeration. pci_scan_child_bus_extend(), pci_scan_slot(), pci_scan_single_device(),
 * pci_setup_device() (header, class, capability walks, config space size, BAR sizing, bridge windows),
 * pci_device_add() (pci_configure_device(), pci_init_capabilities()), the two-pass bridge scan, and the
 * hot-plug entry points (pci_rescan_bus(), pci_hp_add_bridge()).
 */
import { mask, rawPciReadBits } from '../../arch/x86/pci/common.js';
import type { AcpiPciDevice } from '../../cpu.js';
import { pciReadConfig, pciWriteConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRead, pcieCapabilityRegImplemented } from './access.js';
import { pciBusAddDevices } from './bus.js';
import { pciAcsInit, pciConfigureAri, pciFindCapability, pciFindExtCapability, pciFindVsecCapability, pcieGetMps, pcieReportDowntraining, pcieSetMps } from './pci.js';
import { pcieAspmInitLinkState } from './pcie/aspm.js';
import { pciFixupEarly, pciFixupHeader } from './quirks.js';
import { forEachPciDev, pciFindBus } from './search.js';
import { assignBusResources } from './setup-bus.js';
import { GuestError } from '../../errors.js';
import { type PciBusState, type PciDev, pciFindHostBridge, pciName, pcieFindRootPort, pcieType } from '../../include/linux/pci.js';
import { PCI_CLASS_BRIDGE_CARDBUS, PCI_CLASS_BRIDGE_HOST, PCI_CLASS_BRIDGE_PCI, PCI_CLASS_STORAGE_IDE } from '../../include/linux/pci_ids.js';
import { PCI_BASE_ADDRESS_0, PCI_BRIDGE_CONTROL, PCI_BRIDGE_CTL_MASTER_ABORT, PCI_BRIDGE_CTL_SERR, PCI_CAP_ID_AF, PCI_CAP_ID_EA, PCI_CAP_ID_EXP, PCI_CAP_ID_MSI, PCI_CAP_ID_MSIX, PCI_CAP_ID_PCIX, PCI_CAP_ID_PM, PCI_CAP_ID_SSVID, PCI_CAP_ID_VPD, PCI_CLASS_PROG, PCI_CLASS_REVISION, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_EXP_DEVCAP, PCI_EXP_DEVCAP2, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL2, PCI_EXP_FLAGS, PCI_EXP_LNKCAP, PCI_EXP_LNKCTL, PCI_EXP_LNKSTA, PCI_EXP_RTCAP, PCI_EXP_RTCTL, PCI_EXP_SLTCAP, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_RC_END, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXT_CAP_ID_ACS, PCI_EXT_CAP_ID_ATS, PCI_EXT_CAP_ID_DPC, PCI_EXT_CAP_ID_ERR, PCI_EXT_CAP_ID_L1SS, PCI_EXT_CAP_ID_LTR, PCI_EXT_CAP_ID_MFVC, PCI_EXT_CAP_ID_PASID, PCI_EXT_CAP_ID_PRI, PCI_EXT_CAP_ID_PTM, PCI_EXT_CAP_ID_REBAR, PCI_EXT_CAP_ID_SRIOV, PCI_EXT_CAP_ID_VC, PCI_EXT_CAP_ID_VC9, PCI_HEADER_TYPE, PCI_INTERRUPT_LINE, PCI_INTERRUPT_PIN, PCI_IO_BASE, PCI_IO_BASE_UPPER16, PCI_IO_LIMIT, PCI_MEMORY_BASE, PCI_MEMORY_LIMIT, PCI_PREF_BASE_UPPER32, PCI_PREF_LIMIT_UPPER32, PCI_PREF_MEMORY_BASE, PCI_PREF_MEMORY_LIMIT, PCI_PRIMARY_BUS, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS1, PCI_STATUS, PCI_SUBSYSTEM_ID, PCI_SUBSYSTEM_VENDOR_ID, PCI_VENDOR_ID } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';
import { busResource, hex2 } from '../../lib/vsprintf.js';
import { config } from '../../version.js';

/** pci_bus_generic_read_dev_vendor_id() */
export function pciBusReadDevVendorId(k: KernelState, bus: PciBusState, devfn: number): number | null {
  // the dword as its int32 (rawReadBits): every empty slot of every bus scanned reads 0xffffffff
  // PCI_VENDOR_ID as the literal 0, folded into the inlined access (see pcibios_fixup_peer_bridges())
  const l = rawPciReadBits(k, bus.number, devfn, 0, 4);
  if (l === -1 || l === 0 || l === 0x0000ffff || l === (0xffff0000 | 0)) return null;
  if ((l & 0xffff) === 0x0001) throw new GuestError('UNSUPPORTED', 'CRS completion: pci_bus_wait_crs is not modelled');
  return l >>> 0;
}

/** pci_scan_child_bus_extend() */
export function pciScanChildBus(k: KernelState, bus: PciBusState, availableBuses = 0): number {
  const start = bus.number;
  let max = start;
  k.onPhase?.(`scan bus ${hex2(bus.number)}`, 'begin');
  for (let devfn = 0; devfn < 256; devfn += 8) pciScanSlot(k, bus, devfn, false);
  // pcibios_fixup_bus() -> pci_read_bridge_bases() for a non-root bus
  if (bus.self) pciReadBridgeBases(k, bus);
  const bridges = bus.devices.filter((d) => d.hdrType === 1 || d.hdrType === 2);
  let hotplugBridges = 0;
  let normalBridges = 0;
  for (const d of bridges) {
    if (d.isHotplugBridge) hotplugBridges++;
    else normalBridges++;
  }
  for (const d of bridges) {
    const cmax = max;
    max = pciScanBridgeExtend(k, bus, d, max, 0, 0);
    if (max - cmax > 0) availableBuses = Math.max(0, availableBuses - (max - cmax));
  }
  for (const d of bridges) {
    const cmax = max;
    let buses = 0;
    if (d.isHotplugBridge) buses = Math.floor(availableBuses / Math.max(1, hotplugBridges));
    else if (normalBridges === 1) buses = availableBuses;
    max = pciScanBridgeExtend(k, bus, d, cmax, buses, 1);
  }
  // a hotplug bridge reserves at least pci_hotplug_bus_size - 1 extra buses (default 1: none)
  k.onPhase?.(`scan bus ${hex2(bus.number)}`, 'end');
  return max;
}

/** only_one_child() */
export function onlyOneChild(k: KernelState, bus: PciBusState): boolean {
  if (k.opts.pcieScanAll) return false;
  const b = bus.self;
  if (!b || !b.pcieCap) return false;
  const t = pcieType(b);
  // pcie_downstream_port(): a PCI/PCI-X-to-PCIe bridge counts, a PCIe-to-PCI bridge does not
  return t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_PCIE_BRIDGE;
}

/**
 * pci_scan_slot(): the functions of one slot. `report`: the hot-plug runtime prints the BAR lines of the
 * functions found once the slot is scanned (pci_read_bases()' lines, which the model prints after the scan)
 */
export function pciScanSlot(k: KernelState, bus: PciBusState, devfn: number, report = true): number {
  if (onlyOneChild(k, bus) && devfn > 0) return 0;
  const n0 = bus.devices.length;
  let fn = 0;
  let nr = 0;
  do {
    const dev = pciScanSingleDevice(k, bus, devfn + fn);
    if (dev) {
      if (!k.hpAdded.has(dev)) nr++;
      if (fn > 0) dev.multifunction = true;
    } else if (fn === 0) {
      break;
    }
    // next_fn(): no ARI in these topologies
    if (fn >= 7 || (dev && !dev.multifunction)) break;
    fn++;
  } while (fn < 8);
  if (bus.self && nr) pcieAspmInitLinkState(k, bus.self);
  // the BAR lines of what a hot-plug driver's scan found (a bus scan reports its devices itself)
  if (report && k.hp) for (let i = n0; i < bus.devices.length; i++) k.hp.deviceScanned(bus.devices[i]!);
  return nr;
}

/** pci_scan_single_device() */
export function pciScanSingleDevice(k: KernelState, bus: PciBusState, devfn: number): PciDev | null {
  const existing = bus.devices.find((d) => d.devfn === devfn);
  if (existing) return existing;
  const l = pciBusReadDevVendorId(k, bus, devfn);
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
    brokenCmdCompl: false,
    pin: 0,
    isHotplugBridge: false,
    pmCap: 0,
    aerCap: 0,
    msiCap: 0,
    msixCap: 0,
    acsCap: 0,
    atsCap: 0,
    pasidCap: 0,
    transparent: false,
    subordinate: null,
    linkActiveReporting: false,
    irq: 0,
    // set later on bridges only, present on every record from the start: one hidden class for all of them
    windows: undefined,
    bars: [],
    ioWindow: false,
    prefWindow: undefined,
  };
  pciSetupDevice(k, dev);
  pciDeviceAdd(k, dev, bus);
  return dev;
}

/** pci_setup_device() */
export function pciSetupDevice(k: KernelState, dev: PciDev): void {
  const hdr = pciReadConfig(k, dev, PCI_HEADER_TYPE, 1);
  dev.hdrType = hdr & 0x7f;
  dev.multifunction = (hdr & 0x80) !== 0;
  setPciePortType(k, dev);
  const cls = pciReadConfig(k, dev, PCI_CLASS_REVISION, 4);
  dev.revision = cls & 0xff;
  dev.classCode = cls >>> 8;
  dev.cfgSize = pciCfgSpaceSize(k, dev);
  k.hp?.deviceFound(dev); // pci_info(dev, "[%04x:%04x] type %02x class %#08x")
  // set_pcie_thunderbolt(): the Intel VSEC is looked for in extended space
  if (dev.vendor === 0x8086) pciFindVsecCapability(k, dev);
  // pci_fixup_device(pci_fixup_early)
  pciFixupEarly(k, dev);
  const cls16 = dev.classCode >>> 8;
  pciIntxMaskBroken(k, dev);
  if (dev.hdrType === 0) {
    if (cls16 === PCI_CLASS_BRIDGE_PCI) return;
    pciReadIrq(k, dev);
    pciReadBases(k, dev, 6, PCI_ROM_ADDRESS);
    pciReadConfig(k, dev, PCI_SUBSYSTEM_VENDOR_ID, 2);
    pciReadConfig(k, dev, PCI_SUBSYSTEM_ID, 2);
    if (cls16 === PCI_CLASS_STORAGE_IDE) pciReadConfig(k, dev, PCI_CLASS_PROG, 1);
  } else if (dev.hdrType === 1) {
    pciReadIrq(k, dev);
    dev.transparent = (dev.classCode & 0xff) === 1;
    pciReadBases(k, dev, 2, PCI_ROM_ADDRESS1);
    pciReadBridgeWindows(k, dev);
    // set_pcie_hotplug_bridge()
    if (dev.pcieCap && pcieCapabilityRegImplemented(k, dev, PCI_EXP_SLTCAP)) {
      const sltcap = pciReadConfig(k, dev, dev.pcieCap + PCI_EXP_SLTCAP, 4);
      if (sltcap & 0x40) dev.isHotplugBridge = true;
    }
    const pos = pciFindCapability(k, dev, PCI_CAP_ID_SSVID);
    if (pos) {
      pciReadConfig(k, dev, pos + 4, 2);
      pciReadConfig(k, dev, pos + 6, 2);
    }
  } else if (dev.hdrType === 2) {
    if (cls16 !== PCI_CLASS_BRIDGE_CARDBUS) return;
    pciReadIrq(k, dev);
    pciReadBases(k, dev, 1, 0);
    pciReadConfig(k, dev, 0x40, 2);
    pciReadConfig(k, dev, 0x42, 2);
  }
}

/** set_pcie_port_type() */
export function setPciePortType(k: KernelState, dev: PciDev): void {
  const pos = pciFindCapability(k, dev, PCI_CAP_ID_EXP);
  if (!pos) return;
  dev.pcieCap = pos;
  dev.pcieFlags = pciReadConfig(k, dev, pos + PCI_EXP_FLAGS, 2);
  dev.devcap = pciReadConfig(k, dev, pos + PCI_EXP_DEVCAP, 4);
}

/** pci_cfg_space_size() */
export function pciCfgSpaceSize(k: KernelState, dev: PciDev): number {
  if (dev.bus.noExtCfg) return 256;
  const cls16 = dev.classCode >>> 8;
  if (cls16 === PCI_CLASS_BRIDGE_HOST || dev.pcieCap) return pciCfgSpaceSizeExt(k, dev);
  const pos = pciFindCapability(k, dev, PCI_CAP_ID_PCIX);
  if (!pos) return 256;
  const status = pciReadConfig(k, dev, pos + 4, 4);
  if (status & (0x00020000 | 0x00040000)) return pciCfgSpaceSizeExt(k, dev);
  return 256;
}

/** pci_cfg_space_size_ext() + pci_ext_cfg_is_aliased() */
export function pciCfgSpaceSizeExt(k: KernelState, dev: PciDev): number {
  const status = pciReadConfig(k, dev, 0x100, 4);
  if (status === 0xffffffff) return 256;
  const header = pciReadConfig(k, dev, PCI_VENDOR_ID, 4);
  for (let pos = 0x100; pos < 0x1000; pos += 0x100) {
    const tmp = pciReadConfig(k, dev, pos, 4);
    if (header !== tmp) return 4096;
  }
  return 256;
}

/** pci_intx_mask_broken() */
export function pciIntxMaskBroken(k: KernelState, dev: PciDev): void {
  const orig = pciReadConfig(k, dev, PCI_COMMAND, 2);
  const toggle = orig ^ PCI_COMMAND_INTX_DISABLE;
  pciWriteConfig(k, dev, PCI_COMMAND, 2, toggle);
  pciReadConfig(k, dev, PCI_COMMAND, 2);
  pciWriteConfig(k, dev, PCI_COMMAND, 2, orig);
}

/** pci_read_irq() */
export function pciReadIrq(k: KernelState, dev: PciDev): void {
  const pin = pciReadConfig(k, dev, PCI_INTERRUPT_PIN, 1);
  dev.pin = pin;
  dev.irq = pin ? pciReadConfig(k, dev, PCI_INTERRUPT_LINE, 1) : 0;
}

/** pci_read_bases() */
export function pciReadBases(k: KernelState, dev: PciDev, howmany: number, rom: number): void {
  for (let pos = 0; pos < howmany; pos++) {
    pos += pciReadBase(k, dev, false, PCI_BASE_ADDRESS_0 + (pos << 2), pos);
  }
  if (rom) pciReadBase(k, dev, true, rom, 6);
}

/** __pci_read_base(): returns 1 for a 64-bit BAR */
export function pciReadBase(k: KernelState, dev: PciDev, isRom: boolean, pos: number, index: number): number {
  const maskV = isRom ? 0xfffff800 : 0xffffffff;
  let origCmd = 0;
  if (!dev.mmioAlwaysOn) {
    origCmd = pciReadConfig(k, dev, PCI_COMMAND, 2);
    if (origCmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) {
      pciWriteConfig(k, dev, PCI_COMMAND, 2, origCmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
    }
  }
  let l = pciReadConfig(k, dev, pos, 4);
  pciWriteConfig(k, dev, pos, 4, (l | maskV) >>> 0);
  let sz = pciReadConfig(k, dev, pos, 4);
  pciWriteConfig(k, dev, pos, 4, l);
  if (sz === 0xffffffff) sz = 0;
  if (l === 0xffffffff) l = 0;
  const io = !isRom && (l & 1) === 1;
  const is64 = !isRom && !io && (l & 6) === 4;
  let szHi = 0;
  let lHi = 0;
  if (is64) {
    lHi = pciReadConfig(k, dev, pos + 4, 4);
    pciWriteConfig(k, dev, pos + 4, 4, 0xffffffff);
    szHi = pciReadConfig(k, dev, pos + 4, 4);
    pciWriteConfig(k, dev, pos + 4, 4, lHi);
  }
  if (!dev.mmioAlwaysOn && origCmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY)) pciWriteConfig(k, dev, PCI_COMMAND, 2, origCmd);
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
export function pciReadBridgeWindows(k: KernelState, dev: PciDev): void {
  let io = pciReadConfig(k, dev, PCI_IO_BASE, 2);
  if (!io) {
    pciWriteConfig(k, dev, PCI_IO_BASE, 2, 0xe0f0);
    io = pciReadConfig(k, dev, PCI_IO_BASE, 2);
    pciWriteConfig(k, dev, PCI_IO_BASE, 2, 0);
  }
  if (io) dev.ioWindow = true;
  if (dev.vendor === 0x1011 && dev.device === 0x0001) return;
  let pmem = pciReadConfig(k, dev, PCI_PREF_MEMORY_BASE, 4);
  if (!pmem) {
    pciWriteConfig(k, dev, PCI_PREF_MEMORY_BASE, 4, 0xffe0fff0);
    pmem = pciReadConfig(k, dev, PCI_PREF_MEMORY_BASE, 4);
    pciWriteConfig(k, dev, PCI_PREF_MEMORY_BASE, 4, 0);
  }
  if (!pmem) return;
  dev.prefWindow = (pmem & 0xf) === 1 ? 64 : 32;
  if ((pmem & 0xf) === 1) {
    const p = pciReadConfig(k, dev, PCI_PREF_BASE_UPPER32, 4);
    pciWriteConfig(k, dev, PCI_PREF_BASE_UPPER32, 4, 0xffffffff);
    pciReadConfig(k, dev, PCI_PREF_BASE_UPPER32, 4);
    pciWriteConfig(k, dev, PCI_PREF_BASE_UPPER32, 4, p);
  }
}

/** pci_read_bridge_bases(): pci_read_bridge_io/mmio/mmio_pref */
export function pciReadBridgeBases(k: KernelState, child: PciBusState): void {
  const dev = child.self!;
  const w: NonNullable<PciDev['windows']> = { io: null, mem: null, pref: null };
  // pci_read_bridge_io()
  const ioBaseLo = pciReadConfig(k, dev, PCI_IO_BASE, 1);
  const ioLimitLo = pciReadConfig(k, dev, PCI_IO_LIMIT, 1);
  let ioBase = (ioBaseLo & 0xf0) << 8;
  let ioLimit = (ioLimitLo & 0xf0) << 8;
  if ((ioBaseLo & 0xf) === 1) {
    ioBase |= pciReadConfig(k, dev, PCI_IO_BASE_UPPER16, 2) << 16;
    ioLimit |= pciReadConfig(k, dev, PCI_IO_BASE_UPPER16 + 2, 2) << 16;
  }
  if (ioBase <= ioLimit) w.io = { start: ioBase, end: ioLimit + 0xfff };
  // pci_read_bridge_mmio()
  const memBase = (pciReadConfig(k, dev, PCI_MEMORY_BASE, 2) & 0xfff0) * 65536;
  const memLimit = (pciReadConfig(k, dev, PCI_MEMORY_LIMIT, 2) & 0xfff0) * 65536;
  if (memBase <= memLimit) w.mem = { start: memBase, end: memLimit + 0xfffff };
  // pci_read_bridge_mmio_pref()
  const prefBaseLo = pciReadConfig(k, dev, PCI_PREF_MEMORY_BASE, 2);
  const prefLimitLo = pciReadConfig(k, dev, PCI_PREF_MEMORY_LIMIT, 2);
  let prefBase = (prefBaseLo & 0xfff0) * 65536;
  let prefLimit = (prefLimitLo & 0xfff0) * 65536;
  const is64 = (prefBaseLo & 0xf) === 1;
  if (is64) {
    const hiBase = pciReadConfig(k, dev, PCI_PREF_BASE_UPPER32, 4);
    const hiLimit = pciReadConfig(k, dev, PCI_PREF_LIMIT_UPPER32, 4);
    if (hiBase <= hiLimit) {
      prefBase += hiBase * 2 ** 32;
      prefLimit += hiLimit * 2 ** 32;
    }
  }
  if (prefBase <= prefLimit) w.pref = { start: prefBase, end: prefLimit + 0xfffff, is64 };
  dev.windows = w;
}

/** pci_scan_bridge_extend() for a bridge the firmware numbered (the unnumbered path is modelled too) */
export function pciScanBridgeExtend(k: KernelState, bus: PciBusState, dev: PciDev, max: number, availableBuses: number, pass: number): number {
  const buses = pciReadConfig(k, dev, PCI_PRIMARY_BUS, 4);
  const primary = buses & 0xff;
  const secondary = (buses >>> 8) & 0xff;
  const subordinate = (buses >>> 16) & 0xff;
  let bctl = pciReadConfig(k, dev, PCI_BRIDGE_CONTROL, 2);
  pciWriteConfig(k, dev, PCI_BRIDGE_CONTROL, 2, bctl & ~PCI_BRIDGE_CTL_MASTER_ABORT);
  pciEnableCrs(k, dev);
  const broken = !(primary === bus.number && secondary > bus.number && subordinate >= secondary) && (secondary || subordinate);
  if ((secondary || subordinate) && !k.opts.assignBusses && !broken) {
    if (pass) {
      // already scanned in pass 0
    } else {
      let child = bus.children.find((c) => c.number === secondary) ?? null;
      if (!child) {
        child = pciAddNewBus(k, bus, dev, secondary, subordinate);
        child.bridgeCtl = bctl;
      }
      const cmax = pciScanChildBus(k, child, Math.max(0, subordinate - secondary - 0));
      if (cmax > max) max = cmax;
      if (subordinate > max) max = subordinate;
      checkBehindBridge(k, bus, dev, child);
    }
  } else {
    if (!pass) {
      if (broken || k.opts.assignBusses) pciWriteConfig(k, dev, PCI_PRIMARY_BUS, 4, (buses & 0xff000000) >>> 0);
    } else {
      pciWriteConfig(k, dev, PCI_STATUS, 2, 0xffff);
      // pci_ea_fixed_busnrs(): an Enhanced Allocation capability may fix the numbers (QEMU's bridges have none)
      if (pciFindCapability(k, dev, PCI_CAP_ID_EA)) throw new GuestError('UNSUPPORTED', `${pciName(dev)}: bus numbers from an Enhanced Allocation capability are not modelled`);
      const next = max + 1;
      const child = pciAddNewBus(k, bus, dev, next, 0xff);
      // pci_bus_insert_busn_res(child, next_busnr, bus->busn_res.end): once the numbers have run out, next_busnr
      // is 0x100 and the request conflicts; Linux goes on with the bus outside the bus-number tree. The dword
      // below then carries secondary 0x100 into the subordinate byte (secondary 00, subordinate ff), the scan of
      // bus 0x100 makes no access (raw_pci_read() refuses a bus > 255), and the subordinate byte gets 0x100 as 00
      const inTree = pciBusInsertBusnRes(k, child, next, bus.busnEnd);
      const newBuses = ((buses & 0xff000000) | bus.number | (next << 8) | (bus.busnEnd << 16)) >>> 0;
      pciWriteConfig(k, dev, PCI_PRIMARY_BUS, 4, newBuses);
      child.bridgeCtl = bctl;
      max = pciScanChildBus(k, child, availableBuses);
      pciBusUpdateBusnResEnd(k, child, inTree, max);
      pciWriteConfig(k, dev, PCI_PRIMARY_BUS + 2, 1, max & 0xff);
      checkBehindBridge(k, bus, dev, child);
    }
  }
  pciWriteConfig(k, dev, PCI_BRIDGE_CONTROL, 2, bctl);
  bctl = 0;
  return max;
}

/**
 * pci_bus_insert_busn_res() for a child bus: request_resource_conflict() in the parent's bus range, which
 * refuses a range that is empty (end < start) or reaches outside the parent's. Only the refusal is logged, as
 * Linux logs it (the parent's busn_res has no name: "(null)"); the routine "end is updated" lines of
 * pci_bus_update_busn_res_end() are not kept.
 */
function pciBusInsertBusnRes(k: KernelState, child: PciBusState, start: number, end: number): boolean {
  const parent = child.parent;
  if (parent === null || (start <= end && start >= parent.number && end <= parent.busnEnd)) return true;
  const under = busResource(parent.number, parent.busnEnd);
  k.log.push(`pci_bus 0000:${hex2(child.number)}: busn_res: can not insert ${busResource(start, end)} under ${under} (conflicts with (null) ${under})`);
  return false;
}

/**
 * pci_bus_update_busn_res_end(): adjust_resource() to [number, max]. In the tree it fails when the new end
 * passes the parent's (the numbers ran out below this bridge) and the bus keeps its end; outside the tree it
 * succeeds and the bus is inserted again, which fails again.
 */
function pciBusUpdateBusnResEnd(k: KernelState, child: PciBusState, inTree: boolean, max: number): void {
  if (child.number > max) return;
  const parent = child.parent;
  if (inTree && parent !== null && max > parent.busnEnd) {
    k.log.push(`pci_bus 0000:${hex2(child.number)}: busn_res: ${busResource(child.number, child.busnEnd)} end can not be updated to ${hex2(max)}`);
    return;
  }
  child.busnEnd = max;
  if (!inTree) pciBusInsertBusnRes(k, child, child.number, max);
}

/** pci_scan_bridge_extend()'s "Check that all devices are accessible": the child's range inside every parent's */
function checkBehindBridge(k: KernelState, bus: PciBusState, dev: PciDev, child: PciBusState): void {
  for (let b: PciBusState | null = bus; b?.parent; b = b.parent) {
    if (child.busnEnd > b.busnEnd || child.number > b.busnEnd || child.number < b.number || child.busnEnd < b.number) {
      k.log.push(`pci ${pciName(dev)}: devices behind bridge are unusable because ${busResource(child.number, child.busnEnd)} cannot be assigned for them`);
      return;
    }
  }
}

/** pci_add_new_bus() -> pci_alloc_child_bus() -> pci_set_bus_speed() + acpiphp */
export function pciAddNewBus(k: KernelState, parent: PciBusState, dev: PciDev, busnr: number, end: number): PciBusState {
  const acpiNode = acpiPciFindCompanion(k, parent, dev);
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
  let agp = pciFindCapability(k, dev, 0x02);
  if (!agp) agp = pciFindCapability(k, dev, 0x0e);
  if (agp) pciReadConfig(k, dev, agp + 4, 4);
  const pcix = pciFindCapability(k, dev, PCI_CAP_ID_PCIX);
  if (pcix) pciReadConfig(k, dev, pcix + 4, 2);
  if (dev.pcieCap) {
    const linkcap = pcieCapabilityRead(k, dev, PCI_EXP_LNKCAP, 4);
    dev.linkActiveReporting = (linkcap & 0x00100000) !== 0;
    pcieCapabilityRead(k, dev, PCI_EXP_LNKSTA, 2);
  }
  if (!pciBridgeChildExtCfgAccessible(k, dev)) {
    child.noExtCfg = true;
    k.log.push(`pci_bus 0000:${hex2(busnr)}: extended config space not accessible`);
  }
  // pcibios_add_bus() -> acpiphp_enumerate_slots()
  k.pcibiosAddBus(k, child);
  return child;
}

/** pci_bridge_child_ext_cfg_accessible() */
export function pciBridgeChildExtCfgAccessible(k: KernelState, bridge: PciDev): boolean {
  if (bridge.bus.noExtCfg) return false;
  if (bridge.pcieCap) {
    const t = pcieType(bridge);
    if (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_UPSTREAM || t === PCI_EXP_TYPE_DOWNSTREAM) return true;
  }
  const pos = pciFindCapability(k, bridge, PCI_CAP_ID_PCIX);
  if (!pos) return false;
  const status = pciReadConfig(k, bridge, pos + 4, 4);
  return (status & (0x00020000 | 0x00040000)) !== 0;
}

/** ACPI_COMPANION() of a bridge: the DSDT node of its _ADR below the parent bus's (acpi_pci_find_companion()) */
export function acpiPciFindCompanion(k: KernelState, parent: PciBusState, dev: PciDev): AcpiPciDevice[] | null {
  if (!parent.acpiDevices) return null;
  const adr = ((dev.devfn >> 3) << 16) | (dev.devfn & 7);
  const node = parent.acpiDevices.find((d) => d.adr === adr);
  return node ? node.children : null;
}

/** pci_enable_crs(): root ports only */
export function pciEnableCrs(k: KernelState, dev: PciDev): void {
  if (!dev.pcieCap || pcieType(dev) !== PCI_EXP_TYPE_ROOT_PORT) return;
  if (!pcieCapabilityRegImplemented(k, dev, PCI_EXP_RTCAP)) return;
  const rtcap = pciReadConfig(k, dev, dev.pcieCap + PCI_EXP_RTCAP, 2);
  if (rtcap & 0x1) {
    const ctl = pciReadConfig(k, dev, dev.pcieCap + PCI_EXP_RTCTL, 2);
    pciWriteConfig(k, dev, dev.pcieCap + PCI_EXP_RTCTL, 2, ctl | 0x10);
  }
}

/** pci_device_add() */
export function pciDeviceAdd(k: KernelState, dev: PciDev, bus: PciBusState): void {
  pciConfigureDevice(k, dev);
  pciFixupHeader(k, dev);
  pciInitCapabilities(k, dev);
  bus.devices.push(dev);
  k.pciDevices.push(dev);
  // device_add() -> sysfs: resource_resize_is_visible() looks for Resizable BAR once per BAR
  for (let i = 0; i < 6; i++) pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_REBAR);
}

/** pci_configure_device() */
export function pciConfigureDevice(k: KernelState, dev: PciDev): void {
  // pci_configure_mps()
  if (dev.pcieCap) {
    const t = pcieType(dev);
    const upstream = dev.bus.self;
    if (t === PCI_EXP_TYPE_RC_END) {
      pcieSetMps(k, dev, 128 << (dev.devcap & 7));
    } else if (upstream && upstream.pcieCap) {
      const mps = pcieGetMps(k, dev);
      const pMps = pcieGetMps(k, upstream);
      if (mps !== pMps) {
        const mpss = 128 << (dev.devcap & 7);
        let p = pMps;
        if (mpss < pMps && pcieType(upstream) === PCI_EXP_TYPE_ROOT_PORT) {
          pcieSetMps(k, upstream, mpss);
          p = pcieGetMps(k, upstream);
        }
        pcieSetMps(k, dev, p);
      }
    }
    // pci_configure_extended_tags()
    const cap = pcieCapabilityRead(k, dev, PCI_EXP_DEVCAP, 4);
    if (cap & 0x20) {
      const ctl = pcieCapabilityRead(k, dev, PCI_EXP_DEVCTL, 2);
      if (!(ctl & 0x100)) pcieCapabilityClearAndSetWord(k, dev, PCI_EXP_DEVCTL, 0, 0x100);
    }
    // pci_configure_relaxed_ordering(): pcie_relaxed_ordering_enabled()
    pcieCapabilityRead(k, dev, PCI_EXP_DEVCTL, 2);
    // pci_configure_ltr()
    pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_L1SS);
    const cap2 = pcieCapabilityRead(k, dev, PCI_EXP_DEVCAP2, 4);
    if (cap2 & 0x800) {
      const ctl2 = pcieCapabilityRead(k, dev, PCI_EXP_DEVCTL2, 4);
      if (!(ctl2 & 0x400) && pcieType(dev) === PCI_EXP_TYPE_ROOT_PORT && false) pcieCapabilityClearAndSetWord(k, dev, PCI_EXP_DEVCTL2, 0, 0x400);
    }
    // pci_configure_eetlp_prefix()
    pcieCapabilityRead(k, dev, PCI_EXP_DEVCAP2, 4);
  }
  // pci_configure_serr()
  if (dev.hdrType === 1) {
    const control = pciReadConfig(k, dev, PCI_BRIDGE_CONTROL, 2);
    if (!(control & PCI_BRIDGE_CTL_SERR)) pciWriteConfig(k, dev, PCI_BRIDGE_CONTROL, 2, control | PCI_BRIDGE_CTL_SERR);
  }
  // pci_configure_rcb()
  if (dev.pcieCap) {
    const t = pcieType(dev);
    if (t !== PCI_EXP_TYPE_ROOT_PORT && t !== PCI_EXP_TYPE_UPSTREAM && t !== PCI_EXP_TYPE_DOWNSTREAM && t !== PCI_EXP_TYPE_RC_EC) {
      const rp = pcieFindRootPort(dev);
      if (rp) {
        const rpLnkctl = pcieCapabilityRead(k, rp, PCI_EXP_LNKCTL, 2);
        pcieCapabilityClearAndSetWord(k, dev, PCI_EXP_LNKCTL, 0x8, rpLnkctl & 0x8);
      }
    }
  }
}

/** pci_init_capabilities() */
export function pciInitCapabilities(k: KernelState, dev: PciDev): void {
  // pci_ea_init()
  pciFindCapability(k, dev, PCI_CAP_ID_EA);
  // pci_msi_init()
  dev.msiCap = pciFindCapability(k, dev, PCI_CAP_ID_MSI);
  if (dev.msiCap) {
    const ctrl = pciReadConfig(k, dev, dev.msiCap + 2, 2);
    if (ctrl & 1) pciWriteConfig(k, dev, dev.msiCap + 2, 2, ctrl & ~1);
  }
  // pci_msix_init()
  dev.msixCap = pciFindCapability(k, dev, PCI_CAP_ID_MSIX);
  if (dev.msixCap) {
    const ctrl = pciReadConfig(k, dev, dev.msixCap + 2, 2);
    if (ctrl & 0x8000) pciWriteConfig(k, dev, dev.msixCap + 2, 2, ctrl & ~0x8000);
  }
  // pci_allocate_cap_save_buffers(): EXP, PCIX, LTR, then VC, VC9, MFVC
  pciFindCapability(k, dev, PCI_CAP_ID_EXP);
  pciFindCapability(k, dev, PCI_CAP_ID_PCIX);
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_LTR);
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_VC);
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_VC9);
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_MFVC);
  // pci_pm_init()
  const pm = pciFindCapability(k, dev, PCI_CAP_ID_PM);
  if (pm) {
    dev.pmCap = pm;
    const pmc = pciReadConfig(k, dev, pm + 2, 2);
    if (pmc & 0xf800) {
      // pci_pme_active(dev, false): PMCSR read, write with PME status cleared
      const pmcsr = pciReadConfig(k, dev, pm + 4, 2);
      pciWriteConfig(k, dev, pm + 4, 2, (pmcsr | 0x8000) & ~0x100);
    }
    pciReadConfig(k, dev, PCI_STATUS, 2);
  }
  // pci_vpd_init()
  pciFindCapability(k, dev, PCI_CAP_ID_VPD);
  // pci_configure_ari(): function 0 of a PCIe device below an ARI-capable port
  if (dev.pcieCap && dev.devfn === 0) pciConfigureAri(k, dev);
  // pci_iov_init(), pci_ats_init(), pci_pri_init(), pci_pasid_init(), pci_acs_init(), pci_ptm_init()
  if (dev.pcieCap) pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_SRIOV);
  dev.atsCap = pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_ATS);
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_PRI);
  dev.pasidCap = pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_PASID);
  pciAcsInit(k, dev);
  if (dev.pcieCap) pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_PTM);
  // pci_aer_init()
  dev.aerCap = pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_ERR);
  if (dev.aerCap) {
    pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_ERR); // pci_add_ext_cap_save_buffer()
    if (pciFindHostBridge(dev.bus).aer) {
      // pci_aer_clear_status() -> pci_aer_raw_clear_status()
      if (pcieType(dev) === PCI_EXP_TYPE_ROOT_PORT || pcieType(dev) === PCI_EXP_TYPE_RC_EC) {
        const rs = pciReadConfig(k, dev, dev.aerCap + 0x30, 4);
        pciWriteConfig(k, dev, dev.aerCap + 0x30, 4, rs);
      }
      const cor = pciReadConfig(k, dev, dev.aerCap + 0x10, 4);
      pciWriteConfig(k, dev, dev.aerCap + 0x10, 4, cor);
      const unc = pciReadConfig(k, dev, dev.aerCap + 0x04, 4);
      pciWriteConfig(k, dev, dev.aerCap + 0x04, 4, unc);
      // pci_enable_pcie_error_reporting(): DEVCTL |= CERE | NFERE | FERE | URRE
      pcieCapabilityClearAndSetWord(k, dev, PCI_EXP_DEVCTL, 0, 0x0f);
    }
  }
  // pci_dpc_init()
  if (dev.pcieCap) pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_DPC);
  // pci_rcec_init(): RC event collectors only
  // pcie_report_downtraining(): endpoints, function 0
  if (dev.pcieCap && (dev.devfn & 7) === 0) {
    const t = pcieType(dev);
    if (t === PCI_EXP_TYPE_ENDPOINT || t === PCI_EXP_TYPE_LEG_END || t === PCI_EXP_TYPE_UPSTREAM) pcieReportDowntraining(k, dev);
  }
  // pci_init_reset_methods(): flr uses the cached DEVCAP, af_flr looks for AF, pm reads PMCSR
  pciFindCapability(k, dev, PCI_CAP_ID_AF);
  if (dev.pmCap) pciReadConfig(k, dev, dev.pmCap + 4, 2);
}

/** pci_rescan_bus(): scan the bus and everything behind it, assign, add (sysfs `rescan`) */
export function pciRescanBus(k: KernelState, bus: PciBusState): PciDev[] {
  const before = new Set(forEachPciDev(k));
  pciScanChildBus(k, bus);
  const found = forEachPciDev(k).filter((d) => !before.has(d));
  for (const d of found) k.hp?.deviceScanned(d);
  assignBusResources(k, bus, false);
  return pciBusAddDevices(k, bus);
}

/**
 * pci_hp_add_bridge(): the first free bus number on the parent's range, pass 0 then pass 1 of
 * pci_scan_bridge_extend() with the numbers left; false when none is free ("No bus number available").
 */
export function pciHpAddBridge(k: KernelState, dev: PciDev): boolean {
  const parent = dev.bus;
  const end = parent.busnEnd;
  let busnr = parent.number;
  for (; busnr <= end; busnr++) if (!pciFindBus(k, busnr)) break;
  if (busnr-- > end) {
    k.hp?.printk(`pci ${pciName(dev)}: No bus number available for hot-added bridge`);
    return false;
  }
  busnr = pciScanBridgeExtend(k, parent, dev, busnr, 0, 0);
  pciScanBridgeExtend(k, parent, dev, busnr, end - busnr, 1);
  return dev.subordinate !== null;
}
