/**
 * @module
 * Linux 6.1's PCI hot-plug at run time: the kernel runtime (jiffies, timer wheel, msleep, workqueues,
 * threaded interrupts, printk to the serial console) and the drivers acpiphp, pciehp and shpchp.
 */
export {
  Kernel,
  HZ,
  TICK_NSEC,
  INITIAL_JIFFIES,
  msecsToJiffies,
  timerBucketExpiry,
  fmtTime,
  ZERO_GUEST_CPU_COSTS,
  TCG_REFERENCE_GUEST_CPU_COSTS,
  type GuestCpuCosts,
  type KernelLogLine,
  type KernelTraceHook,
  type KGen,
  type KOp,
} from './kernel.js';
export { HotplugRuntime, KERNEL_FLAVOURS, type KernelFlavour, type HotplugRuntimeOptions, type PciMilestone } from './runtime.js';
export { PciehpController, type PciehpState, type PciehpParams } from './pciehp.js';
export { ShpcController, ShpcSlot, type ShpcSlotState } from './shpchp.js';
export { Acpiphp, type AcpiPciHotplugTables, type AcpiphpSlot } from './acpiphp.js';
export type { PciDev, PciBusState, BarResource, BridgeWindow, Linux61HotplugHooks } from '../linux61.js';
