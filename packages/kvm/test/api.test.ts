import { describe, expect, it } from 'vitest';
import * as kvm from '../src/index.js';

describe('public API', () => {
  it('exports exactly these values', () => {
    expect(Object.keys(kvm).sort()).toEqual(
      [
        // shared shapes (types.ts)
        'gpa',
        'gpaOf',
        'port',
        'hva',
        'NOT_HANDLED',
        // errors
        'KvmError',
        // uapi
        'PAGE_SIZE',
        'KVM_MEM_LOG_DIRTY_PAGES',
        'KVM_MEM_READONLY',
        'KVM_MEM_PCI_HOLE',
        'KVM_MEM_SINGLE_HVA',
        'KVM_CAP_USER_MEMORY',
        'KVM_CAP_NR_MEMSLOTS',
        'KVM_CAP_IOEVENTFD',
        'KVM_CAP_MAX_VCPUS',
        'KVM_CAP_READONLY_MEM',
        'KVM_CAP_MULTI_ADDRESS_SPACE',
        'KVM_CAP_MAX_VCPU_ID',
        'KVM_CAP_PCI_HOLE_MEM',
        'KVM_CAP_SINGLE_HVA_MEM',
        'KVM_MEM_SLOTS_NUM',
        'KVM_USER_MEM_SLOTS',
        'KVM_ADDRESS_SPACE_NUM',
        'KVM_MEM_MAX_NR_PAGES',
        'NR_IOBUS_DEVS',
        'KVM_MAX_VCPUS',
        'KVM_MAX_VCPU_IDS',
        'KVM_MAX_CPUID_ENTRIES',
        'PTE_PREFETCH_NUM',
        'KVM_EXIT_IO',
        'KVM_EXIT_MMIO',
        'KVM_CPUID_SIGNATURE',
        'KVM_CPUID_FEATURES',
        'KVM_CPUID_FLAG_SIGNIFCANT_INDEX',
        // classes and functions (Vm, Vcpu, KvmStats and VirtualClock are interfaces: types only)
        'Kvm',
        'EXIT_EVENT_IO',
        'EXIT_EVENT_MMIO',
        'EXIT_EVENT_IN_KERNEL_PIO',
        'EXIT_EVENT_IN_KERNEL_MMIO',
        'EXIT_EVENT_EPT_FAULT',
        'allOnesDevice',
        'kvmRegisterCoalescedPio',
        'PioFastDevice',
        'kvmPvCpuidEntries',
        'diffStats',
        'costProfiles',
        'getCostProfile',
        'parseCostProfile',
        'DEFAULT_COST_PROFILE',
        'COST_EVENTS',
      ].sort(),
    );
  });

  it('has the uapi values', () => {
    expect([kvm.KVM_MEM_LOG_DIRTY_PAGES, kvm.KVM_MEM_READONLY, kvm.KVM_MEM_PCI_HOLE]).toEqual([1, 2, 4]);
    expect([kvm.KVM_CAP_READONLY_MEM, kvm.KVM_CAP_NR_MEMSLOTS, kvm.KVM_CAP_PCI_HOLE_MEM]).toEqual([81, 10, 187]);
    expect([kvm.KVM_USER_MEM_SLOTS, kvm.KVM_ADDRESS_SPACE_NUM, kvm.KVM_EXIT_IO, kvm.KVM_EXIT_MMIO, kvm.PAGE_SIZE]).toEqual([
      32764, 2, 2, 6, 4096,
    ]);
  });

  it('a Vcpu has the structural Cpu shape the guest declares', () => {
    interface Cpu {
      inb(port: number): number;
      inw(port: number): number;
      inl(port: number): number;
      outb(port: number, v: number): void;
      outw(port: number, v: number): void;
      outl(port: number, v: number): void;
      readb(gpa: number): number;
      readw(gpa: number): number;
      readl(gpa: number): number;
      writeb(gpa: number, v: number): void;
      writew(gpa: number, v: number): void;
      writel(gpa: number, v: number): void;
      cpuid(leaf: number, subleaf?: number): kvm.CpuidResult;
      now(): number;
      sleepNs(ns: number): void;
    }
    const vm = new kvm.Kvm().createVm();
    const cpu: Cpu = vm.createVcpu(0, { pioRead: () => 0, pioWrite: () => {}, mmioRead: () => 0, mmioWrite: () => {} });
    expect(cpu.now()).toBe(0);
  });
});
