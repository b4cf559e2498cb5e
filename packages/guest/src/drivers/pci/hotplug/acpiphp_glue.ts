/**
 * @module
 * ACPI PCI hot-plug as Linux 6.1 runs it on QEMU's DSDT: the SCI (acpi_irq -> acpi_ev_sci_xrupt_handler:
 * PM1 status/enable, then acpi_ev_gpe_detect() reading the status and enable byte of every enabled GPE
 * register once per GPE bit), acpi_ev_gpe_dispatch() (disable the GPE, clear an edge GPE, queue the method
 * on kacpid), the `_E01` method (QEMU's AML: Acquire BLCK, `\_SB.PCI0.PCNT`: per hot-pluggable bus
 * `BNUM = BSEL`, `DVNT(PCIU, 1)`, `DVNT(PCID, 3)`, each a SystemIO dword access), the Notify()s queued on
 * kacpi_notify, acpi_bus_notify() -> acpi_hotplug_schedule() on kacpi_hotplug, and acpiphp_glue.c's
 * hotplug_event(): DEVICE_CHECK rescans the slot (pci_scan_slot()) then acpiphp_check_bridge() re-checks
 * every slot of the bridge (get_slot_status(): a vendor ID read, and a second one for an empty slot
 * without `_STA`), EJECT_REQUEST removes the functions and runs `_EJ0` (PCEJ: `BNUM`, `B0EJ`).
 */
import { pciHostBridgeNative } from '../../acpi/pci_root.js';
import { pcieCapabilityRead } from '../access.js';
import { pciBusAddDevices } from '../bus.js';
import { pciBusReadDevVendorId, pciHpAddBridge, pciScanSlot } from '../probe.js';
import { pciStopAndRemoveBusDevice } from '../remove.js';
import { pciBusAssignResources } from '../setup-bus.js';
import type { PciBusState, PciDev } from '../../../include/linux/pci.js';
import type { HotplugContext } from '../../../include/linux/pci_hotplug.js';
import type { IrqReturn, KGen } from '../../../include/linux/sched.js';
import { type KernelState, kernelStateOf } from '../../../init/state.js';

/** acpiphp_enumerate_slots() -> acpiphp_add_context() */
export function acpiphpEnumerateSlots(k: KernelState, bus: PciBusState): void {
  if (!bus.acpiDevices) return;
  if (k.opts.acpiphpDisabled) return;
  // a bridge handled by native hot-plug still gets its acpiphp context (acpiphp_add_context() created one for
  // every _ADR device under the parent; hotplug_is_native() only keeps the slot from being registered), so the
  // functions the DSDT lists below it are read here too: pcie_ports=native on QEMU's ACPI-described root ports
  for (const d of bus.acpiDevices) {
    const device = (d.adr >>> 16) & 0xffff;
    const fn = d.adr & 0xffff;
    pciBusReadDevVendorId(k, bus, (device << 3) | fn);
  }
}

/**
 * The firmware's description of ACPI PCI hot-plug (FADT GPE0/PM1 blocks, the DSDT's PCST/SEJ/BNMR
 * regions and PCNT/DVNT methods), as QEMU's hw/i386/acpi-build.c generates it.
 */
export interface AcpiPciHotplugTables {
  /** FADT PM1a_EVT_BLK: status at +0, enable at +2 (16-bit each) */
  pm1aEvtBlk: number;
  /** FADT GPE0_BLK and GPE0_BLK_LEN: status bytes, then enable bytes */
  gpe0Blk: number;
  gpe0BlkLen: number;
  /** FADT SCI_INT */
  sciIrq: number;
  /** the GPE whose _Exx method calls PCNT (`_E01`) */
  hotplugGpe: number;
  /** GPEs with a method, enabled by acpi_update_all_gpes() ("ACPI: Enabled 2 GPEs in block 00 to 3F") */
  enabledGpes: readonly number[];
  /** the PCST/SEJ/BNMR SystemIO regions' base (ACPI_PCIHP_ADDR_ICH9 = 0x0cc0 on q35) */
  pcihpIoBase: number;
  /**
   * What PCNT walks, in its order: each bus with a BSEL, named by the devfns of the bridges from the root
   * bus, and the slots DVNT has a Notify for.
   */
  buses: readonly { path: readonly number[]; bsel: number; slots: readonly number[] }[];
}

// pcihp register offsets (QEMU hw/acpi/pcihp.c)
const PCI_UP_BASE = 0x00;
const PCI_DOWN_BASE = 0x04;
const PCI_EJ_BASE = 0x08;
const PCI_SEL_BASE = 0x10;
const PCI_AIDX_BASE = 0x14;

