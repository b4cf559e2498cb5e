/**
 * @module
 * The kernel command line as Linux 6.1 reads it for PCI: one table ({@link KERNEL_PARAMS}) of the parameters
 * pcisim models, each with the upstream handler it mirrors — `pci=` (arch/x86/pci/common.c pcibios_setup(),
 * then drivers/pci/pci.c pci_setup()), `acpi=` (arch/x86/kernel/acpi/boot.c parse_acpi()), `pcie_ports=`
 * (drivers/pci/pcie/portdrv_pci.c pcie_port_setup()), `pcie_aspm=` (drivers/pci/pcie/aspm.c
 * pcie_aspm_disable()) — and those known to change nothing PCI enumeration reads. Anything else is kept in
 * {@link LinuxPciOptions.ignored}: the report lists it as accepted, not modelled, never dropped silently.
 */
import { PCI_NO_CHECKS, PCI_PROBE_CONF1, PCI_PROBE_CONF2, PCI_PROBE_MMCONF, PCI_PROBE_NOEARLY } from './arch/x86/include/asm/pci_x86.js';
import { GuestError } from './errors.js';

export interface LinuxPciOptions {
  /** pci_probe after the pci= options */
  pciProbe: number;
  /** pci=lastbus=N: pcibios_last_bus */
  lastBus?: number;
  /** pci=assign-busses: PCI_ASSIGN_ALL_BUSSES (pcibios_assign_all_busses()) */
  assignBusses: boolean;
  /** pci=pcie_scan_all: PCI_SCAN_ALL_PCIE_DEVS */
  pcieScanAll: boolean;
  /** acpi=off: acpi_disabled (no table is parsed; legacy PCI) */
  acpiOff: boolean;
  /** pci=noacpi (acpi_noirq_set()) or acpi=noirq: acpi_noirq, no ACPI interrupt routing */
  acpiNoirq: boolean;
  /**
   * `pci=noacpi` as the whole value: arch/x86/kernel/acpi/boot.c parse_pci() -> acpi_disable_pci():
   * acpi_pci_disabled, so no ACPI host bridge (the root bus is scanned by pci_legacy_init())
   */
  acpiPciDisabled: boolean;
  /** pcie_ports=native: pcie_ports_native (the port services without _OSC) */
  pcieNative: boolean;
  /** pcie_ports=compat: pcie_ports_disabled (the PCIe port driver binds nothing) */
  pciePortsCompat: boolean;
  /** pcie_ports=dpc-native: pcie_ports_dpc_native */
  pcieDpcNative: boolean;
  /** pcie_aspm=off: aspm_disabled (no link state is set up) */
  aspmDisabled: boolean;
  /** pcie_aspm=force: aspm_force */
  aspmForce: boolean;
  /** acpiphp.disable=1 */
  acpiphpDisabled: boolean;
  /** pci=nomsi: pci_no_msi() */
  noMsi: boolean;
  /** pci=noaer: pci_no_aer() */
  noAer: boolean;
  /** pci=nocrs: PCI_ROOT_NO_CRS (pci_use_crs false: the host bridge's _CRS is not used) */
  noCrs: boolean;
  /** pci=bfsort / nobfsort: pci_bf_sort (pci_force_bf / pci_force_nobf) */
  bfSort: 'default' | 'bf' | 'nobf';
  /** pci=realloc[=on|off]: pci_realloc_enable (CONFIG_PCI_REALLOC_ENABLE_AUTO leaves it on auto) */
  realloc: 'auto' | 'on' | 'off';
  /** the words of the command line pcisim does not model, as given: the report lists them */
  ignored: string[];
  /** `intel_iommu=` and `iommu=` values in command-line order: early params drivers/iommu/intel/iommu.c and arch/x86/kernel/pci-dma.c parse */
  intelIommu: string[];
  iommu: string[];
}

