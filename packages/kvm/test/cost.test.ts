import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  COST_EVENTS,
  DEFAULT_COST_PROFILE,
  KVM_MEM_PCI_HOLE,
  KVM_MEM_READONLY,
  Kvm,
  KvmError,
  PAGE_SIZE,
  allOnesDevice,
  costProfiles,
  diffStats,
  getCostProfile,
  parseCostProfile,
  type CostProfile,
  type Vm,
} from '../src/index.js';
import { FakeOps, MiB } from './helpers.js';

/** A bit of everything: userspace IO/MMIO, in-kernel PIO/MMIO, PCI_HOLE reads, EPT faults, RAM, memslots. */
function workload(profile: CostProfile | string): Vm {
  const vm = new Kvm({ costProfile: profile, capabilities: { pciHole: true } }).createVm();
  const cpu = vm.createVcpu(0, new FakeOps());
  const ro = vm.mmap(8 * PAGE_SIZE, 0xff);
  vm.setUserMemoryRegion({ slot: 0, flags: KVM_MEM_READONLY, guestPhysAddr: 0xfffc_0000, memorySize: 8 * PAGE_SIZE, userspaceAddr: ro });
  vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_PCI_HOLE, guestPhysAddr: 0xb010_0000, memorySize: 255 * MiB, userspaceAddr: 0 });
  vm.registerIoDevice('pio', 0x20, 2, allOnesDevice('pic'));
  vm.registerIoDevice('mmio', 0xfec0_0000, 0x1000, allOnesDevice('ioapic'));
  for (let dev = 0; dev < 32; dev++) {
    cpu.outl(0xcf8, 0x8000_0000 | (dev << 11));
    cpu.inl(0xcfc);
    cpu.readw(0xb000_0000 + (dev << 15));
    cpu.readw(0xb010_0000 + (dev << 15));
  }
  cpu.writel(0xb010_0004, 0);
  for (let i = 0; i < 10; i++) cpu.inb(0x21);
  for (let i = 0; i < 5; i++) cpu.readl(0xfec0_0000);
  for (let p = 0; p < 8; p++) cpu.readb(0xfffc_0000 + p * PAGE_SIZE + 1);
  for (let p = 0; p < 8; p++) cpu.readb(0xfffc_0000 + p * PAGE_SIZE + 2);
  vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0, memorySize: 0, userspaceAddr: 0 });
  return vm;
}

