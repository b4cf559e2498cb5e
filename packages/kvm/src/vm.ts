/**
 * @module
 * `/dev/kvm` and a VM: the ioctls a VMM issues before and while a guest boots, as methods.
 */

import { VmCore, type ExitObserver } from './core.js';
import { resolveCostProfile, type CostProfile } from './cost.js';
import { CpuidTable } from './cpuid.js';
import { KvmError, hex } from './errors.js';
import type { IoBusName } from './iobus.js';
import type { Memslot } from './memslots.js';
import type { MmuOptions } from './mmu.js';
import { C_MEMSLOT_CREATE, C_MEMSLOT_DELETE, C_MEMSLOT_FLAGS, C_MEMSLOT_MOVE, T_MEMSLOT, type KvmStats, type VirtualClock } from './stats.js';
import { hva as toHva, type CpuidEntry, type Hva, type InKernelDevice, type UserspaceMemoryRegion, type VmOps } from './types.js';
import {
  KVM_ADDRESS_SPACE_NUM,
  KVM_CAP_IOEVENTFD,
  KVM_CAP_MAX_VCPUS,
  KVM_CAP_MAX_VCPU_ID,
  KVM_CAP_MULTI_ADDRESS_SPACE,
  KVM_CAP_NR_MEMSLOTS,
  KVM_CAP_PCI_HOLE_MEM,
  KVM_CAP_READONLY_MEM,
  KVM_CAP_SINGLE_HVA_MEM,
  KVM_CAP_USER_MEMORY,
  KVM_MAX_VCPUS,
  KVM_MAX_VCPU_IDS,
  KVM_USER_MEM_SLOTS,
  PAGE_SHIFT,
  PAGE_SIZE,
} from './uapi.js';
import { KvmVcpu, type Vcpu } from './vcpu.js';

/** What this KVM offers beyond 6.1 (both off by default, as in every real kernel). */
export interface KvmCapabilities {
  /** KVM_CAP_PCI_HOLE_MEM / KVM_MEM_PCI_HOLE (Kuznetsov v2, unmerged) */
  pciHole?: boolean;
  /** KVM_MEM_SINGLE_HVA (Christopherson's suggestion, unimplemented) */
  singleHva?: boolean;
  /** KVM_CAP_READONLY_MEM; default true, as on x86 */
  readonlyMem?: boolean;
}

export interface KvmOptions {
  /** A profile or the name of a built-in one; default `lkml-2020`. */
  costProfile?: CostProfile | string;
  capabilities?: KvmCapabilities;
  /**
   * Host MAXPHYADDR, which bounds the gfns KVM can map (kvm_mmu_max_gfn()); default 46 (a common Intel
   * server part).
   */
  hostPhysBits?: number;
}

export interface VmOptions {
  /** Overrides the Kvm's cost profile for this VM. */
  costProfile?: CostProfile | string;
  /** How EPT violations map memory (hugepages, prefetch). */
  mmu?: MmuOptions;
}

/** `/dev/kvm`: capabilities and VM creation. */
export class Kvm {
  readonly costProfile: CostProfile;
  readonly capabilities: Readonly<Required<KvmCapabilities>>;
  readonly hostPhysBits: number;

  constructor(opts: KvmOptions = {}) {
    this.costProfile = resolveCostProfile(opts.costProfile);
    const caps = opts.capabilities ?? {};
    this.capabilities = Object.freeze({
      pciHole: caps.pciHole === true,
      singleHva: caps.singleHva === true,
      readonlyMem: caps.readonlyMem !== false,
    });
    const bits = opts.hostPhysBits ?? 46;
    if (!Number.isInteger(bits) || bits < 36 || bits > 52) {
      throw new KvmError('EINVAL', 'KVM', `hostPhysBits ${String(bits)} must be an integer 36..52`);
    }
    this.hostPhysBits = bits;
  }

  /** KVM_CHECK_EXTENSION: 0 when unsupported, else 1 or the capability's value. */
  checkExtension(cap: number): number {
    switch (cap) {
      case KVM_CAP_USER_MEMORY:
      case KVM_CAP_IOEVENTFD:
        return 1;
      case KVM_CAP_NR_MEMSLOTS:
        return KVM_USER_MEM_SLOTS;
      case KVM_CAP_READONLY_MEM:
        return this.capabilities.readonlyMem ? 1 : 0;
      case KVM_CAP_MULTI_ADDRESS_SPACE:
        return KVM_ADDRESS_SPACE_NUM;
      case KVM_CAP_MAX_VCPUS:
        return KVM_MAX_VCPUS;
      case KVM_CAP_MAX_VCPU_ID:
        return KVM_MAX_VCPU_IDS;
      case KVM_CAP_PCI_HOLE_MEM:
        return this.capabilities.pciHole ? 1 : 0;
      case KVM_CAP_SINGLE_HVA_MEM:
        return this.capabilities.singleHva ? 1 : 0;
      default:
        return 0;
    }
  }

