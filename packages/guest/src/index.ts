/**
 * @module
 * @sim/guest: a Linux x86-64 guest's PCI initialisation, simulated access by access on any {@link Cpu}, and
 * its PCI hot-plug at run time (the kernel's timers, workqueues, interrupts and printk; acpiphp, pciehp, shpchp).
 */
export type { Cpu, CpuidResult, BootInfo, E820Entry, McfgAllocation, AcpiTables, AcpiHostBridge, AcpiPciDevice, AcpiInterruptLink, PciConfigRegion, DmarTable } from './cpu.js';
export { Linux, type LinuxOptions, type GuestPatch, type ConfigAccessHook } from './linux.js';
export type { FoundDevice, PciDev, PciBusState, BarResource, BridgeWindow } from './include/linux/pci.js';
export { pciName } from './include/linux/pci.js';
export { KERNEL_FLAVOURS, type KernelFlavour, type KernelVersion, type KernelConfigOption } from './version.js';
export type { PciHotplugHooks } from './init/state.js';
export { KERNEL_PARAMS, NO_PCI_EFFECT, parseCmdline, type KernelParamHandler, type LinuxPciOptions } from './cmdline.js';
export { GuestError, type GuestErrorCode } from './errors.js';
export { Kernel, type KernelOptions } from './kernel/sched/core.js';
export type { DelayedWork } from './kernel/workqueue.js';
export type { KMutex } from './kernel/locking/mutex.js';
export type { KernelTraceHook, KGen, KOp, KernelLogLine, KernelRuntime, Task, Timer, IrqReturn, WaitQueue } from './include/linux/sched.js';
export type { HotplugContext } from './include/linux/pci_hotplug.js';
export { HZ, TICK_NSEC, INITIAL_JIFFIES, msecsToJiffies, timerBucketExpiry } from './kernel/time/timer.js';
export { fmtTime } from './kernel/printk.js';
export { ZERO_GUEST_CPU_COSTS, TCG_REFERENCE_GUEST_CPU_COSTS, type GuestCpuCosts } from './kernel/costs.js';
export { HotplugRuntime, type HotplugRuntimeOptions, type PciMilestone } from './hotplug.js';
export { PciehpController, type PciehpState, type PciehpParams } from './drivers/pci/hotplug/pciehp_core.js';
export { ShpcController, ShpcSlot, type ShpcSlotState } from './drivers/pci/hotplug/shpchp_core.js';
export { Acpiphp, type AcpiPciHotplugTables, type AcpiphpSlot } from './drivers/pci/hotplug/acpiphp_glue.js';
export { pciDeviceGroups, iommuGroupReasonText, type IommuGroup, type IommuGroupReason } from './drivers/iommu/iommu.js';
