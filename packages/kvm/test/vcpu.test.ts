import { describe, expect, it } from 'vitest';
import {
  EXIT_EVENT_EPT_FAULT,
  EXIT_EVENT_IN_KERNEL_MMIO,
  EXIT_EVENT_IO,
  EXIT_EVENT_MMIO,
  KVM_MEM_PCI_HOLE,
  KVM_MEM_READONLY,
  KVM_MEM_SINGLE_HVA,
  Kvm,
  KvmError,
  NOT_HANDLED,
  PAGE_SIZE,
  PTE_PREFETCH_NUM,
  allOnesDevice,
  type AccessSize,
  type InKernelDevice,
  type KvmOptions,
  type VmOptions,
} from '../src/index.js';
import { FakeOps, MiB } from './helpers.js';

const ECAM = 0xb000_0000;
const ECAM_SIZE = 256 * MiB;

function setup(kvmOpts: KvmOptions = {}, vmOpts: VmOptions = {}) {
  const kvm = new Kvm(kvmOpts);
  const vm = kvm.createVm(vmOpts);
  const ops = new FakeOps();
  const cpu = vm.createVcpu(0, ops);
  return { kvm, vm, ops, cpu };
}

/** A PIO device answering [base, base+len) with `value`, as the in-kernel i8259 would. */
function pioDevice(name: string, value: number, log: string[]): InKernelDevice {
  return {
    name,
    read(addr: number, size: AccessSize): number {
      log.push(`${name} read ${addr.toString(16)}/${size}`);
      return value;
    },
    write(addr: number, _size: AccessSize, v: number): boolean {
      log.push(`${name} write ${addr.toString(16)}=${v.toString(16)}`);
      return true;
    },
  };
}

