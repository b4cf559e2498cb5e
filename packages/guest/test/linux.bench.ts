import { bench, describe } from 'vitest';
import { Linux } from '../src/index.js';
import { fakeCpu, hostBridge, noAcpi } from './helpers.js';

/**
 * The guest model alone: Linux 6.1's PCI init on a CPU whose conf1 ports answer one host bridge at 00:00.0
 * and all-ones everywhere else, with nothing behind them (no KVM, no QEMU).
 */
const { cpu } = fakeCpu(new Map([[0, hostBridge()]]), 'GenuineIntel', false);

describe('Linux 6.1 PCI init, the guest alone', () => {
  bench('boot(): one host bridge, no MCFG (no peer-bus scan)', () => {
    new Linux(cpu, noAcpi('')).boot();
  });

  bench('boot() with pci=lastbus=255: the peer-bus scan reads 255 × 32 absent slots', () => {
    new Linux(cpu, noAcpi('pci=lastbus=255')).boot();
  });
});
