/**
 * @module
 * Constants mirrored from Linux 6.1 (include/uapi/linux/kvm.h, include/linux/kvm_host.h,
 * arch/x86/include/asm/kvm_host.h, arch/x86/include/uapi/asm/kvm_para.h), plus the two proposals this
 * simulator models and that were never merged (marked as such).
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
/** Pages in a 2 MiB x86 large page (`KVM_PAGES_PER_HPAGE(PG_LEVEL_2M)`). */
export const PAGES_PER_2M = 512;
export const HPAGE_2M_SIZE = PAGES_PER_2M * PAGE_SIZE;

// ---- memslot flags (struct kvm_userspace_memory_region.flags) ----
/** `KVM_MEM_LOG_DIRTY_PAGES` (1 << 0). */
export const KVM_MEM_LOG_DIRTY_PAGES = 1 << 0;
/** `KVM_MEM_READONLY` (1 << 1), needs `KVM_CAP_READONLY_MEM`. */
export const KVM_MEM_READONLY = 1 << 1;
/**
 * `KVM_MEM_PCI_HOLE` (1 << 2): Vitaly Kuznetsov's v2 proposal (Aug 2020), **never merged** (bit 2 later
 * became KVM_MEM_GUEST_MEMFD in 6.8). Reads are emulated in KVM as all-ones, writes exit as KVM_EXIT_MMIO.
 * Accepted only when the Kvm was created with `capabilities.pciHole`.
 */
export const KVM_MEM_PCI_HOLE = 1 << 2;
/**
 * `KVM_MEM_SINGLE_HVA`: Sean Christopherson's suggestion (17 Aug 2020), **never implemented**: every GFN of
 * the slot routes into the host mapping at `userspace_addr`. Bit 3 is this simulator's choice. Accepted only
 * when the Kvm was created with `capabilities.singleHva`. See README for the 2 MiB form.
 */
export const KVM_MEM_SINGLE_HVA = 1 << 3;

// ---- capabilities (KVM_CHECK_EXTENSION) ----
export const KVM_CAP_USER_MEMORY = 3;
export const KVM_CAP_NR_VCPUS = 9;
export const KVM_CAP_NR_MEMSLOTS = 10;
export const KVM_CAP_COALESCED_MMIO = 15;
export const KVM_CAP_IOEVENTFD = 36;
export const KVM_CAP_MAX_VCPUS = 66;
export const KVM_CAP_READONLY_MEM = 81;
export const KVM_CAP_MULTI_ADDRESS_SPACE = 118;
export const KVM_CAP_MAX_VCPU_ID = 128;
/**
 * `KVM_CAP_PCI_HOLE_MEM` = 187 as numbered in the unmerged v2 series. In the real 6.1 uapi, 187 is
 * `KVM_CAP_STEAL_TIME`; this simulator answers 187 with the PCI-hole meaning.
 */
export const KVM_CAP_PCI_HOLE_MEM = 187;
/** Simulator-only capability number for {@link KVM_MEM_SINGLE_HVA} (no real number exists). */
export const KVM_CAP_SINGLE_HVA_MEM = 0x10001;

// ---- limits ----
/** `KVM_MEM_SLOTS_NUM` = SHRT_MAX since Linux 5.12. */
export const KVM_MEM_SLOTS_NUM = 32767;
/** `KVM_INTERNAL_MEM_SLOTS` on x86: APIC access page, identity map, TSS. */
export const KVM_INTERNAL_MEM_SLOTS = 3;
/** `KVM_USER_MEM_SLOTS` = KVM_MEM_SLOTS_NUM - KVM_INTERNAL_MEM_SLOTS = 32764 on 6.1 x86. */
export const KVM_USER_MEM_SLOTS = KVM_MEM_SLOTS_NUM - KVM_INTERNAL_MEM_SLOTS;
/** `KVM_ADDRESS_SPACE_NUM` on x86: normal and SMM. */
export const KVM_ADDRESS_SPACE_NUM = 2;
/** `KVM_MEM_MAX_NR_PAGES` = (1UL << 31) - 1 (dirty-bitmap indices are unsigned int). */
export const KVM_MEM_MAX_NR_PAGES = 2 ** 31 - 1;
/** `NR_IOBUS_DEVS`: devices per kvm_io_bus, ioeventfds excluded. */
export const NR_IOBUS_DEVS = 1000;
/** `KVM_MAX_VCPUS` on 6.1 x86. */
export const KVM_MAX_VCPUS = 1024;
/** `KVM_MAX_VCPU_IDS` = KVM_MAX_VCPUS * KVM_VCPU_ID_RATIO (4). */
export const KVM_MAX_VCPU_IDS = KVM_MAX_VCPUS * 4;
/** `KVM_MAX_CPUID_ENTRIES`. */
export const KVM_MAX_CPUID_ENTRIES = 256;
/** `PTE_PREFETCH_NUM` (arch/x86/kvm/mmu/mmu.c): SPTEs `direct_pte_prefetch()` looks at around a fault. */
export const PTE_PREFETCH_NUM = 8;
/** x86-64 `TASK_SIZE_MAX` with 4-level paging: (1 << 47) - PAGE_SIZE; `access_ok()` checks against it. */
export const TASK_SIZE_MAX = 2 ** 47 - PAGE_SIZE;

// ---- exit reasons (struct kvm_run.exit_reason) ----
export const KVM_EXIT_IO = 2;
export const KVM_EXIT_MMIO = 6;
export const KVM_EXIT_IO_IN = 0;
export const KVM_EXIT_IO_OUT = 1;

// ---- VMX basic exit reasons (arch/x86/include/uapi/asm/vmx.h) ----
export const EXIT_REASON_CPUID = 10;
export const EXIT_REASON_IO_INSTRUCTION = 30;
export const EXIT_REASON_EPT_VIOLATION = 48;
export const EXIT_REASON_EPT_MISCONFIG = 49;

// ---- KVM paravirt CPUID (arch/x86/include/uapi/asm/kvm_para.h) ----
export const KVM_CPUID_SIGNATURE = 0x40000000;
export const KVM_CPUID_FEATURES = 0x40000001;
/** `struct kvm_cpuid_entry2.flags` bit: the entry is specific to its `index`. */
export const KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1;
/** "KVMKVMKVM\0\0\0" as the EBX, ECX, EDX a CPUID returns (little-endian). */
export const KVM_SIGNATURE_EBX = 0x4b4d564b; // "KVMK"
export const KVM_SIGNATURE_ECX = 0x564b4d56; // "VMKV"
export const KVM_SIGNATURE_EDX = 0x0000004d; // "M\0\0\0"
