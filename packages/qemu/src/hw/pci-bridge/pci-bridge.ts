/**
 * @module
 * PCI-to-PCI bridges: the common part (hw/pci/pci_bridge.c: `pci_bridge_initfn`, `pci_bridge_write_config`,
 * `pci_bridge_reset`, the Red Hat resource-reserve capability), `pci-bridge` (hw/pci-bridge/pci_bridge_dev.c:
 * SHPC + slot-ID + MSI, 1b36:0001) and `pcie-pci-bridge` (hw/pci-bridge/pcie_pci_bridge.c: a PCIe-to-PCI
 * bridge with SHPC, PCIe v2 cap, PM, AER, MSI, 1b36:000e). Each creates its secondary bus, named after the
 * bridge's `id`, as a child of the bus it sits on.
 */
import { PciBus, pciTopologyChanged } from '../pci/bus.js';
import { QemuError } from '../../errors.js';
import * as R from '../pci/regs.js';
import { pcieAerInit, PCI_ERR_SIZEOF } from '../pci/caps.js';
import { QdevPciDevice, resetBus } from '../pci/qdev-pci.js';
import { Shpc, SHPC_BAR_SIZE } from '../pci/shpc.js';
import { pciProps } from '../pci/device.js';
import { checkUintProp, defineProp, type PropBag, type QdevPropDef } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

const PCI_VENDOR_ID_REDHAT = 0x1b36;
const PCI_CLASS_BRIDGE_PCI = 0x0604;

/** PCIResReserve: -1 (unset) as null */
export interface ResReserve {
  bus: number | null;
  io: bigint | null;
  memNonPref: bigint | null;
  memPref32: bigint | null;
  memPref64: bigint | null;
}

export const NO_RES_RESERVE: ResReserve = { bus: null, io: null, memNonPref: null, memPref32: null, memPref64: null };

const GiB4 = 1n << 32n;

/** A bridge: a type-1 header and a secondary bus. */
export abstract class PciBridgeBase extends QdevPciDevice {
  /** the secondary bus's name: the bridge's `id`, or the automatic `pci.N`/`pcie.N` */
  secBusName = '';
  /** pci_bridge_initfn()'s bus type is TYPE_PCIE_BUS (a PCIe port) rather than TYPE_PCI_BUS */
  readonly secondaryExpress: boolean = false;

  /** pci_bridge_initfn(): status bits, class, header type, and the secondary bus */
  protected pciBridgeInitfn(secondaryExpress: boolean): void {
    this.setWord(R.PCI_STATUS, this.getWord(R.PCI_STATUS) | R.PCI_STATUS_66MHZ | R.PCI_STATUS_FAST_BACK);
    this.setWord(R.PCI_CLASS_DEVICE, PCI_CLASS_BRIDGE_PCI);
    this.config[R.PCI_HEADER_TYPE] =
      (this.config[R.PCI_HEADER_TYPE]! & R.PCI_HEADER_TYPE_MULTI_FUNCTION) | R.PCI_HEADER_TYPE_BRIDGE;
    this.setWord(R.PCI_SEC_STATUS, R.PCI_STATUS_66MHZ | R.PCI_STATUS_FAST_BACK);
    const sec = new PciBus(this.secBusName, secondaryExpress, this);
    this.secondaryBus = sec;
    this.bus!.children.push(sec);
  }

  /** pci_bridge_ssvid_init(): the subsystem vendor ID capability bridges carry */
  pciBridgeSsvidInit(offset: number, svid: number, ssid: number): number {
    const pos = this.addCapability(R.PCI_CAP_ID_SSVID, offset, 8); // PCI_SSVID_SIZEOF
    this.setWord(pos + 4, svid); // PCI_SSVID_SVID
    this.setWord(pos + 6, ssid); // PCI_SSVID_SSID
    return pos;
  }

  /** pcie_cap_flr_write_config(): a write that set BCR_FLR resets the function (pci_device_reset), then clears it */
  protected pcieCapFlrWriteConfig(): void {
    const devctl = this.expCap + R.PCI_EXP_DEVCTL;
    if (this.getWord(devctl) & 0x8000) {
      if (this.secondaryBus) resetBus(this.secondaryBus);
      this.reset();
      this.setWord(devctl, this.getWord(devctl) & ~0x8000);
    }
  }