/** Debian 6.1 x86-64 default: CONF1 | CONF2 | MMCONF */
export const DEFAULT_PCI_PROBE = PCI_PROBE_CONF1 | PCI_PROBE_CONF2 | PCI_PROBE_MMCONF;

/** What a parameter does to the options: its upstream handler; `false` when the value is one it does not model. */
export type KernelParamHandler = (o: LinuxPciOptions, val: string) => boolean | void;

/**
 * The kernel parameters pcisim models, by name, each with its upstream handler. A parameter whose handler
 * returns false for a value (or one not in the table) is kept in {@link LinuxPciOptions.ignored}.
 */
export const KERNEL_PARAMS: ReadonlyMap<string, KernelParamHandler> = new Map<string, KernelParamHandler>([
  // arch/x86/pci/common.c pcibios_setup(), then drivers/pci/pci.c pci_setup(), per comma-separated word
  ['pci', (o, val) => {
    // early_param("pci", parse_pci): the exact value "noacpi" disables ACPI's PCI support as well
    if (val === 'noacpi') o.acpiPciDisabled = true;
    // each word on its own: the ones not modelled are listed as `pci=<word>`
    for (const opt of val.split(',')) if (opt && !pciSetup(o, opt)) o.ignored.push(`pci=${opt}`);
  }],
  // arch/x86/kernel/acpi/boot.c parse_acpi()
  ['acpi', (o, val) => {
    if (val === 'off') o.acpiOff = true;
    else if (val === 'noirq') o.acpiNoirq = true;
    else return false;
  }],
  // drivers/pci/pcie/portdrv_pci.c pcie_port_setup(): strncmp, so "compat…" and "native…" match as prefixes
  ['pcie_ports', (o, val) => {
    if (val.startsWith('compat')) o.pciePortsCompat = true;
    else if (val.startsWith('native')) o.pcieNative = true;
    else if (val.startsWith('dpc-native')) o.pcieDpcNative = true;
    // any other value: the handler accepts it and changes nothing
  }],
  // drivers/pci/pcie/aspm.c pcie_aspm_disable()
  ['pcie_aspm', (o, val) => {
    if (val === 'off') o.aspmDisabled = true;
    else if (val === 'force') o.aspmForce = true;
    // any other value: "PCIe ASPM: ... " nothing
  }],
  // drivers/iommu/intel/iommu.c intel_iommu_setup() and arch/x86/kernel/pci-dma.c iommu_setup(): kept in order for
  // the kernel's own parse (drivers/iommu/intel/iommu.ts, arch/x86/kernel/pci-dma.ts)
  ['intel_iommu', (o, val) => {
    o.intelIommu.push(val);
  }],
  ['iommu', (o, val) => {
    o.iommu.push(val);
  }],
  ['acpiphp.disable', (o, val) => {
    if (val === '' || val === '1' || val === 'Y' || val === 'y') o.acpiphpDisabled = true;
  }],
]);

/**
 * Parameters of the recorded lines that change no PCI configuration access (the console, the root file
 * system, logging, the panic timeout): accepted, nothing to model.
 */
export const NO_PCI_EFFECT: ReadonlySet<string> = new Set([
  'console', 'earlyprintk', 'earlycon', 'panic', 'root', 'rootfstype', 'rootflags', 'ro', 'rw', 'quiet', 'loglevel',
  'ignore_loglevel', 'init', 'debug', 'printk.time', 'net.ifnames', 'biosdevname', 'nokaslr', 'reboot', 'tsc',
  'no_timer_check', 'noreplace-smp', 'selinux', 'audit', 'cryptomgr.notests', 'rcupdate.rcu_expedited', 'systemd.unit',
  'systemd.show_status', 'systemd.log_level', 'systemd.log_target', 'systemd.mask', 'agent.log',
  'agent.debug_console', 'agent.debug_console_vport', 'rootfstype', 'nosoftlockup', 'raid', 'scsi_mod.scan',
]);

