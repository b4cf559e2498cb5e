/**
 * @module
 * arch/x86/kernel/acpi/boot.c: acpi_mps_check() and the MADT's processors (acpi_parse_lapic(): the CPUs the
 * kernel may bring up).
 */
import type { KernelState } from '../../../../init/state.js';
import { acpiTables } from '../../pci/acpi.js';
import { config } from '../../../../version.js';

/**
 * acpi_mps_check(), from setup_arch(): the cloud kernel has no MP-table parser (CONFIG_X86_MPPARSE unset), so
 * with ACPI disabled (acpi=off) or its IRQ routing off (acpi=noirq, pci=noacpi) it clears X86_FEATURE_APIC:
 * "MPS support code is not built-in". The local APIC is gone for the rest of the boot (no second look at the
 * northbridge from init_amd(), no secondary CPUs).
 */
export function acpiMpsCheck(k: KernelState): void {
  if (config(k, 'X86_MPPARSE')) return;
  if (k.opts.acpiOff || k.opts.acpiNoirq) {
    k.log.push('ACPI: MPS support code is not built-in, using acpi=off or acpi=noirq or pci=noacpi may have problem');
    k.hasApic = false;
  }
}

/**
 * The processors the kernel finds: the MADT's local APIC entries (acpi_parse_lapic() -> num_processors), one
 * per vCPU; with no MADT (acpi=off, no ACPI tables) or no local APIC, the boot CPU alone ("smpboot: Allowing 1
 * CPUs").
 */
export function acpiNumProcessors(k: KernelState): number {
  if (!k.hasApic || !acpiTables(k)) return 1;
  return k.info.cpus ?? 1;
}
