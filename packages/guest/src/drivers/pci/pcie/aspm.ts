/**
 * @module
 * drivers/pci/pcie/aspm.c: pcie_aspm_init_link_state() with Debian's default policy, the common clock
 * configuration and link retraining.
 */
import { pciWriteConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRead, pcieCapabilityRegImplemented } from '../access.js';
import { GuestError } from '../../../errors.js';
import { type PciDev, type PcieLinkState, pcieType } from '../../../include/linux/pci.js';
import { PCI_EXP_DEVCAP, PCI_EXP_LNKCAP, PCI_EXP_LNKCTL, PCI_EXP_LNKSTA, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_ROOT_PORT } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';


/** drivers/pci/pcie/aspm.c pcie_aspm_init_link_state(), with Debian's default policy (POLICY_DEFAULT) */
export function pcieAspmInitLinkState(k: KernelState, pdev: PciDev): void {
  const children = pdev.subordinate?.devices ?? [];
  // pcie_aspm_sanity_check() runs before any other test
  let blacklist = false;
  for (const c of children) {
    if (!c.pcieCap) {
      blacklist = true;
      break;
    }
    if (k.opts.aspmDisabled) continue;
    const devcap = pcieCapabilityRead(k, c, PCI_EXP_DEVCAP, 4);
    if (!(devcap & 0x8000)) {
      blacklist = true;
      break;
    }
  }
  if (k.opts.aspmDisabled) return; // aspm_support_enabled is false with pcie_aspm=off
  if (k.linkStates.has(pdev)) return;
  if (!pdev.pcieCap) return;
  const t = pcieType(pdev);
  if (t !== PCI_EXP_TYPE_ROOT_PORT && t !== PCI_EXP_TYPE_DOWNSTREAM && t !== PCI_EXP_TYPE_PCIE_BRIDGE) return;
  if (t === PCI_EXP_TYPE_ROOT_PORT && pdev.bus.self) return;
  if (!children.length) return;
  // alloc_pcie_link_state()
  const upstreamLink = t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_PCIE_BRIDGE || !pdev.bus.parent?.self ? null : pdev.bus.parent.self;
  if (upstreamLink && !k.linkStates.has(upstreamLink)) return;
  const link = { parent: upstreamLink, aspmSupport: 0, aspmEnabled: 0, aspmCapable: 0 };
  k.linkStates.set(pdev, link);
  const child = children.find((c) => (c.devfn & 7) === 0) ?? children[0]!;
  if (!blacklist) pcieAspmCapInit(k, pdev, child, children, link);
  // pcie_clkpm_cap_init()
  for (const c of children) {
    const lnkcap = pcieCapabilityRead(k, c, PCI_EXP_LNKCAP, 4);
    if (!(lnkcap & 0x40000)) break;
    pcieCapabilityRead(k, c, PCI_EXP_LNKCTL, 2);
  }
  // pcie_config_aspm_path() and pcie_set_clkpm() with the default policy change nothing the BIOS set, except
  // on a blacklisted link: pcie_aspm_cap_init() marked it all enabled and all disabled, so
  // pcie_config_aspm_link() clears the ASPM control of every child with a link register, then the parent's
  // (no L1 in the new state: children first); a function without a PCIe capability is skipped
  if (blacklist) {
    for (const c of children) pcieCapabilityClearAndSetWord(k, c, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_ASPMC, 0);
    pcieCapabilityClearAndSetWord(k, pdev, PCI_EXP_LNKCTL, PCI_EXP_LNKCTL_ASPMC, 0);
  }
}

/** PCI_EXP_LNKCTL_ASPMC: the ASPM L0s and L1 enables */
const PCI_EXP_LNKCTL_ASPMC = 0x0003;

