/**
 * @module
 * @sim/kvm — KVM, simulated: memslots and their flags, vCPU exits, PIO/MMIO buses with in-kernel devices,
 * MMU faults (hugepages, prefetch), CPUID PV leaves, a cost model and a virtual clock. The only public entry.
 */

export * from './types.js';
export { KvmError, type KvmErrorCode } from './errors.js';
export {
  PAGE_SIZE,
  KVM_MEM_LOG_DIRTY_PAGES,
  KVM_MEM_READONLY,
  KVM_MEM_PCI_HOLE,
  KVM_MEM_SINGLE_HVA,
  KVM_CAP_USER_MEMORY,
  KVM_CAP_NR_MEMSLOTS,
  KVM_CAP_IOEVENTFD,
  KVM_CAP_MAX_VCPUS,
  KVM_CAP_READONLY_MEM,
  KVM_CAP_MULTI_ADDRESS_SPACE,
  KVM_CAP_MAX_VCPU_ID,
  KVM_CAP_PCI_HOLE_MEM,
  KVM_CAP_SINGLE_HVA_MEM,
  KVM_MEM_SLOTS_NUM,
  KVM_USER_MEM_SLOTS,
  KVM_ADDRESS_SPACE_NUM,
  KVM_MEM_MAX_NR_PAGES,
  NR_IOBUS_DEVS,
  KVM_MAX_VCPUS,
  KVM_MAX_VCPU_IDS,
  KVM_MAX_CPUID_ENTRIES,
  PTE_PREFETCH_NUM,
  KVM_EXIT_IO,
  KVM_EXIT_MMIO,
  KVM_CPUID_SIGNATURE,
  KVM_CPUID_FEATURES,
  KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
} from './uapi.js';
export { Kvm, type Vm, type KvmOptions, type KvmCapabilities, type VmOptions } from './vm.js';
export {
  type Vcpu,
  EXIT_EVENT_IO,
  EXIT_EVENT_MMIO,
  EXIT_EVENT_IN_KERNEL_PIO,
  EXIT_EVENT_IN_KERNEL_MMIO,
  EXIT_EVENT_EPT_FAULT,
} from './vcpu.js';
export type { ExitObserver } from './core.js';
export type { Memslot } from './memslots.js';
export type { MmuOptions } from './mmu.js';
export { allOnesDevice, type IoBusName } from './iobus.js';
export { kvmRegisterCoalescedPio, type KvmCoalescedPioZone } from './coalesced-mmio.js';
export { PioFastDevice, type PciConfigLatch } from './pio-fast.js';
export { kvmPvCpuidEntries } from './cpuid.js';
export {
  diffStats,
  type KvmStats,
  type VirtualClock,
  type KvmStatsSnapshot,
  type TimeNs,
  type VmxExitTime,
  type VmxReason,
  type SpteCounts,
  type MemslotChangeCounts,
} from './stats.js';
export {
  costProfiles,
  getCostProfile,
  parseCostProfile,
  DEFAULT_COST_PROFILE,
  COST_EVENTS,
  type CostProfile,
  type CostTable,
  type CostSpread,
  type CostMeasurement,
  type CostEvent,
} from './cost.js';
