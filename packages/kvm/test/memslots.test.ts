import { describe, expect, it } from 'vitest';
import {
  KVM_CAP_NR_MEMSLOTS,
  KVM_CAP_PCI_HOLE_MEM,
  KVM_CAP_READONLY_MEM,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_PCI_HOLE,
  KVM_MEM_READONLY,
  KVM_MEM_SINGLE_HVA,
  KVM_USER_MEM_SLOTS,
  Kvm,
  KvmError,
  PAGE_SIZE,
  type KvmErrorCode,
  type UserspaceMemoryRegion,
  type Vm,
} from '../src/index.js';
import { FakeOps, MiB } from './helpers.js';

const region = (slot: number, gpa: number, size: number, hva: number, flags = 0): UserspaceMemoryRegion => ({
  slot,
  flags,
  guestPhysAddr: gpa,
  memorySize: size,
  userspaceAddr: hva,
});

function errOf(fn: () => void): KvmError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KvmError) return e;
    throw e;
  }
  throw new Error('expected a KvmError');
}

function expectErrno(fn: () => void, code: KvmErrorCode, text?: RegExp): KvmError {
  const e = errOf(fn);
  expect(e.code).toBe(code);
  expect(e.message.endsWith(`: ${code}`)).toBe(true);
  if (text) expect(e.message).toMatch(text);
  return e;
}

function vmWith(opts: ConstructorParameters<typeof Kvm>[0] = {}): Vm {
  return new Kvm(opts).createVm();
}

describe('KVM_CHECK_EXTENSION', () => {
  it('answers the memslot capabilities as 6.1 x86 does', () => {
    const kvm = new Kvm();
    expect(KVM_USER_MEM_SLOTS).toBe(32764);
    expect(kvm.checkExtension(KVM_CAP_NR_MEMSLOTS)).toBe(32764);
    expect(kvm.checkExtension(KVM_CAP_READONLY_MEM)).toBe(1);
    expect(kvm.checkExtension(KVM_CAP_PCI_HOLE_MEM)).toBe(0);
    expect(new Kvm({ capabilities: { pciHole: true } }).checkExtension(KVM_CAP_PCI_HOLE_MEM)).toBe(1);
    expect(kvm.checkExtension(99999)).toBe(0);
  });
});

describe('KVM_SET_USER_MEMORY_REGION changes', () => {
  it('creates a slot, counts and charges the update', () => {
    const vm = vmWith();
    const hva = vm.mmap(2 * MiB);
    vm.setUserMemoryRegion(region(0, 0, 2 * MiB, hva));
    const [s] = vm.memslots();
    expect(s).toMatchObject({ slot: 0, asId: 0, id: 0, guestPhysAddr: 0, memorySize: 2 * MiB, userspaceAddr: hva, baseGfn: 0, npages: 512 });
    expect(vm.stats.memslotUpdates).toBe(1);
    expect(vm.stats.memslotChanges).toEqual({ create: 1, delete: 0, move: 0, flagsOnly: 0 });
    expect(vm.clock.now()).toBe(vm.costProfile.ns.memslotUpdate);
    expect(vm.stats.timeNs.memslotUpdate).toBe(vm.costProfile.ns.memslotUpdate);
  });

  it('treats the same region again as a no-op (returns 0, nothing counted)', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE);
    vm.setUserMemoryRegion(region(1, 0x1000, PAGE_SIZE, hva));
    vm.setUserMemoryRegion(region(1, 0x1000, PAGE_SIZE, hva));
    expect(vm.stats.memslotUpdates).toBe(1);
  });

  it('changes flags only (dirty logging on and off)', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE);
    vm.setUserMemoryRegion(region(1, 0x1000, PAGE_SIZE, hva));
    vm.setUserMemoryRegion(region(1, 0x1000, PAGE_SIZE, hva, KVM_MEM_LOG_DIRTY_PAGES));
    expect(vm.memslots()[0]!.flags).toBe(KVM_MEM_LOG_DIRTY_PAGES);
    vm.setUserMemoryRegion(region(1, 0x1000, PAGE_SIZE, hva));
    expect(vm.stats.memslotChanges).toEqual({ create: 1, delete: 0, move: 0, flagsOnly: 2 });
  });

  it('moves a slot, even over its own old range, and zaps every SPTE', () => {
    const vm = vmWith();
    const hva = vm.mmap(4 * PAGE_SIZE);
    vm.setUserMemoryRegion(region(2, 0x10000, 4 * PAGE_SIZE, hva));
    vm.setUserMemoryRegion(region(2, 0x12000, 4 * PAGE_SIZE, hva));
    expect(vm.memslots()[0]).toMatchObject({ guestPhysAddr: 0x12000, baseGfn: 0x12 });
    expect(vm.stats.memslotChanges.move).toBe(1);
    expect(vm.stats.sptes.zapAll).toBe(1);
  });

  it('deletes with memory_size 0 (any other field may be anything valid)', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE);
    vm.setUserMemoryRegion(region(3, 0x1000, PAGE_SIZE, hva));
    vm.setUserMemoryRegion(region(3, 0, 0, 0));
    expect(vm.memslots()).toHaveLength(0);
    expect(vm.stats.memslotChanges.delete).toBe(1);
    expectErrno(() => vm.setUserMemoryRegion(region(3, 0, 0, 0)), 'EINVAL', /cannot delete slot 3: it does not exist/);
  });

  it('keeps the two address spaces apart (SMM slots may overlap normal ones)', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE);
    vm.setUserMemoryRegion(region(0, 0xa0000, PAGE_SIZE, hva));
    vm.setUserMemoryRegion(region((1 << 16) | 0, 0xa0000, PAGE_SIZE, hva));
    expect(vm.memslots().map((s) => s.asId)).toEqual([0, 1]);
    expectErrno(() => vm.setUserMemoryRegion(region((2 << 16) | 0, 0, PAGE_SIZE, hva)), 'EINVAL', /address space 2/);
  });
});

