/**
 * @module
 * @sim/guest: a Linux x86-64 guest's PCI initialisation, simulated access by access on any {@link Cpu}.
 */
export type { Cpu, CpuidResult, BootInfo, E820Entry, McfgAllocation, AcpiTables, AcpiHostBridge, AcpiPciDevice, AcpiInterruptLink, PciConfigRegion } from './cpu.js';
export { Linux61, type Linux61Options, type GuestPatch, type FoundDevice, type ConfigAccessHook } from './linux61.js';
export { parseCmdline, type LinuxPciOptions } from './cmdline.js';
export { GuestError, type GuestErrorCode } from './errors.js';
export * from './hotplug/index.js';
