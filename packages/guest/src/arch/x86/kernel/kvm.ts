/**
 * @module
 * arch/x86/kernel/kvm.c: the KVM paravirt CPUID leaves, and the unmerged 2020 series "x86/PCI: Use MMCONFIG by
 * default for KVM guests" (Julia Suvorova; v2 gated by a PV feature bit) where the series applied it.
 */
import { regsToString } from './cpu/common.js';
import type { KernelState } from '../../../init/state.js';

/** KVM_CPUID_SIGNATURE, KVM_CPUID_FEATURES (arch/x86/include/uapi/asm/kvm_para.h) */
export const KVM_CPUID_SIGNATURE = 0x40000000;
export const KVM_CPUID_FEATURES = 0x40000001;

/** kvm_para_available() && kvm_para_has_feature(bit) */
export function kvmParaHasFeature(k: KernelState, bit: number): boolean {
  if (!kvmParaAvailable(k)) return false;
  return (k.cpu.cpuid(KVM_CPUID_FEATURES).eax & (1 << bit)) !== 0;
}

/** kvm_para_available(): the KVMKVMKVM signature at KVM_CPUID_SIGNATURE */
export function kvmParaAvailable(k: KernelState): boolean {
  const sig = k.cpu.cpuid(KVM_CPUID_SIGNATURE);
  return regsToString(sig.ebx, sig.ecx, sig.edx) === 'KVMKVMKVM\0\0\0';
}

/** the v2 patch's kvm_pci_arch_init() */
export function kvmPciArchInit(k: KernelState): number {
  if (k.rawPciExtOps) {
    k.log.push('PCI: Using MMCONFIG for base access');
    k.rawPciOps = k.rawPciExtOps;
    return 0;
  }
  return 1;
}
