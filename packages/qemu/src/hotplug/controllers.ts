/**
 * @module
 * QEMU 7.2's hot-plug controllers at run time, between the vCPU and the machine: the ACPI PCI hot-plug
 * and GPE registers (hw/acpi/pcihp.c, hw/acpi/ich9.c), the native PCIe slots of root ports
 * (hw/pci/pcie.c: hotplug_event_notify() on a rising edge of (HPIE && Slot Status & Slot Control
 * events), the slot power that gates config space (pcie_cap_update_power() -> pci_set_power()), the
 * attention button device_del presses), the SHPC of bridges (hw/pci/shpc.c: its register file in BAR 0,
 * shpc_interrupt_update() sending an MSI on every level change), and `device_add`/`device_del` with
 * QEMU's checks and words (softmmu/qdev-monitor.c).
 *
 * {@link QemuHotplug} maps what it owns into the machine's address spaces (the ACPI PCI hot-plug registers,
 * the PM1 and GPE0 blocks where the LPC's PMBASE puts them, each SHPC's BAR while its bridge decodes memory)
 * and follows config writes through the host's write hook (pci_bridge_write_config →
 * pcie_cap_slot_write_config / shpc_cap_write_config; ich9_lpc_config_write → ich9_pm_iospace_update), as
 * QEMU does with memory regions; the vCPU's VmOps stays the machine.
 */
import type { Machine } from '../hw/core/machine.js';
import type { MemoryRegionOps } from '../system/memory.js';
import type { PciBus } from '../hw/pci/bus.js';
import type { PciDevice } from '../hw/pci/device.js';
import * as R from '../hw/pci/regs.js';
import {
  PCI_EXP_SLTCAP_PCP,
  PCI_EXP_SLTCAP_HPC,
  PCI_EXP_SLTCTL_HPIE,
  PCI_EXP_SLTCTL_PIC,
  PCI_EXP_SLTCTL_PCC,
  PCI_EXP_SLTSTA_ABP,
  PCI_EXP_SLTSTA_PDC,
  PCI_EXP_SLTSTA_CC,
  PCI_EXP_SLTSTA_PDS,
  PCI_EXP_SLTSTA_EIS,
  PCI_EXP_LNKSTA_DLLLA,
  PCI_EXP_LNKCAP_DLLLARC,
  PCI_EXP_HP_EV_SUPPORTED,
} from '../hw/pci/regs.js';
import { QemuError } from '../errors.js';
import { PcieSlot } from '../hw/pci/pcie.js';
import { PciBridgeDev, PciePciBridge, PciBridgeBase } from '../hw/pci-bridge/pci-bridge.js';
import { SHPC_BAR_SIZE } from '../hw/pci/shpc.js';
import { plugDeviceOption, realizedDevices, unrealizeDevice } from '../system/qdev-monitor.js';
import { lookupDeviceType } from '../hw/registry.js';
import { AcpiPciHp, ACPI_PCIHP_ADDR_ICH9, ACPI_PCIHP_SIZE, ICH9_PMIO_GPE0_STS, ICH9_PMIO_GPE0_LEN, ICH9_SCI_IRQ } from '../hw/acpi/pcihp.js';

// Linux's names for the power indicator's states (pci_regs.h)
const PCI_EXP_SLTCTL_PWR_IND_BLINK = 0x0200;
const PCI_EXP_SLTCTL_PWR_IND_OFF = 0x0300;

/** Who serves hot-plug on a bus (its qbus hotplug handler). */
export type HotplugHandlerKind = 'acpi' | 'pcie-slot' | 'shpc' | 'none';

/** A QMP event QEMU emits (DEVICE_DELETED when the guest let a device go). */
export interface QmpEvent {
  event: 'DEVICE_DELETED';
  /** virtual time, ns */
  t: number;
  data: { device?: string; path: string };
}

