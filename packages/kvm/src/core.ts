/**
 * @module
 * The state one VM's vCPUs share, kept out of the public classes. Internal.
 */

import type { CostProfile } from './cost.js';
import { CpuidTable } from './cpuid.js';
import { HostMemory } from './hostmem.js';
import { IoBus } from './iobus.js';
import { MemslotTable, type MemslotCaps } from './memslots.js';
import { Mmu, type MmuOptions } from './mmu.js';
import { T_EPT_MAP, T_KERN_MMIO, T_KERN_PIO, T_NO_EXIT, T_USER_IO, T_USER_MMIO, VmClock, VmStat } from './stats.js';

/**
 * Called after each VM exit when set (`vm.onExit`), with numbers only: the event (EXIT_EVENT_*), the port
 * or gpa (as the guest gave it: below 4 GiB possibly the int32 of its bits, see `gpaOf`), the access size,
 * 1 for a write, the virtual time the exit started and its charged duration.
 */
export type ExitObserver = (event: number, addr: number, size: number, isWrite: number, startNs: number, durationNs: number) => void;

export class VmCore {
  readonly stats = new VmStat();
  readonly clock = new VmClock(this.stats.t);
  readonly host = new HostMemory();
  readonly table = new MemslotTable();
  readonly mmu: Mmu;
  readonly pioBus = new IoBus('pio');
  readonly mmioBus = new IoBus('mmio');
  readonly cpuid = new CpuidTable();
  readonly caps: MemslotCaps;
  profile!: CostProfile;
  // cost numbers, copied out of the profile for the hot path
  costIo = 0;
  costMmio = 0;
  costKMmio = 0;
  costKPio = 0;
  costEpt = 0;
  costNoExit = 0;
  costMemslot = 0;
  onExit: ExitObserver | null = null;
  /** a vCPU has entered the guest (KVM_SET_CPUID2 may no longer change CPUID) */
  ran = false;

  constructor(profile: CostProfile, mmu: MmuOptions | undefined, caps: MemslotCaps) {
    this.stats.clock = this.clock;
    this.caps = caps;
    this.mmu = new Mmu(mmu, this.table, this.host, this.stats.c);
    this.setProfile(profile);
  }

  setProfile(p: CostProfile): void {
    // exits charged so far keep the costs they were charged at
    this.stats.fold();
    this.profile = p;
    this.costIo = p.ns.userspaceExitIo;
    this.costMmio = p.ns.userspaceExitMmio;
    this.costKMmio = p.ns.inKernelMmio;
    this.costKPio = p.ns.inKernelPio;
    this.costEpt = p.ns.eptViolationMap;
    this.costNoExit = p.ns.noExitAccess;
    this.costMemslot = p.ns.memslotUpdate;
    const cc = this.stats.catCost;
    cc[T_USER_IO] = this.costIo;
    cc[T_USER_MMIO] = this.costMmio;
    cc[T_KERN_MMIO] = this.costKMmio;
    cc[T_KERN_PIO] = this.costKPio;
    cc[T_EPT_MAP] = this.costEpt;
    cc[T_NO_EXIT] = this.costNoExit;
  }
}