describe('cost profiles', () => {
  it('lkml-2020 is the default: in-kernel 1 µs, userspace 6 µs', () => {
    expect(DEFAULT_COST_PROFILE).toBe('lkml-2020');
    const p = new Kvm().costProfile;
    expect(p).toBe(costProfiles['lkml-2020']);
    expect(p.ns).toMatchObject({ userspaceExitIo: 6000, userspaceExitMmio: 6000, inKernelMmio: 1000, inKernelPio: 1000 });
    for (const e of COST_EVENTS) expect(p.sources?.[e]).toBeTruthy();
  });

  it('time under lkml-2020 equals counts × costs', () => {
    const vm = workload('lkml-2020');
    const s = vm.stats.snapshot();
    const x = s.exits;
    // 64 KVM_EXIT_IO, 32 absent-ECAM reads + 1 PCI_HOLE write = 33 KVM_EXIT_MMIO
    expect(x).toEqual({ KVM_EXIT_IO: 64, KVM_EXIT_MMIO: 33, inKernel: 32 + 10 + 5 + 8, noExit: 8 });
    expect(s.inKernel).toEqual({ pio: 10, mmio: 37, eptFault: 8 });
    expect(s.eptFaults).toBe(8);
    expect(s.memslotUpdates).toBe(3);
    const ns = costProfiles['lkml-2020']!.ns;
    const expected =
      x.KVM_EXIT_IO * ns.userspaceExitIo +
      x.KVM_EXIT_MMIO * ns.userspaceExitMmio +
      s.inKernel.pio * ns.inKernelPio +
      s.inKernel.mmio * ns.inKernelMmio +
      s.eptFaults * ns.eptViolationMap +
      x.noExit * ns.noExitAccess +
      s.memslotUpdates * ns.memslotUpdate;
    expect(expected).toBe(64 * 6000 + 33 * 6000 + 47 * 1000 + 8 * 1000 + 3 * 20000);
    expect(vm.clock.now()).toBe(expected);
    expect(s.timeNs.total).toBe(expected);
    expect(s.nowNs).toBe(expected);
  });

  it('counts do not depend on the profile; times do', () => {
    const a = workload('lkml-2020').stats.snapshot();
    const b = workload('measured-here').stats.snapshot();
    expect(b.exits).toEqual(a.exits);
    expect(b.vmxExits).toEqual(a.vmxExits);
    expect(b.eptFaults).toBe(a.eptFaults);
    expect(b.timeNs.total).not.toBe(a.timeNs.total);
  });

  it('measured-here comes from kvm-exits.json (long64_cpl0 medians minus null_loop)', () => {
    const json = JSON.parse(readFileSync(new URL('../../../reference/costs/kvm-exits.json', import.meta.url), 'utf8')) as {
      results: { mode: string; name: string; ns_per_op_median: number }[];
    };
    const med = (name: string): number => {
      const r = json.results.find((x) => x.mode === 'long64_cpl0' && x.name === name);
      if (!r) throw new Error(name);
      return r.ns_per_op_median;
    };
    const loop = med('null_loop');
    const r1 = (v: number) => Math.round(v * 10) / 10;
    const p = getCostProfile('measured-here');
    expect(p.ns.userspaceExitIo).toBe(r1((med('pio_out_user') + med('pio_in_user')) / 2 - loop));
    expect(p.ns.userspaceExitMmio).toBe(r1((med('mmio_read_user') + med('mmio_write_user')) / 2 - loop));
    expect(p.ns.inKernelMmio).toBe(r1(med('ioeventfd_mmio_write') - loop));
    expect(p.ns.inKernelPio).toBe(r1(med('pic_pio_read_kernel') - loop));
    expect(p.ns.eptViolationMap).toBe(med('ept_first_touch'));
    expect(p.ns.noExitAccess).toBe(r1(med('ram_read_loop') - loop));
    expect(p.source).toMatch(/kvm-exits\.json/);
  });

  it('getCostProfile: ENOENT naming the built-ins', () => {
    expect(() => getCostProfile('nope')).toThrow("cost profile: 'nope' is not a built-in profile (lkml-2020, measured-here, tcg-reference): ENOENT");
  });

  it('a VM may use its own profile, and switch', () => {
    const kvm = new Kvm();
    const vm = kvm.createVm({ costProfile: 'measured-here' });
    expect(vm.costProfile.name).toBe('measured-here');
    vm.setCostProfile('lkml-2020');
    expect(vm.costProfile.name).toBe('lkml-2020');
  });

  it('exits keep the cost they were charged at when the profile changes', () => {
    const vm = new Kvm().createVm({ costProfile: 'lkml-2020' });
    const cpu = vm.createVcpu(0, new FakeOps());
    cpu.inl(0xcfc);
    cpu.inl(0xcfc);
    vm.setCostProfile(parseCostProfile({ name: 'slower', extends: 'lkml-2020', ns: { userspaceExitIo: 9000 } }));
    cpu.inl(0xcfc);
    expect(vm.stats.timeNs.userspaceExitIo).toBe(21000);
    expect(vm.stats.vmxExitTimes().IO_INSTRUCTION).toEqual({ count: 3, totalNs: 21000, minNs: 6000, maxNs: 9000 });
    expect(vm.stats.snapshot().nowNs).toBe(21000);
  });

  it('diffStats gives what happened between two snapshots', () => {
    const vm = new Kvm().createVm();
    const cpu = vm.createVcpu(0, new FakeOps());
    cpu.inl(0xcfc);
    const a = vm.stats.snapshot();
    cpu.inl(0xcfc);
    cpu.readl(0xb000_0000);
    const d = diffStats(a, vm.stats.snapshot());
    expect(d.exits).toEqual({ KVM_EXIT_IO: 1, KVM_EXIT_MMIO: 1, inKernel: 0, noExit: 0 });
    expect(d.timeNs.total).toBe(12000);
    expect(d.nowNs).toBe(12000);
    expect(d.vmxExitTimes.IO_INSTRUCTION.count).toBe(1);
  });
});

