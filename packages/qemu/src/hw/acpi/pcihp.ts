/**
 * @module
 * QEMU 7.2's ACPI PCI hot-plug (hw/acpi/pcihp.c) as ICH9 uses it on q35 (hw/acpi/ich9.c), and the GPE
 * block it signals through (hw/acpi/core.c acpi_gpe_*):
 *
 * - the `acpi-pci-hotplug` I/O region at ACPI_PCIHP_ADDR_ICH9 = 0x0cc0, 0x18 bytes, dword access:
 *   PCI_UP_BASE (+0, `PCIU`, read clears on q35), PCI_DOWN_BASE (+4, `PCID`), PCI_EJ_BASE (+8, `B0EJ`:
 *   a write ejects), PCI_RMV_BASE (+0xc), PCI_SEL_BASE (+0x10, `BNUM`), PCI_AIDX_BASE (+0x14, `PIDX`);
 * - one {up, down, hotplug_enable} per BSEL; BSELs are given depth first (children newest first, as
 *   QLIST_INSERT_HEAD keeps them) to the buses that have a hot-plug handler, after the root bus lost its
 *   own (`acpi_pcihp_reset(…, acpihp_root_off = true)` on ICH9);
 * - `acpi_send_event(ACPI_PCI_HOTPLUG_STATUS)`: GPE0 status bit 1, and the SCI follows
 *   (status & enable) of the GPE block (acpi_update_sci()).
 */
