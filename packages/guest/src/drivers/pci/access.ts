/**
 * @module
 * drivers/pci/access.c: pci_read_config_*() / pci_write_config_*() and pci_bus_read_config_*() through
 * raw_pci_read/write(), and the PCI Express capability accessors (pcie_capability_*()), which touch no
 * register the capability's version and port type do not implement.
 */
import { rawPciRead, rawPciWrite } from '../../arch/x86/pci/common.js';
import { type PciBusState, type PciDev, pcieType } from '../../include/linux/pci.js';
import { PCI_EXP_DEVCAP, PCI_EXP_DEVCAP2, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL2, PCI_EXP_FLAGS, PCI_EXP_LNKCAP, PCI_EXP_LNKCTL, PCI_EXP_LNKSTA, PCI_EXP_RTCAP, PCI_EXP_RTCTL, PCI_EXP_SLTCAP, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_UPSTREAM, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';

// pci_read_config_*: via the bus's ops; config space past cfg_size is not accessed (pci_read_config checks)
/** pci_read_config_{byte,word,dword}(): through the bus's ops (raw_pci_read) */
export function pciReadConfig(k: KernelState, dev: PciDev, reg: number, len: number): number {
  return rawPciRead(k, dev.bus.number, dev.devfn, reg, len);
}

/** pci_write_config_{byte,word,dword}() */
export function pciWriteConfig(k: KernelState, dev: PciDev, reg: number, len: number, v: number): void {
  rawPciWrite(k, dev.bus.number, dev.devfn, reg, len, v);
}

/** pcie_capability_reg_implemented() */
export function pcieCapabilityRegImplemented(k: KernelState, dev: PciDev, pos: number): boolean {
  if (!dev.pcieCap) return false;
  const v = dev.pcieFlags & 0xf;
  const t = pcieType(dev);
  // pcie_cap_has_lnkctl() of 6.1: by port type alone, so a Root Complex Integrated Endpoint has no link
  // registers whatever its capability version (reference/q35-nvme: LNKCTL of the v2 RCiEP is not saved)
  const hasLink =
    t === PCI_EXP_TYPE_ENDPOINT ||
    t === PCI_EXP_TYPE_LEG_END ||
    t === PCI_EXP_TYPE_ROOT_PORT ||
    t === PCI_EXP_TYPE_UPSTREAM ||
    t === PCI_EXP_TYPE_DOWNSTREAM ||
    t === PCI_EXP_TYPE_PCI_BRIDGE ||
    t === PCI_EXP_TYPE_PCIE_BRIDGE;
  const hasSlot = (t === PCI_EXP_TYPE_ROOT_PORT || (t === PCI_EXP_TYPE_DOWNSTREAM && (dev.pcieFlags & 0x100) !== 0)) && (dev.pcieFlags & 0x100) !== 0;
  const hasRtctl = t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC;
  switch (pos) {
    case PCI_EXP_FLAGS:
      return true;
    case PCI_EXP_DEVCAP:
    case PCI_EXP_DEVCTL:
    case 0x0a:
      return true;
    case PCI_EXP_LNKCAP:
    case PCI_EXP_LNKCTL:
    case PCI_EXP_LNKSTA:
      return hasLink;
    case PCI_EXP_SLTCAP:
    case 0x18:
    case 0x1a:
      return hasSlot;
    case PCI_EXP_RTCTL:
    case PCI_EXP_RTCAP:
    case 0x20:
      return hasRtctl;
    case PCI_EXP_DEVCAP2:
    case PCI_EXP_DEVCTL2:
    case 0x2c:
    case 0x30:
    case 0x32:
      return v > 1;
    default:
      return false;
  }
}

/** pcie_capability_read_{word,dword}(): 0 without an access when the register is not implemented */
export function pcieCapabilityRead(k: KernelState, dev: PciDev, pos: number, len: number): number {
  if (!pcieCapabilityRegImplemented(k, dev, pos)) return 0;
  return pciReadConfig(k, dev, dev.pcieCap + pos, len);
}

/** pcie_capability_clear_and_set_word(): read-modify-write only if implemented */
export function pcieCapabilityClearAndSetWord(k: KernelState, dev: PciDev, pos: number, clear: number, set: number): void {
  if (!pcieCapabilityRegImplemented(k, dev, pos)) return;
  const v = pciReadConfig(k, dev, dev.pcieCap + pos, 2);
  pciWriteConfig(k, dev, dev.pcieCap + pos, 2, (v & ~clear) | set);
}

/** pci_bus_read_config_*() of a devfn that has no pci_dev */
export function pciBusReadConfig(k: KernelState, bus: PciBusState, devfn: number, reg: number, len: number): number {
  return rawPciRead(k, bus.number, devfn, reg, len);
}

/** pcie_capability_write_{word,dword}() */
export function pcieCapabilityWrite(k: KernelState, dev: PciDev, pos: number, len: number, v: number): void {
  if (pcieCapabilityRegImplemented(k, dev, pos)) pciWriteConfig(k, dev, dev.pcieCap + pos, len, v);
}
