/**
 * @module
 * `pio-fast`, a proposed in-kernel device (never merged; DESIGN.md §3): KVM keeps the PCI config-address
 * latch of ports 0xcf8-0xcff, shared with the VMM's conf1 host as a register page would be, and answers
 * data-port accesses to functions the VMM told it do not exist; everything else goes on to userspace.
 */
import { NOT_HANDLED, type AccessSize, type InKernelDevice } from './types.js';

/** The VMM's type-1 config-address register as the device shares it. */
export interface PciConfigLatch {
  /** the 0xcf8 register */
  configReg: number;
  /** bus << 8 | devfn the register selects, or -1 while its enable bit is clear */
  latchedTarget(): number;
}

/** The device, on KVM_PIO_BUS at 0xcf8, length 8. */
export class PioFastDevice implements InKernelDevice {
  readonly name = 'pci-conf1-fast';
  private readonly present = new Uint8Array(256 * 256);

  constructor(private readonly latch: PciConfigLatch) {}

  /** The functions that exist, as bus << 8 | devfn (the VMM tells KVM after every topology change). */
  setPresent(functions: Iterable<number>): void {
    this.present.fill(0);
    for (const f of functions) this.present[f] = 1;
  }

  private absentLatched(): boolean {
    const target = this.latch.latchedTarget();
    return target >= 0 && this.present[target] === 0;
  }

  read(addr: number, size: AccessSize): number {
    if (addr === 0xcf8 && size === 4) return this.latch.configReg;
    if (addr >= 0xcfc && this.absentLatched()) return size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
    return NOT_HANDLED;
  }

  write(addr: number, size: AccessSize, value: number): boolean {
    if (addr === 0xcf8 && size === 4) {
      this.latch.configReg = value;
      return true;
    }
    return addr >= 0xcfc && this.absentLatched();
  }
}