export interface QemuHotplugOptions {
  /** raise a guest interrupt: `gsi:<n>` (the SCI) or `msi:<0000:bb:dd.f>` */
  irq: (line: string) => void;
  /** QEMU_CLOCK_VIRTUAL, ns */
  now: () => number;
  /** the topology changed (a function came or went): KvmPciAccel.update() re-punches its ranges */
  onTopologyChange?: () => void;
  onEvent?: (e: QmpEvent) => void;
  /** a note for the report (an interrupt QEMU wanted to send that the model does not deliver, …) */
  onNote?: (t: number, note: string) => void;
}

/** What a device_add did. */
export interface DeviceAddResult {
  id: string | undefined;
  typeName: string;
  dev: PciDevice;
  bus: PciBus;
  handler: HotplugHandlerKind;
  /** "BB:DD.F" as the bus numbers stand now */
  bdf: string;
}

interface Tracked {
  dev: PciDevice;
  id: string | undefined;
  pendingDeletedEvent: boolean;
  pendingDeletedExpiresNs: number;
}

/** The hot-plug side of a q35 machine. */
export class QemuHotplug {
  readonly acpi: AcpiPciHp | null;
  /** functions a powered-off PCIe slot holds (pci_set_power(dev, false)): config space reads all-ones */
  readonly unpowered = new Set<PciDevice>();
  private readonly notified = new Map<PcieSlot, boolean>();
  private readonly shpcLevel = new Map<PciDevice, number>();
  private readonly shpcMsiPending = new Set<PciDevice>();
  private readonly tracked = new Map<PciDevice, Tracked>();
  private readonly lpc: PciDevice | null;
  private readonly acpiMode: boolean;
  readonly notes: { t: number; note: string }[] = [];
  /** the PM1/GPE0 regions, and the PMBASE they are mapped at (-1: not mapped) */
  private readonly pmRegions: MemoryRegionOps[] = [];
  private pmMappedAt = -1;
  /** each SHPC bridge's register-file region, and where it is mapped now */
  private readonly shpcRegions = new Map<PciDevice, MemoryRegionOps>();
  /** the BARs wanted at the last mapping, and those mapped */
  private shpcWanted: { region: MemoryRegionOps; base: number }[] = [];
  private shpcMapped: MemoryRegionOps[] = [];

  constructor(
    readonly machine: Machine,
    private readonly opts: QemuHotplugOptions,
  ) {
    if (machine.name !== 'q35' || !machine.rootBus) {
      throw new QemuError('UNSUPPORTED', `pcisim: run-time hot-plug is modelled on q35 only, not on ${machine.name}`);
    }
    const m = machine as Machine & { opts?: { acpiPciHotplugWithBridgeSupport?: boolean }; lpc?: PciDevice };
    this.acpiMode = m.opts?.acpiPciHotplugWithBridgeSupport !== false;
    this.lpc = m.lpc ?? null;
    this.acpi = this.acpiMode
      ? new AcpiPciHp(
          machine.rootBus,
          (bus) => this.handlerOf(bus) === 'acpi',
          () => this.opts.irq(`gsi:${ICH9_SCI_IRQ}`),
          (dev) => this.unplugNow(dev),
        )
      : null;
    const a = this.acpi;
    if (a) {
      a.gpeEn[0] = 0; // the guest enables its GPEs
      // acpi_pcihp_init(): the hot-plug registers, dword-only (narrower accesses are widened by the memory core)
      machine.io.insert('acpi-pci-hotplug', ACPI_PCIHP_ADDR_ICH9, ACPI_PCIHP_SIZE, {
        read: (off, size) => mask(a.read(off & ~3), size),
        write: (off, _size, value) => {
          a.write(off & ~3, value >>> 0);
          this.refresh();
        },
      });
      // ich9_pm_init(): PM1 status and enable, GPE0
      this.pmRegions.push(
        {
          read: (_off, size) => mask(a.pm1Sts, size),
          write: (_off, _size, value) => {
            a.pm1Sts &= ~value;
          },
        },
        {
          read: (_off, size) => mask(a.pm1En, size),
          write: (_off, _size, value) => {
            a.pm1En = value & 0xffff;
            a.updateSci();
          },
        },
        {
          read: (off, size) => {
            let v = 0;
            for (let i = 0; i < size; i++) v |= a.gpeRead(off + i) << (8 * i);
            return v >>> 0;
          },
          write: (off, size, value) => {
            for (let i = 0; i < size; i++) a.gpeWrite(off + i, (value >>> (8 * i)) & 0xff);
          },
        },
      );
      this.mapPm();
    }
    // config writes: slot registers, SHPC, the LPC's PMBASE
    machine.host!.onConfigWrite = (dev) => {
      if (dev === this.lpc) this.mapPm();
      this.refresh();
    };
    for (const { dev } of machine.functions()) this.tracked.set(dev, { dev, id: dev.id, pendingDeletedEvent: false, pendingDeletedExpiresNs: 0 });
    this.refresh();
  }