import type { PciBus } from '../pci/bus.js';
import type { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';

export const ACPI_PCIHP_ADDR_ICH9 = 0x0cc0;
export const ACPI_PCIHP_SIZE = 0x18;
export const PCI_UP_BASE = 0x00;
export const PCI_DOWN_BASE = 0x04;
export const PCI_EJ_BASE = 0x08;
export const PCI_RMV_BASE = 0x0c;
export const PCI_SEL_BASE = 0x10;
export const PCI_AIDX_BASE = 0x14;
export const ACPI_PCI_HOTPLUG_STATUS = 2;
/** ICH9_PMIO_GPE0_STS, ICH9_PMIO_GPE0_LEN */
export const ICH9_PMIO_GPE0_STS = 0x20;
export const ICH9_PMIO_GPE0_LEN = 16;
/** ICH9's SCI_INT */
export const ICH9_SCI_IRQ = 9;

/** One bus ACPI hot-plug serves. */
export interface PcihpBus {
  bus: PciBus;
  bsel: number;
  /** bridge devfns from the root bus to this bus (the DSDT's Sxx scopes) */
  path: number[];
  /** the slots DVNT notifies: empty slots (only slot 0 on a PCIe bus) and hot-pluggable functions 0 */
  slots: number[];
}

/** AcpiPciHpPciStatus */
interface PciStatus {
  up: number;
  down: number;
  hotplugEnable: number;
}

/** The hot-plug registers and the GPE block behind the SCI. */
export class AcpiPciHp {
  readonly buses: PcihpBus[];
  private readonly status = new Map<number, PciStatus>();
  hotplugSelect = 0;
  acpiIndex = 0;
  /** GPE0: status bytes then enable bytes */
  readonly gpeSts = new Uint8Array(ICH9_PMIO_GPE0_LEN / 2);
  readonly gpeEn = new Uint8Array(ICH9_PMIO_GPE0_LEN / 2);
  /** PM1a status/enable (16-bit each): no fixed event is modelled, so status stays 0 */
  pm1Sts = 0;
  pm1En = 0;
  private sciLevel = false;

  constructor(
    rootBus: PciBus,
    /** does ACPI serve this bus (it has a hot-plug handler)? */
    hotpluggable: (bus: PciBus) => boolean,
    /** raise the SCI (a rising edge of its level) */
    private readonly raiseSci: () => void,
    /** eject: the function leaves its bus (the hot-plug handler's unplug) */
    private readonly eject: (dev: PciDevice) => void,
    /** acpi-index of a device (0: none) */
    private readonly acpiIndexOf: (dev: PciDevice) => number = () => 0,
  ) {
    this.buses = [];
    let next = 0;
    const walk = (bus: PciBus, path: number[]): void => {
      if (hotpluggable(bus)) {
        this.buses.push({ bus, bsel: next++, path, slots: dvntSlots(bus) });
      }
      // QLIST_INSERT_HEAD: the newest bridge's bus first
      // an expander's root bus (pxb) is not below PCI0 in the DSDT: its buses have no Sxx path from it
      for (const c of [...bus.children].reverse()) walk(c, c.parentBridge ? [...path, c.parentBridge.devfn] : []);
    };
    walk(rootBus, []);
    for (const b of this.buses) this.status.set(b.bsel, { up: 0, down: 0, hotplugEnable: hotplugEnableOf(b.bus) });
  }

  bselOf(bus: PciBus): number {
    return this.buses.find((b) => b.bus === bus)?.bsel ?? -1;
  }

  private findBus(bsel: number): PciBus | null {
    return this.buses.find((b) => b.bsel === bsel)?.bus ?? null;
  }

  /** acpi_pcihp_device_plug_cb() for a hot-plugged function: up |= slot, GPE */
  plugged(dev: PciDevice): void {
    const bsel = this.bselOf(dev.bus!);
    const st = this.status.get(bsel);
    if (!st) return;
    st.up |= 1 << R.PCI_SLOT(dev.devfn);
    this.sendEvent();
  }

  /** acpi_pcihp_device_unplug_request_cb(): down |= slot, GPE */
  unplugRequest(dev: PciDevice): string | null {
    const bsel = this.bselOf(dev.bus!);
    const st = this.status.get(bsel);
    if (!st) return "Unsupported bus. Bus doesn't have property 'acpi-pcihp-bsel' set";
    st.down |= 1 << R.PCI_SLOT(dev.devfn);
    this.sendEvent();
    return null;
  }

  /** acpi_send_event(ACPI_PCI_HOTPLUG_STATUS) */
  private sendEvent(): void {
    this.gpeSts[0]! |= ACPI_PCI_HOTPLUG_STATUS;
    this.updateSci();
  }

  /** acpi_update_sci(): the level is (GPE status & enable) != 0 (PM1 events are not modelled) */
  updateSci(): void {
    let level = (this.pm1Sts & this.pm1En) !== 0;
    for (let i = 0; i < this.gpeSts.length; i++) if (this.gpeSts[i]! & this.gpeEn[i]!) level = true;
    if (level && !this.sciLevel) this.raiseSci();
    this.sciLevel = level;
  }

  // --- the PCST/SEJ/BNMR region: pci_read()/pci_write() ---

  read(addr: number): number {
    const bsel = this.hotplugSelect;
    const st = this.status.get(bsel);
    if (bsel < 0 || bsel >= 256) return 0;
    switch (addr) {
      case PCI_UP_BASE: {
        const v = st?.up ?? 0;
        if (st) st.up = 0; // !legacy_piix
        return v >>> 0;
      }
      case PCI_DOWN_BASE:
        return (st?.down ?? 0) >>> 0;
      case PCI_EJ_BASE:
        return 0;
      case PCI_RMV_BASE:
        return (st?.hotplugEnable ?? 0) >>> 0;
      case PCI_SEL_BASE:
        return this.hotplugSelect >>> 0;
      case PCI_AIDX_BASE: {
        const v = this.acpiIndex;
        this.acpiIndex = 0;
        return v;
      }
      default:
        return 0;
    }
  }

  write(addr: number, data: number): void {
    this.acpiIndex = 0;
    switch (addr) {
      case PCI_AIDX_BASE: {
        const slot = ctz(data);
        const bus = this.findBus(this.hotplugSelect);
        if (!bus) break;
        for (const d of bus.devices) {
          if (d && R.PCI_SLOT(d.devfn) === slot) {
            this.acpiIndex = this.acpiIndexOf(d);
            break;
          }
        }
        break;
      }
      case PCI_EJ_BASE:
        this.ejectSlot(this.hotplugSelect, data >>> 0);
        break;
      case PCI_SEL_BASE:
        this.hotplugSelect = data >>> 0;
        break;
      default:
        break;
    }
  }

  /** acpi_pcihp_eject_slot() */
  private ejectSlot(bsel: number, slots: number): void {
    const slot = ctz(slots);
    const bus = this.findBus(bsel);
    if (!bus || slot > 31) return;
    const st = this.status.get(bsel);
    if (st) {
      st.down &= ~(1 << slot);
      st.up &= ~(1 << slot);
    }
    for (const d of [...bus.devices]) {
      if (!d || R.PCI_SLOT(d.devfn) !== slot) continue;
      // acpi_pcihp_pc_no_hotplug(): a cold-plugged bridge, or a type that is not hot-pluggable, stays
      if (d.isBridge && !d.hotplugged) continue;
      this.eject(d);
    }
  }

  // --- the GPE0 block: acpi_gpe_ioport_readb()/writeb() ---

  gpeRead(off: number): number {
    const half = this.gpeSts.length;
    return off < half ? this.gpeSts[off]! : this.gpeEn[off - half] ?? 0;
  }

  gpeWrite(off: number, v: number): void {
    const half = this.gpeSts.length;
    if (off < half) this.gpeSts[off]! &= ~v; // write one to clear
    else if (off - half < this.gpeEn.length) this.gpeEn[off - half] = v & 0xff;
    this.updateSci();
  }
}

/** build_append_pci_bus_devices(): the slots with a Notify entry in DVNT */
function dvntSlots(bus: PciBus): number[] {
  const out: number[] = [];
  for (let slot = 0; slot < 32; slot++) {
    const dev = bus.devices[R.PCI_DEVFN(slot, 0)] ?? null;
    if (dev) {
      const coldBridge = dev.isBridge && !dev.hotplugged;
      if (!coldBridge && hotpluggableType(dev)) out.push(slot);
    } else {
      if (bus.isExpress && slot > 0) break;
      out.push(slot);
    }
  }
  return out;
}

/** acpi_pcihp_update_hotplug_bus(): a slot holding a function that cannot be unplugged is not removable */
function hotplugEnableOf(bus: PciBus): number {
  let en = 0xffffffff;
  for (const d of bus.devices) {
    if (!d) continue;
    if ((d.isBridge && !d.hotplugged) || !hotpluggableType(d)) en &= ~(1 << R.PCI_SLOT(d.devfn));
  }
  return en >>> 0;
}

/** DeviceClass::hotpluggable: the chipset's functions are not */
function hotpluggableType(dev: PciDevice): boolean {
  return !['mch', 'ICH9-LPC', 'ich9-ahci', 'ICH9 SMB'].includes(dev.typeName);
}

function ctz(v: number): number {
  if (v === 0) return 32;
  return 31 - Math.clz32(v & -v);
}
