/**
 * @module
 * drivers/pci/pcie/portdrv_core.c and portdrv_pci.c: pcie_portdrv_init(): the port driver binds each PCIe
 * port, finds its services (hot-plug, AER, PME), sets up their interrupt vectors and probes them.
 */
import { pciReadConfig, pcieCapabilityClearAndSetWord, pcieCapabilityRead } from '../access.js';
import { pciAllocIrqVectors, pciAllocIrqVectorsLegacy, pciFreeIrqVectors } from '../msi.js';
import { pciEnableDevice, pciFindExtCapability, pciSaveState, pciSetMaster } from '../pci.js';
import { aerProbe } from './aer.js';
import { pciAerAvailable } from '../../acpi/pci_root.js';
import { pciePmeProbe } from './pme.js';
import { forEachPciDev } from '../search.js';
import { GuestError } from '../../../errors.js';
import { type PciDev, pciFindHostBridge, pcieType } from '../../../include/linux/pci.js';
import { PCI_CLASS_BRIDGE_PCI } from '../../../include/linux/pci_ids.js';
import { PCI_EXP_FLAGS, PCI_EXP_LNKCAP, PCI_EXP_RTCTL, PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_RC_EC, PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXT_CAP_ID_DPC } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';
import { config } from '../../../version.js';

/** pcie_portdrv_init(): service drivers first, then the port driver binds each port in device_add() order */
export function pciePortdrvInit(k: KernelState): void {
  if (k.opts.pciePortsCompat) return; // pcie_ports=compat: pcie_ports_disabled, -EACCES
  for (const dev of forEachPciDev(k)) {
    if ((dev.classCode >>> 8) !== PCI_CLASS_BRIDGE_PCI || (dev.classCode & 0xff) !== 0) continue;
    if (!dev.pcieCap) continue;
    const t = pcieType(dev);
    if (t !== PCI_EXP_TYPE_ROOT_PORT && t !== PCI_EXP_TYPE_UPSTREAM && t !== PCI_EXP_TYPE_DOWNSTREAM && t !== PCI_EXP_TYPE_RC_EC) continue;
    k.pcieBoundPorts.add(dev);
    if (pciePortDeviceRegister(k, dev)) pciSaveState(k, dev);
  }
}

/** pcie_port_device_register(); false when no service could be set up */
export function pciePortDeviceRegister(k: KernelState, dev: PciDev): boolean {
  pciEnableDevice(k, dev);
  // get_port_device_capability(): what the port's host bridge was granted
  const host = pciFindHostBridge(dev.bus);
  let services = 0;
  if (dev.isHotplugBridge && host.pcieHotplug) {
    if (!k.hp) throw new GuestError('NEEDS_HOTPLUG_DRIVERS', 'native PCIe hot-plug (pciehp) at boot is modelled by the hot-plug drivers only');
    services |= 1 << 2; // PCIE_PORT_SERVICE_HP
    // SLTCTL's CCIE | HPIE are cleared only when pciehp is not built in (!IS_ENABLED(CONFIG_HOTPLUG_PCI_PCIE));
    // Debian's kernels build it in, so pciehp's own init sets SLTCTL
  }
  if (dev.aerCap && pciAerAvailable(k) && host.aer) services |= 1 << 1; // PCIE_PORT_SERVICE_AER
  const t = pcieType(dev);
  if ((t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC) && host.pme) {
    services |= 1 << 0; // PCIE_PORT_SERVICE_PME
    pcieCapabilityClearAndSetWord(k, dev, PCI_EXP_RTCTL, 0x8, 0); // pcie_pme_interrupt_enable(dev, false)
  }
  if (pciFindExtCapability(k, dev, PCI_EXT_CAP_ID_DPC) && pciAerAvailable(k) && (k.opts.pcieDpcNative || services & (1 << 1))) {
    throw new GuestError('UNSUPPORTED', 'a port with DPC: the DPC service is not modelled');
  }
  if (t === PCI_EXP_TYPE_DOWNSTREAM || t === PCI_EXP_TYPE_ROOT_PORT) {
    if (pcieCapabilityRead(k, dev, PCI_EXP_LNKCAP, 4) & 0x00200000) services |= 1 << 4; // BWNOTIF: no driver in 6.1
  }
  if (!services) return false;
  pciSetMaster(k, dev);
  // pcie_init_service_irqs() -> pcie_port_enable_irq_vec(): as many MSI-X/MSI vectors as possible (32), then as needed
  let nr = pciAllocIrqVectors(k, dev, 1, 32);
  if (nr > 0) {
    let nvec = 0;
    if (services & ((1 << 0) | (1 << 2) | (1 << 4))) {
      pcieCapabilityRead(k, dev, PCI_EXP_FLAGS, 2); // Interrupt Message Number of PME/hot-plug
      nvec = 1;
    }
    if (services & (1 << 1) && dev.aerCap) {
      pciReadConfig(k, dev, dev.aerCap + 0x30, 4); // PCI_ERR_ROOT_STATUS: the AER message number
      nvec = Math.max(nvec, 1);
    }
    if (nvec !== nr) {
      pciFreeIrqVectors(k, dev);
      nr = pciAllocIrqVectors(k, dev, nvec, nvec);
    }
  }
  // pcie_init_service_irqs(): no MSI-X/MSI vector, so the legacy INTx
  if (nr <= 0) pciAllocIrqVectorsLegacy(k, dev);
  // pcie_device_init() per service; their drivers probe at once (pcie_init_services() registered them)
  if (services & (1 << 0)) pciePmeProbe(k, dev);
  // aer_probe(): limited to root ports and event collectors
  if (services & (1 << 1) && (t === PCI_EXP_TYPE_ROOT_PORT || t === PCI_EXP_TYPE_RC_EC)) aerProbe(k, dev);
  if (services & (1 << 2)) {
    if (k.msiEnabled.has(dev)) throw new GuestError('UNSUPPORTED', "pciehp on a port with MSI: its request_irq()'s message writes are not modelled");
    k.hp!.pciehpProbe(dev); // pcie_device_init() -> pciehp_probe()
  }
  return true;
}
