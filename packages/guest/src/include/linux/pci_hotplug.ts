/**
 * @module
 * include/linux/pci_hotplug.h: what a hot-plug driver (acpiphp, pciehp, shpchp) is given by the running
 * kernel — the run-time, the kernel its state belongs to, printk; the PCI core's functions they call directly. `HotplugRuntime` (src/hotplug.ts) provides it; the drivers import only this.
 */
import type { PciDev } from './pci.js';
import { printk } from '../../kernel/printk.js';
import { Kernel } from '../../kernel/sched/core.js';

export interface HotplugContext {
  /** the run-time: timers, workqueues, interrupts, the CPU */
  readonly kernel: Kernel;
  /** the `Linux` whose kernel state the drivers run on (kernelStateOf()) */
  readonly linux: object;
  /** pci_name() */
  name(dev: PciDev): string;
  /** the interrupt line of a function's MSI/MSI-X vector, as the host raises it */
  msiLine(dev: PciDev): string;
  /** pci_dev_msi_enabled() */
  msiEnabled(dev: PciDev): boolean;
  /** is the bridge's SHPC managed by shpchp */
  shpcManaged(bridge: PciDev): boolean;
  printk(text: string): void;
  /** a boot-time line (no console cost) */
  logBoot(text: string): void;
  /** a mark in the runtime's milestones */
  mark(detail: string): void;
}