  /** ich9_pm_iospace_update(): PM1 at PMBASE, GPE0 at PMBASE + 0x20, moved when the LPC's PMBASE moves */
  private mapPm(): void {
    const base = this.pmBase;
    if (base === this.pmMappedAt || this.pmRegions.length === 0) return;
    const io = this.machine.io;
    for (const r of this.pmRegions) io.remove(r);
    const [sts, en, gpe] = this.pmRegions as [MemoryRegionOps, MemoryRegionOps, MemoryRegionOps];
    io.insert('acpi-pm1-sts', base, 1, sts);
    io.insert('acpi-pm1-en', base + 2, 1, en);
    io.insert('acpi-gpe0', base + ICH9_PMIO_GPE0_STS, ICH9_PMIO_GPE0_LEN, gpe);
    this.pmMappedAt = base;
  }

  /**
   * pci_update_mappings() for the SHPC bridges' BAR 0: mapped while memory decode is on and the BAR is set; a
   * BAR over a region already mapped (ECAM, an earlier bridge in walk order) is left unmapped, that one answers.
   */
  private mapShpc(): void {
    const want: { region: MemoryRegionOps; base: number }[] = [];
    for (const b of this.shpcBridges()) {
      if (!(b.getWord(R.PCI_COMMAND) & R.PCI_COMMAND_MEMORY)) continue;
      const lo = b.getLong(R.PCI_BASE_ADDRESS_0);
      const base = ((lo & 0xfffffff0) >>> 0) + b.getLong(R.PCI_BASE_ADDRESS_0 + 4) * 2 ** 32;
      if (!base) continue;
      let region = this.shpcRegions.get(b);
      if (!region) {
        const shpc = b.shpc!;
        region = {
          read: (off, size) => mask(shpc.read(off, size), size),
          write: (off, size, value) => {
            shpc.write(off, value >>> 0, size);
            this.refresh();
          },
        };
        this.shpcRegions.set(b, region);
      }
      want.push({ region, base });
    }
    const prev = this.shpcWanted;
    if (want.length === prev.length && want.every((w, i) => w.region === prev[i]!.region && w.base === prev[i]!.base)) return;
    const mem = this.machine.memory;
    for (const r of this.shpcMapped) mem.remove(r);
    this.shpcMapped = [];
    for (const w of want) {
      if (mem.overlaps(w.base, SHPC_BAR_SIZE)) continue;
      mem.insert('shpc-mmio', w.base, SHPC_BAR_SIZE, w.region);
      this.shpcMapped.push(w.region);
    }
    this.shpcWanted = want;
  }

  /** the ICH9 PM block where the firmware put it (LPC PMBASE: 0x600 with SeaBIOS) */
  get pmBase(): number {
    return this.lpc ? this.lpc.getLong(0x40) & 0xff80 : 0x600;
  }

  private note(n: string): void {
    const t = this.opts.now();
    this.notes.push({ t, note: n });
    this.opts.onNote?.(t, n);
  }

  /** the hot-plug handler of a bus, as pc_q35_init + ich9 + pcihp leave them at reset */
  handlerOf(bus: PciBus): HotplugHandlerKind {
    const bridge = bus.parentBridge;
    if (!bridge) return 'none'; // acpi_pcihp_disable_root_bus(): q35's root bus is not hot-pluggable
    // ACPI hot-plug reaches only below the main root bus, not below an expander's (pxb) root bus
    let top = bus;
    while (top.parentBridge?.bus) top = top.parentBridge.bus;
    const acpi = this.acpiMode && !bridge.hotplugged && top === this.machine.rootBus;
    if (bridge instanceof PcieSlot) {
      if (!bridge.cfg.hotplug) return 'none';
      return acpi ? 'acpi' : 'pcie-slot';
    }
    if (bridge instanceof PciBridgeDev || bridge instanceof PciePciBridge) {
      if (acpi) return 'acpi';
      return bridge.shpc ? 'shpc' : 'none';
    }
    return 'none';
  }