  /** pci_bridge_exitfn(): a failed realize takes the secondary bus away again */
  removeSecondaryBus(): void {
    const sec = this.secondaryBus;
    if (!sec || !this.bus) return;
    const i = this.bus.children.indexOf(sec);
    if (i >= 0) this.bus.children.splice(i, 1);
    this.secondaryBus = null;
    pciTopologyChanged();
  }

  /** pci_bridge_write_config(): a 0→1 write of the secondary bus reset bit resets everything behind */
  override configWrite(addr: number, val: number, len: number): void {
    const oldctl = this.getWord(R.PCI_BRIDGE_CONTROL);
    super.configWrite(addr, val, len);
    const newctl = this.getWord(R.PCI_BRIDGE_CONTROL);
    if (~oldctl & newctl & R.PCI_BRIDGE_CTL_BUS_RESET && this.secondaryBus) resetBus(this.secondaryBus);
  }

  /** pci_bridge_reset() */
  protected pciBridgeReset(): void {
    const c = this.config;
    c[R.PCI_PRIMARY_BUS] = 0;
    c[R.PCI_SECONDARY_BUS] = 0;
    c[R.PCI_SUBORDINATE_BUS] = 0;
    c[R.PCI_SEC_LATENCY_TIMER] = 0;
    c[R.PCI_IO_BASE]! &= ~R.PCI_IO_RANGE_MASK & 0xff;
    c[R.PCI_IO_LIMIT]! &= ~R.PCI_IO_RANGE_MASK & 0xff;
    this.setWord(R.PCI_MEMORY_BASE, this.getWord(R.PCI_MEMORY_BASE) & ~R.PCI_MEMORY_RANGE_MASK);
    this.setWord(R.PCI_MEMORY_LIMIT, this.getWord(R.PCI_MEMORY_LIMIT) & ~R.PCI_MEMORY_RANGE_MASK);
    this.setWord(R.PCI_PREF_MEMORY_BASE, this.getWord(R.PCI_PREF_MEMORY_BASE) & ~R.PCI_PREF_RANGE_MASK);
    this.setWord(R.PCI_PREF_MEMORY_LIMIT, this.getWord(R.PCI_PREF_MEMORY_LIMIT) & ~R.PCI_PREF_RANGE_MASK);
    this.setLong(R.PCI_PREF_BASE_UPPER32, 0);
    this.setLong(R.PCI_PREF_LIMIT_UPPER32, 0);
    this.setWord(R.PCI_BRIDGE_CONTROL, 0);
    pciTopologyChanged(); // bus numbers rewritten behind the host's bus-number cache
  }

  /** pci_bridge_disable_base_limit() */
  protected pciBridgeDisableBaseLimit(): void {
    const c = this.config;
    c[R.PCI_IO_BASE]! |= R.PCI_IO_RANGE_MASK & 0xff;
    c[R.PCI_IO_LIMIT]! &= ~R.PCI_IO_RANGE_MASK & 0xff;
    this.setWord(R.PCI_MEMORY_BASE, this.getWord(R.PCI_MEMORY_BASE) | R.PCI_MEMORY_RANGE_MASK);
    this.setWord(R.PCI_MEMORY_LIMIT, this.getWord(R.PCI_MEMORY_LIMIT) & ~R.PCI_MEMORY_RANGE_MASK);
    this.setWord(R.PCI_PREF_MEMORY_BASE, this.getWord(R.PCI_PREF_MEMORY_BASE) | R.PCI_PREF_RANGE_MASK);
    this.setWord(R.PCI_PREF_MEMORY_LIMIT, this.getWord(R.PCI_PREF_MEMORY_LIMIT) & ~R.PCI_PREF_RANGE_MASK);
    this.setLong(R.PCI_PREF_BASE_UPPER32, 0);
    this.setLong(R.PCI_PREF_LIMIT_UPPER32, 0);
  }

