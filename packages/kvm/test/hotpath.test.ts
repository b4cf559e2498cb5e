import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { KVM_MEM_PCI_HOLE, KVM_MEM_READONLY, Kvm, PAGE_SIZE, allOnesDevice, gpaOf, type VmOps } from '../src/index.js';

/** Minor GCs while `work` runs (PerformanceObserver 'gc' entries, read once they are delivered). */
async function minorGcsDuring(work: () => void): Promise<number> {
  let minor = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const detail = (e as unknown as { detail?: { kind?: number } }).detail;
      if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  work();
  await new Promise((r) => setTimeout(r, 50));
  obs.disconnect();
  return minor;
}

/**
 * The access paths allocate nothing: a few million accesses run without a single minor GC. (V8 boxes a
 * number ≥ 2^31 as a HeapNumber when it crosses a call that is not inlined, on the caller's side as much as
 * ours: the first test keeps below it, the second gives gpas from 2 GiB up as the guest does, as the int32 of
 * their bits.)
 */
describe('hot path', () => {
  it('does not allocate per access', async () => {
    const ops: VmOps = { pioRead: () => 0x7fff, pioWrite: () => {}, mmioRead: () => 0x7fff, mmioWrite: () => {} };
    const vm = new Kvm().createVm();
    const cpu = vm.createVcpu(0, ops);
    vm.registerIoDevice('pio', 0x20, 2, allOnesDevice('pic'));
    vm.registerIoDevice('mmio', 0x5000_0000, 0x10_0000, allOnesDevice('absent'));
    const ro = vm.mmap(64 * PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0x3000_0000, memorySize: 64 * PAGE_SIZE, userspaceAddr: ro });
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        cpu.outl(0xcf8, 0x7000_0000 | ((i & 31) << 11));
        cpu.inw(0xcfc);
        cpu.inb(0x21);
        cpu.readw(0x4000_0000 + ((i & 63) << 15));
        cpu.readw(0x5000_0000 + ((i & 63) << 12));
        cpu.readb(0x3000_0000 + (i & 63) * PAGE_SIZE);
      }
    };
    run(100_000); // warm up: JIT, MMIO SPTEs, mapped pages
    // 1.8 M accesses: one small object per conf1 access alone would be ~20 MB, a scavenge per MB of it
    // (vitest.config.ts runs this package's tests with a 1 MiB semi-space)
    const minor = await minorGcsDuring(() => run(300_000));
    expect(vm.stats.exits().KVM_EXIT_IO).toBe(2 * 400_000);
    expect(minor).toBeLessThanOrEqual(1);
  });

  it('takes a gpa from 2 GiB up as the int32 of its bits: the same accesses, and no allocation', async () => {
    const seen: number[] = [];
    const ops: VmOps = { pioRead: () => 0, pioWrite: () => {}, mmioRead: (g) => (seen.length < 2 && seen.push(gpaOf(g)), 0x7fff), mmioWrite: () => {} };
    const vm = new Kvm().createVm();
    const cpu = vm.createVcpu(0, ops);
    // an ECAM window at 0xb0000000: a READONLY 0xff page over its first 4 KiB, an in-kernel device beyond
    const ro = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0xb000_0000, memorySize: PAGE_SIZE, userspaceAddr: ro });
    vm.registerIoDevice('mmio', 0xb010_0000, 0x10_0000, allOnesDevice('absent'));
    expect(gpaOf(0xb000_0000 | 0)).toBe(0xb000_0000);
    expect(gpaOf(0xb000_0000)).toBe(0xb000_0000);
    expect(cpu.readw(0xb000_0000 | 0)).toBe(0xffff); // the slot's page
    expect(cpu.readl(0xb010_0000 | 0)).toBe(-1); // the in-kernel device
    expect(cpu.readw(0xe000_0000 | 0)).toBe(0x7fff); // KVM_EXIT_MMIO, the VMM told the address
    expect(cpu.readw(0xe000_0000)).toBe(0x7fff);
    expect(seen).toEqual([0xe000_0000, 0xe000_0000]);
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 0, KVM_EXIT_MMIO: 2, inKernel: 2, noExit: 0 });
    const dev = new Int32Array(64);
    for (let i = 0; i < 64; i++) dev[i] = (0xb010_0000 + (i << 12)) | 0;
    const run = (n: number): void => {
      for (let i = 0; i < n; i++) {
        cpu.readw(0xb000_0000 | 0);
        cpu.readw(dev[i & 63]!);
        cpu.readw((0xe000_0000 + ((i & 63) << 12)) | 0);
      }
    };
    run(100_000);
    const minor = await minorGcsDuring(() => run(300_000));
    expect(minor).toBeLessThanOrEqual(1);
  });

  it('carries a dword of all-ones as -1 on every path, read or written, and allocates nothing for it', async () => {
    // an absent function's 0xffffffff, read as a dword: from the VMM (KVM_EXIT_IO, KVM_EXIT_MMIO), an in-kernel
    // all-ones device, a PCI_HOLE slot, a READONLY page of 0xff; and BAR sizing's 0xffffffff written to the VMM.
    // Unsigned, it was a heap number per access wherever V8 did not inline the vCPU or the VMM's handler
    const written: number[] = [];
    const ops: VmOps = {
      pioRead: () => -1,
      pioWrite: (_p, _s, v) => void (written.length < 2 && written.push(v)),
      mmioRead: () => -1,
      mmioWrite: (_g, _s, v) => void (written.length < 2 && written.push(v)),
    };
    const vm = new Kvm({ capabilities: { pciHole: true } }).createVm();
    const cpu = vm.createVcpu(0, ops);
    vm.registerIoDevice('mmio', 0xb010_0000, 0x10_0000, allOnesDevice('absent'));
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_PCI_HOLE, guestPhysAddr: 0xb020_0000, memorySize: 0x10_0000, userspaceAddr: 0 });
    const ro = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 2, flags: KVM_MEM_READONLY, guestPhysAddr: 0xb030_0000, memorySize: PAGE_SIZE, userspaceAddr: ro });
    const gpas = [0xe000_0000, 0xb010_0000, 0xb020_0000, 0xb030_0000].map((g) => g | 0);
    expect(cpu.inl(0xcfc)).toBe(-1);
    expect(gpas.map((g) => cpu.readl(g))).toEqual([-1, -1, -1, -1]);
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 1, KVM_EXIT_MMIO: 1, inKernel: 3, noExit: 0 });
    const [vmm, device, hole, page] = gpas as [number, number, number, number];
    cpu.outl(0xcfc, 0xffff_ffff);
    cpu.writel(vmm, 0xffff_ffff);
    expect(written).toEqual([-1, -1]); // the VMM gets the bytes as their int32
    const run = (n: number): number => {
      let x = 0;
      for (let i = 0; i < n; i++) {
        cpu.outl(0xcfc, -1);
        cpu.writel(vmm, -1);
        x ^= cpu.inl(0xcfc) ^ cpu.readl(vmm) ^ cpu.readl(device) ^ cpu.readl(hole) ^ cpu.readl(page);
      }
      return x;
    };
    expect(run(100_000)).toBe(0);
    let sink = 0;
    const minor = await minorGcsDuring(() => (sink = run(400_000))); // 2.8 M accesses
    expect(sink).toBe(0); // five -1s a round flip x; an even number of rounds
    expect(minor).toBeLessThanOrEqual(1);
  });
});
