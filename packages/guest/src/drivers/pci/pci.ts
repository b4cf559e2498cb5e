/**
 * @module
 * drivers/pci/pci.c: the capability walkers (pci_find_capability(), pci_find_ext_capability()), MPS, ARI,
 * pci_save_state(), pci_enable_device(), pci_set_master(), pci_intx(); ACS: pci_acs_init() (enabling it once an
 * IOMMU asked for it) and the checks the IOMMU groups are made of (pci_acs_enabled(), pci_acs_path_enabled()).
 */
import { acpiPciIrqEnable } from '../acpi/pci_irq.js';
import { pciReadConfig, pciWriteConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRead, pcieCapabilityRegImplemented } from './access.js';
import { GuestError } from '../../errors.js';
import { type PciDev, pcieType } from '../../include/linux/pci.js';
import { PCI_ACS_CAP, PCI_ACS_CR, PCI_ACS_CTRL, PCI_ACS_EC, PCI_ACS_RR, PCI_ACS_SV, PCI_ACS_UF, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_LEG_END, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_RC_END, PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXT_CAP_ID_ACS } from '../../include/uapi/linux/pci_regs.js';
import { PCI_CAPABILITY_LIST, PCI_CAP_ID_PCIX, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, PCI_COMMAND_IO, PCI_COMMAND_MEMORY, PCI_EXP_DEVCAP2, PCI_EXP_DEVCTL, PCI_EXP_DEVCTL2, PCI_EXP_LNKCAP, PCI_EXP_LNKCTL, PCI_EXP_LNKSTA, PCI_EXP_RTCTL, PCI_EXT_CAP_ID_ARI, PCI_EXT_CAP_ID_LTR, PCI_EXT_CAP_ID_MFVC, PCI_EXT_CAP_ID_VC, PCI_EXT_CAP_ID_VC9, PCI_EXT_CAP_ID_VNDR, PCI_INTERRUPT_PIN, PCI_STATUS, PCI_STATUS_CAP_LIST } from '../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../init/state.js';

/** PCI_LATENCY_TIMER: the header's latency timer byte */
const PCI_LATENCY_TIMER = 0x0d;

/** pci_find_capability() -> __pci_bus_find_cap_start() + __pci_find_next_cap_ttl() */
export function pciFindCapability(k: KernelState, dev: PciDev, cap: number): number {
  const status = pciReadConfig(k, dev, PCI_STATUS, 2);
  if (!(status & PCI_STATUS_CAP_LIST)) return 0;
  const start = dev.hdrType === 2 ? 0x14 : PCI_CAPABILITY_LIST;
  let pos = pciReadConfig(k, dev, start, 1);
  let ttl = 48;
  while (ttl--) {
    if (pos < 0x40) break;
    pos &= ~3;
    const ent = pciReadConfig(k, dev, pos, 2);
    const id = ent & 0xff;
    if (id === 0xff) break;
    if (id === cap) return pos;
    pos = ent >> 8;
  }
  return 0;
}

/** pci_find_ext_capability() */
export function pciFindExtCapability(k: KernelState, dev: PciDev, cap: number): number {
  if (dev.cfgSize <= 256) return 0;
  let pos = 0x100;
  let ttl = (4096 - 256) / 8;
  let header = pciReadConfig(k, dev, pos, 4);
  if (header === 0) return 0;
  while (ttl-- > 0) {
    if ((header & 0xffff) === cap && pos !== 0) return pos;
    pos = header >>> 20;
    if (pos < 0x100) break;
    header = pciReadConfig(k, dev, pos, 4);
  }
  return 0;
}

/** pci_find_vsec_capability(dev, Intel, TBT) */
export function pciFindVsecCapability(k: KernelState, dev: PciDev): void {
  let vsec = pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_VNDR);
  while (vsec) {
    const hdr = pciReadConfig(k, dev, vsec + 4, 4);
    if ((hdr & 0xffff) === 0x1234) return;
    vsec = pciFindNextExtCapability(k, dev, vsec, PCI_EXT_CAP_ID_VNDR);
  }
}