  /**
   * pci_bridge_qemu_reserve_cap_init(): the Red Hat vendor capability SeaBIOS reads to size a bridge's
   * windows (bus numbers, I/O, memory, prefetchable 32/64). Absent when nothing is reserved.
   */
  protected qemuReserveCapInit(offset: number, r: ResReserve): void {
    if (r.memPref32 !== null && r.memPref64 !== null) {
      throw new QemuError('BAD_PROPERTY_VALUE', 'PCI resource reserve cap: PREF32 and PREF64 conflict');
    }
    if (r.memNonPref !== null && r.memNonPref >= GiB4) {
      throw new QemuError('BAD_PROPERTY_VALUE', 'PCI resource reserve cap: mem-reserve must be less than 4G');
    }
    if (r.memPref32 !== null && r.memPref32 >= GiB4) {
      throw new QemuError('BAD_PROPERTY_VALUE', 'PCI resource reserve cap: pref32-reserve  must be less than 4G');
    }
    if (r.bus === null && r.io === null && r.memNonPref === null && r.memPref32 === null && r.memPref64 === null) return;
    const len = 32; // sizeof(PCIBridgeQemuCap)
    const pos = this.addCapability(R.PCI_CAP_ID_VNDR, offset, len);
    const u64 = (v: bigint | null) => (v === null ? (1n << 64n) - 1n : v);
    this.config[pos + 2] = len;
    this.config[pos + 3] = 1; // REDHAT_PCI_CAP_RESOURCE_RESERVE
    this.setLong(pos + 4, r.bus === null ? 0xffffffff : r.bus >>> 0);
    const io = u64(r.io);
    this.setLong(pos + 8, Number(io & 0xffffffffn));
    this.setLong(pos + 12, Number(io >> 32n));
    this.setLong(pos + 16, Number(u64(r.memNonPref) & 0xffffffffn));
    this.setLong(pos + 20, Number(u64(r.memPref32) & 0xffffffffn));
    const p64 = u64(r.memPref64);
    this.setLong(pos + 24, Number(p64 & 0xffffffffn));
    this.setLong(pos + 28, Number(p64 >> 32n));
  }
}

/** slotid_cap_init(d, nslots = 0, chassis, offset = 0) */
function slotidCapInit(dev: QdevPciDevice, chassis: number): void {
  if (!chassis) {
    throw new QemuError(
      'BAD_PROPERTY_VALUE',
      'Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0.',
    );
  }
  const cap = dev.addCapability(R.PCI_CAP_ID_SLOTID, 0, 4);
  dev.config[cap + 2] = 0x20; // PCI_SID_ESR_FIC | (nslots << 0)
  dev.cmask[cap + 2] = 0xff;
  dev.config[cap + 3] = chassis;
  dev.wmask[cap + 3] = 0xff;
}

/** `pci-bridge` properties */
export interface PciBridgeDevConfig {
  chassisNr: number;
  msi: 'on' | 'off' | 'auto';
  shpc: boolean;
  reserve: ResReserve;
}

/** `pci-bridge`: Red Hat 1b36:0001, a conventional bridge with a 31-slot SHPC */
export class PciBridgeDev extends PciBridgeBase {
  shpc: Shpc | null = null;

  constructor(
    typeName: string,
    deviceId: number,
    readonly cfg: PciBridgeDevConfig,
  ) {
    super({ typeName, vendorId: PCI_VENDOR_ID_REDHAT, deviceId, classId: PCI_CLASS_BRIDGE_PCI, isBridge: true });
    checkUintProp('chassis_nr', 'uint8', cfg.chassisNr); // PCIBridgeDev's chassis_nr is a uint8
  }

  /** pci_bridge_dev_realize() */
  protected override realizeDevice(): void {
    this.pciBridgeInitfn(false);
    let msi = this.cfg.msi;
    if (this.cfg.shpc) {
      this.config[R.PCI_INTERRUPT_PIN] = 1;
      this.shpc = new Shpc(this, () => this.secondaryBus);
      this.shpc.init();
    } else {
      msi = 'off'; // MSI is not applicable without SHPC
    }
    slotidCapInit(this, this.cfg.chassisNr);
    if (msi !== 'off') this.msiInit(0, 1, true, true);
    this.qemuReserveCapInit(0, this.cfg.reserve);
    if (this.shpc) {
      this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_TYPE_64, SHPC_BAR_SIZE);
    }
  }

  /** pci_bridge_dev_write_config() */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    this.shpc?.capWriteConfig(addr, len);
  }

  /** qdev_pci_bridge_dev_reset() */
  override deviceReset(): void {
    this.pciBridgeReset();
    this.shpc?.reset();
  }
}

/** `pcie-pci-bridge`: Red Hat 1b36:000e, PCIe upstream, conventional secondary bus with SHPC */
export class PciePciBridge extends PciBridgeBase {
  shpc: Shpc | null = null;

  constructor(
    typeName: string,
    readonly msi: 'on' | 'off' | 'auto',
  ) {
    super({
      typeName,
      vendorId: PCI_VENDOR_ID_REDHAT,
      deviceId: 0x000e,
      classId: PCI_CLASS_BRIDGE_PCI,
      isBridge: true,
      isExpress: true,
    });
  }

