/**
 * @module
 * A PCI bus: 256 devfns, a parent bridge (none for a root bus) and child buses behind bridges.
 * Bus numbers are not stored: like QEMU (`pci_bus_num()`), a secondary bus's number is whatever
 * the guest or firmware wrote into its bridge's SECONDARY_BUS register.
 */
import type { PciDevice } from './device.js';
import { QemuError } from '../../errors.js';
import { invalidParameterValue } from '../core/qdev-properties.js';
import * as R from './regs.js';

declare module './device.js' {
  /** a function's `bus` is a whole {@link PciBus} (see PciDeviceBus) */
  interface PciDeviceBus extends PciBus {}
}

/**
 * Bumped whenever the PCI topology changes in a way a bus-number lookup cannot see from the bus it found:
 * a function plugged or unplugged (a bridge's secondary bus comes or goes with it). {@link PciHost}'s
 * per-bus-number cache compares it; code that rewrites a bridge's SECONDARY/SUBORDINATE/BRIDGE_CONTROL bytes
 * directly (not through a config access) or edits `children` by hand calls {@link pciTopologyChanged}.
 */
let topologyEpoch = 0;

/** The current topology epoch (see {@link pciTopologyChanged}). */
export function pciTopologyEpoch(): number {
  return topologyEpoch;
}

/** Tell every host's bus-number cache that the bridges or buses changed behind its back. */
export function pciTopologyChanged(): void {
  topologyEpoch = (topologyEpoch + 1) | 0;
}

export class PciBus {
  readonly devices: (PciDevice | null)[] = new Array<PciDevice | null>(256).fill(null);
  readonly children: PciBus[] = [];
  /** the first devfn a device may take (QEMU's `devfn_min`) */
  devfnMin = 0;
  /** slots a hot-plug controller serves; the rest of the bus is not addressable (QEMU's `slot_reserved_mask`) */
  slotReservedMask = 0;

  constructor(
    /** QEMU's bus name: `pcie.0`, `pci.0`, or the id of the bridge that owns it */
    readonly name: string,
    readonly isExpress: boolean,
    readonly parentBridge: PciDevice | null,
    /** a root bus's fixed number */
    readonly rootBusNumber = 0,
  ) {
    // a bus number is the 8 bits of a conf1/ECAM address: a root bus outside 0..255 could never be reached
    if (rootBusNumber !== (rootBusNumber & 0xff)) {
      throw new RangeError(`PciBus ${name}: a root bus number is 0..255, not ${rootBusNumber}`);
    }
  }

  get isRoot(): boolean {
    return this.parentBridge === null;
  }

  /** pci_bus_num() */
  get number(): number {
    return this.parentBridge === null ? this.rootBusNumber : this.parentBridge.config[R.PCI_SECONDARY_BUS]!;
  }

  /** pci_find_bus_nr(): follow bridges whose [secondary, subordinate] contains the number. */
  findBus(busNum: number): PciBus | null {
    if (this.number === busNum) return this;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let bus: PciBus | null = this;
    while (bus !== null) {
      let next: PciBus | null = null;
      for (const sec of bus.children) {
        if (sec.number === busNum) return sec;
        // PXB buses assumed to be children of bus 0
        if (sec.parentBridge === null ? rootBusInRange(sec, busNum) : secondaryBusInRange(sec.parentBridge, busNum)) {
          next = sec;
          break;
        }
      }
      bus = next;
    }
    return null;
  }

  /** pci_find_device() */
  findDevice(busNum: number, devfn: number): PciDevice | null {
    const bus = this.findBus(busNum);
    return bus === null ? null : bus.devices[devfn] ?? null;
  }

  /**
   * do_pci_register_device() + pci_init_multifunction(): place a function, with QEMU's errors.
   * `devfn` < 0 picks the first free slot.
   */
  plug(dev: PciDevice, devfn: number): void {
    const name = dev.typeName;
    // set_pci_devfn(): the addr property holds -1 (any slot) or a devfn 0..255; anything else is refused
    // with QEMU's words before do_pci_register_device() could index past the bus's 256 functions
    if (devfn !== -1 && devfn !== (devfn & 0xff)) {
      throw invalidParameterValue('addr', 'a value between -1 and 255');
    }
    if (devfn < 0) {
      let found = -1;
      for (let d = this.devfnMin; d < 256; d += 8) {
        if (this.devfnAvailable(d) && !this.devfnReserved(d)) {
          found = d;
          break;
        }
      }
      if (found < 0) {
        throw new QemuError('SLOT_IN_USE', `PCI: no slot/function available for ${name}, all in use or reserved`);
      }
      devfn = found;
    } else if (this.devfnReserved(devfn)) {
      throw new QemuError(
        'SLOT_IN_USE',
        `PCI: slot ${R.PCI_SLOT(devfn)} function ${R.PCI_FUNC(devfn)} not available for ${name}, reserved`,
      );
    } else if (!this.devfnAvailable(devfn)) {
      const other = this.devices[devfn]!;
      throw new QemuError(
        'SLOT_IN_USE',
        `PCI: slot ${R.PCI_SLOT(devfn)} function ${R.PCI_FUNC(devfn)} not available for ${name}, in use by ${other.typeName},id=${other.id ?? ''}`,
      );
    }
    const slot = R.PCI_SLOT(devfn);
    if (dev.multifunction) dev.config[R.PCI_HEADER_TYPE]! |= R.PCI_HEADER_TYPE_MULTI_FUNCTION;
    const fn = R.PCI_FUNC(devfn);
    if (fn !== 0) {
      const f0 = this.devices[R.PCI_DEVFN(slot, 0)];
      if (f0 && !f0.multifunction) {
        throw new QemuError(
          'NOT_MULTIFUNCTION',
          `PCI: single function device can't be populated in function ${slot.toString(16)}.${fn.toString(16)}`,
        );
      }
    } else if (!dev.multifunction) {
      for (let f = 1; f < 8; f++) {
        if (this.devices[R.PCI_DEVFN(slot, f)]) {
          throw new QemuError(
            'NOT_MULTIFUNCTION',
            `PCI: ${slot.toString(16)}.0 indicates single function, but ${slot.toString(16)}.${f.toString(16)} is already populated.`,
          );
        }
      }
    }
    dev.devfn = devfn;
    dev.bus = this;
    this.devices[devfn] = dev;
    pciTopologyChanged();
    try {
      dev.realize();
    } finally {
      // realize may add a secondary bus (pci_bridge_initfn) or take it away again on failure
      pciTopologyChanged();
    }
  }

