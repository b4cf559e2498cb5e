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
import { config } from '../../version.js';

/** drivers/acpi/pci_root.c acpi_pci_root_add() */
export function acpiPciRootAdd(k: KernelState, hb: AcpiHostBridge): void {
  // acpi_pci_root_create(): a native_* bit stays only where _OSC granted control (none without _OSC)
  const g = negotiateOsControl(k, hb);
  const native = { pcieHotplug: (g & OSC_NATIVE_HP) !== 0, shpc: (g & OSC_SHPC_NATIVE_HP) !== 0, aer: (g & OSC_AER) !== 0, pme: (g & OSC_PME) !== 0 };
  if (k.opts.pcieNative) native.pcieHotplug = native.aer = native.pme = true;
  if (k.pciRootBuses.length === 0) {
    // the first host bridge's grants, for the hot-plug runtime (pciHostBridgeNative)
    k.oscNativeHotplug = native.pcieHotplug;
    k.oscNativeShpc = native.shpc;
    k.oscNativeAer = native.aer;
    k.oscNativePme = native.pme;
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
    native,
  };
  k.pciRootBuses.push(bus);
  // pci_create_root_bus() -> pcibios_add_bus() -> acpi_pci_add_bus() -> acpiphp_enumerate_slots()
  k.pcibiosAddBus(k, bus);
  pciScanChildBus(k, bus);
  k.onPhase?.('pci_acpi_scan_root', 'end');
}

/** _OSC control bits (include/linux/acpi.h OSC_PCI_*_CONTROL) */
const OSC_NATIVE_HP = 0x01;
const OSC_SHPC_NATIVE_HP = 0x02;
const OSC_PME = 0x04;
const OSC_AER = 0x08;

/**
 * negotiate_os_control(): calculate_support() must have all of ACPI_PCIE_REQ_SUPPORT (extended config space
 * through MMCONFIG, ASPM and clock PM unless pcie_aspm=off, MSI unless pci=nomsi), and pcie_ports=compat asks
 * for nothing (os_control_query_checks()); then calculate_control() asks for PME, native hot-plug (and SHPC
 * where the build has it), and AER when pci_aer_available() (no pci=noaer, MSI on); the platform's _OSC
 * grants a subset: the granted mask, which host_bridge->native_* follow.
 */
function negotiateOsControl(k: KernelState, hb: AcpiHostBridge): number {
  if (!hb.osc) return 0;
  if (k.opts.pciePortsCompat) return 0; // "PCIe port services disabled; not requesting _OSC control"
  const extCfg = k.rawPciExtOps !== null; // pci_ext_cfg_avail()
  if (!extCfg || k.opts.aspmDisabled || k.opts.noMsi) return 0; // "not requesting OS control; OS requires …"
  let control = OSC_PME | OSC_NATIVE_HP;
  if (config(k, 'HOTPLUG_PCI_SHPC')) control |= OSC_SHPC_NATIVE_HP;
  if (pciAerAvailable(k)) control |= OSC_AER;
  return hb.osc.grantMask & control;
}

/** drivers/pci/pcie/aer.c pci_aer_available(): !pcie_aer_disable && pci_msi_enabled() */
export function pciAerAvailable(k: KernelState): boolean {
  return !k.opts.noAer && !k.opts.noMsi;
}

/** what the first host bridge's _OSC granted (host->native_pcie_hotplug, native_shpc_hotplug), pcie_ports=native included */
export function pciHostBridgeNative(k: KernelState): { nativePcieHotplug: boolean; nativeShpc: boolean } {
  return { nativePcieHotplug: k.oscNativeHotplug || k.opts.pcieNative, nativeShpc: k.oscNativeShpc };
}