describe('KVM_SET_USER_MEMORY_REGION errors', () => {
  it('EEXIST on overlap with another slot of the same address space', () => {
    const vm = vmWith();
    const a = vm.mmap(0x1000_0000);
    vm.setUserMemoryRegion(region(1, 0xa000_0000, 0x1000_1000 - 0x1000, a));
    vm.setUserMemoryRegion(region(2, 0xa000_0000 + 0x1000_0000, PAGE_SIZE, a));
    const e = expectErrno(() => vm.setUserMemoryRegion(region(3, 0xb000_0000, 0x1000_0000, a)), 'EEXIST');
    expect(e.message).toBe(
      'KVM_SET_USER_MEMORY_REGION: slot 3 [0xb0000000, 0xc0000000) overlaps slot 2 [0xb0000000, 0xb0001000): EEXIST',
    );
    // a move onto another slot is refused too
    expectErrno(() => vm.setUserMemoryRegion(region(2, 0xa000_1000, PAGE_SIZE, a)), 'EEXIST', /overlaps slot 1/);
  });

  it('EINVAL for an unaligned size, gpa or hva', () => {
    const vm = vmWith();
    const hva = vm.mmap(2 * PAGE_SIZE);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0, 0x1001, hva)), 'EINVAL', /memory_size 0x1001 is not a multiple of PAGE_SIZE/);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0x800, PAGE_SIZE, hva)), 'EINVAL', /guest_phys_addr 0x800 is not page-aligned/);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0, PAGE_SIZE, hva + 8)), 'EINVAL', /userspace_addr .* is not page-aligned/);
  });

  it('EINVAL for a slot id at or above KVM_USER_MEM_SLOTS', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE);
    expectErrno(() => vm.setUserMemoryRegion(region(KVM_USER_MEM_SLOTS, 0, PAGE_SIZE, hva)), 'EINVAL', /slot id 32764 is not below KVM_USER_MEM_SLOTS \(32764\)/);
    expectErrno(() => vm.setUserMemoryRegion(region(0xffff, 0, PAGE_SIZE, hva)), 'EINVAL');
    vm.setUserMemoryRegion(region(KVM_USER_MEM_SLOTS - 1, 0, PAGE_SIZE, hva));
  });

  it('KVM_MEM_PCI_HOLE: EINVAL without the capability', () => {
    const vm = vmWith();
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0xb000_0000, 0x1000_0000, 0, KVM_MEM_PCI_HOLE)), 'EINVAL', /KVM_CAP_PCI_HOLE_MEM/);
  });

  it('KVM_MEM_PCI_HOLE: EINVAL with userspace_addr != 0, with READONLY, with LOG_DIRTY_PAGES', () => {
    const vm = vmWith({ capabilities: { pciHole: true } });
    const hva = vm.mmap(PAGE_SIZE);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0xb000_0000, PAGE_SIZE, hva, KVM_MEM_PCI_HOLE)), 'EINVAL', /needs userspace_addr 0/);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0xb000_0000, PAGE_SIZE, 0, KVM_MEM_PCI_HOLE | KVM_MEM_READONLY)), 'EINVAL', /cannot be combined/);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0xb000_0000, PAGE_SIZE, 0, KVM_MEM_PCI_HOLE | KVM_MEM_LOG_DIRTY_PAGES)), 'EINVAL', /cannot be combined/);
    vm.setUserMemoryRegion(region(0, 0xb000_0000, 0x1000_0000, 0, KVM_MEM_PCI_HOLE));
    expect(vm.memslots()[0]!.flags).toBe(KVM_MEM_PCI_HOLE);
  });

  it('KVM_MEM_PCI_HOLE cannot be toggled on an existing slot', () => {
    const vm = vmWith({ capabilities: { pciHole: true } });
    vm.setUserMemoryRegion(region(0, 0xb000_0000, PAGE_SIZE, 0));
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0xb000_0000, PAGE_SIZE, 0, KVM_MEM_PCI_HOLE)), 'EINVAL', /KVM_MEM_PCI_HOLE cannot be toggled/);
    vm.setUserMemoryRegion(region(1, 0xc000_0000, PAGE_SIZE, 0, KVM_MEM_PCI_HOLE));
    expectErrno(() => vm.setUserMemoryRegion(region(1, 0xc000_0000, PAGE_SIZE, 0)), 'EINVAL', /cannot be toggled/);
  });

  it('EINVAL when READONLY, the size or the hva of an existing slot changes', () => {
    const vm = vmWith();
    const hva = vm.mmap(2 * PAGE_SIZE);
    vm.setUserMemoryRegion(region(5, 0x10000, PAGE_SIZE, hva));
    expectErrno(() => vm.setUserMemoryRegion(region(5, 0x10000, PAGE_SIZE, hva, KVM_MEM_READONLY)), 'EINVAL', /KVM_MEM_READONLY cannot be toggled/);
    expectErrno(() => vm.setUserMemoryRegion(region(5, 0x10000, 2 * PAGE_SIZE, hva)), 'EINVAL', /memory_size of an existing slot cannot change/);
    expectErrno(() => vm.setUserMemoryRegion(region(5, 0x10000, PAGE_SIZE, hva + PAGE_SIZE)), 'EINVAL', /userspace_addr of an existing slot cannot change/);
  });

  it('EINVAL for unknown flags, and KVM_MEM_SINGLE_HVA without its capability', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0, PAGE_SIZE, hva, 0x10)), 'EINVAL', /flags 0x10 has bits KVM does not accept/);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0, PAGE_SIZE, hva, KVM_MEM_SINGLE_HVA | KVM_MEM_READONLY)), 'EINVAL', /single-HVA capability/);
    expectErrno(() => new Kvm({ capabilities: { readonlyMem: false } }).createVm().setUserMemoryRegion(region(0, 0, PAGE_SIZE, hva, KVM_MEM_READONLY)), 'EINVAL');
  });

  it('EINVAL when userspace_addr + memory_size is not below TASK_SIZE_MAX (access_ok)', () => {
    const vm = vmWith();
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0, 2 * PAGE_SIZE, 2 ** 47 - PAGE_SIZE * 2 + PAGE_SIZE)), 'EINVAL', /access_ok/);
  });

  it('EINVAL above the host MAXPHYADDR (kvm_arch_prepare_memory_region)', () => {
    const vm = vmWith({ hostPhysBits: 39 });
    const hva = vm.mmap(PAGE_SIZE);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 2 ** 39, PAGE_SIZE, hva)), 'EINVAL', /MAXPHYADDR/);
    vm.setUserMemoryRegion(region(0, 2 ** 39 - PAGE_SIZE, PAGE_SIZE, hva));
  });

  it('EINVAL for values that are not u32/u64', () => {
    const vm = vmWith();
    expectErrno(() => vm.setUserMemoryRegion(region(-1, 0, PAGE_SIZE, 0)), 'EINVAL', /slot -1 is not a u32/);
    expectErrno(() => vm.setUserMemoryRegion(region(0, 0.5, PAGE_SIZE, 0)), 'EINVAL', /guest_phys_addr/);
  });

  it('checks in 6.1 order: slot id, flags, size, gpa, hva, address space, then overlap', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE);
    vm.setUserMemoryRegion(region(0, 0, PAGE_SIZE, hva));
    // every check fails: the slot id wins (kvm_vm_ioctl_set_memory_region)
    expectErrno(() => vm.setUserMemoryRegion(region(KVM_USER_MEM_SLOTS, 0x800, 0x1001, hva + 1, 0x10)), 'EINVAL', /slot id/);
    // then check_memory_region_flags()
    expectErrno(() => vm.setUserMemoryRegion(region(1, 0x800, 0x1001, hva + 1, 0x10)), 'EINVAL', /flags/);
    // then memory_size, guest_phys_addr, userspace_addr
    expectErrno(() => vm.setUserMemoryRegion(region(1, 0x800, 0x1001, hva + 1)), 'EINVAL', /memory_size/);
    expectErrno(() => vm.setUserMemoryRegion(region(1, 0x800, PAGE_SIZE, hva + 1)), 'EINVAL', /guest_phys_addr/);
    expectErrno(() => vm.setUserMemoryRegion(region((2 << 16) | 1, 0, PAGE_SIZE, hva + 1)), 'EINVAL', /userspace_addr/);
    expectErrno(() => vm.setUserMemoryRegion(region((2 << 16) | 1, 0, PAGE_SIZE, hva)), 'EINVAL', /address space 2/);
    // the overlap comes last: an overlapping, otherwise valid region is EEXIST
    expectErrno(() => vm.setUserMemoryRegion(region(1, 0, PAGE_SIZE, hva)), 'EEXIST');
    // and a failed call changes nothing
    expect(vm.memslots()).toHaveLength(1);
    expect(vm.stats.memslotUpdates).toBe(1);
  });
});

