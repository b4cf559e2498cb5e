/**
 * @module
 * arch/x86/pci/acpi.c: the root bus's windows. With ACPI and `pci_use_crs` they are the host bridge's `_CRS`
 * (pci_acpi_root_prepare_resources()); with `pci=nocrs` (PCI_ROOT_NO_CRS) or no ACPI the root bus keeps
 * pci_create_root_bus()'s defaults, ioport_resource and iomem_resource: all of I/O space and all of memory.
 */
import type { KernelState } from '../../../init/state.js';

/** a root bus window resources are allocated from */
export interface RootWindow {
  kind: 'io' | 'mem' | 'mem64';
  min: number;
  max: number;
}

/**
 * ioport_resource [io 0x0000-0xffff] and iomem_resource from PCIBIOS_MIN_MEM up (e820__setup_pci_gap():
 * "[mem 0x20000000-0xafffffff] available for PCI devices" on the recorded machines), split at 4 GiB as the
 * allocator sees it for 32- and 64-bit BARs
 */
const DEFAULT_WINDOWS: readonly RootWindow[] = [
  { kind: 'io', min: 0x1000, max: 0xffff },
  { kind: 'mem', min: 0, max: 0xffffffff },
  { kind: 'mem64', min: 2 ** 32, max: 2 ** 46 - 1 },
];

/** the windows of root bus `busNr`: _CRS when ACPI is on and pci=nocrs was not given, else the defaults */
export function pciRootWindows(k: KernelState, busNr: number): RootWindow[] {
  const acpi = acpiTables(k);
  const hb = acpi?.hostBridges.find((h) => busNr >= h.busStart && busNr <= h.busEnd);
  if (!hb || k.opts.noCrs) return hb || !acpi ? DEFAULT_WINDOWS.map((w) => ({ ...w })) : [];
  return (hb.windows ?? []).map((w) => ({ kind: w.kind, min: w.min, max: w.max }));
}

/** the ACPI tables the kernel reads: none when there are none or acpi=off set acpi_disabled */
export function acpiTables(k: KernelState): KernelState['info']['acpi'] {
  return k.opts.acpiOff ? null : k.info.acpi;
}
