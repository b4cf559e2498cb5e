/**
 * @module
 * Numbers embedded from `reference/costs/kvm-exits.json` (schema `pcisim.kvm-exits/1`, at the repository's
 * root, where a test checks this table against it). Real KVM exits timed on this project's build machines:
 * kernel 6.18.44-fc-v669, `kvm_pvm` (nested_pvm=1, software virtualisation with shadow paging inside a
 * Firecracker VM, no VMX), TSC 2.6 GHz. Medians, nanoseconds per guest operation including re-entry.
 *
 * Only the `long64_cpl0` rows are used: 64-bit guest code at CPL0 is what a guest kernel enumerating PCI
 * runs as. Under kvm_pvm, CPL0 guest code is emulated, so every row includes the loop's own cost
 * (`null_loop`), which the profile subtracts.
 */

export interface KvmExitsRow {
  readonly name: string;
  readonly nsPerOpMedian: number;
}

export const KVM_EXITS_MACHINE = 'kernel 6.18.44-fc-v669, kvm_pvm (nested_pvm=1), no VMX, TSC 2.6 GHz';

/** mode `long64_cpl0`, field `ns_per_op_median`. */
export const KVM_EXITS_LONG64_CPL0: readonly KvmExitsRow[] = [
  { name: 'hlt_user', nsPerOpMedian: 8611.0 },
  { name: 'pio_out_user', nsPerOpMedian: 8695.4 },
  { name: 'pio_in_user', nsPerOpMedian: 8786.3 },
  { name: 'pcicfg_pio_read_user', nsPerOpMedian: 18044.5 },
  { name: 'mmio_read_user', nsPerOpMedian: 8978.7 },
  { name: 'mmio_write_user', nsPerOpMedian: 8938.2 },
  { name: 'null_loop', nsPerOpMedian: 521.5 },
  { name: 'ram_read_loop', nsPerOpMedian: 1067.5 },
  { name: 'ro_read_loop', nsPerOpMedian: 1047.7 },
  { name: 'coalesced_mmio_write', nsPerOpMedian: 1141.2 },
  { name: 'ioeventfd_mmio_write', nsPerOpMedian: 1088.5 },
  { name: 'ioeventfd_pio_write', nsPerOpMedian: 914.8 },
  { name: 'pic_pio_read_kernel', nsPerOpMedian: 946.3 },
  { name: 'cpuid_kernel', nsPerOpMedian: 1187.4 },
  { name: 'rdmsr_kernel', nsPerOpMedian: 1137.6 },
  { name: 'ept_first_touch', nsPerOpMedian: 32.5 },
];

export function kvmExitsMedian(name: string): number {
  const row = KVM_EXITS_LONG64_CPL0.find((r) => r.name === name);
  if (!row) throw new Error(`kvm-exits: no long64_cpl0 row '${name}'`);
  return row.nsPerOpMedian;
}