  /** KVM_CREATE_VM. */
  createVm(opts: VmOptions = {}): Vm {
    const profile = opts.costProfile === undefined ? this.costProfile : resolveCostProfile(opts.costProfile);
    return new KvmVm(this, profile, opts.mmu);
  }
}

/** One VM (`kvm.createVm()`): memslots, in-kernel buses, CPUID, vCPUs, its host memory, clock and statistics. */
export interface Vm {
  /** The `/dev/kvm` that created it. */
  readonly kvm: Kvm;
  /** The VM's virtual clock (ns). */
  readonly clock: VirtualClock;
  /** Counts and times; counts never depend on the cost profile. */
  readonly stats: KvmStats;
  /** The cost profile charged from now on. */
  readonly costProfile: CostProfile;
  /** Switches the cost profile from now on (what has been charged stays). */
  setCostProfile(p: CostProfile | string): void;
  /** The MMU mode this VM was created with. */
  readonly mmu: Readonly<Required<MmuOptions>>;
  /** Called after every VM exit when set; null (the default) costs nothing. */
  onExit: ExitObserver | null;
  /**
   * KVM_SET_USER_MEMORY_REGION: create, move, change flags of, or (memorySize 0) delete a memslot, with
   * Linux 6.1's checks in its order. Throws KvmError (EINVAL, EEXIST…). Each update that changes something is
   * counted and charged `memslotUpdate`; DELETE and MOVE zap every SPTE.
   */
  setUserMemoryRegion(r: UserspaceMemoryRegion): void;
  /** The memslots, both address spaces, sorted by address space then gpa (copies). */
  memslots(): readonly Memslot[];
  /**
   * mmap(MAP_ANONYMOUS) in the VMM: a fresh page-aligned host virtual address (2 MiB-aligned for 2 MiB
   * or more) whose bytes read as `fill` (a byte; default 0).
   */
  mmap(size: number, fill?: number): Hva;
  /**
   * munmap() of a whole mapping made by {@link Vm.mmap}. KVM drops the SPTEs that mapped it; a later guest
   * access to a slot still pointing there fails with EFAULT.
   */
  munmap(addr: Hva): void;
  /** Host memory the VMM holds for guest memory (anonymous memory is committed on first write). */
  readonly hostMemoryBytes: number;
  /** Bytes of host address space mapped with {@link Vm.mmap}, committed or not. */
  readonly hostMappedBytes: number;
  /**
   * kvm_io_bus_register_dev() on KVM_PIO_BUS (`'pio'`) or KVM_MMIO_BUS (`'mmio'`). Ranges may overlap,
   * as in the kernel; ENOSPC past NR_IOBUS_DEVS (ioeventfds aside).
   */
  registerIoDevice(bus: IoBusName, addr: number, len: number, dev: InKernelDevice): void;
  /** kvm_io_bus_unregister_dev(): removes `dev`'s first range; nothing happens if it is not there. */
  unregisterIoDevice(bus: IoBusName, dev: InKernelDevice): void;
  /** The devices on a bus, in the kernel's order. */
  ioDevices(bus: IoBusName): { addr: number; len: number; name: string }[];
  /**
   * KVM_SET_CPUID2 for every vCPU. E2BIG past KVM_MAX_CPUID_ENTRIES; once a vCPU has run, only the same
   * table is accepted (EINVAL otherwise). See {@link kvmPvCpuidEntries}.
   */
  setCpuid(entries: readonly CpuidEntry[]): void;
  /** The CPUID table set last (copies). */
  cpuidEntries(): CpuidEntry[];
  /** KVM_CREATE_VCPU: EINVAL for an id ≥ KVM_MAX_VCPU_IDS or past KVM_MAX_VCPUS, EEXIST for a taken id. */
  createVcpu(id: number, ops: VmOps): Vcpu;
  /** The vCPUs, in creation order. */
  vcpus(): readonly Vcpu[];
}

/**
 * The engine behind {@link Vm} (KVM's `struct kvm`): the ioctls over the state its vCPUs share (VmCore),
 * which it keeps to itself.
 */