const ACPI_NOTIFY_DEVICE_CHECK = 1;
const ACPI_NOTIFY_EJECT_REQUEST = 3;

/** acpiphp_slot: one device number on a bridge's bus, with its ACPI functions */
export interface AcpiphpSlot {
  bus: PciBusState;
  device: number;
  /** function numbers the DSDT describes in this slot */
  funcs: number[];
  hasEj0: boolean;
  /** registered with the PCI hot-plug core ("acpiphp: Slot [n] registered") */
  registered: boolean;
  enabled: boolean;
  sun: number | undefined;
}

/** the ACPI side (GPE handling) and acpiphp_glue.c */
export class Acpiphp {
  /** acpiphp_bridge's slots, per bus */
  readonly slots = new Map<PciBusState, AcpiphpSlot[]>();
  private gpeEnabled: Set<number>;
  /** acpiphp has handled a hot-plug notification since boot */
  private handledOne = false;
  /** the GPE a method is running for (dispatch disabled it) */

  constructor(
    private readonly rt: HotplugContext,
    readonly tables: AcpiPciHotplugTables,
  ) {
    this.gpeEnabled = new Set(tables.enabledGpes);
  }

  private get k() {
    return this.rt.kernel;
  }
  /** the kernel state the PCI core's functions take */
  private get linux(): KernelState {
    return kernelStateOf(this.rt.linux);
  }

  /**
   * At acpi_bus_init(), long before the PCI scan: acpi_enable_subsystem() -> acpi_hw_clear_acpi_status()
   * clears PM1 status and every GPE status byte (an event latched before this is lost, as QEMU's pcihp.c
   * warns), the SCI handler is installed, and acpi_update_all_gpes() enables each GPE that has a method
   * (acpi_hw_low_set_gpe(): a read and a write of its enable byte).
   */
  installSci(): void {
    const c = this.k.cpu;
    c.outw(this.tables.pm1aEvtBlk, 0xffff);
    const half = this.tables.gpe0BlkLen / 2;
    for (let i = 0; i < half; i++) c.outb(this.tables.gpe0Blk + i, 0xff);
    this.k.requestThreadedIrq(`gsi:${this.tables.sciIrq}`, 'acpi', () => this.acpiIrq());
    for (const g of this.tables.enabledGpes) this.lowSetGpe(g, true);
  }

  /**
   * acpiphp_enumerate_slots() for every bus boot() gave an acpiphp_bridge: the slots the ACPI namespace
   * describes, registered when they have _EJ0 and the bridge is not handled natively (the vendor-ID
   * reads of acpiphp_add_context() were made by boot()).
   */
  enumerate(): void {
    const walk = (bus: PciBusState): void => {
      if (bus.acpiDevices && !this.nativeBridge(bus.self)) {
        const list: AcpiphpSlot[] = [];
        for (const d of bus.acpiDevices) {
          const device = (d.adr >>> 16) & 0xffff;
          const fn = d.adr & 0xffff;
          let s = list.find((x) => x.device === device);
          if (!s) {
            s = { bus, device, funcs: [], hasEj0: false, registered: false, enabled: false, sun: d.sun };
            list.push(s);
            if (d.ej0) {
              s.registered = true;
              this.rt.logBoot(`acpiphp: Slot [${this.slotName(s)}] registered`);
            }
          }
          s.funcs.push(fn);
          if (d.ej0) s.hasEj0 = true;
          if (bus.devices.some((x) => x.devfn === ((device << 3) | fn))) s.enabled = true;
        }
        this.slots.set(bus, list);
      }
      for (const d of bus.devices) if (d.subordinate) walk(d.subordinate);
    };
    for (const r of this.linux.pciRootBuses) walk(r);
  }

  private readonly usedNames = new Map<string, number>();
  private slotName(s: AcpiphpSlot): string {
    const base = String(s.sun ?? s.device);
    const n = this.usedNames.get(base) ?? 0;
    this.usedNames.set(base, n + 1);
    return n === 0 ? base : `${base}-${n + 1}`;
  }

  /** a bridge whose slots pciehp or shpchp handle (hotplug_is_native(), without its SLTCAP read) */
  private nativeBridge(bridge: PciDev | null): boolean {
    if (!bridge) return false;
    const osc = pciHostBridgeNative(this.linux);
    if (bridge.pcieCap && bridge.isHotplugBridge && osc.nativePcieHotplug) return true;
    return this.rt.shpcManaged(bridge);
  }