  /** the root ports whose slot QEMU emulates natively (every hot-pluggable one: the SLTCAP stays) */
  private ports(): PcieSlot[] {
    const out: PcieSlot[] = [];
    for (const bus of this.machine.rootBus!.walk()) for (const d of bus.devices) if (d instanceof PcieSlot) out.push(d);
    return out;
  }

  private shpcBridges(): (PciBridgeDev | PciePciBridge)[] {
    const out: (PciBridgeDev | PciePciBridge)[] = [];
    for (const bus of this.machine.rootBus!.walk()) {
      for (const d of bus.devices) if ((d instanceof PciBridgeDev || d instanceof PciePciBridge) && d.shpc) out.push(d);
    }
    return out;
  }

  // ------------------------------------------------------------------
  // after each change: slot power, PCIe hot-plug event edges, SHPC levels, devices that left

  private refresh(): void {
    for (const port of this.ports()) {
      this.updatePower(port);
      this.hotplugEventNotify(port);
    }
    for (const b of this.shpcBridges()) this.shpcInterrupt(b);
    this.reapUnplugged();
    this.mapShpc();
  }

  /** pcie_cap_update_power(): with a power controller, the slot's functions have power iff PCC is "on" */
  private updatePower(port: PcieSlot): void {
    const pos = port.expCap;
    const sltcap = port.getLong(pos + R.PCI_EXP_SLTCAP);
    const power = !(sltcap & PCI_EXP_SLTCAP_PCP) || (port.getWord(pos + R.PCI_EXP_SLTCTL) & PCI_EXP_SLTCTL_PCC) === 0;
    const sec = port.secondaryBus;
    if (!sec) return;
    for (const d of sec.devices) {
      if (!d) continue;
      if (!power && !this.unpowered.has(d)) {
        // pci_set_power(dev, false): config space goes, the mappings go and the function is reset
        this.unpowered.add(d);
        d.hasPower = false;
        d.reset();
      } else if (power) {
        this.unpowered.delete(d);
        d.hasPower = true;
      }
    }
  }

  /** hotplug_event_notify(): an MSI-X/MSI message on a rising edge of hpev_notified */
  private hotplugEventNotify(port: PcieSlot): void {
    const pos = port.expCap;
    const ctl = port.getWord(pos + R.PCI_EXP_SLTCTL);
    const sta = port.getWord(pos + R.PCI_EXP_SLTSTA);
    const now = (ctl & PCI_EXP_SLTCTL_HPIE) !== 0 && (sta & ctl & PCI_EXP_HP_EV_SUPPORTED) !== 0;
    const prev = this.notified.get(port) ?? false;
    this.notified.set(port, now);
    if (!now || prev) return;
    if (msixEnabled(port)) this.opts.irq(`msi:${fmtBdf(port)}`);
    else if (port.msiCap && port.getWord(port.msiCap + 2) & 1) this.opts.irq(`msi:${fmtBdf(port)}`);
    else this.note(`${fmtBdf(port)}: hot-plug event with INTx (pci_set_irq), not delivered by the model`);
  }

  /** shpc_interrupt_update(): MSI on every change of the level, INTx otherwise */
  private shpcInterrupt(b: PciBridgeDev | PciePciBridge): void {
    const level = b.shpc!.msiRequested;
    const prev = this.shpcLevel.get(b) ?? 0;
    this.shpcLevel.set(b, level);
    const msi = b.msiCap !== 0 && (b.getWord(b.msiCap + 2) & 1) !== 0;
    if (msi) {
      if (level !== prev) {
        if (msiMasked(b)) this.shpcMsiPending.add(b);
        else this.opts.irq(`msi:${fmtBdf(b)}`);
      } else if (this.shpcMsiPending.has(b) && !msiMasked(b)) {
        // msi_write_config(): an unmasked vector with its pending bit set fires
        this.shpcMsiPending.delete(b);
        this.opts.irq(`msi:${fmtBdf(b)}`);
      }
    } else if (level && !prev) {
      this.note(`${fmtBdf(b)}: SHPC interrupt with INTx (pci_set_irq), not delivered by the model`);
    }
  }

