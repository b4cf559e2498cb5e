/**
 * @module
 * What QEMU tells KVM about a machine before the vCPU first runs (accel/kvm/kvm-all.c and the x86 parts
 * of target/i386/kvm/kvm.c): the RAM and BIOS memslots `pc_memory_init()` maps (kvm_set_phys_mem()), the
 * vCPU's CPUID (kvm_arch_init_vcpu()), the vCPU itself (kvm_init_vcpu()) and the coalesced PIO zones the
 * machine declares (kvm_coalesce_pio_add()).
 */
import { KVM_MEM_READONLY, kvmRegisterCoalescedPio, type Vcpu, type Vm, type VmOps } from '@sim/kvm';
import type { Machine } from '../../hw/core/machine.js';
import { cpuidEntries, parseCpu, type CpuContext } from '../../target/i386/cpu.js';

/** How the vCPU is set up beyond the machine. */
export interface KvmInitOptions {
  /** `-cpu` (default: QEMU's default model) */
  cpu?: string | undefined;
  /** what `-cpu host`/`max` stand for (the accelerator, `--host-cpu`) */
  cpuContext?: CpuContext;
  /** the VmOps the vCPU is created with, made once the memslots are in (default: the machine); it must hand what it does not own to the machine */
  vmOps?: (machine: Machine, vm: Vm) => VmOps;
  /** register the machine's coalesced PIO zones (default true; the pio-fast proposal takes those ports over) */
  coalescedPio?: boolean;
}

/** pc_memory_init() through kvm_set_phys_mem(): RAM below 640 KiB and from 1 MiB to the PCI hole, the BIOS ROM read-only at the top of 4 GiB. */
export function kvmSetPhysMem(vm: Vm, ramBytes: number, below4g = Math.min(ramBytes, 0x80000000)): void {
  const lowRam = below4g;
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0xa0000, userspaceAddr: vm.mmap(0xa0000) });
  vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x100000, memorySize: lowRam - 0x100000, userspaceAddr: vm.mmap(lowRam - 0x100000) });
  vm.setUserMemoryRegion({ slot: 2, flags: KVM_MEM_READONLY, guestPhysAddr: 0xfffc0000, memorySize: 0x40000, userspaceAddr: vm.mmap(0x40000) });
}

/** The machine on a KVM VM: its memslots, the CPUID, vCPU 0 answering exits through the machine, coalesced PIO. */
export function kvmInitMachine(vm: Vm, machine: Machine, opts: KvmInitOptions = {}): Vcpu {
  kvmSetPhysMem(vm, machine.ramBytes, machine.memoryLayout?.below4g);
  vm.setCpuid(cpuidEntries(parseCpu(opts.cpu, opts.cpuContext)));
  const vcpu = vm.createVcpu(0, opts.vmOps ? opts.vmOps(machine, vm) : machine);
  // kvm_coalesce_pio_add(): the 0xcf8 latch writes go to KVM's ring
  if (opts.coalescedPio ?? true) kvmCoalescePioAdd(vm, machine);
  return vcpu;
}

/**
 * kvm_coalesce_pio_add() for each zone the machine declares (QEMU 3.0, "pc: register i440fx/q35 0xcf8 port
 * as coalesced pio"): the flush of KVM's ring reaches the machine's I/O handlers. Returns how many.
 */
export function kvmCoalescePioAdd(vm: Vm, machine: Machine): number {
  const zones = machine.coalescedPio ?? [];
  for (const z of zones) kvmRegisterCoalescedPio(vm, z, machine);
  return zones.length;
}
