/**
 * @module
 * drivers/acpi/pci_root.c: acpi_pci_root_add() per host bridge (the _OSC negotiation), and what the host
 * bridge's native_* bits say to the drivers.
 */
import { PCI_PROBE_MMCONF } from '../../arch/x86/include/asm/pci_x86.js';
import { pciMmcfg } from '../../arch/x86/pci/mmconfig_64.js';
import type { AcpiHostBridge } from '../../cpu.js';
import { pciScanChildBus } from '../pci/probe.js';
import type { PciBusState } from '../../include/linux/pci.js';
import type { KernelState } from '../../init/state.js';

/** drivers/acpi/pci_root.c acpi_pci_root_add() */
export function acpiPciRootAdd(k: KernelState, hb: AcpiHostBridge): void {
  // negotiate_os_control(): the OS asks only when MMCONFIG gives it extended config space
  if (hb.osc && k.rawPciExtOps) {
    const g = hb.osc.grantMask;
    k.oscNativeHotplug = (g & 0x01) !== 0;
    k.oscNativeShpc = (g & 0x02) !== 0;
    k.oscNativeAer = (g & 0x08) !== 0;
    k.oscNativePme = (g & 0x04) !== 0;
  }
  if (k.opts.pcieNative) {
    k.oscNativeHotplug = k.oscNativeAer = k.oscNativePme = true;
  }
  k.onPhase?.('pci_acpi_scan_root', 'begin');
  // arch/x86/pci/acpi.c setup_mcfg_map(): a host bridge's _CBA becomes an MMCONFIG region
  // (pci_mmconfig_insert(); the range must be reserved by a PNP0C02 resource, which firmware that sets _CBA provides)
  if (hb.cba !== undefined && (!k.rawPciExtOps || k.rawPciExtOps === pciMmcfg) && k.pciProbe & PCI_PROBE_MMCONF && k.mmcfgBase < 0) {
    k.mmcfgBase = hb.cba;
    k.mmcfgStartBus = hb.busStart;
    k.mmcfgEndBus = hb.busEnd;
    k.rawPciExtOps = pciMmcfg;
    k.log.push(`acpi PNP0A08:00: MMCONFIG at [mem 0x${hb.cba.toString(16)}-0x${(hb.cba + (hb.busEnd - hb.busStart + 1) * 2 ** 20 - 1).toString(16)}] (base 0x${hb.cba.toString(16)})`);
  }
  const bus: PciBusState = {
    number: hb.busStart,
    self: null,
    parent: null,
    devices: [],
    children: [],
    busnEnd: hb.busEnd,
    acpiDevices: hb.devices,
    noExtCfg: false,
    bridgeCtl: undefined,
  };
  k.pciRootBuses.push(bus);
  // pci_create_root_bus() -> pcibios_add_bus() -> acpi_pci_add_bus() -> acpiphp_enumerate_slots()
  k.pcibiosAddBus(k, bus);
  pciScanChildBus(k, bus);
  k.onPhase?.('pci_acpi_scan_root', 'end');
}

/** what _OSC granted (host->native_pcie_hotplug, native_shpc_hotplug), pcie_ports=native included */
export function pciHostBridgeNative(k: KernelState): { nativePcieHotplug: boolean; nativeShpc: boolean } {
  return { nativePcieHotplug: k.oscNativeHotplug || k.opts.pcieNative, nativeShpc: k.oscNativeShpc };
}
