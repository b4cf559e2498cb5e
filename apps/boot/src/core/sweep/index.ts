/**
 * @module
 * Sweeps: a scenario matrix booted on N threads (this one and N-1 worker threads), one result per scenario in
 * matrix order, the same for every N. Scenarios with the same QEMU command line share one realized machine per
 * thread, restored before each boot ({@link MachineCache}); `freshMachines` builds one for every scenario
 * instead (same output, slower). The command is ../../commands/sweep.ts.
 */
import type { SweepMatrix } from './matrix.js';

export * from './matrix.js';
export { runSweep, runScenario, sweepWorkerUrl, type SweepResult, type SweepOptions, type SweepSummary } from './run.js';

/** A q35 sweep of 1,000 scenarios: 5 topologies × 10 kernel command lines × 10 KVM mitigation sets × 2 guests. */
export const BENCH_MATRIX: SweepMatrix = {
  base: { qemuArgs: ['-M', 'q35'] },
  axes: {
    devices: [
      [],
      ['pcie-root-port,id=rp1,chassis=1', 'virtio-net-pci,bus=rp1'],
      ['pcie-root-port,id=rp1,chassis=1,addr=3.0,multifunction=on', 'pcie-root-port,id=rp2,chassis=2,addr=3.1', 'pcie-root-port,id=rp3,chassis=3,addr=3.2', 'pcie-root-port,id=rp4,chassis=4,addr=3.3'],
      ['pcie-pci-bridge,id=ppb', 'pci-bridge,id=br1,bus=ppb,chassis_nr=1,addr=1.0'],
      ['pcie-root-port,id=rp1,chassis=1', 'virtio-scsi-pci,bus=rp1', 'virtio-rng-pci,bus=pcie.0', 'virtio-balloon-pci'],
    ],
    append: ['', 'pci=lastbus=0', 'pci=lastbus=1', 'pci=lastbus=3', 'pci=lastbus=7', 'pci=lastbus=15', 'pci=lastbus=31', 'pci=lastbus=63', 'pci=lastbus=127', 'pci=nommconf'],
    kvm: ['', 'pci-hole', 'mmio-bus', 'ro-page', 'ro-page-2m', 'ro-page-prefetch', 'ro-page-prefetch-2m', 'ro-page-full', 'pio-fast', 'pci-hole,pio-fast'],
    guestPatch: ['none', 'mmconfig-v1'],
  },
};
