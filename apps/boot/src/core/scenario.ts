/**
 * @module
 * The scenario pcisim boots: a QEMU command line as @sim/qemu reads it ({@link parseQemuArgs}, softmmu/vl.c),
 * its `QemuConfig` under the name the rest of the app uses.
 */
export { parseQemuArgs, stubMissingBackends, type QemuConfig as Scenario, type MachineType } from '@sim/qemu';