  /** devices the guest or a controller took off their bus: DEVICE_DELETED */
  private reapUnplugged(): void {
    let changed = false;
    for (const [dev, t] of this.tracked) {
      if (dev.bus !== null) continue;
      this.tracked.delete(dev);
      this.unpowered.delete(dev);
      if (dev instanceof PciBridgeBase) dev.removeSecondaryBus();
      unrealizeDevice(this.machine, dev);
      changed = true;
      const path = t.id !== undefined ? `/machine/peripheral/${t.id}` : `/machine/peripheral-anon/device[?]`;
      this.opts.onEvent?.({ event: 'DEVICE_DELETED', t: this.opts.now(), data: { ...(t.id !== undefined ? { device: t.id } : {}), path } });
    }
    if (changed) this.opts.onTopologyChange?.();
  }

  /** hotplug_handler_unplug() + object_unparent(): the function leaves its bus now */
  private unplugNow(dev: PciDevice): void {
    const bus = dev.bus;
    if (!bus) return;
    if (dev instanceof PciBridgeBase && dev.secondaryBus) {
      for (const c of dev.secondaryBus.devices) if (c) this.unplugNow(c);
      dev.removeSecondaryBus();
    }
    bus.unplug(dev);
  }

  // ------------------------------------------------------------------
  // device_add / device_del

  /**
   * qmp_device_add(): `arg` as a -device string (`driver,id=…,bus=…`). Throws {@link QemuError} with
   * QEMU's message.
   */
  deviceAdd(arg: string): DeviceAddResult {
    const driver = /^(?:driver=)?([^,]*)/.exec(arg)?.[1] ?? '';
    const busArg = /(?:^|,)bus=((?:[^,]|,,)*)/.exec(arg)?.[1]?.replace(/,,/g, ',');
    // qdev_get_device_class() first, then the bus: q35's pcie.0 lost its hot-plug handler at reset
    const found = lookupDeviceType(driver);
    if (found.kind === 'none') throw new QemuError('UNKNOWN_DEVICE', `'${driver}' is not a valid device model name`);
    const root = this.machine.rootBus!;
    if (found.kind === 'found' && found.info.busType !== 'PCI') {
      // not a PCI function: plugDeviceOption reports what QEMU would
    } else if (busArg === undefined || busArg === root.name) {
      throw new QemuError('BUS_NO_HOTPLUG', `Bus '${root.name}' does not support hotplugging`);
    }
    const rec = plugDeviceOption(this.machine, arg, { hotplugged: true });
    const dev = rec.pci;
    if (!dev || !dev.bus) throw new QemuError('UNSUPPORTED', `pcisim: '${rec.typeName}' is not a PCI function; only PCI hot-plug is modelled`);
    const bus = dev.bus;
    const handler = this.handlerOf(bus);
    this.tracked.set(dev, { dev, id: rec.id, pendingDeletedEvent: false, pendingDeletedExpiresNs: 0 });
    if (handler === 'acpi') {
      // acpi_pcihp_device_plug_cb(): pcie_cap_slot_enable_power() of a root port (done by realize), up |= slot, GPE
      this.acpi!.plugged(dev);
    }
    // pcie_cap_slot_plug_cb() / shpc_device_plug_cb() set their registers during realize; the edges follow
    this.refresh();
    this.opts.onTopologyChange?.();
    return { id: rec.id, typeName: rec.typeName, dev, bus, handler, bdf: fmtBdf(dev).slice(5) };
  }