/** pci_find_next_ext_capability() */
export function pciFindNextExtCapability(k: KernelState, dev: PciDev, start: number, cap: number): number {
  let header = pciReadConfig(k, dev, start, 4);
  let pos = header >>> 20;
  while (pos >= 0x100) {
    header = pciReadConfig(k, dev, pos, 4);
    if ((header & 0xffff) === cap) return pos;
    pos = header >>> 20;
  }
  return 0;
}

/** pcie_get_mps() */
export function pcieGetMps(k: KernelState, dev: PciDev): number {
  const ctl = pcieCapabilityRead(k, dev, PCI_EXP_DEVCTL, 2);
  return 128 << ((ctl & 0xe0) >> 5);
}

/** pcie_set_mps() */
export function pcieSetMps(k: KernelState, dev: PciDev, mps: number): void {
  const v = (Math.log2(mps) - 7) << 5;
  if (v >> 5 > (dev.devcap & 7)) return;
  pcieCapabilityClearAndSetWord(k, dev, PCI_EXP_DEVCTL, 0xe0, v);
}

/** __pcie_print_link_status(dev, false): pcie_bandwidth_capable() then pcie_bandwidth_available() */
export function pcieReportDowntraining(k: KernelState, dev: PciDev): void {
  // pcie_get_speed_cap(): LNKCAP2, and LNKCAP when LNKCAP2 says nothing; pcie_get_width_cap(): LNKCAP
  const lnkcap2 = pcieCapabilityRead(k, dev, 0x2c, 4);
  if (!lnkcap2) pcieCapabilityRead(k, dev, PCI_EXP_LNKCAP, 4);
  pcieCapabilityRead(k, dev, PCI_EXP_LNKCAP, 4);
  // LNKSTA of the device and of each bridge above it
  for (let d: PciDev | null = dev; d; d = d.bus.self) pcieCapabilityRead(k, d, PCI_EXP_LNKSTA, 2);
}

/** pci_configure_ari() */
export function pciConfigureAri(k: KernelState, dev: PciDev): void {
  const bridge = dev.bus.self;
  if (!bridge || !bridge.pcieCap) return;
  const cap = pcieCapabilityRead(k, bridge, PCI_EXP_DEVCAP2, 4);
  if (!(cap & 0x20)) return;
  if (pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_ARI)) {
    pcieCapabilityClearAndSetWord(k, bridge, PCI_EXP_DEVCTL2, 0, 0x20);
  } else {
    pcieCapabilityClearAndSetWord(k, bridge, PCI_EXP_DEVCTL2, 0x20, 0);
  }
}

/**
 * pci_enable_device() / pci_enable_device_mem() (`memOnly`) -> pci_enable_device_flags(): pci_update_current_state()
 * reads PMCSR of a device with a PM capability (QEMU's functions come out of reset in D0, so
 * pci_set_power_state(D0) has nothing to do); a device already enabled stops there (enable_cnt). Otherwise
 * pci_enable_bridge() on the bridge above, then do_pci_enable_device(): x86's pci_enable_resources() reads
 * COMMAND, pcibios_enable_irq() routes the pin; INTx left on
 */