describe('port I/O', () => {
  it('a conf1 read is two KVM_EXIT_IO exits that reach the VmOps', () => {
    const { vm, ops, cpu } = setup();
    cpu.outl(0xcf8, 0x8000_0000 | (3 << 11));
    expect(cpu.inl(0xcfc)).toBe(-1); // 0xffffffff: a dword read is the int32 of its bytes
    expect(ops.calls).toEqual([
      { kind: 'pioWrite', addr: 0xcf8, size: 4, value: 0x8000_1800 | 0 }, // a dword as the int32 of its bytes
      { kind: 'pioRead', addr: 0xcfc, size: 4 },
    ]);
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 2, KVM_EXIT_MMIO: 0, inKernel: 0, noExit: 0 });
    expect(vm.stats.vmxExits()).toMatchObject({ IO_INSTRUCTION: 2, EPT_VIOLATION: 0, EPT_MISCONFIG: 0 });
    expect(vm.clock.now()).toBe(2 * 6000);
    expect(vm.stats.timeNs.userspaceExitIo).toBe(12000);
  });

  it('masks values to the access size both ways', () => {
    const { ops, cpu } = setup();
    ops.readValue = 0x1234_5678;
    expect(cpu.inb(0x71)).toBe(0x78);
    expect(cpu.inw(0x71)).toBe(0x5678);
    cpu.outw(0x70, 0xabcdef);
    cpu.outb(0x80, 0x1ff);
    expect(ops.calls.slice(2).map((c) => c.value)).toEqual([0xcdef, 0xff]);
  });

  it('an in-kernel KVM_PIO_BUS device answers without a userspace exit', () => {
    const { vm, ops, cpu } = setup();
    const log: string[] = [];
    vm.registerIoDevice('pio', 0x20, 2, pioDevice('i8259', 0xb8, log));
    expect(cpu.inb(0x21)).toBe(0xb8);
    cpu.outb(0x20, 0x11);
    expect(ops.calls).toHaveLength(0);
    expect(log).toEqual(['i8259 read 21/1', 'i8259 write 20=11']);
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 0, KVM_EXIT_MMIO: 0, inKernel: 2, noExit: 0 });
    expect(vm.stats.vmxExits().IO_INSTRUCTION).toBe(2);
    expect(vm.stats.timeNs.inKernelPio).toBe(2000);
    // an access not contained in the device's range goes to userspace (kvm_io_bus_cmp)
    cpu.inw(0x21);
    expect(ops.calls).toEqual([{ kind: 'pioRead', addr: 0x21, size: 2 }]);
  });

  it('a device returning NOT_HANDLED passes the access on: next device, then userspace', () => {
    const { vm, ops, cpu } = setup();
    const log: string[] = [];
    const decline: InKernelDevice = {
      name: 'decline',
      read: () => {
        log.push('decline');
        return NOT_HANDLED;
      },
      write: () => false,
    };
    vm.registerIoDevice('pio', 0xcf8, 8, decline);
    expect(cpu.inl(0xcfc)).toBe(-1);
    expect(log).toEqual(['decline']);
    expect(ops.calls).toHaveLength(1);
    // overlapping ranges are allowed: both devices are tried, in the kernel's sorted order
    vm.registerIoDevice('pio', 0xcfc, 4, pioDevice('fast', 0xffff_ffff, log));
    expect(cpu.inl(0xcfc)).toBe(-1);
    expect(log).toEqual(['decline', 'decline', 'fast read cfc/4']);
    expect(vm.stats.exits()).toMatchObject({ KVM_EXIT_IO: 1, inKernel: 1 });
    vm.unregisterIoDevice('pio', decline);
    expect(vm.ioDevices('pio')).toEqual([{ addr: 0xcfc, len: 4, name: 'fast' }]);
    // the bus's lookup follows the change (its last answer is not reused)
    expect(cpu.inl(0xcfc)).toBe(-1);
    expect(log).toEqual(['decline', 'decline', 'fast read cfc/4', 'fast read cfc/4']);
    vm.unregisterIoDevice('pio', decline); // not there: nothing happens, like the kernel
  });

  it('ENOSPC past NR_IOBUS_DEVS devices; ioeventfds are not counted', () => {
    const { vm } = setup();
    const dev = allOnesDevice();
    for (let i = 0; i < 1000; i++) vm.registerIoDevice('mmio', 0x1000_0000 + i * 4, 4, dev);
    const e = (() => {
      try {
        vm.registerIoDevice('mmio', 0x2000_0000, 4, dev);
      } catch (err) {
        return err as KvmError;
      }
      return null;
    })();
    expect(e?.code).toBe('ENOSPC');
    const { vm: vm2 } = setup();
    const efd: InKernelDevice = { ...allOnesDevice('ioeventfd'), ioeventfd: true };
    for (let i = 0; i < 1200; i++) vm2.registerIoDevice('pio', 0x1000 + i, 1, efd);
    vm2.registerIoDevice('pio', 0x10, 1, dev);
    expect(() => vm2.registerIoDevice('nope' as 'pio', 0, 1, dev)).toThrow(/unknown bus/);
  });
});

describe('MMIO with no memslot', () => {
  it('exits as KVM_EXIT_MMIO; EPT_VIOLATION on the first access to a page, EPT_MISCONFIG after', () => {
    const { vm, ops, cpu } = setup();
    expect(cpu.readw(ECAM)).toBe(0xffff);
    expect(cpu.readl(ECAM + 8)).toBe(-1);
    cpu.writel(ECAM + 4, 0x0006);
    expect(cpu.readw(ECAM + (1 << 15))).toBe(0xffff);
    expect(ops.calls.map((c) => c.kind)).toEqual(['mmioRead', 'mmioRead', 'mmioWrite', 'mmioRead']);
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 0, KVM_EXIT_MMIO: 4, inKernel: 0, noExit: 0 });
    expect(vm.stats.vmxExits()).toMatchObject({ EPT_VIOLATION: 2, EPT_MISCONFIG: 2 });
    expect(vm.stats.sptes.mmio).toBe(2);
    expect(vm.stats.eptFaults).toBe(0);
    expect(vm.clock.now()).toBe(4 * 6000);
  });

  it('the mmio-bus mitigation: an all-ones KVM_MMIO_BUS device answers in KVM', () => {
    const { vm, ops, cpu } = setup();
    vm.registerIoDevice('mmio', ECAM + MiB, ECAM_SIZE - MiB, allOnesDevice('ecam-absent'));
    expect(cpu.readw(ECAM + MiB)).toBe(0xffff);
    cpu.writel(ECAM + MiB + 4, 0);
    expect(cpu.readl(ECAM)).toBe(-1); // bus 0 is outside the device: userspace
    expect(ops.calls).toEqual([{ kind: 'mmioRead', addr: ECAM, size: 4 }]);
    expect(vm.stats.exits()).toMatchObject({ KVM_EXIT_MMIO: 1, inKernel: 2 });
    expect(vm.stats.snapshot().inKernel).toEqual({ pio: 0, mmio: 2, eptFault: 0 });
    expect(vm.stats.timeNs.inKernelMmio).toBe(2000);
  });

  it('an access crossing a page is split into one access per page piece', () => {
    const { ops, cpu } = setup();
    ops.readValue = 0xff;
    expect(cpu.readl(ECAM + 0xffe)).toBe(0x00ff_00ff);
    expect(ops.calls).toEqual([
      { kind: 'mmioRead', addr: ECAM + 0xffe, size: 2 },
      { kind: 'mmioRead', addr: ECAM + 0x1000, size: 2 },
    ]);
    cpu.writew(ECAM + 0xfff, 0xabcd);
    expect(ops.calls.slice(2)).toEqual([
      { kind: 'mmioWrite', addr: ECAM + 0xfff, size: 1, value: 0xcd },
      { kind: 'mmioWrite', addr: ECAM + 0x1000, size: 1, value: 0xab },
    ]);
  });
});

