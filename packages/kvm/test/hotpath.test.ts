import { PerformanceObserver, constants } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { KVM_MEM_READONLY, Kvm, PAGE_SIZE, allOnesDevice, type VmOps } from '../src/index.js';

/**
 * The access paths allocate nothing: a few million accesses run without a single minor GC. (Values and
 * addresses stay below 2^31 here: V8 boxes larger numbers as HeapNumbers when they cross a call that is not
 * inlined, on the caller's side as much as ours; that is the engine's representation, not an object the
 * model creates.)
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
    run(200_000); // warm up: JIT, MMIO SPTEs, mapped pages
    let minor = 0;
    const obs = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const detail = (e as unknown as { detail?: { kind?: number } }).detail;
        if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) minor++;
      }
    });
    obs.observe({ entryTypes: ['gc'] });
    run(1_500_000); // 9 M accesses: one small object per conf1 access alone would be ~100 MB, dozens of scavenges
    await new Promise((r) => setTimeout(r, 50));
    obs.disconnect();
    expect(vm.stats.exits().KVM_EXIT_IO).toBe(2 * 1_700_000);
    expect(minor).toBeLessThanOrEqual(1);
  });
});
