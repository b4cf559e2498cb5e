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
  /** buses in order of first access, consecutive runs joined: "0,255,1-254" (byBus's keys lose that order in JS) */
  busOrder?: string;
  /** recorded only: raw accesses to the conf1 ports (0xcf8 index, 0xcfc-0xcff data) */
  portAccesses?: PortAccesses;
}

/** Raw counts on the conf1 ports, as the reference recorder keeps them (apps/boot/src/record). */
export interface PortAccesses {
  /** dword writes to 0xcf8: the address latch */
  cf8_write_dword: number;
  /** other writes to 0xcf8-0xcfb (Linux's `outb(0x01, 0xcfb)` probe); QEMU ignores them */
  cf8_write_other: number;
  cf8_read: number;
  cfc_read: number;
  cfc_write: number;
  /** data-port accesses while the latch's enable bit (31) was clear: not config accesses */
  data_with_enable_clear: number;
  /** data-port accesses with no 0xcf8 dword write since the previous data access */
  data_without_new_address: number;
}

export interface PhaseReport {
  config: ConfigTally;
  /** simulated only: exits by where they were handled */
  exits?: ExitTally;
  /** simulated only: virtual time spent in config access and exits in this phase, in integer nanoseconds (rounded once) */
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

/** What a recorded boot ran on (reference JSON `recordedWith`). */
export interface RecordedWith {
  qemu: string;
  kernel: string;
  accel: string;
  memory: string;
  cpu: string;
}

export interface BootReport {
  schema: 'pcisim.boot/1' | 'pcisim.reference/1';
  scenario?: string;
  qemuArgs: string[];
  append: string;
  phases: Record<Phase, PhaseReport>;
  devices: DeviceEntry[];
  /** recorded/reference only: one line on what the scenario is */
  description?: string;
  /** recorded/reference only */
  recordedWith?: RecordedWith;
  /** recorded/reference only: "BB:DD.F" of each bridge Linux set up → its bus range */
  bridges?: Record<string, { secondary: number; subordinate: number }>;
  /** recorded/reference only: Linux's console lines on how it reaches config space */
  linuxConfigLines?: string[];
  /**
   * simulated only: the options of the command line that pcisim accepted and does not model (`-smp 4`,
   * `-vga none`, `-kernel vmlinuz`), as given; the text report lists them as "accepted, not modelled"
   */
  notModelled?: string[];
  /** simulated only: the options accepted that cannot change a config access (`-name`, `-uuid`, `-rtc`, `-vnc`); "accepted, no effect on PCI" */
  noPciEffect?: string[];
  /** simulated only: what `-cpu host` (or `max` under KVM) was taken to be: `--host-cpu`'s choice, stated */
  hostCpu?: string;
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
  /** as QEMU traced it, not masked to `size`; masked to `size` only when the traced value needs `valueHex` */
  value: number;
  /** the traced value exactly ("0xffffffffffffffff"), set only when it is above 2^53 (mmcfg reads of nothing) */
  valueHex?: string;
}