  /** qmp_device_del() */
  deviceDel(id: string): void {
    let t: Tracked | undefined;
    for (const x of this.tracked.values()) if (x.id === id) t = x;
    // find_device_state(): only devices with an id are under /machine/peripheral
    if (!t || !realizedDevices(this.machine).some((r) => r.id === id)) {
      throw new QemuError('DEVICE_NOT_FOUND', `Device '${id}' not found`);
    }
    const now = this.opts.now();
    if (t.pendingDeletedEvent && (t.pendingDeletedExpiresNs === 0 || t.pendingDeletedExpiresNs > now)) {
      throw new QemuError('HOTPLUG_FAILED', `Device ${id} is already in the process of unplug`);
    }
    const dev = t.dev;
    const bus = dev.bus!;
    const handler = this.handlerOf(bus);
    if (handler === 'none') throw new QemuError('BUS_NO_HOTPLUG', `Bus '${bus.name}' does not support hotplugging`);
    if (handler === 'acpi') {
      if (dev.isBridge && !dev.hotplugged) throw new QemuError('BUS_NO_HOTPLUG', `Bus '${bus.name}' does not support hotplugging`);
      const err = this.acpi!.unplugRequest(dev);
      if (err) throw new QemuError('UNSUPPORTED', err);
      t.pendingDeletedEvent = true;
      t.pendingDeletedExpiresNs = now; // "1 msec": the guest may not be up yet
    } else if (handler === 'pcie-slot') {
      this.pcieUnplugRequest(bus.parentBridge as PcieSlot, t, now);
    } else {
      this.shpcUnplugRequest(bus.parentBridge as PciBridgeDev | PciePciBridge, t);
    }
    this.refresh();
  }