describe('KVM_MEM_PCI_HOLE slots (pci-hole)', () => {
  it('reads are emulated in KVM as all-ones, writes exit as KVM_EXIT_MMIO', () => {
    const { vm, ops, cpu } = setup({ capabilities: { pciHole: true } });
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_PCI_HOLE, guestPhysAddr: ECAM, memorySize: ECAM_SIZE, userspaceAddr: 0 });
    const t0 = vm.clock.now();
    expect(cpu.readl(ECAM + (5 << 20))).toBe(-1);
    expect(cpu.readw(ECAM + (5 << 20))).toBe(0xffff);
    expect(cpu.readb(ECAM + (9 << 20) + 0x0e)).toBe(0xff);
    expect(ops.calls).toHaveLength(0);
    cpu.writel(ECAM + (5 << 20) + 4, 7);
    expect(ops.calls).toEqual([{ kind: 'mmioWrite', addr: ECAM + (5 << 20) + 4, size: 4, value: 7 }]);
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 0, KVM_EXIT_MMIO: 1, inKernel: 3, noExit: 0 });
    // every access is a VM exit (RET_PF_EMULATE, no SPTE), never mapped
    expect(vm.stats.vmxExits()).toMatchObject({ EPT_VIOLATION: 4, EPT_MISCONFIG: 0 });
    expect(vm.stats.eptFaults).toBe(0);
    expect(vm.clock.now() - t0).toBe(3 * 1000 + 6000);
    expect(vm.hostMemoryBytes).toBe(0);
  });

  it('disallows hugepages on the slot', () => {
    const { vm } = setup({ capabilities: { pciHole: true } }, { mmu: { hugepages: true } });
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_PCI_HOLE, guestPhysAddr: ECAM, memorySize: ECAM_SIZE, userspaceAddr: 0 });
    expect(vm.memslots()[0]!.hugepageBlocker).toMatch(/KVM_MEM_PCI_HOLE disallows large pages/);
  });
});

