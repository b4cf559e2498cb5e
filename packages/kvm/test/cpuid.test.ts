import { describe, expect, it } from 'vitest';
import {
  KVM_CPUID_FEATURES,
  KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
  KVM_CPUID_SIGNATURE,
  Kvm,
  kvmPvCpuidEntries,
  type CpuidResult,
} from '../src/index.js';
import { FakeOps } from './helpers.js';

const sig = (r: CpuidResult): string =>
  Buffer.from(new Uint32Array([r.ebx, r.ecx, r.edx]).buffer).toString('latin1');

describe('CPUID', () => {
  it('0x40000000 answers the KVM signature, 0x40000001 no PV features by default', () => {
    const vm = new Kvm().createVm();
    const cpu = vm.createVcpu(0, new FakeOps());
    const r = cpu.cpuid(KVM_CPUID_SIGNATURE);
    expect(sig(r)).toBe('KVMKVMKVM\0\0\0');
    expect(r.eax).toBe(KVM_CPUID_FEATURES);
    expect(cpu.cpuid(KVM_CPUID_FEATURES).eax).toBe(0);
    expect(cpu.cpuid(0x1234)).toEqual({ eax: 0, ebx: 0, ecx: 0, edx: 0 });
    expect(vm.stats.vmxExits().CPUID).toBe(3);
    expect(vm.clock.now()).toBe(0); // counted, not charged
  });

  it('KVM_SET_CPUID2: 0x40000001 EAX carries the PV feature bits the VMM set', () => {
    const vm = new Kvm().createVm();
    vm.setCpuid([...kvmPvCpuidEntries((1 << 15) | (1 << 3)), { function: 0, index: 0, eax: 0xd, ebx: 0x756e6547, ecx: 0x6c65746e, edx: 0x49656e69 }]);
    const cpu = vm.createVcpu(0, new FakeOps());
    expect(cpu.cpuid(KVM_CPUID_FEATURES).eax).toBe((1 << 15) | (1 << 3));
    expect(sig(cpu.cpuid(KVM_CPUID_SIGNATURE))).toBe('KVMKVMKVM\0\0\0');
    expect(cpu.cpuid(0).ebx).toBe(0x756e6547);
  });

  it('a VMM can hide KVM with its own 0x40000000 entry', () => {
    const vm = new Kvm().createVm();
    vm.setCpuid([{ function: KVM_CPUID_SIGNATURE, index: 0, eax: 0, ebx: 0, ecx: 0, edx: 0 }]);
    expect(vm.createVcpu(0, new FakeOps()).cpuid(KVM_CPUID_SIGNATURE).ebx).toBe(0);
  });

  it('matches subleaves as cpuid_entry2_find() does', () => {
    const vm = new Kvm().createVm();
    vm.setCpuid([
      { function: 7, index: 0, flags: KVM_CPUID_FLAG_SIGNIFCANT_INDEX, eax: 1, ebx: 0x10, ecx: 0, edx: 0 },
      { function: 7, index: 1, flags: KVM_CPUID_FLAG_SIGNIFCANT_INDEX, eax: 0, ebx: 0x20, ecx: 0, edx: 0 },
      { function: 6, index: 0, eax: 4, ebx: 0, ecx: 0, edx: 0 },
    ]);
    const cpu = vm.createVcpu(0, new FakeOps());
    expect(cpu.cpuid(7, 1).ebx).toBe(0x20);
    expect(cpu.cpuid(7, 0).ebx).toBe(0x10);
    expect(cpu.cpuid(7, 2).ebx).toBe(0);
    expect(cpu.cpuid(6, 5).eax).toBe(4);
  });

  it('E2BIG past KVM_MAX_CPUID_ENTRIES; EINVAL for a different table after KVM_RUN', () => {
    const vm = new Kvm().createVm();
    const many = Array.from({ length: 257 }, (_, i) => ({ function: i, index: 0, eax: 0, ebx: 0, ecx: 0, edx: 0 }));
    expect(() => vm.setCpuid(many)).toThrow(/KVM_SET_CPUID2: 257 entries is more than KVM_MAX_CPUID_ENTRIES \(256\): E2BIG/);
    vm.setCpuid(kvmPvCpuidEntries(1));
    vm.createVcpu(0, new FakeOps()).inb(0x80);
    vm.setCpuid(kvmPvCpuidEntries(1)); // the same table is accepted
    expect(() => vm.setCpuid(kvmPvCpuidEntries(2))).toThrow(/after KVM_RUN: EINVAL/);
    expect(() => vm.setCpuid([{ function: -1, index: 0, eax: 0, ebx: 0, ecx: 0, edx: 0 }])).toThrow(/function -1 is not a u32/);
  });
});
