/**
 * @module
 * arch/x86/pci/init.c: pci_arch_init(), the choice of configuration mechanism.
 */
import { PCI_PROBE_NOEARLY } from '../include/asm/pci_x86.js';
import { kvmParaHasFeature, kvmPciArchInit } from '../kernel/kvm.js';
import { pciDirectInit, pciDirectProbe } from './direct.js';
import { pciMmcfgEarlyInit } from './mmconfig-shared.js';
import type { KernelState } from '../../../init/state.js';

/** arch/x86/pci/init.c pci_arch_init() */
export function pciArchInit(k: KernelState): void {
  const type = pciDirectProbe(k);
  if (!(k.pciProbe & PCI_PROBE_NOEARLY)) pciMmcfgEarlyInit(k);
  let pcbios = 1;
  if (k.patch === 'mmconfig-v2' && kvmParaHasFeature(k, k.pvBit)) {
    // kvm_pci_arch_init(): the hook of the v2 patch, installed by kvm_init_platform()
    pcbios = kvmPciArchInit(k);
  }
  if (!pcbios) return;
  pciDirectInit(k, type);
  if (!k.rawPciOps && !k.rawPciExtOps) k.log.push('PCI: Fatal: No config space access function found');
}