  unplug(dev: PciDevice): void {
    if (dev.bus === this && this.devices[dev.devfn] === dev) this.devices[dev.devfn] = null;
    dev.bus = null;
    pciTopologyChanged();
  }

  private devfnAvailable(devfn: number): boolean {
    return this.devices[devfn] === null;
  }

  private devfnReserved(devfn: number): boolean {
    return (this.slotReservedMask & (1 << R.PCI_SLOT(devfn))) !== 0;
  }

  /** depth-first walk of this bus and every bus behind it */
  *walk(): Generator<PciBus> {
    yield this;
    for (const c of this.children) yield* c.walk();
  }
}

/**
 * Every function below `root` (a machine's `functions()`), in bus-walk order: an array built by a plain
 * recursion rather than a generator, whose frames and iterator results were ~9 % of realizing a default q35
 * (every boot resets every function).
 */
export function busFunctions(root: PciBus | null): { bus: number; dev: PciDevice }[] {
  const out: { bus: number; dev: PciDevice }[] = [];
  const visit = (bus: PciBus): void => {
    for (const dev of bus.devices) if (dev) out.push({ bus: bus.number, dev });
    for (const c of bus.children) visit(c);
  };
  if (root) visit(root);
  return out;
}

/** pci_root_bus_in_range(): a bridge on an expander's root bus forwards the number */
export function rootBusInRange(bus: PciBus, busNum: number): boolean {
  for (const dev of bus.devices) if (dev && dev.isBridge && secondaryBusInRange(dev, busNum)) return true;
  return false;
}

/** pci_secondary_bus_in_range() */
export function secondaryBusInRange(bridge: PciDevice, busNum: number): boolean {
  return (
    (bridge.getWord(R.PCI_BRIDGE_CONTROL) & R.PCI_BRIDGE_CTL_BUS_RESET) === 0 &&
    bridge.config[R.PCI_SECONDARY_BUS]! <= busNum &&
    busNum <= bridge.config[R.PCI_SUBORDINATE_BUS]!
  );
}

/**
 * pci_bus_get_w64_range() (hw/pci/pci.c, pci_dev_get_w64()): the span of what the firmware mapped above 4 GiB
 * under `bus`, memory decoding on: 64-bit memory BARs and bridges' prefetchable windows, each clipped to start
 * at 4 GiB. Null when nothing is mapped there. The host bridges build their `_CRS` 64-bit window from it.
 */
export function pciBusGetW64Range(bus: PciBus): { lob: number; upb: number } | null {
  const U32 = 2 ** 32;
  let lob = Infinity;
  let upb = -1;
  const extend = (lo: number, hi: number) => {
    const l = Math.max(lo, U32);
    if (hi >= l) {
      lob = Math.min(lob, l);
      upb = Math.max(upb, hi);
    }
  };
  for (const b of bus.walk()) {
    for (const dev of b.devices) {
      if (!dev || !(dev.getWord(R.PCI_COMMAND) & R.PCI_COMMAND_MEMORY)) continue;
      if (dev.isBridge) {
        // pci_bridge_get_base()/get_limit() of the prefetchable window
        const baseLo = dev.getWord(R.PCI_PREF_MEMORY_BASE);
        const limitLo = dev.getWord(R.PCI_PREF_MEMORY_LIMIT);
        const is64 = (baseLo & 0x0f) === R.PCI_PREF_RANGE_TYPE_64; // PCI_PREF_RANGE_TYPE_MASK
        const base = (baseLo & R.PCI_PREF_RANGE_MASK) * 0x10000 + (is64 ? dev.getLong(R.PCI_PREF_BASE_UPPER32) * U32 : 0);
        const limit = (limitLo & R.PCI_PREF_RANGE_MASK) * 0x10000 + 0xfffff + (is64 ? dev.getLong(R.PCI_PREF_LIMIT_UPPER32) * U32 : 0);
        extend(base, limit);
      }
      for (let i = 0; i < R.PCI_NUM_REGIONS; i++) {
        const r = dev.regions[i];
        if (!r || !r.size || r.type & R.PCI_BASE_ADDRESS_SPACE_IO || !(r.type & R.PCI_BASE_ADDRESS_MEM_TYPE_64)) continue;
        // pci_bar_address(): the BAR as programmed, 0 or all-ones unmapped
        const off = dev.barOffset(i);
        const addr = r.size >= U32 ? 0 : (dev.getLong(off) & ~(r.size - 1) & ~0xf) >>> 0;
        const full = addr + dev.getLong(off + 4) * U32;
        if (full === 0 || full + r.size - 1 >= 2 ** 64 - 1) continue;
        extend(full, full + r.size - 1);
      }
    }
  }
  return upb < 0 ? null : { lob, upb };
}
