/**
 * @module
 * A running Linux 6.1 with its PCI hot-plug drivers: the {@link Kernel} runtime, the {@link Linux} PCI
 * core, acpiphp, pciehp and (in the generic kernel only) shpchp. The runtime is attached before boot()
 * (pciehp probes from pcie_portdrv_init() at boot; ACPI's SCI handler is in place before the PCI scan),
 * and after boot() shpchp probes (module_init, after portdrv) and the kernel runs: interrupts, irq
 * threads, workqueues and timers on the virtual clock.
 */
import type { Cpu } from './cpu.js';
import { pciBusAddBootDevices } from './drivers/pci/bus.js';
import { type AcpiPciHotplugTables, Acpiphp } from './drivers/pci/hotplug/acpiphp_glue.js';
import { PciehpController, type PciehpParams } from './drivers/pci/hotplug/pciehp_core.js';
import { ShpcController } from './drivers/pci/hotplug/shpchp_core.js';
import { pciDevMsiEnabled } from './drivers/pci/msi.js';
import { pciRescanBus } from './drivers/pci/probe.js';
import { forEachPciDev } from './drivers/pci/search.js';
import { type BarResource, type PciDev, pciName } from './include/linux/pci.js';
import type { IrqReturn, KernelLogLine, KernelTraceHook } from './include/linux/sched.js';
import { type KernelState, type PciHotplugHooks, kernelStateOf } from './init/state.js';
import type { GuestCpuCosts } from './kernel/costs.js';
import { printk } from './kernel/printk.js';
import { Kernel } from './kernel/sched/core.js';
import { Linux } from './linux.js';
import { type KernelFlavour, config, kernelBuild } from './version.js';

export interface HotplugRuntimeOptions {
  /** the kernel build to run (default `linux-6.1-cloud`): attach() sets it on the kernel's state */
  flavour?: KernelFlavour;
  /** the DSDT's ACPI PCI hot-plug (null: the machine has none, or it is off) */
  acpi?: AcpiPciHotplugTables | null;
  pciehp?: Partial<PciehpParams>;
  costs?: GuestCpuCosts;
  /** `console=ttyS0`: printk writes to the UART (each character a port write) */
  serialConsole?: boolean;
  onTrace?: KernelTraceHook;
  /** called as each milestone is reached (the report snapshots its counters there) */
  onMilestone?: (m: PciMilestone) => void;
}

/** A moment the report measures to: a device the PCI core found, added or removed. */
export interface PciMilestone {
  t: number;
  what: 'found' | 'added' | 'removed' | 'assigned' | 'mark';
  /** "0000:01:00.0" */
  bdf: string;
  detail?: string;
}

export class HotplugRuntime implements PciHotplugHooks {
  readonly kernel: Kernel;
  private linuxRef: Linux | null = null;
  private stateRef: KernelState | null = null;
  readonly flavour: KernelFlavour;
  readonly pciehp = new Map<PciDev, PciehpController>();
  readonly shpc = new Map<PciDev, ShpcController>();
  acpiphp: Acpiphp | null = null;
  readonly milestones: PciMilestone[] = [];
  private readonly pciehpParams: PciehpParams;
  private readonly acpiTables: AcpiPciHotplugTables | null;
  private booted = false;
  private readonly onMilestone: ((m: PciMilestone) => void) | null;

  constructor(cpu: Cpu, opts: HotplugRuntimeOptions = {}) {
    this.flavour = opts.flavour ?? 'linux-6.1-cloud';
    this.kernel = new Kernel(cpu, {
      serialConsole: opts.serialConsole ?? false,
      ...(opts.costs ? { costs: opts.costs } : {}),
      ...(opts.onTrace ? { onTrace: opts.onTrace } : {}),
    });
    this.kernel.irqsEnabled = true;
    this.pciehpParams = { pollMode: opts.pciehp?.pollMode ?? false };
    this.acpiTables = opts.acpi ?? null;
    this.onMilestone = opts.onMilestone ?? null;
  }

  private milestone(m: PciMilestone): void {
    this.milestones.push(m);
    this.onMilestone?.(m);
  }