/** the parameters the model reads, then the rest: the words of the command line */
export function parseCmdline(cmdline: string): LinuxPciOptions {
  const o: LinuxPciOptions = {
    pciProbe: DEFAULT_PCI_PROBE,
    assignBusses: false,
    pcieScanAll: false,
    acpiOff: false,
    acpiNoirq: false,
    acpiPciDisabled: false,
    pcieNative: false,
    pciePortsCompat: false,
    pcieDpcNative: false,
    aspmDisabled: false,
    aspmForce: false,
    acpiphpDisabled: false,
    noMsi: false,
    noAer: false,
    noCrs: false,
    bfSort: 'default',
    realloc: 'auto',
    ignored: [],
    intelIommu: [],
    iommu: [],
  };
  for (const word of cmdline.split(/\s+/).filter(Boolean)) {
    // init/main.c: everything after "--" goes to init
    if (word === '--') break;
    const eq = word.indexOf('=');
    const key = eq < 0 ? word : word.slice(0, eq);
    const val = eq < 0 ? '' : word.slice(eq + 1);
    const h = KERNEL_PARAMS.get(key);
    if (h) {
      if (h(o, val) === false) o.ignored.push(word);
    } else if (!NO_PCI_EFFECT.has(key) && !key.startsWith('systemd.') && !key.startsWith('agent.')) {
      o.ignored.push(word);
    }
  }
  return o;
}

/** one word of `pci=`: pcibios_setup() first, then pci_setup()'s own; false when pcisim does not model it */
function pciSetup(o: LinuxPciOptions, opt: string): boolean {
  // arch/x86/pci/common.c pcibios_setup()
  if (opt === 'off') o.pciProbe = 0;
  else if (opt === 'bfsort') o.bfSort = 'bf';
  else if (opt === 'nobfsort') o.bfSort = 'nobf';
  else if (opt === 'conf1') o.pciProbe = PCI_PROBE_CONF1 | PCI_NO_CHECKS;
  else if (opt === 'conf2') o.pciProbe = PCI_PROBE_CONF2 | PCI_NO_CHECKS;
  else if (opt === 'nommconf') o.pciProbe &= ~PCI_PROBE_MMCONF;
  else if (opt === 'noacpi') o.acpiNoirq = true; // acpi_noirq_set()
  else if (opt === 'noearly') o.pciProbe |= PCI_PROBE_NOEARLY;
  else if (opt.startsWith('lastbus=')) {
    // simple_strtol(str + 8, NULL, 0)
    const n = parseCInt(opt.slice(8));
    if (n === null || n < 0) throw new GuestError('BAD_CMDLINE', `pci=lastbus= takes a bus number, not "${opt.slice(8)}"`);
    o.lastBus = n;
  } else if (opt === 'assign-busses') o.assignBusses = true;
  else if (opt === 'nocrs') o.noCrs = true;
  // drivers/pci/pci.c pci_setup()
  else if (opt === 'nomsi') o.noMsi = true;
  else if (opt === 'noaer') o.noAer = true;
  else if (opt.startsWith('realloc=')) {
    // pci_realloc_get_opt(): "off" and "on", anything else leaves it alone
    const v = opt.slice(8);
    if (v === 'off') o.realloc = 'off';
    else if (v === 'on') o.realloc = 'on';
  } else if (opt.startsWith('realloc')) o.realloc = 'on';
  else if (opt.startsWith('pcie_scan_all')) o.pcieScanAll = true;
  else return false;
  return true;
}

/** simple_strtol(s, NULL, 0): decimal, 0x hex or 0 octal; null when nothing parses */
function parseCInt(s: string): number | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(s);
  if (!m) return null;
  const t = m[1]!;
  return t.startsWith('0x') || t.startsWith('0X') ? Number.parseInt(t.slice(2), 16) : t.length > 1 && t.startsWith('0') ? Number.parseInt(t, 8) : Number(t);
}