  /** pcie_cap_slot_unplug_request_cb() */
  private pcieUnplugRequest(port: PcieSlot, t: Tracked, now: number): void {
    const pos = port.expCap;
    const sltcap = port.getWord(pos + R.PCI_EXP_SLTCAP);
    const sltctl = port.getWord(pos + R.PCI_EXP_SLTCTL);
    if (!(sltcap & PCI_EXP_SLTCAP_HPC)) {
      throw new QemuError('HOTPLUG_FAILED', `Hot-unplug failed: unsupported by the port device '${port.id ?? ''}'`);
    }
    if (port.getWord(pos + R.PCI_EXP_SLTSTA) & PCI_EXP_SLTSTA_EIS) {
      throw new QemuError('HOTPLUG_FAILED', 'slot is electromechanically locked: Device or resource busy');
    }
    if ((sltctl & PCI_EXP_SLTCTL_PIC) === PCI_EXP_SLTCTL_PWR_IND_BLINK) {
      throw new QemuError('HOTPLUG_FAILED', 'Hot-unplug failed: guest is busy (power indicator blinking)');
    }
    t.pendingDeletedEvent = true;
    t.pendingDeletedExpiresNs = now + 5000 * 1e6;
    const bus = t.dev.bus!;
    if (t.dev.devfn && !bus.devices[0]) {
      this.unplugNow(t.dev);
      return;
    }
    if ((sltctl & PCI_EXP_SLTCTL_PIC) === PCI_EXP_SLTCTL_PWR_IND_OFF && (sltctl & PCI_EXP_SLTCTL_PCC) === PCI_EXP_SLTCTL_PCC) {
      // slot is powered off -> unplug without round-trip to the guest
      this.slotDoUnplug(port);
      this.hotplugEventNotify(port);
      port.setWord(pos + R.PCI_EXP_SLTSTA, port.getWord(pos + R.PCI_EXP_SLTSTA) & ~PCI_EXP_SLTSTA_ABP);
      return;
    }
    // pcie_cap_slot_push_attention_button(): pcie_cap_slot_event(ABP)
    port.setWord(pos + R.PCI_EXP_SLTSTA, port.getWord(pos + R.PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_ABP);
  }

  /** pcie_cap_slot_do_unplug() */
  private slotDoUnplug(port: PcieSlot): void {
    const sec = port.secondaryBus;
    if (sec) for (const d of [...sec.devices]) if (d) this.unplugNow(d);
    const pos = port.expCap;
    port.setWord(pos + R.PCI_EXP_SLTSTA, port.getWord(pos + R.PCI_EXP_SLTSTA) & ~PCI_EXP_SLTSTA_PDS);
    if (port.getLong(pos + R.PCI_EXP_LNKCAP) & PCI_EXP_LNKCAP_DLLLARC) {
      port.setWord(pos + R.PCI_EXP_LNKSTA, port.getWord(pos + R.PCI_EXP_LNKSTA) & ~PCI_EXP_LNKSTA_DLLLA);
    }
    port.setWord(pos + R.PCI_EXP_SLTSTA, port.getWord(pos + R.PCI_EXP_SLTSTA) | PCI_EXP_SLTSTA_PDC);
  }

  /**
   * shpc_device_unplug_request_cb(): a slot the guest already disabled with its power LED off loses its
   * functions at once (MRL open, empty, MRL + presence events); otherwise the attention button is pressed.
   */
  private shpcUnplugRequest(bridge: PciBridgeDev | PciePciBridge, t: Tracked): void {
    const shpc = bridge.shpc!;
    const pciSlot = R.PCI_SLOT(t.dev.devfn);
    const slot = pciSlot - 1;
    if (pciSlot < 1 || slot >= shpc.nslots) {
      throw new QemuError(
        'UNSUPPORTED',
        `Unsupported PCI slot ${pciSlot} for standard hotplug controller. Valid slots are between 1 and ${shpc.nslots}.`,
      );
    }
    const reg = 0x24 + slot * 4; // SHPC_SLOT_REG(slot)
    const c = shpc.config;
    let status = c[reg]! | (c[reg + 1]! << 8);
    const state = status & 0x3; // SHPC_SLOT_STATE_MASK
    const led = (status & 0xc) >> 2; // SHPC_SLOT_PWR_LED_MASK
    if (state === 0x3 && led === 0x3) {
      // SHPC_STATE_DISABLED && SHPC_LED_OFF: shpc_free_devices_in_slot()
      const bus = t.dev.bus!;
      for (let fn = 0; fn < 8; fn++) {
        const d = bus.devices[R.PCI_DEVFN(pciSlot, fn)];
        if (d) this.unplugNow(d);
      }
      status = (status & ~0x100) | 0x100; // SHPC_SLOT_STATUS_MRL_OPEN
      status = (status & ~0xc00) | (0x3 << 10); // SHPC_SLOT_STATUS_PRSNT_EMPTY
      c[reg + 2]! |= 0x08 | 0x01; // SHPC_SLOT_EVENT_MRL | SHPC_SLOT_EVENT_PRESENCE
    } else {
      c[reg + 2]! |= 0x04; // SHPC_SLOT_EVENT_BUTTON
    }
    status &= ~0x200; // SHPC_SLOT_STATUS_66
    c[reg] = status & 0xff;
    c[reg + 1] = (status >> 8) & 0xff;
    // shpc_interrupt_update(): a write to the read-only BASE_OFFSET register runs it and changes nothing
    shpc.write(0, 0, 4);
    t.pendingDeletedEvent = true;
  }

  /** the functions currently tracked (for the topology report) */
  devices(): PciDevice[] {
    return [...this.tracked.keys()];
  }
}

function mask(v: number, size: number): number {
  return size === 4 ? v >>> 0 : size === 2 ? v & 0xffff : v & 0xff;
}


function msixEnabled(d: PciDevice): boolean {
  if (!d.msixCap) return false;
  const ctl = d.getWord(d.msixCap + 2);
  return (ctl & 0x8000) !== 0 && (ctl & 0x4000) === 0;
}

function msiMasked(d: PciDevice): boolean {
  const flags = d.getWord(d.msiCap + 2);
  if (!(flags & 0x100)) return false;
  const maskPos = d.msiCap + (flags & 0x80 ? 0x10 : 0x0c);
  return (d.getLong(maskPos) & 1) !== 0;
}

/** "0000:BB:DD.F" with the bus number the guest programmed */
export function fmtBdf(d: PciDevice): string {
  const bus = d.bus?.number ?? 0;
  return `0000:${R.formatBdf(bus, d.devfn)}`;
}