export function pciEnableDevice(k: KernelState, dev: PciDev, memOnly = false): void {
  if (dev.pmCap) {
    const pmcsr = pciReadConfig(k, dev, dev.pmCap + 4, 2); // PCI_PM_CTRL
    if (pmcsr & 3) throw new GuestError('UNSUPPORTED', `enabling a device found in D${pmcsr & 3} (the D0 transition) is not modelled`);
  }
  dev.enableCnt = (dev.enableCnt ?? 0) + 1;
  if (dev.enableCnt > 1) return; // already enabled
  if (dev.bus.self) pciEnableBridge(k, dev.bus.self); // pci_upstream_bridge(): none on a root bus
  const cmd = pciReadConfig(k, dev, PCI_COMMAND, 2);
  let want = cmd;
  // pci_enable_resources(): the BARs (only memory ones for pci_enable_device_mem()) and, on a bridge, its windows
  if ((!memOnly && dev.bars.some((b) => b.io)) || dev.windows?.io) want |= PCI_COMMAND_IO;
  if (dev.bars.some((b) => !b.io) || dev.windows?.mem || dev.windows?.pref) want |= PCI_COMMAND_MEMORY;
  if (want !== cmd) pciWriteConfig(k, dev, PCI_COMMAND, 2, want);
  // pcibios_enable_device(): pcibios_enable_irq() unless MSI is on
  if (!k.msixEnabled.has(dev) && !k.msiEnabled.has(dev)) acpiPciIrqEnable(k, dev);
  const pin = pciReadConfig(k, dev, PCI_INTERRUPT_PIN, 1);
  if (pin) {
    const c = pciReadConfig(k, dev, PCI_COMMAND, 2);
    if (c & PCI_COMMAND_INTX_DISABLE) pciWriteConfig(k, dev, PCI_COMMAND, 2, c & ~PCI_COMMAND_INTX_DISABLE);
  }
}

/**
 * pci_enable_bridge(): the bridges above first (recursing upstream); a bridge a driver already enabled (the PCIe
 * port driver, bound earlier in link order) only gets bus mastering if it lacks it; any other is
 * pci_enable_device()d and pci_set_master()ed
 */
function pciEnableBridge(k: KernelState, dev: PciDev): void {
  if (dev.bus.self) pciEnableBridge(k, dev.bus.self);
  if ((dev.enableCnt ?? 0) > 0) {
    if (!dev.isBusmaster) pciSetMaster(k, dev);
    return;
  }
  pciEnableDevice(k, dev);
  pciSetMaster(k, dev);
}

/**
 * pci_set_master() -> __pci_set_master(), then pcibios_set_master(): a conventional function's latency timer is
 * raised to 64 when below 16 (lowered to pcibios_max_latency, 255, when above: never); PCIe has none
 */
export function pciSetMaster(k: KernelState, dev: PciDev): void {
  const cmd = pciReadConfig(k, dev, PCI_COMMAND, 2);
  if (!(cmd & 0x4)) pciWriteConfig(k, dev, PCI_COMMAND, 2, cmd | 0x4);
  dev.isBusmaster = true;
  if (dev.pcieCap) return;
  const lat = pciReadConfig(k, dev, PCI_LATENCY_TIMER, 1);
  if (lat < 16) pciWriteConfig(k, dev, PCI_LATENCY_TIMER, 1, 64);
}

/** pci_intx(): COMMAND's INTx Disable bit */
export function pciIntx(k: KernelState, dev: PciDev, enable: boolean): void {
  const cmd = pciReadConfig(k, dev, PCI_COMMAND, 2);
  const want = enable ? cmd & ~PCI_COMMAND_INTX_DISABLE : cmd | PCI_COMMAND_INTX_DISABLE;
  if (want !== cmd) pciWriteConfig(k, dev, PCI_COMMAND, 2, want);
}

/** pci_save_state(): the header, the PCIe, PCI-X, LTR, AER and VC registers */
export function pciSaveState(k: KernelState, dev: PciDev): void {
  for (let i = 0; i < 16; i++) pciReadConfig(k, dev, i * 4, 4);
  if (dev.pcieCap) {
    for (const reg of [PCI_EXP_DEVCTL, PCI_EXP_LNKCTL, 0x18, PCI_EXP_RTCTL, PCI_EXP_DEVCTL2, 0x30, 0x38]) pcieCapabilityRead(k, dev, reg, 2);
  }
  const pcix = pciFindCapability(k, dev, PCI_CAP_ID_PCIX);
  if (pcix) throw new GuestError('UNSUPPORTED', 'saving PCI-X state is not modelled');
  if (dev.pcieCap) pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_LTR); // pci_save_ltr_state()
  if (dev.aerCap) {
    // pci_save_aer_state(): UNCOR_MASK, UNCOR_SEVER, COR_MASK, CAP, and ROOT_COMMAND where RTCTL exists
    for (const off of [0x08, 0x0c, 0x14, 0x18]) pciReadConfig(k, dev, dev.aerCap + off, 4);
    if (pcieCapabilityRegImplemented(k, dev, PCI_EXP_RTCTL)) pciReadConfig(k, dev, dev.aerCap + 0x2c, 4);
  }
  // pci_save_vc_state(): MFVC, VC, VC9
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_MFVC);
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_VC);
  pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_VC9);
}