describe('parseCostProfile', () => {
  const full = { userspaceExitIo: 5000, userspaceExitMmio: 5000, inKernelMmio: 800, inKernelPio: 700, eptViolationMap: 900, noExitAccess: 1, memslotUpdate: 10000 };

  const err = (json: unknown): KvmError => {
    try {
      parseCostProfile(json);
    } catch (e) {
      if (e instanceof KvmError) return e;
      throw e;
    }
    throw new Error('no error');
  };

  it('accepts a complete profile and freezes it', () => {
    const p = parseCostProfile({ name: 'mine', source: 'my laptop', ns: full, sources: { inKernelPio: 'perf' } });
    expect(p).toMatchObject({ name: 'mine', source: 'my laptop', ns: full });
    expect(Object.isFrozen(p.ns)).toBe(true);
    const vm = new Kvm({ costProfile: p }).createVm();
    vm.createVcpu(0, new FakeOps()).inl(0xcfc);
    expect(vm.clock.now()).toBe(5000);
  });

  it('fills missing events from "extends"', () => {
    const p = parseCostProfile({ name: 'faster-qemu', extends: 'lkml-2020', ns: { userspaceExitIo: 3000 } });
    expect(p.ns).toEqual({ ...costProfiles['lkml-2020']!.ns, userspaceExitIo: 3000 });
    expect(p.sources?.inKernelMmio).toMatch(/^from lkml-2020/);
  });

  it('errors are EINVAL and name the bad field', () => {
    const cases: [unknown, RegExp][] = [
      [null, /^cost profile: \(top level\) must be a JSON object, got null: EINVAL$/],
      [[], /\(top level\) must be a JSON object, got an array/],
      [{ ns: full }, /^cost profile: name must be a non-empty string, got undefined: EINVAL$/],
      [{ name: 'x', ns: { ...full, inKernelPio: -1 } }, /ns\.inKernelPio must be a finite number of nanoseconds >= 0, got -1: EINVAL/],
      [{ name: 'x', ns: { ...full, userspaceExitIo: '6us' } }, /ns\.userspaceExitIo must be a finite number .* got "6us"/],
      [{ name: 'x', ns: { ...full, eptViolationMap: Number.NaN } }, /ns\.eptViolationMap must be a finite number/],
      [{ name: 'x', ns: { ...full, memslotUpdate: undefined } }, /ns\.memslotUpdate is missing/],
      [{ name: 'x', ns: { ...full, userspaceExitIO: 1 } }, /ns\.userspaceExitIO is not a cost event \(did you mean userspaceExitIo\?\)/],
      [{ name: 'x', ns: 5 }, /^cost profile: ns must be an object of nanoseconds per event, got 5: EINVAL$/],
      [{ name: 'x', ns: full, extends: 'nope' }, /extends names no built-in profile: 'nope'/],
      [{ name: 'x', ns: full, colour: 'red' }, /colour is not a cost profile field/],
      [{ name: 'x', ns: full, sources: { inKernelPio: 3 } }, /sources\.inKernelPio must be a string/],
      [{ name: 'x', description: 4, ns: full }, /description must be a string/],
    ];
    for (const [json, re] of cases) {
      const e = err(json);
      expect(e.code).toBe('EINVAL');
      expect(e.message).toMatch(re);
    }
  });
});