describe('READONLY slots (ro-page)', () => {
  it('reads: one EPT fault per distinct 4 KiB page, no exit after; writes: KVM_EXIT_MMIO', () => {
    const { vm, ops, cpu } = setup();
    const hva = vm.mmap(16 * PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: ECAM, memorySize: 16 * PAGE_SIZE, userspaceAddr: hva });
    const t0 = vm.clock.now();
    const pages = [0, 3, 3, 0, 7, 15, 7];
    for (const p of pages) expect(cpu.readw(ECAM + p * PAGE_SIZE + 2)).toBe(0xffff);
    expect(vm.stats.eptFaults).toBe(4);
    expect(vm.stats.sptes.map4k).toBe(4);
    expect(vm.stats.vmxExits().EPT_VIOLATION).toBe(4);
    // the faulting access exits and KVM alone handles it; the 3 repeats do not exit
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 0, KVM_EXIT_MMIO: 0, inKernel: 4, noExit: 3 });
    expect(ops.calls).toHaveLength(0);
    cpu.writel(ECAM + 4, 0x10);
    expect(ops.calls).toEqual([{ kind: 'mmioWrite', addr: ECAM + 4, size: 4, value: 0x10 }]);
    expect(vm.stats.exits().KVM_EXIT_MMIO).toBe(1);
    expect(cpu.readl(ECAM + 4)).toBe(-1); // the write did not reach the page
    expect(vm.stats.vmxExits().EPT_VIOLATION).toBe(5);
    expect(vm.clock.now() - t0).toBe(4 * 1000 + 6000);
    expect(vm.hostMemoryBytes).toBe(16 * PAGE_SIZE);
  });

  it('KVM_MEM_SINGLE_HVA: a 256 MiB slot on one 4 KiB host page; faults = distinct pages touched', () => {
    const { vm, cpu } = setup({ capabilities: { singleHva: true } });
    const page = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY | KVM_MEM_SINGLE_HVA, guestPhysAddr: ECAM, memorySize: ECAM_SIZE, userspaceAddr: page });
    // Linux's peer-bus probe: vendor ID of devfn 0, 8, … 248 on buses 1..255 = 32 pages per bus
    for (let bus = 1; bus < 256; bus++) {
      for (let dev = 0; dev < 32; dev++) expect(cpu.readw(ECAM + (bus << 20) + (dev << 15))).toBe(0xffff);
    }
    expect(vm.stats.eptFaults).toBe(255 * 32);
    expect(vm.stats.exits()).toMatchObject({ KVM_EXIT_MMIO: 0, inKernel: 255 * 32, noExit: 0 });
    expect(vm.hostMemoryBytes).toBe(PAGE_SIZE);
  });

  it('KVM_MEM_SINGLE_HVA repeats the host range over the slot, whatever its length', () => {
    // a power-of-two period is taken as a mask, any other with `%`: the same aliasing either way
    for (const pages of [3, 4]) {
      const { vm, cpu } = setup({ capabilities: { singleHva: true } });
      const hva = vm.mmap(pages * PAGE_SIZE);
      vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_SINGLE_HVA, guestPhysAddr: 0x1000_0000, memorySize: 64 * PAGE_SIZE, userspaceAddr: hva });
      for (let p = 0; p < pages; p++) cpu.writel(0x1000_0000 + p * PAGE_SIZE + 8, 0x100 + p);
      for (let p = 0; p < 64; p++) expect(cpu.readl(0x1000_0000 + p * PAGE_SIZE + 8)).toBe(0x100 + (p % pages));
      expect(vm.hostMemoryBytes).toBe(pages * PAGE_SIZE);
    }
  });

  it('KVM_MEM_SINGLE_HVA on a 4 KiB page breaks hugepages (observable)', () => {
    const { vm, cpu } = setup({ capabilities: { singleHva: true } }, { mmu: { hugepages: true } });
    const page = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY | KVM_MEM_SINGLE_HVA, guestPhysAddr: ECAM, memorySize: ECAM_SIZE, userspaceAddr: page });
    for (let i = 0; i < 64; i++) cpu.readb(ECAM + i * PAGE_SIZE);
    expect(vm.stats.eptFaults).toBe(64);
    expect(vm.stats.sptes.map2m).toBe(0);
    expect(vm.memslots()[0]!.hugepageBlocker).toBe('KVM_MEM_SINGLE_HVA routes every GFN to one 4 KiB host page');
  });

  it('2 MiB variant: one fault per 2 MiB frame (single HVA over one 2 MiB 0xff host page)', () => {
    const { vm, cpu } = setup({ capabilities: { singleHva: true } }, { mmu: { hugepages: true } });
    const huge = vm.mmap(2 * MiB, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY | KVM_MEM_SINGLE_HVA, guestPhysAddr: ECAM, memorySize: ECAM_SIZE, userspaceAddr: huge });
    expect(vm.memslots()[0]!.hugepageBlocker).toBeNull();
    for (let bus = 1; bus < 256; bus++) {
      for (let dev = 0; dev < 32; dev++) expect(cpu.readw(ECAM + (bus << 20) + (dev << 15))).toBe(0xffff);
    }
    // 255 buses × 1 MiB = 255 MiB → 128 frames of 2 MiB (bus 0's frame holds bus 1)
    expect(vm.stats.eptFaults).toBe(128);
    expect(vm.stats.sptes.map2m).toBe(128);
    expect(vm.hostMemoryBytes).toBe(2 * MiB);
  });

  it('2 MiB variant on a full-size 0xff backing (no single HVA) costs real memory', () => {
    const { vm, cpu } = setup({}, { mmu: { hugepages: true } });
    const backing = vm.mmap(ECAM_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: ECAM, memorySize: ECAM_SIZE, userspaceAddr: backing });
    for (let i = 0; i < 4 * 512; i += 3) cpu.readb(ECAM + i * PAGE_SIZE);
    expect(vm.stats.eptFaults).toBe(4);
    expect(vm.hostMemoryBytes).toBe(ECAM_SIZE);
  });

  it('hugepages need 2 MiB frames fully inside the slot and congruent gpa/hva', () => {
    const { vm, cpu } = setup({}, { mmu: { hugepages: true } });
    const backing = vm.mmap(4 * MiB, 0xff);
    // slot starts 4 KiB into a 2 MiB frame: head frame is 4 KiB-only, and gpa/hva are no longer congruent
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: ECAM + PAGE_SIZE, memorySize: 4 * MiB - PAGE_SIZE, userspaceAddr: backing });
    expect(vm.memslots()[0]!.hugepageBlocker).toMatch(/not congruent modulo 2 MiB/);
    for (let i = 1; i < 1024; i += 100) cpu.readb(ECAM + i * PAGE_SIZE);
    expect(vm.stats.sptes.map2m).toBe(0);
    expect(vm.stats.eptFaults).toBe(11);
  });

  it('prefetch PTE_PREFETCH_NUM: a fault also maps the rest of its aligned group of 8', () => {
    const { vm, cpu } = setup({}, { mmu: { prefetch: PTE_PREFETCH_NUM } });
    const hva = vm.mmap(64 * PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: ECAM, memorySize: 64 * PAGE_SIZE, userspaceAddr: hva });
    cpu.readb(ECAM + 5 * PAGE_SIZE); // maps 0..7
    for (let p = 0; p < 16; p++) cpu.readb(ECAM + p * PAGE_SIZE); // 8..15: one more fault
    expect(vm.stats.eptFaults).toBe(2);
    expect(vm.stats.sptes).toMatchObject({ map4k: 2, prefetched: 14 });
    expect(vm.stats.exits()).toMatchObject({ inKernel: 2, noExit: 15 });
  });

  it('prefetch of 2 MiB ranges: one fault per 2 MiB of a 4 KiB-mapped slot', () => {
    const { vm, cpu } = setup({ capabilities: { singleHva: true } }, { mmu: { prefetch: 512 } });
    const page = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY | KVM_MEM_SINGLE_HVA, guestPhysAddr: ECAM, memorySize: ECAM_SIZE, userspaceAddr: page });
    for (let bus = 1; bus < 256; bus++) {
      for (let dev = 0; dev < 32; dev++) cpu.readw(ECAM + (bus << 20) + (dev << 15));
    }
    expect(vm.stats.eptFaults).toBe(128);
    expect(vm.stats.sptes.map2m).toBe(0);
    expect(vm.stats.sptes.map4k + vm.stats.sptes.prefetched).toBe(128 * 512);
  });

  it('prefetch is all-or-nothing per run: a run past the slot end maps nothing (gfn_to_page_many_atomic)', () => {
    const { vm, cpu } = setup({}, { mmu: { prefetch: 8 } });
    const hva = vm.mmap(4 * PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: ECAM, memorySize: 4 * PAGE_SIZE, userspaceAddr: hva });
    for (let p = 0; p < 4; p++) cpu.readb(ECAM + p * PAGE_SIZE);
    expect(vm.stats.eptFaults).toBe(4);
    expect(vm.stats.sptes.prefetched).toBe(0);
  });

  it('rejects a bad MMU option', () => {
    expect(() => new Kvm().createVm({ mmu: { prefetch: 6 } })).toThrow(KvmError);
  });
});

