/**
 * @module
 * The kernel command-line options that change PCI enumeration: `pci=` (arch/x86/pci/common.c
 * pcibios_setup() and drivers/pci/pci.c pci_setup()), `acpi=off`, `pcie_ports=`, `pcie_aspm=off`.
 */
import { PCI_NO_CHECKS, PCI_PROBE_CONF1, PCI_PROBE_CONF2, PCI_PROBE_MMCONF, PCI_PROBE_NOEARLY } from './arch/x86/include/asm/pci_x86.js';
import { GuestError } from './errors.js';

export interface LinuxPciOptions {
  /** pci_probe after the pci= options */
  pciProbe: number;
  lastBus?: number;
  assignBusses: boolean;
  pcieScanAll: boolean;
  acpiOff: boolean;
  pcieNative: boolean;
  aspmDisabled: boolean;
  acpiphpDisabled: boolean;
}

/** Debian 6.1 x86-64 default: CONF1 | CONF2 | MMCONF */
export const DEFAULT_PCI_PROBE = PCI_PROBE_CONF1 | PCI_PROBE_CONF2 | PCI_PROBE_MMCONF;

export function parseCmdline(cmdline: string): LinuxPciOptions {
  const o: LinuxPciOptions = {
    pciProbe: DEFAULT_PCI_PROBE,
    assignBusses: false,
    pcieScanAll: false,
    acpiOff: false,
    pcieNative: false,
    aspmDisabled: false,
    acpiphpDisabled: false,
  };
  for (const word of cmdline.split(/\s+/).filter(Boolean)) {
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const val = eq < 0 ? '' : word.slice(eq + 1);
    if (key === 'pci') {
      for (const opt of val.split(',')) applyPciOption(o, opt);
    } else if (key === 'acpi' && val === 'off') {
      o.acpiOff = true;
    } else if (key === 'pcie_ports' && val === 'native') {
      o.pcieNative = true;
    } else if (key === 'pcie_aspm' && val === 'off') {
      o.aspmDisabled = true;
    } else if (key === 'acpiphp.disable' || (key === 'acpiphp.disable' && val === '1')) {
      o.acpiphpDisabled = true;
    }
  }
  return o;
}

function applyPciOption(o: LinuxPciOptions, opt: string): void {
  if (opt === 'off') o.pciProbe = 0;
  else if (opt === 'conf1') o.pciProbe = PCI_PROBE_CONF1 | PCI_NO_CHECKS;
  else if (opt === 'conf2') o.pciProbe = PCI_PROBE_CONF2 | PCI_NO_CHECKS;
  else if (opt === 'nommconf') o.pciProbe &= ~PCI_PROBE_MMCONF;
  else if (opt === 'noearly') o.pciProbe |= PCI_PROBE_NOEARLY;
  else if (opt.startsWith('lastbus=')) {
    const n = Number(opt.slice(8));
    if (!Number.isInteger(n) || n < 0) throw new GuestError('BAD_CMDLINE', `pci=lastbus= takes a bus number, not "${opt.slice(8)}"`);
    o.lastBus = n;
  } else if (opt === 'assign-busses') o.assignBusses = true;
  else if (opt === 'pcie_scan_all') o.pcieScanAll = true;
  // other pci= options do not change what enumeration reads; Linux ignores unknown ones with a warning too
}