  /** The CPU Linux must run on: the kernel's, so host events and interrupts interleave with its accesses. */
  get cpu(): Cpu {
    return this.kernel.cpu;
  }

  get linux(): Linux {
    if (!this.linuxRef) throw new Error('HotplugRuntime: no Linux attached');
    return this.linuxRef;
  }

  /** the kernel state the drivers run on */
  private get state(): KernelState {
    if (!this.stateRef) throw new Error('HotplugRuntime: no Linux attached');
    return this.stateRef;
  }

  get log(): readonly KernelLogLine[] {
    return this.kernel.log;
  }

  /** Before boot(): the PCI core reports to this runtime; ACPI's SCI handler is installed. */
  attach(linux: Linux): void {
    this.linuxRef = linux;
    this.stateRef = kernelStateOf(linux);
    this.stateRef.version = kernelBuild(this.flavour);
    this.stateRef.hp = this;
    if (this.acpiTables && !linux.opts.acpiOff) {
      this.acpiphp = new Acpiphp(this, this.acpiTables);
      this.acpiphp.installSci();
    }
  }

  /**
   * After boot(): the devices boot found are added; acpiphp knows its slots; shpchp (generic kernel)
   * probes each conventional bridge with an SHPC capability, as its module_init() does after portdrv.
   */
  afterBoot(): void {
    const linux = this.state;
    pciBusAddBootDevices(linux);
    // boot's pci_bus_add_devices() (its exact moment in the initcalls is not modelled: the end of boot)
    for (const d of forEachPciDev(linux)) this.milestone({ t: this.kernel.now(), what: 'added', bdf: this.name(d), detail: 'boot' });
    if (this.acpiphp && !linux.opts.acpiphpDisabled) this.acpiphp.enumerate();
    // shpchp is built in only where CONFIG_HOTPLUG_PCI_SHPC is (the generic image, not the cloud one)
    if (config(linux, 'HOTPLUG_PCI_SHPC')) {
      for (const dev of forEachPciDev(linux)) {
        if (dev.classCode !== 0x060400 || dev.pcieCap) continue;
        const ctrl = new ShpcController(this, dev);
        const ok = this.kernel.runSync(ctrl.probe((bus, device) => this.acpiphp?.owns(bus, device) ?? false));
        if (ok) this.shpc.set(dev, ctrl);
      }
      this.logBoot('shpchp: Standard Hot Plug PCI Controller Driver version: 0.4');
    }
    this.booted = true;
  }

  /** Run the kernel (interrupts, threads, work, timers, host events) until `until` or until idle. */
  run(until?: number): void {
    this.kernel.run(until);
  }

  // ------------------------------------------------------------------
  // what drivers share

  name(dev: PciDev): string {
    return pciName(dev);
  }

  /** the interrupt line of a function's MSI/MSI-X vector, as the host raises it */
  msiLine(dev: PciDev): string {
    return `msi:${this.name(dev)}`;
  }

  msiEnabled(dev: PciDev): boolean {
    return pciDevMsiEnabled(this.state, dev);
  }

  shpcManaged(bridge: PciDev): boolean {
    return this.shpc.get(bridge)?.managed ?? false;
  }

  printk(text: string): void {
    this.kernel.printk(text);
  }

  /** a boot-time line (its exact time is not modelled; it goes to the log without console cost) */
  logBoot(text: string): void {
    this.kernel.log.push({ t: this.kernel.now(), text });
  }

  mark(detail: string): void {
    this.milestone({ t: this.kernel.now(), what: 'mark', bdf: '', detail });
  }

  // ------------------------------------------------------------------
  // PciHotplugHooks: the PCI core's printk lines and events

  deviceFound(dev: PciDev): void {
    const line = `pci ${this.name(dev)}: [${hex(dev.vendor, 4)}:${hex(dev.device, 4)}] type ${hex(dev.hdrType, 2)} class 0x${hex(dev.classCode, 6)}`;
    this.milestone({ t: this.kernel.now(), what: 'found', bdf: this.name(dev), ...(this.booted ? {} : { detail: 'boot scan' }) });
    if (!this.booted) {
      this.logBoot(line);
      return;
    }
    this.printk(line);
  }