describe('SPTEs at any address', () => {
  it('keeps MMIO SPTEs and mapped pages per gfn below 2 GiB, from 2 GiB (int32 form), above 4 GiB and above 8 TiB', () => {
    // the gfn and its 2 MiB frame are shifts below 4 GiB / 8 TiB and divisions above: the same answers either way
    const { vm, cpu } = setup();
    const TiB = 2 ** 40;
    // (9 TiB and 25 TiB are 2^32 gfns apart: a 32-bit shift would take them for one page)
    const mmio = [0x7fff_f000, 0xb000_0000 | 0, 0xb000_0000, 0x1_b000_0000, 9 * TiB, 9 * TiB + 0x1000, 9 * TiB + 2 * MiB, 25 * TiB];
    for (const g of mmio) cpu.readw(g);
    // 0xb0000000 given twice (its int32 form, then unsigned) is one gfn: an MMIO SPTE already, EPT_MISCONFIG
    expect(vm.stats.vmxExits()).toMatchObject({ EPT_VIOLATION: 7, EPT_MISCONFIG: 1 });
    for (const g of mmio) cpu.readw(g);
    expect(vm.stats.vmxExits()).toMatchObject({ EPT_VIOLATION: 7, EPT_MISCONFIG: 9 });
    expect(vm.stats.sptes.mmio).toBe(7);
    // RAM above 8 TiB (gfn >= 2^31): one fault per page, then no exit; its neighbour frame untouched
    const ram = vm.mmap(4 * MiB);
    vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 10 * TiB, memorySize: 4 * MiB, userspaceAddr: ram });
    cpu.writel(10 * TiB + 0x1004, 0x1234_5678);
    expect(cpu.readl(10 * TiB + 0x1004)).toBe(0x1234_5678);
    expect(cpu.readl(10 * TiB + 2 * MiB + 0x1004)).toBe(0);
    expect(vm.stats.eptFaults).toBe(2);
    expect(vm.stats.exits()).toMatchObject({ noExit: 1 });
  });
});