  /** hotplug_is_native() as enable_slot() evaluates it: pciehp_is_native() reads SLTCAP */
  private hotplugIsNative(bridge: PciDev): boolean {
    if (bridge.pcieCap) {
      const sltcap = pcieCapabilityRead(this.linux, bridge, 0x14, 4);
      if (sltcap & 0x40 && pciHostBridgeNative(this.linux).nativePcieHotplug) return true;
    }
    return this.rt.shpcManaged(bridge);
  }

  /** does acpiphp own a registered slot here (shpchp's pci_hp_register() then fails with -EBUSY) */
  owns(busNumber: number, device: number): boolean {
    for (const [bus, list] of this.slots) if (bus.number === busNumber && list.some((s) => s.device === device && s.registered)) return true;
    return false;
  }

  // ------------------------------------------------------------------
  // the SCI and GPEs (drivers/acpi/osl.c acpi_irq, ACPICA evgpe.c/evsci.c)

  private io(reg: number): number {
    return this.tables.pcihpIoBase + reg;
  }

  /** acpi_irq() -> acpi_ev_sci_xrupt_handler() */
  private acpiIrq(): IrqReturn {
    const c = this.k.cpu;
    // acpi_ev_fixed_event_detect(): PM1 status and enable
    const sts = c.inw(this.tables.pm1aEvtBlk);
    const en = c.inw(this.tables.pm1aEvtBlk + 2);
    void (sts & en);
    // acpi_ev_gpe_detect(): registers with an enabled GPE; acpi_ev_detect_gpe() reads both bytes per GPE bit
    const half = this.tables.gpe0BlkLen / 2;
    let handled = false;
    for (let reg = 0; reg < half; reg++) {
      const gpes = [...this.gpeEnabledForRun()].filter((g) => g >> 3 === reg);
      if (!gpes.length) continue;
      for (let j = 0; j < 8; j++) {
        const enable = c.inb(this.tables.gpe0Blk + half + reg);
        const status = c.inb(this.tables.gpe0Blk + reg);
        const bit = 1 << j;
        if (status & enable & bit) {
          handled = true;
          this.gpeDispatch(reg * 8 + j);
        }
      }
    }
    return handled ? 'HANDLED' : 'NONE';
  }

  private gpeEnabledForRun(): Set<number> {
    return new Set(this.tables.enabledGpes);
  }

  /** acpi_hw_low_set_gpe(): read-modify-write of the enable byte */
  private lowSetGpe(gpe: number, enable: boolean): void {
    const c = this.k.cpu;
    const half = this.tables.gpe0BlkLen / 2;
    const port = this.tables.gpe0Blk + half + (gpe >> 3);
    const v = c.inb(port);
    c.outb(port, enable ? v | (1 << (gpe & 7)) : v & ~(1 << (gpe & 7)));
    if (enable) this.gpeEnabled.add(gpe);
    else this.gpeEnabled.delete(gpe);
  }

  /** acpi_ev_gpe_dispatch(): disable, clear (edge: `_Exx`), queue the method */
  private gpeDispatch(gpe: number): void {
    this.lowSetGpe(gpe, false);
    this.k.cpu.outb(this.tables.gpe0Blk + (gpe >> 3), 1 << (gpe & 7)); // acpi_hw_clear_gpe()
    this.k.queueWork('kacpid acpi_ev_asynch_execute_gpe_method', () => this.asynchExecuteGpeMethod(gpe));
  }

  /** acpi_ev_asynch_execute_gpe_method(): run `_Exx`, then queue the re-enable */
  private *asynchExecuteGpeMethod(gpe: number): KGen {
    this.rt.mark('acpi: _E0' + gpe.toString(16).toUpperCase() + ' runs');
    this.k.cpuTime(this.k.costs.acpiSciToMethod ?? 0, 'guest CPU: SCI to _E01 (acpi_irq, GPE dispatch, kacpid, ACPICA)');
    if (gpe === this.tables.hotplugGpe) this.e01();
    this.k.queueWork('kacpi_notify acpi_ev_asynch_enable_gpe', () => this.asynchEnableGpe(gpe));

  }

  /** acpi_ev_asynch_enable_gpe() -> acpi_ev_finish_gpe(): an edge GPE is only re-enabled */
  private *asynchEnableGpe(gpe: number): KGen {
    this.lowSetGpe(gpe, true);

  }