  deviceScanned(dev: PciDev): void {
    if (!this.booted) return;
    for (const b of dev.bars) this.printk(`pci ${this.name(dev)}: BAR ${b.index} ${fmtBar(b, false)}`);
  }

  barAssigned(dev: PciDev, bar: BarResource): void {
    this.milestone({ t: this.kernel.now(), what: 'assigned', bdf: this.name(dev), detail: `BAR ${bar.index}` });
    this.printk(`pci ${this.name(dev)}: BAR ${bar.index} ${fmtBar(bar, true)}: assigned`);
  }

  bridgeSetUp(bridge: PciDev): void {
    const drv = bridge.pcieCap ? 'pcieport' : this.shpc.get(bridge)?.managed ? 'shpchp' : 'pci';
    const sub = bridge.subordinate;
    if (!sub) return;
    const range = sub.busnEnd > sub.number ? `${hex(sub.number, 2)}-${hex(sub.busnEnd, 2)}` : hex(sub.number, 2);
    this.printk(`${drv} ${this.name(bridge)}: PCI bridge to [bus ${range}]`);
    const w = bridge.windows;
    if (w?.io) this.printk(`${drv} ${this.name(bridge)}:   bridge window [io  0x${hex(w.io.start, 4)}-0x${hex(w.io.end, 4)}]`);
    if (w?.mem) this.printk(`${drv} ${this.name(bridge)}:   bridge window [mem 0x${hex(w.mem.start, 8)}-0x${hex(w.mem.end, 8)}]`);
    if (w?.pref) this.printk(`${drv} ${this.name(bridge)}:   bridge window [mem 0x${hex(w.pref.start, 8)}-0x${hex(w.pref.end, 8)}${w.pref.is64 ? ' 64bit' : ''} pref]`);
  }

  deviceAdded(dev: PciDev): void {
    if (!this.booted) return;
    this.acpiphp?.dsmOnDeviceAdd(dev);
    this.milestone({ t: this.kernel.now(), what: 'added', bdf: this.name(dev) });
  }

  deviceRemoved(dev: PciDev): void {
    this.milestone({ t: this.kernel.now(), what: 'removed', bdf: this.name(dev) });
  }

  /** request_irq(IRQF_SHARED) of a port service's hard handler on the port's vector, after those before it */
  requestPortServiceIrq(port: PciDev, name: string, handler: () => IrqReturn): void {
    this.kernel.requestThreadedIrq(this.msiLine(port), name, handler);
  }

  pciehpProbe(port: PciDev): void {
    const ctrl = new PciehpController(this, port, this.pciehpParams);
    if (this.kernel.runSync(ctrl.probe())) this.pciehp.set(port, ctrl);
    // back in really_probe(): driver_bound()'s device-link mutex is a voluntary preemption point, where the
    // irq thread pciehp_check_presence() woke runs (the real boots show its reads before pci_save_state())
    this.kernel.condResched();
  }

  // ------------------------------------------------------------------
  // guest actions a scenario can ask for

  /** `echo 1 > /sys/bus/pci/rescan`: pci_rescan_bus() of every root bus (Kata's agent does this for SHPC) */
  sysfsRescan(): PciDev[] {
    const out: PciDev[] = [];
    for (const r of this.state.pciRootBuses) out.push(...pciRescanBus(this.state, r));
    return out;
  }
}

function hex(v: number, w: number): string {
  return v.toString(16).padStart(w, '0');
}

/** %pR of a BAR resource, as 6.1.192 prints "BAR n [mem 0x…-0x… 64bit pref]" */
function fmtBar(b: BarResource, assigned: boolean): string {
  const start = assigned ? b.start : 0;
  const end = start + b.size - 1;
  if (b.io) return `[io  0x${hex(start, 4)}-0x${hex(end, 4)}]`;
  return `[mem 0x${hex(start, 8)}-0x${hex(end, 8)}${b.is64 ? ' 64bit' : ''}${b.prefetch ? ' pref' : ''}]`;
}
