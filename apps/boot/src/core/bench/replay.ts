/**
 * @module
 * The access path alone: a scenario's linux-phase config accesses, recorded once, replayed instruction by
 * instruction the way Linux makes them — `outl 0xcf8` + `in/out 0xcfc+n` for conf1, an MMIO read or write of
 * the ECAM window for MMCONFIG — on the vCPU of a machine that has booted the scenario: KVM's exit paths and
 * in-kernel bus, the coalesced 0xcf8 latch, QEMU's port/MMIO dispatch, the host bridge, config space. No
 * firmware, no guest algorithm, no report: what a boot's access costs, apart from what a boot does between
 * accesses.
 */
import type { Vcpu, Vm } from '@sim/kvm';
import { bootScenario } from '../boot-scenario.js';
import { TraceCollector, type TraceData } from '../collector.js';
import { parseQemuArgs } from '../scenario.js';

/** Hands over the boot's VM (and so its vCPU, wired to the machine) and records nothing. */
class KeepVm extends TraceCollector {
  booted: Vm | null = null;
  override attach(vm: Vm): void {
    this.booted = vm;
  }
  override mark(): void {}
  override configAccess(): void {}
  override finish(): TraceData {
    return undefined as unknown as TraceData;
  }
}

export interface AccessReplay {
  /** linux-phase accesses in one replay */
  accesses: number;
  /** replays them once; returns an xor of the values read (so nothing is optimised away) */
  run: () => number;
}

/**
 * Records the linux phase of `argv` and returns its replay on a booted machine. Dword values go to the vCPU
 * as the int32 of their bytes (the vCPU masks, as the hardware takes the low 32 bits): an unsigned number
 * ≥ 2^31 would be a heap number in the caller's frame, which is the caller's representation, not the path's.
 */
export function prepareReplay(argv: readonly string[], ecamBase = 0xb000_0000): AccessReplay {
  const s = parseQemuArgs(argv);
  const recorded = (bootScenario(s, { keepAccesses: true }).accesses ?? []).filter((a) => a.phase === 'L');
  const keep = new KeepVm();
  bootScenario(s, { trace: keep });
  const cpu: Vcpu = keep.booted!.vcpus()[0]!;
  const n = recorded.length;
  const kind = new Uint8Array(n);
  const where = new Float64Array(n);
  const port = new Uint16Array(n);
  const value = new Int32Array(n);
  recorded.forEach((a, i) => {
    kind[i] = (a.mech === 'mmcfg' ? 8 : 0) | (a.write ? 4 : 0) | (a.size === 1 ? 0 : a.size === 2 ? 1 : 2);
    value[i] = a.value | 0;
    if (a.mech === 'mmcfg') {
      where[i] = ecamBase + a.bus * 2 ** 20 + (a.devfn << 12) + a.reg;
    } else {
      // pci_conf1_read/write(): PCI_CONF1_ADDRESS(bus, devfn, reg), then the data port at the byte offset
      where[i] = (0x8000_0000 | ((a.reg & 0xf00) << 16) | (a.bus << 16) | (a.devfn << 8) | (a.reg & 0xfc)) | 0;
      port[i] = 0xcfc + (a.size === 4 ? 0 : a.size === 2 ? a.reg & 2 : a.reg & 3);
    }
  });
  const run = (): number => {
    let sink = 0;
    for (let i = 0; i < n; i++) {
      const k = kind[i]!;
      if (k < 8) {
        cpu.outl(0xcf8, where[i]!);
        const p = port[i]!;
        if (k === 0) sink ^= cpu.inb(p);
        else if (k === 1) sink ^= cpu.inw(p);
        else if (k === 2) sink ^= cpu.inl(p) | 0;
        else if (k === 4) cpu.outb(p, value[i]!);
        else if (k === 5) cpu.outw(p, value[i]!);
        else cpu.outl(p, value[i]!);
      } else {
        const g = where[i]!;
        if (k === 8) sink ^= cpu.readb(g);
        else if (k === 9) sink ^= cpu.readw(g);
        else if (k === 10) sink ^= cpu.readl(g) | 0;
        else if (k === 12) cpu.writeb(g, value[i]!);
        else if (k === 13) cpu.writew(g, value[i]!);
        else cpu.writel(g, value[i]!);
      }
    }
    return sink;
  };
  return { accesses: n, run };
}