  /** QEMU's `\_GPE._E01`: Acquire(BLCK), `\_SB.PCI0.PCNT()`, Release(BLCK) */
  private e01(): void {
    const c = this.k.cpu;
    for (const b of this.tables.buses) {
      c.outl(this.io(PCI_SEL_BASE), b.bsel); // BNUM = BSEL
      const up = c.inl(this.io(PCI_UP_BASE)) >>> 0; // DVNT(PCIU, 1)
      this.dvnt(b, up, ACPI_NOTIFY_DEVICE_CHECK);
      const down = c.inl(this.io(PCI_DOWN_BASE)) >>> 0; // DVNT(PCID, 3)
      this.dvnt(b, down, ACPI_NOTIFY_EJECT_REQUEST);
    }
  }

  /** QEMU's DVNT(Arg0, Arg1): one `If (And (Arg0, 1 << slot)) { Notify (Sxx, Arg1) }` per slot of the bus */
  private dvnt(b: AcpiPciHotplugTables['buses'][number], bits: number, type: number): void {
    const costs = this.k.costs;
    this.k.cpuTime((costs.amlDvntCall ?? 0) + (costs.amlDvntSlot ?? 0) * b.slots.length, 'guest CPU: AML DVNT (ACPICA, one If per slot)');
    for (const s of b.slots) {
      if (bits & (1 << s)) {
        this.k.cpuTime(costs.amlNotify ?? 0, 'guest CPU: AML Notify');
        this.notify(b.path, s, type);
      }
    }
  }

  /** Notify(Sxx, type): acpi_ev_queue_notify_request() -> kacpi_notify -> acpi_bus_notify() -> kacpi_hotplug */
  private notify(path: readonly number[], slot: number, type: number): void {
    this.rt.mark(`acpi: Notify(S${(slot << 3).toString(16).toUpperCase().padStart(2, '0')}, ${type})`);
    this.k.queueWork('kacpi_notify acpi_ev_notify_dispatch', () => this.notifyDispatch(path, slot, type));
  }

  private *notifyDispatch(path: readonly number[], slot: number, type: number): KGen {
    // acpi_bus_notify(): DEVICE_CHECK and EJECT_REQUEST go to acpi_hotplug_schedule()
    this.k.queueWork('kacpi_hotplug acpi_device_hotplug', () => this.deviceHotplug(path, slot, type));

  }

  private busOfPath(path: readonly number[]): PciBusState | null {
    let bus: PciBusState | null = this.linux.pciRootBuses[0] ?? null;
    for (const devfn of path) {
      const d: PciDev | undefined = bus?.devices.find((x) => x.devfn === devfn);
      bus = d?.subordinate ?? null;
    }
    return bus;
  }

  /** acpi_device_hotplug() -> acpiphp_hotplug_notify() -> hotplug_event() */
  private *deviceHotplug(path: readonly number[], device: number, type: number): KGen {
    const bus = this.busOfPath(path);
    const slot = bus ? this.slots.get(bus)?.find((s) => s.device === device) : undefined;
    if (!bus || !slot) return;
    const costs = this.k.costs;
    if (!this.handledOne) {
      this.handledOne = true;
      this.k.cpuTime(costs.firstAcpiHotplugEvent ?? 0, 'guest CPU: first hot-plug event since boot (code run for the first time)');
    }
    this.k.cpuTime(costs.acpiNotifyToScan ?? 0, 'guest CPU: Notify to slot scan (kacpi_notify, kacpi_hotplug, acpi_bus_scan)');
    if (type === ACPI_NOTIFY_DEVICE_CHECK) {
      this.rt.mark('acpiphp: hotplug_event DEVICE_CHECK');
      if (this.rescanSlot(slot)) this.checkBridge(bus);
    } else if (type === ACPI_NOTIFY_EJECT_REQUEST) {
      this.rt.mark('acpiphp: hotplug_event EJECT_REQUEST');
      this.disableAndEjectSlot(slot, path);
    }

  }

  // ------------------------------------------------------------------
  // acpiphp_glue.c

  /** acpiphp_rescan_slot(): acpi_bus_scan() of the slot's functions (no _STA, no _PS0), then pci_scan_slot() */
  private rescanSlot(slot: AcpiphpSlot): number {
    return pciScanSlot(this.linux, slot.bus, slot.device << 3);
  }

  /** get_slot_status(): no _STA in QEMU's slots, so config space decides */
  private getSlotStatus(slot: AcpiphpSlot): number {
    let sta = 0;
    for (const fn of slot.funcs) {
      if (pciBusReadDevVendorId(this.linux, slot.bus, (slot.device << 3) | fn) !== null) {
        sta = 0xf;
        break;
      }
    }
    if (!sta && pciBusReadDevVendorId(this.linux, slot.bus, slot.device << 3) !== null) sta = 0xf;
    return sta;
  }