describe('RAM slots, SPTE lifetime, host memory', () => {
  it('RAM reads and writes never exit after the page is mapped, and hold their data', () => {
    const { vm, ops, cpu } = setup();
    const ram = vm.mmap(2 * MiB);
    vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 2 * MiB, userspaceAddr: ram });
    cpu.writel(0x1000, 0xdeadbeef);
    cpu.writeb(0x1005, 0x42);
    expect(cpu.readl(0x1000)).toBe(0xdeadbeef | 0); // a dword read is the int32 of its bytes
    expect(cpu.readw(0x1004)).toBe(0x4200);
    expect(cpu.readl(0x2000)).toBe(0);
    expect(ops.calls).toHaveLength(0);
    expect(vm.stats.eptFaults).toBe(2);
    expect(vm.stats.exits()).toMatchObject({ inKernel: 2, noExit: 3 });
    expect(vm.hostMemoryBytes).toBe(PAGE_SIZE); // one written page of zero-filled memory
    expect(vm.hostMappedBytes).toBe(2 * MiB);
  });

  it('a memslot DELETE zaps every SPTE (kvm_mmu_zap_all_fast), so pages fault again', () => {
    const { vm, cpu } = setup();
    const a = vm.mmap(PAGE_SIZE, 0xff);
    const b = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0x10000, memorySize: PAGE_SIZE, userspaceAddr: a });
    vm.setUserMemoryRegion({ slot: 2, flags: KVM_MEM_READONLY, guestPhysAddr: 0x20000, memorySize: PAGE_SIZE, userspaceAddr: b });
    cpu.readb(0x10000);
    cpu.readb(0x20000);
    vm.setUserMemoryRegion({ slot: 2, flags: 0, guestPhysAddr: 0, memorySize: 0, userspaceAddr: 0 });
    cpu.readb(0x10000);
    expect(vm.stats.eptFaults).toBe(3);
    expect(vm.stats.sptes.zapAll).toBe(1);
  });

  it('a slot created over a gfn with an MMIO SPTE: the first access is an EPT_MISCONFIG that maps', () => {
    const { vm, ops, cpu } = setup();
    cpu.readl(ECAM);
    const hva = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: ECAM, memorySize: PAGE_SIZE, userspaceAddr: hva });
    expect(cpu.readl(ECAM)).toBe(-1);
    expect(cpu.readl(ECAM)).toBe(-1);
    expect(ops.calls).toHaveLength(1);
    expect(vm.stats.vmxExits()).toMatchObject({ EPT_VIOLATION: 1, EPT_MISCONFIG: 1 });
    expect(vm.stats.eptFaults).toBe(1);
  });

  it('KVM_RUN fails with EFAULT when a slot points at unmapped host memory', () => {
    const { vm, cpu } = setup();
    const hva = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x10000, memorySize: PAGE_SIZE, userspaceAddr: hva });
    vm.setUserMemoryRegion({ slot: 2, flags: 0, guestPhysAddr: 0x20000, memorySize: PAGE_SIZE, userspaceAddr: 0x1000 });
    expect(cpu.readb(0x10000)).toBe(0xff);
    expect(() => cpu.readb(0x20000)).toThrow(/KVM_RUN: gpa 0x20000 in slot 2 .* not mapped: EFAULT/);
    vm.munmap(hva);
    expect(() => cpu.readb(0x10000)).toThrow(KvmError);
    expect(vm.hostMemoryBytes).toBe(0);
  });
});

