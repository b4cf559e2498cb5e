/**
 * @module
 * drivers/iommu/iommu.c: pci_device_group(), the IOMMU group of each PCI function as a vIOMMU'd Linux forms
 * them, computed on the device tree the guest enumerated: the DMA aliases up the path (a conventional bus's
 * functions share the requester ID of the bridge above it), the ACS checks up to the root (pci_acs_path_enabled():
 * a port without ACS does not isolate peer-to-peer below it), and the functions of a multifunction slot
 * without ACS (get_pci_function_alias_group()). ACS counts as enabled wherever the capability exists:
 * pci_enable_acs() sets its bits when an IOMMU is present.
 */
import { type PciBusState, type PciDev, pciName, pcieType } from '../../include/linux/pci.js';
import { PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_PCIE_BRIDGE, PCI_EXP_TYPE_PCI_BRIDGE, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM } from '../../include/uapi/linux/pci_regs.js';

/** Why a group holds what it holds: the first reason that joined another function to it. */
export type IommuGroupReason =
  | { readonly kind: 'isolated' }
  /** a conventional bus (or a PCIe-to-PCI bridge's) shares the bridge's requester ID */
  | { readonly kind: 'dma-alias'; readonly bridge: PciDev }
  /** no ACS on this port: peer-to-peer below it is not isolated */
  | { readonly kind: 'no-acs'; readonly bridge: PciDev }
  /** a multifunction slot without ACS: its functions share */
  | { readonly kind: 'multifunction'; readonly peer: PciDev };

/** One IOMMU group: its number (in the order the groups were made), its functions, why they are together. */
export interface IommuGroup {
  readonly id: number;
  readonly devices: readonly PciDev[];
  readonly reason: IommuGroupReason;
}

/** pci_acs_enabled(dev, REQ_ACS_FLAGS) once pci_enable_acs() ran */
function pciAcsEnabled(dev: PciDev): boolean {
  if (!dev.pcieCap) return false;
  switch (pcieType(dev)) {
    case PCI_EXP_TYPE_PCIE_BRIDGE:
    case PCI_EXP_TYPE_PCI_BRIDGE:
    case PCI_EXP_TYPE_RC_EC:
      return false;
    case PCI_EXP_TYPE_DOWNSTREAM:
    case PCI_EXP_TYPE_ROOT_PORT:
      return dev.acsCap !== 0;
    default:
      // endpoints, upstream ports, RCiEPs: ACS applies only to a multifunction device
      return isMultifunction(dev) ? dev.acsCap !== 0 : true;
  }
}

function isMultifunction(dev: PciDev): boolean {
  return dev.multifunction || (dev.devfn & 7) !== 0;
}

/**
 * pci_device_group() for each function, in the order given (iommu_probe_device() meets them in device_add()
 * order: `linux.allDevices()`); groups are numbered as they are made. `acsEnabled` is pci_acs_enabled(dev,
 * REQ_ACS_FLAGS), called where and as often as the kernel calls it: by default the answer once pci_enable_acs()
 * ran, without config accesses; a running kernel passes the one that reads the ACS registers.
 */
export function pciDeviceGroups(devices: Iterable<PciDev>, acsEnabled: (dev: PciDev) => boolean = pciAcsEnabled): IommuGroup[] {
  const fns = [...devices];
  const present = new Set(fns);
  const groupOf = new Map<PciDev, number>();
  const reasons: IommuGroupReason[] = [];
  const isolated: IommuGroupReason = { kind: 'isolated' };
  const bridgeAbove = (bus: PciBusState): PciDev | null => (bus.self && present.has(bus.self) ? bus.self : null);
  // pci_acs_path_enabled(start, NULL): every port from start up to the root bus
  const acsPathEnabled = (start: PciDev): boolean => {
    for (let d: PciDev | null = start; d; d = d.bus.self) if (!acsEnabled(d)) return false;
    return true;
  };
  for (const f of fns) {
    let pdev = f;
    let reason: IommuGroupReason = isolated;
    let found = -1;
    // pci_for_each_dma_alias(): a conventional bridge, or a PCIe-to-PCI bridge, takes the requester ID
    for (let bus: PciBusState = f.bus; bus.self; bus = bus.self.bus) {
      const tmp = bridgeAbove(bus);
      if (!tmp) break;
      const t = tmp.pcieCap ? pcieType(tmp) : -1;
      if (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_UPSTREAM || t === PCI_EXP_TYPE_DOWNSTREAM) continue;
      pdev = tmp;
      reason = { kind: 'dma-alias', bridge: tmp };
      const g = groupOf.get(tmp);
      if (g !== undefined) {
        found = g;
        break;
      }
    }
    if (found < 0) {
      // upstream until a bridge with ACS isolates the path (pci_acs_path_enabled())
      for (let bus: PciBusState = pdev.bus; bus.self; bus = bus.self.bus) {
        const self = bridgeAbove(bus);
        if (!self) break;
        if (acsPathEnabled(self)) break;
        pdev = self;
        reason = { kind: 'no-acs', bridge: self };
        const g = groupOf.get(self);
        if (g !== undefined) {
          found = g;
          break;
        }
      }
    }
    if (found < 0 && isMultifunction(pdev) && !acsEnabled(pdev)) {
      // get_pci_function_alias_group(): functions of one slot without ACS share
      for (const o of fns) {
        if (o === pdev || o.bus !== pdev.bus || o.devfn >> 3 !== pdev.devfn >> 3 || acsEnabled(o)) continue;
        const g = groupOf.get(o);
        if (g !== undefined) {
          found = g;
          reason = { kind: 'multifunction', peer: o };
          break;
        }
      }
    }
    if (found < 0) {
      found = reasons.length;
      reasons.push(reason);
    } else if (reasons[found]!.kind === 'isolated') {
      reasons[found] = reason;
    }
    if (pdev !== f && !groupOf.has(pdev)) groupOf.set(pdev, found);
    groupOf.set(f, found);
  }
  return reasons.map((reason, id) => ({ id, devices: fns.filter((f) => groupOf.get(f) === id), reason }));
}

/** the group's reason as a sentence */
export function iommuGroupReasonText(r: IommuGroupReason): string {
  switch (r.kind) {
    case 'isolated':
      return 'isolated';
    case 'dma-alias':
      return `DMA alias of the bridge ${pciName(r.bridge)} (a conventional PCI bus shares its requester ID)`;
    case 'no-acs':
      return `no ACS on ${pciName(r.bridge)}: peer-to-peer below it is not isolated`;
    case 'multifunction':
      return `multifunction slot without ACS: shares with ${pciName(r.peer)}`;
  }
}