export class KvmVm implements Vm {
  readonly kvm: Kvm;
  private readonly core: VmCore;
  private readonly vcpuList: KvmVcpu[] = [];

  constructor(kvm: Kvm, profile: CostProfile, mmu: MmuOptions | undefined) {
    this.kvm = kvm;
    this.core = new VmCore(profile, mmu, {
      readonlyMem: kvm.capabilities.readonlyMem,
      pciHole: kvm.capabilities.pciHole,
      singleHva: kvm.capabilities.singleHva,
      maxGfn: 2 ** (kvm.hostPhysBits - PAGE_SHIFT) - 1,
    });
  }

  /** The VM's virtual clock (ns). */
  get clock(): VirtualClock {
    return this.core.clock;
  }

  /** Counts and times; counts never depend on the cost profile. */
  get stats(): KvmStats {
    return this.core.stats;
  }

  get costProfile(): CostProfile {
    return this.core.profile;
  }

  /** Switches the cost profile from now on (what has been charged stays). */
  setCostProfile(p: CostProfile | string): void {
    this.core.setProfile(resolveCostProfile(p));
  }

  /** The MMU mode this VM was created with. */
  get mmu(): Readonly<Required<MmuOptions>> {
    return { hugepages: this.core.mmu.hugepages, prefetch: this.core.mmu.prefetch };
  }

  /** Called after every VM exit when set; null (the default) costs nothing. */
  get onExit(): ExitObserver | null {
    return this.core.onExit;
  }
  set onExit(o: ExitObserver | null) {
    this.core.onExit = o;
  }

  // ---- memslots ----

  /**
   * KVM_SET_USER_MEMORY_REGION: create, move, change flags of, or (memorySize 0) delete a memslot, with
   * 6.1's checks in 6.1's order. Throws KvmError (EINVAL, EEXIST…). Each update that changes something is
   * counted and charged `memslotUpdate`; DELETE and MOVE zap every SPTE (kvm_mmu_zap_all_fast()).
   */
  setUserMemoryRegion(r: UserspaceMemoryRegion): void {
    const core = this.core;
    const { change } = core.table.set(r, core.caps);
    if (change === 'none') return;
    const c = core.stats.c;
    if (change === 'create') c[C_MEMSLOT_CREATE]!++;
    else if (change === 'delete') c[C_MEMSLOT_DELETE]!++;
    else if (change === 'move') c[C_MEMSLOT_MOVE]!++;
    else c[C_MEMSLOT_FLAGS]!++;
    if (change === 'delete' || change === 'move') core.mmu.zapAll();
    core.clock.t += core.costMemslot;
    core.stats.t[T_MEMSLOT]! += core.costMemslot;
  }

  /** The memslots, both address spaces, sorted by address space then gpa (copies). */
  memslots(): readonly Memslot[] {
    return this.core.table.all().map((s) => ({
      slot: (s.asId << 16) | s.id,
      asId: s.asId,
      id: s.id,
      flags: s.flags,
      guestPhysAddr: s.gpa,
      memorySize: s.end - s.gpa,
      userspaceAddr: s.hva,
      baseGfn: s.baseGfn,
      npages: s.npages,
      hugepageBlocker: this.core.mmu.hugepageBlocker(s),
    }));
  }

  // ---- host memory (the VMM process) ----

  /**
   * mmap(MAP_ANONYMOUS) in the VMM: a fresh page-aligned host virtual address (2 MiB-aligned for 2 MiB
   * or more) whose bytes read as `fill` (a byte; default 0).
   */
  mmap(size: number, fill = 0): Hva {
    return toHva(this.core.host.mmap(size, fill).start);
  }

  /**
   * munmap() of a whole mapping made by {@link mmap}. KVM's MMU notifier drops the SPTEs that mapped it;
   * a later guest access to a slot still pointing there fails KVM_RUN with EFAULT.
   */
  munmap(addr: Hva): void {
    const core = this.core;
    const r = core.host.munmap(addr);
    if (r === undefined) throw new KvmError('EINVAL', 'munmap', `no mapping starts at ${hex(addr)}`);
    for (const s of core.table.all()) {
      if (s.asId !== 0) continue;
      const hit = s.singleHva ? s.hva >= r.start && s.hva < r.end : s.hva < r.end && s.hva + (s.end - s.gpa) > r.start;
      if (s.region === r || hit) {
        s.region = null;
        s.period = 0;
      }
      if (!hit) continue;
      if (s.singleHva) {
        core.mmu.zapGfnRange(s.baseGfn, s.baseGfn + s.npages);
      } else {
        const lo = Math.max(r.start, s.hva);
        const hi = Math.min(r.end, s.hva + (s.end - s.gpa));
        core.mmu.zapGfnRange(s.baseGfn + (lo - s.hva) / PAGE_SIZE, s.baseGfn + (hi - s.hva) / PAGE_SIZE);
      }
    }
  }

