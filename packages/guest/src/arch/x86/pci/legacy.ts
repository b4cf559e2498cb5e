/**
 * @module
 * arch/x86/pci/legacy.c: pci_subsys_init(): the scan of bus 0 without ACPI (pci_legacy_init()), the blind
 * scan of the peer buses up to pcibios_last_bus, and pcibios_init()'s resource survey.
 */
import { rawPciRead } from './common.js';
import { pcibiosBusDepthFirst } from './i386.js';
import { pcibiosIrqInit } from './irq.js';
import { pciReadConfig } from '../../../drivers/pci/access.js';
import { pciScanChildBus } from '../../../drivers/pci/probe.js';
import { pciFindBus } from '../../../drivers/pci/search.js';
import type { PciBusState } from '../../../include/linux/pci.js';
import { PCI_COMMAND } from '../../../include/uapi/linux/pci_regs.js';
import type { KernelState } from '../../../init/state.js';
import { hex2 } from '../../../lib/vsprintf.js';

/** pci_subsys_init(): pci_legacy_init(), pcibios_fixup_peer_bridges(), pcibios_irq_init(), then pcibios_init() -> pcibios_resource_survey() */
export function pciSubsysInit(k: KernelState): void {
  if (!k.pciRootBuses.length && (k.rawPciOps || k.rawPciExtOps)) {
    // pci_legacy_init(): no ACPI, scan bus 0 directly
    if (k.rawPciOps) {
      // pcibios_scan_root() -> pci_create_root_bus() -> pci_init_host_bridge(): native_aer, native_pme,
      // native_pcie_hotplug, native_shpc_hotplug all 1; no _OSC takes any of them back
      k.oscNativeAer = k.oscNativePme = k.oscNativeHotplug = k.oscNativeShpc = true;
      const bus: PciBusState = { number: 0, self: null, parent: null, devices: [], children: [], busnEnd: 0xff, acpiDevices: null, noExtCfg: false, bridgeCtl: undefined };
      k.pciRootBuses.push(bus);
      pciScanChildBus(k, bus);
    }
  }
  k.onPhase?.('pcibios_fixup_peer_bridges', 'begin');
  pcibiosFixupPeerBridges(k);
  k.onPhase?.('pcibios_fixup_peer_bridges', 'end');
  // x86_init.pci.init_irq()
  pcibiosIrqInit(k);
  // pcibios_init() -> pcibios_resource_survey(): pcibios_allocate_resources(0) then (1)
  if (!k.rawPciOps && !k.rawPciExtOps) return;
  for (let pass = 0; pass < 2; pass++) {
    for (const dev of pcibiosBusDepthFirst(k)) pciReadConfig(k, dev, PCI_COMMAND, 2);
  }
}

/** pcibios_fixup_peer_bridges() -> pcibios_scan_specific_bus() */
export function pcibiosFixupPeerBridges(k: KernelState): void {
  if (k.pcibiosLastBus <= 0 || k.pcibiosLastBus > 0xff) return;
  for (let n = 0; n <= k.pcibiosLastBus; n++) {
    if (pciFindBus(k, n)) continue;
    for (let devfn = 0; devfn < 256; devfn += 8) {
      // PCI_VENDOR_ID as the literal 0: V8 folds a literal into the inlined access path, an imported constant is
      // a load and a check per access (this loop probes ~8,200 absent functions: the hot path)
      const l = rawPciRead(k, n, devfn, 0, 2);
      if (l !== 0x0000 && l !== 0xffff) {
        k.log.push(`PCI: Discovered peer bus ${hex2(n)}`);
        const bus: PciBusState = { number: n, self: null, parent: null, devices: [], children: [], busnEnd: 0xff, acpiDevices: null, noExtCfg: false, bridgeCtl: undefined };
        k.pciRootBuses.push(bus);
        pciScanChildBus(k, bus);
        break;
      }
    }
  }
}