  /** acpiphp_check_bridge(): every slot of the bridge enabled or disabled as config space says */
  private checkBridge(bus: PciBusState): void {
    for (const slot of this.slots.get(bus) ?? []) {
      const sta = this.getSlotStatus(slot);
      if ((sta & 0xa) === 0xa) {
        for (const d of [...bus.devices].reverse()) if (d.devfn >> 3 === slot.device) this.trimStaleDevices(d);
        this.enableSlot(slot);
      } else {
        this.disableSlot(slot);
      }
    }
  }

  /** trim_stale_devices(): no _STA, so pci_device_is_present() */
  private trimStaleDevices(dev: PciDev): void {
    if (pciBusReadDevVendorId(this.linux, dev.bus, dev.devfn) === null) {
      pciStopAndRemoveBusDevice(this.linux, dev);
      return;
    }
    if (dev.subordinate) for (const c of [...dev.subordinate.devices].reverse()) this.trimStaleDevices(c);
  }

  /** enable_slot(slot, bridge = true) */
  private enableSlot(slot: AcpiphpSlot): void {
    const bus = slot.bus;
    if (bus.self && this.hotplugIsNative(bus.self)) {
      // native hot-plug handles the slot's bridges; nothing for an endpoint
    } else {
      this.rescanSlot(slot);
      for (const d of bus.devices) {
        if ((d.hdrType === 1 || d.hdrType === 2) && d.devfn >> 3 === slot.device && !d.subordinate) pciHpAddBridge(this.linux, d);
      }
      pciBusAssignResources(this.linux, bus);
    }
    // acpiphp_sanitize_bus(): a device with a BAR left unassigned is removed
    for (const d of [...bus.devices].reverse()) {
      if (d.bars.some((b) => !b.start && b.size)) {
        this.rt.printk(`pci ${this.rt.name(d)}: BARs could not be assigned, removing it`);
        pciStopAndRemoveBusDevice(this.linux, d);
      }
    }
    pciBusAddDevices(this.linux, bus);
    slot.enabled = slot.funcs.every((fn) => bus.devices.some((d) => d.devfn === ((slot.device << 3) | fn)));
  }

  /** disable_slot() */
  private disableSlot(slot: AcpiphpSlot): void {
    for (const d of [...slot.bus.devices].reverse()) if (d.devfn >> 3 === slot.device) pciStopAndRemoveBusDevice(this.linux, d);
    slot.enabled = false;
  }

  /** acpiphp_disable_and_eject_slot(): remove the functions, then `_EJ0` = PCEJ(BSEL, _SUN) */
  private disableAndEjectSlot(slot: AcpiphpSlot, path: readonly number[]): void {
    this.disableSlot(slot);
    if (!slot.hasEj0) return;
    const b = this.tables.buses.find((x) => x.path.length === path.length && x.path.every((v, i) => v === path[i]));
    if (!b) return;
    const c = this.k.cpu;
    c.outl(this.io(PCI_SEL_BASE), b.bsel); // BNUM
    c.outl(this.io(PCI_EJ_BASE), (1 << slot.device) >>> 0); // B0EJ
    this.rt.mark(`acpiphp: _EJ0 of slot ${slot.device}`);
  }

  /**
   * The `_DSM` function 0 the PCI core evaluates when it creates the sysfs "label" attributes of a device
   * with an ACPI companion (device_has_acpi_name()): QEMU's PDSM calls AIDX(BSEL, ASUN).
   */
  dsmOnDeviceAdd(dev: PciDev): void {
    const list = this.slots.get(dev.bus);
    if (!list || !list.some((s) => s.device === dev.devfn >> 3 && s.funcs.includes(dev.devfn & 7))) return;
    const path: number[] = [];
    for (let b: PciBusState | null = dev.bus; b && b.self; b = b.parent) path.unshift(b.self.devfn);
    const bsel = this.tables.buses.find((x) => x.path.length === path.length && x.path.every((v, i) => v === path[i]))?.bsel;
    if (bsel === undefined) return;
    const c = this.k.cpu;
    c.outl(this.io(PCI_SEL_BASE), bsel);
    c.outl(this.io(PCI_AIDX_BASE), (1 << (dev.devfn >> 3)) >>> 0);
    c.inl(this.io(PCI_AIDX_BASE));
  }
}