  /** pcie_pci_bridge_realize() */
  protected override realizeDevice(): void {
    this.pciBridgeInitfn(false);
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.shpc = new Shpc(this, () => this.secondaryBus);
    this.shpc.init();
    this.pcieCapInitV2(0, R.PCI_EXP_TYPE_PCI_BRIDGE, 0);
    this.addPm12Capability();
    this.pcieCapArifwdInit();
    this.pcieCapDeverrInit();
    pcieAerInit(this, 0x100, PCI_ERR_SIZEOF, 0);
    if (this.msi !== 'off') this.msiInit(0, 1, true, true);
    this.registerBar(0, R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_TYPE_64, SHPC_BAR_SIZE);
  }

  /** pcie_pci_bridge_write_config() */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    this.shpc?.capWriteConfig(addr, len);
  }

  /** pcie_pci_bridge_reset() (msi_reset is part of pci_do_device_reset here) */
  override deviceReset(): void {
    this.pciBridgeReset();
    this.shpc?.reset();
  }
}

/** DEFINE_PROP_SIZE reserve properties (-1: unset) */
export function reserveProps(o: string): QdevPropDef[] {
  const unset = (1n << 64n) - 1n;
  return [
    defineProp(o, 'bus-reserve', 'uint32', 0xffffffff),
    defineProp(o, 'io-reserve', 'size', unset),
    defineProp(o, 'mem-reserve', 'size', unset),
    defineProp(o, 'pref32-reserve', 'size', unset),
    defineProp(o, 'pref64-reserve', 'size', unset),
  ];
}

export function reserveOf(pr: PropBag): ResReserve {
  const unset = (1n << 64n) - 1n;
  const s = (n: string) => {
    const v = pr.big(n);
    return v === null || v === unset ? null : v;
  };
  const bus = pr.num('bus-reserve');
  return {
    bus: bus === 0xffffffff ? null : bus,
    io: s('io-reserve'),
    memNonPref: s('mem-reserve'),
    memPref32: s('pref32-reserve'),
    memPref64: s('pref64-reserve'),
  };
}

/** `pci-bridge` (1b36:0001) and `pci-bridge-seat` (1b36:000a): pci_bridge_dev_properties[] */
function pciBridgeDevType(name: string, deviceId: number): QdevTypeInfo {
  return {
    name,
    ancestors: name === 'pci-bridge' ? [name, 'base-pci-bridge', 'pci-device', 'device'] : [name, 'pci-bridge', 'base-pci-bridge', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    props: [
      ...pciProps(name),
      defineProp(name, 'chassis_nr', 'uint8', 0),
      defineProp(name, 'msi', 'onoffauto', 'auto'),
      defineProp(name, 'shpc', 'bool', true),
      ...reserveProps(name),
    ],
    build: (ctx) =>
      new PciBridgeDev(name, deviceId, {
        chassisNr: ctx.props.num('chassis_nr'),
        msi: ctx.props.values.get('msi') as 'on' | 'off' | 'auto',
        shpc: ctx.props.bool('shpc'),
        reserve: reserveOf(ctx.props),
      }),
  };
}

export const PCI_BRIDGE_TYPE = pciBridgeDevType('pci-bridge', 0x0001);
export const PCI_BRIDGE_SEAT_TYPE = pciBridgeDevType('pci-bridge-seat', 0x000a);

/** `pcie-pci-bridge`: pcie_pci_bridge_dev_properties[] */
export const PCIE_PCI_BRIDGE_TYPE: QdevTypeInfo = {
  name: 'pcie-pci-bridge',
  ancestors: ['pcie-pci-bridge', 'base-pci-bridge', 'pci-device', 'device'],
  busType: 'PCI',
  kind: 'pci',
  pcieOnly: true,
  props: [...pciProps('pcie-pci-bridge'), defineProp('pcie-pci-bridge', 'msi', 'onoffauto', 'auto')],
  build: (ctx) => new PciePciBridge('pcie-pci-bridge', ctx.props.values.get('msi') as 'on' | 'off' | 'auto'),
};

/** TYPE_PCI_BRIDGE: the abstract parent of every bridge */
export const BASE_PCI_BRIDGE_TYPE: QdevTypeInfo = { name: 'base-pci-bridge', ancestors: ['base-pci-bridge', 'pci-device', 'device'], abstract: true, busType: 'PCI', props: [], kind: 'pci' };