/**
 * pci_acs_init(): the ACS capability, then pci_enable_acs(), which does something only once an IOMMU driver called
 * pci_request_acs() (detect_intel_iommu() at boot, when the DMAR table is there and DMA remapping is on). No
 * device QEMU models matches pci_dev_specific_enable_acs()'s Intel PCH root-port quirks, so it is
 * pci_std_enable_acs(): read the capability and control words, turn on SV, RR, CR and UF where the port has them
 * (TB only with ATS disabled or an external-facing port), write control back. disable_acs_redir= is not modelled.
 */
export function pciAcsInit(k: KernelState, dev: PciDev): void {
  dev.acsCap = pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_ACS);
  if (!k.pciAcsEnable || !dev.acsCap) return;
  const cap = pciReadConfig(k, dev, dev.acsCap + PCI_ACS_CAP, 2);
  let ctrl = pciReadConfig(k, dev, dev.acsCap + PCI_ACS_CTRL, 2);
  ctrl |= cap & (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF);
  pciWriteConfig(k, dev, dev.acsCap + PCI_ACS_CTRL, 2, ctrl);
}

/** REQ_ACS_FLAGS of drivers/iommu/iommu.c */
export const REQ_ACS_FLAGS = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;

/** pci_acs_flags_enabled(): the capability says which flags matter, the control word whether they are on */
function pciAcsFlagsEnabled(k: KernelState, dev: PciDev, flags: number): boolean {
  if (!dev.acsCap) return false;
  const cap = pciReadConfig(k, dev, dev.acsCap + PCI_ACS_CAP, 2);
  flags &= cap | PCI_ACS_EC;
  const ctrl = pciReadConfig(k, dev, dev.acsCap + PCI_ACS_CTRL, 2);
  return (ctrl & flags) === flags;
}

/**
 * pci_acs_enabled(): the device-specific answer first (pci_dev_specific_acs_enabled(); of its table only
 * pci_quirk_rciep_acs() meets a QEMU device, an Intel RCiEP, and it reads nothing), then by port type.
 */
export function pciAcsEnabled(k: KernelState, dev: PciDev, flags: number): boolean {
  if (dev.vendor === 0x8086 && dev.pcieCap && pcieType(dev) === PCI_EXP_TYPE_RC_END) {
    return (flags & ~(PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)) === 0;
  }
  if (!dev.pcieCap) return false;
  switch (pcieType(dev)) {
    case PCI_EXP_TYPE_PCIE_BRIDGE:
    case PCI_EXP_TYPE_PCI_BRIDGE:
    case PCI_EXP_TYPE_RC_EC:
      return false;
    case PCI_EXP_TYPE_DOWNSTREAM:
    case PCI_EXP_TYPE_ROOT_PORT:
      return pciAcsFlagsEnabled(k, dev, flags);
    case PCI_EXP_TYPE_ENDPOINT:
    case PCI_EXP_TYPE_UPSTREAM:
    case PCI_EXP_TYPE_LEG_END:
    case PCI_EXP_TYPE_RC_END:
      if (!dev.multifunction) break;
      return pciAcsFlagsEnabled(k, dev, flags);
  }
  // PCIe 3.0, 6.12.1.3: other types (and single-function endpoints) need no ACS to be isolated
  return true;
}

/** pci_acs_path_enabled(start, NULL, flags): every device from start up to the root bus */
export function pciAcsPathEnabled(k: KernelState, start: PciDev, flags: number): boolean {
  for (let dev: PciDev | null = start; dev; dev = dev.bus.self) {
    if (!pciAcsEnabled(k, dev, flags)) return false;
    if (!dev.bus.parent) return true;
  }
  return true;
}