  /**
   * Host memory the VMM holds for guest memory: whole mappings filled with a non-zero byte, and the
   * written pages of zero-filled ones (anonymous memory is committed on first write).
   */
  get hostMemoryBytes(): number {
    return this.core.host.committedBytes();
  }

  /** Bytes of host address space mapped with {@link mmap}, committed or not. */
  get hostMappedBytes(): number {
    return this.core.host.mappedBytes();
  }

  // ---- in-kernel buses ----

  /**
   * kvm_io_bus_register_dev() on KVM_PIO_BUS (`'pio'`) or KVM_MMIO_BUS (`'mmio'`). Ranges may overlap,
   * as in the kernel; ENOSPC past NR_IOBUS_DEVS (ioeventfds aside).
   */
  registerIoDevice(bus: IoBusName, addr: number, len: number, dev: InKernelDevice): void {
    this.bus(bus).register(addr, len, dev);
  }

  /** kvm_io_bus_unregister_dev(): removes `dev`'s first range; nothing happens if it is not there. */
  unregisterIoDevice(bus: IoBusName, dev: InKernelDevice): void {
    this.bus(bus).unregister(dev);
  }

  /** The devices on a bus, in the kernel's order. */
  ioDevices(bus: IoBusName): { addr: number; len: number; name: string }[] {
    return this.bus(bus).list();
  }

  private bus(bus: IoBusName) {
    if (bus === 'pio') return this.core.pioBus;
    if (bus === 'mmio') return this.core.mmioBus;
    throw new KvmError('EINVAL', 'kvm_io_bus', `unknown bus '${String(bus)}' (pio, mmio)`);
  }

  // ---- CPUID ----

  /**
   * KVM_SET_CPUID2 for every vCPU. E2BIG past KVM_MAX_CPUID_ENTRIES; once a vCPU has run, only the same
   * table is accepted (6.1's kvm_set_cpuid(): EINVAL otherwise). Leaves 0x40000000/0x40000001 not in the
   * table answer KVM's signature and no PV features; see {@link kvmPvCpuidEntries}.
   */
  setCpuid(entries: readonly CpuidEntry[]): void {
    const checked = CpuidTable.check(entries);
    if (this.core.ran && !this.core.cpuid.equals(checked)) {
      throw new KvmError('EINVAL', 'KVM_SET_CPUID2', 'a vCPU has already run; KVM does not accept a different CPUID after KVM_RUN');
    }
    this.core.cpuid.set(checked);
  }

  /** The CPUID table set last (copies). */
  cpuidEntries(): CpuidEntry[] {
    return this.core.cpuid.list();
  }

  // ---- vCPUs ----

  /** KVM_CREATE_VCPU: EINVAL for an id ≥ KVM_MAX_VCPU_IDS or past KVM_MAX_VCPUS, EEXIST for a taken id. */
  createVcpu(id: number, ops: VmOps): Vcpu {
    if (!Number.isInteger(id) || id < 0 || id >= KVM_MAX_VCPU_IDS) {
      throw new KvmError('EINVAL', 'KVM_CREATE_VCPU', `vcpu id ${String(id)} is not below KVM_MAX_VCPU_IDS (${KVM_MAX_VCPU_IDS})`);
    }
    if (this.vcpuList.length >= KVM_MAX_VCPUS) {
      throw new KvmError('EINVAL', 'KVM_CREATE_VCPU', `the VM already has KVM_MAX_VCPUS (${KVM_MAX_VCPUS}) vCPUs`);
    }
    for (const m of ['pioRead', 'pioWrite', 'mmioRead', 'mmioWrite'] as const) {
      if (typeof ops?.[m] !== 'function') throw new KvmError('EINVAL', 'KVM_CREATE_VCPU', `VmOps has no ${m}()`);
    }
    if (this.vcpuList.some((v) => v.id === id)) {
      throw new KvmError('EEXIST', 'KVM_CREATE_VCPU', `vcpu id ${id} already exists`);
    }
    const v = new KvmVcpu(this.core, id, ops);
    this.vcpuList.push(v);
    return v;
  }

  vcpus(): readonly Vcpu[] {
    return this.vcpuList.slice();
  }
}