/** pcie_aspm_cap_init() */
export function pcieAspmCapInit(k: KernelState, 
  parent: PciDev,
  child: PciDev,
  children: PciDev[],
  link: PcieLinkState,
): void {
  let parentLnkcap = pcieCapabilityRead(k, parent, PCI_EXP_LNKCAP, 4);
  let childLnkcap = pcieCapabilityRead(k, child, PCI_EXP_LNKCAP, 4);
  if (!(parentLnkcap & childLnkcap & 0xc00)) return;
  pcieAspmConfigureCommonClock(k, parent, child, children);
  parentLnkcap = pcieCapabilityRead(k, parent, PCI_EXP_LNKCAP, 4);
  childLnkcap = pcieCapabilityRead(k, child, PCI_EXP_LNKCAP, 4);
  const parentLnkctl = pcieCapabilityRead(k, parent, PCI_EXP_LNKCTL, 2);
  const childLnkctl = pcieCapabilityRead(k, child, PCI_EXP_LNKCTL, 2);
  if (parentLnkcap & childLnkcap & 0x400) link.aspmSupport |= 3;
  if (childLnkctl & 1) link.aspmEnabled |= 1;
  if (parentLnkctl & 1) link.aspmEnabled |= 2;
  if (parentLnkcap & childLnkcap & 0x800) link.aspmSupport |= 4;
  if (parentLnkctl & childLnkctl & 2) link.aspmEnabled |= 4;
  // aspm_l1ss_init(): only when both ends have an L1 PM Substates capability
  if (pciL1ssCap(k, parent) && pciL1ssCap(k, child)) {
    throw new GuestError('UNSUPPORTED', 'ASPM L1 substates are not modelled');
  }
  link.aspmCapable = link.aspmSupport;
  // pcie_aspm_check_latency() for each endpoint: LNKCAP of both ends of every link up to the root
  for (const c of children) {
    const ct = pcieType(c);
    if (ct !== PCI_EXP_TYPE_ENDPOINT && ct !== PCI_EXP_TYPE_LEG_END) continue;
    for (let up: PciDev | null = parent; up; up = k.linkStates.get(up)?.parent ?? null) {
      const f0 = up.subordinate?.devices.find((d) => (d.devfn & 7) === 0) ?? null;
      pcieCapabilityRead(k, up, PCI_EXP_LNKCAP, 4);
      if (f0) pcieCapabilityRead(k, f0, PCI_EXP_LNKCAP, 4);
    }
  }
}

/** the L1 PM Substates capability found by pci_configure_ltr() (never in QEMU's devices) */
export function pciL1ssCap(k: KernelState, _dev: PciDev): boolean {
  return false;
}

/** pcie_aspm_configure_common_clock() + pcie_retrain_link() */
export function pcieAspmConfigureCommonClock(k: KernelState, parent: PciDev, child: PciDev, children: PciDev[]): void {
  let sameClock = true;
  if (!(pcieCapabilityRead(k, child, PCI_EXP_LNKSTA, 2) & 0x1000)) sameClock = false;
  if (!(pcieCapabilityRead(k, parent, PCI_EXP_LNKSTA, 2) & 0x1000)) sameClock = false;
  const plnkctl = pcieCapabilityRead(k, parent, PCI_EXP_LNKCTL, 2);
  if (sameClock && plnkctl & 0x40) {
    let consistent = true;
    for (const c of children) {
      if (!(pcieCapabilityRead(k, c, PCI_EXP_LNKCTL, 2) & 0x40)) {
        consistent = false;
        break;
      }
    }
    if (consistent) return;
  }
  const ccc = sameClock ? 0x40 : 0;
  for (const c of children) {
    pcieCapabilityRead(k, c, PCI_EXP_LNKCTL, 2);
    pcieCapabilityClearAndSetWord(k, c, PCI_EXP_LNKCTL, 0x40, ccc);
  }
  pcieCapabilityClearAndSetWord(k, parent, PCI_EXP_LNKCTL, 0x40, ccc);
  // pcie_retrain_link(): wait for Link Training clear, set Retrain Link, wait again
  pcieWaitForRetrain(k, parent);
  const ctl = pcieCapabilityRead(k, parent, PCI_EXP_LNKCTL, 2);
  if (pcieCapabilityRegImplemented(k, parent, PCI_EXP_LNKCTL)) pciWriteConfig(k, parent, parent.pcieCap + PCI_EXP_LNKCTL, 2, ctl | 0x20);
  pcieWaitForRetrain(k, parent);
}

/** pcie_wait_for_retrain(): LNKSTA until Link Training clears (1 s timeout, 1 ms steps) */
export function pcieWaitForRetrain(k: KernelState, dev: PciDev): void {
  for (let t = 0; t < 1000; t++) {
    if (!(pcieCapabilityRead(k, dev, PCI_EXP_LNKSTA, 2) & 0x800)) return;
    k.cpu.sleepNs(1_000_000);
  }
}