describe('slot limit and lookup', () => {
  it('takes KVM_USER_MEM_SLOTS slots, refuses the next id, and still finds each slot fast', () => {
    const vm = vmWith();
    const hva = vm.mmap(PAGE_SIZE, 0x5a);
    // each 4 KiB slot over the same host page, the way Peter Xu's "map one 0xff page repeatedly" would need
    for (let id = 0; id < KVM_USER_MEM_SLOTS; id++) {
      vm.setUserMemoryRegion(region(id, 0x1_0000_0000 + id * PAGE_SIZE, PAGE_SIZE, hva, KVM_MEM_READONLY));
    }
    expect(vm.memslots()).toHaveLength(KVM_USER_MEM_SLOTS);
    expect(vm.stats.memslotUpdates).toBe(KVM_USER_MEM_SLOTS);
    expectErrno(
      () => vm.setUserMemoryRegion(region(KVM_USER_MEM_SLOTS, 0x1_0000_0000 + KVM_USER_MEM_SLOTS * PAGE_SIZE, PAGE_SIZE, hva, KVM_MEM_READONLY)),
      'EINVAL',
    );
    // 32764 × 4 KiB = 128 MiB of holes at most this way: Sean's "overflows the memslot limit" point
    const cpu = vm.createVcpu(0, new FakeOps());
    expect(cpu.readb(0x1_0000_0000 + 12345 * PAGE_SIZE + 7)).toBe(0x5a);
    expect(cpu.readl(0x1_0000_0000 + (KVM_USER_MEM_SLOTS - 1) * PAGE_SIZE)).toBe(0x5a5a5a5a);
    expect(vm.stats.exits()).toMatchObject({ inKernel: 2, noExit: 0 }); // first touches: EPT faults
  });
});