describe('observer, clock, idle', () => {
  it('onExit gets numbers for every exit; null by default', () => {
    const { vm, cpu } = setup();
    expect(vm.onExit).toBeNull();
    const hva = vm.mmap(PAGE_SIZE, 0xff);
    vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0x10000, memorySize: PAGE_SIZE, userspaceAddr: hva });
    vm.registerIoDevice('mmio', 0xc000_0000, PAGE_SIZE, allOnesDevice());
    const seen: number[][] = [];
    vm.onExit = (ev, addr, size, w, start, dur) => seen.push([ev, addr, size, w, start, dur]);
    const t = vm.clock.now();
    cpu.outl(0xcf8, 0x8000_0000);
    cpu.readl(ECAM);
    cpu.readb(0x10000);
    cpu.readb(0x10001); // no exit: not reported
    cpu.readw(0xc000_0000);
    expect(seen).toEqual([
      [EXIT_EVENT_IO, 0xcf8, 4, 1, t, 6000],
      [EXIT_EVENT_MMIO, ECAM, 4, 0, t + 6000, 6000],
      [EXIT_EVENT_EPT_FAULT, 0x10000, 1, 0, t + 12000, 1000],
      [EXIT_EVENT_IN_KERNEL_MMIO, 0xc000_0000, 2, 0, t + 13000, 1000],
    ]);
  });

  it('sleepNs moves the clock without an exit; clock.advance is external time', () => {
    const { vm, cpu } = setup();
    cpu.sleepNs(1500);
    vm.clock.advance(500);
    expect(cpu.now()).toBe(2000);
    expect(vm.stats.timeNs).toMatchObject({ idle: 1500, external: 500, total: 2000 });
    expect(vm.stats.exits()).toEqual({ KVM_EXIT_IO: 0, KVM_EXIT_MMIO: 0, inKernel: 0, noExit: 0 });
    expect(() => cpu.sleepNs(-1)).toThrow(KvmError);
  });

  it('perf kvm stat-like per-reason min/max', () => {
    const { vm, cpu } = setup();
    vm.registerIoDevice('pio', 0x20, 2, allOnesDevice('pic'));
    cpu.inb(0x20);
    cpu.inb(0xcfc);
    const t = vm.stats.vmxExitTimes();
    expect(t.IO_INSTRUCTION).toEqual({ count: 2, totalNs: 7000, minNs: 1000, maxNs: 6000 });
    expect(t.EPT_MISCONFIG).toEqual({ count: 0, totalNs: 0, minNs: 0, maxNs: 0 });
  });
});

describe('vCPU creation', () => {
  it('refuses bad ids, duplicates and incomplete VmOps', () => {
    const vm = new Kvm().createVm();
    vm.createVcpu(0, new FakeOps());
    expect(() => vm.createVcpu(0, new FakeOps())).toThrow(/vcpu id 0 already exists: EEXIST/);
    expect(() => vm.createVcpu(4096, new FakeOps())).toThrow(/KVM_MAX_VCPU_IDS.*: EINVAL/);
    expect(() => vm.createVcpu(1, { pioRead: () => 0 } as never)).toThrow(/no pioWrite/);
    expect(vm.vcpus().map((v) => v.id)).toEqual([0]);
  });
});
