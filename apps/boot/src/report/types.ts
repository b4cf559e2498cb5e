/**
 * @module
 * The boot report (DESIGN.md §6): one shape for a simulated boot (`pcisim boot --json`), a recorded real
 * boot (`pcisim record`, `pcisim import-trace`) and the reference fixtures, so they compare field by field.
 */

export interface ExitTally {
  KVM_EXIT_IO: number;
  KVM_EXIT_MMIO: number;
  inKernel: number;
  noExit: number;
}

export interface ConfigTally {
  accesses: { conf1: number; mmcfg: number; total: number };
  reads: number;
  writes: number;
  /** accesses to a bus/device/function with no device */
  absent: number;
  absentBreakdown: {
    absent_reads: number;
    absent_writes: number;
    absent_bus: number;
    absent_slot_on_present_bus: number;
    absent_function_of_present_slot: number;
  };
  distinctBdfProbed: number;
  /** bus number (decimal) → accesses */
  byBus: Record<string, number>;
  byBusMechanism: Record<string, { conf1: number; mmcfg: number; absent: number }>;
  /** "BB:DD.F" → accesses, for the devices present */
  perPresentDevice: Record<string, number>;
}

export interface PhaseReport {
  config: ConfigTally;
  /** simulated only: exits by where they were handled */
  exits?: ExitTally;
  /** simulated only: virtual time spent in config access and exits in this phase */
  timeNs?: number;
}

export interface DeviceEntry {
  /** "0000:00:1f.2" */
  bdf: string;
  vendor: string;
  device: string;
  class: string;
  header_type?: string;
  bridge?: { secondary: number; subordinate: number };
}

export type Phase = 'firmware' | 'linux';

export interface BootReport {
  schema: 'pcisim.boot/1' | 'pcisim.reference/1';
  scenario?: string;
  qemuArgs: string[];
  append: string;
  phases: Record<Phase, PhaseReport>;
  devices: DeviceEntry[];
}

/** One config access as the reference's `<scenario>.accesses.txt` lists it. */
export interface AccessRecord {
  phase: 'F' | 'L';
  mech: 'conf1' | 'mmcfg';
  write: boolean;
  bus: number;
  devfn: number;
  reg: number;
  size: number;
  value: number;
}
