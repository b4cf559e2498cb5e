/**
 * @module
 * What firmware hands the guest kernel: the kernel command line, the E820 map, the ACPI tables that
 * matter to PCI (MCFG, the host bridges in the DSDT with their `_CRS` bus range and `_OSC`, the PCI
 * devices the DSDT describes by `_ADR`, the interrupt links and the PCI_Config op-region they read)
 * and the SMBIOS BIOS date. @sim/guest declares the same shape and reads nothing else.
 */

export interface E820Entry {
  addr: number;
  size: number;
  /** 1 = RAM, 2 = reserved */
  type: number;
}

export interface McfgAllocation {
  base: number;
  segment: number;
  startBus: number;
  endBus: number;
}

/** A device object in the DSDT with an `_ADR` under a PCI bus (QEMU's `build_append_pci_bus_devices`). */
export interface AcpiPciDevice {
  /** `_ADR`: slot << 16 | function */
  adr: number;
  /** has `_EJ0` (an ACPI-hotpluggable slot) */
  ej0: boolean;
  /** `_SUN`, if declared */
  sun?: number;
  /** devices described behind a cold-plugged bridge */
  children: AcpiPciDevice[];
}

/** An `_OSC` control bit the platform grants (ACPI spec 6.2.11.3). */
export const OSC_PCI_EXPRESS_NATIVE_HP_CONTROL = 0x01;
export const OSC_PCI_SHPC_NATIVE_HP_CONTROL = 0x02;
export const OSC_PCI_EXPRESS_PME_CONTROL = 0x04;
export const OSC_PCI_EXPRESS_AER_CONTROL = 0x08;
export const OSC_PCI_EXPRESS_CAPABILITY_CONTROL = 0x10;
export const OSC_PCI_EXPRESS_LTR_CONTROL = 0x20;
export const OSC_PCI_EXPRESS_DPC_CONTROL = 0x80;

/** A `_CRS` address window of a host bridge (what Linux prints as "root bus resource"). */
export interface CrsWindow {
  kind: 'io' | 'mem' | 'mem64';
  min: number;
  max: number;
}

export interface AcpiHostBridge {
  /** `_HID`: PNP0A08 (PCI Express) or PNP0A03 */
  hid: 'PNP0A08' | 'PNP0A03';
  segment: number;
  busStart: number;
  busEnd: number;
  /** `_OSC` present; the control bits the firmware grants out of what the OS asks for */
  osc: { grantMask: number } | null;
  devices: AcpiPciDevice[];
  /** `_CBA`: the ECAM base declared on the host bridge (microvm's GPEX has it instead of an MCFG table) */
  cba?: number;
  /** `_CRS` windows the bridge decodes, in the order the DSDT lists them */
  windows?: CrsWindow[];
  /**
   * `_PRT` through the LNKx interrupt links (hw/i386/acpi-build.c build_prt()): PCI0 of pc (`pci0`, slot 1 on
   * LNKS) or an expander bus (`expander`); absent when the routes are GSIs (q35's PCI0 in APIC mode)
   */
  prt?: 'pci0' | 'expander';
}

/** An `_ADR`-addressed PCI function holding a PCI_Config operation region. */
export interface PciConfigRegion {
  bus: number;
  devfn: number;
  /** the `_ADR`s from the host bridge down to the function (ACPICA derives the bus through them) */
  path: number[];
}

/** An ACPI PCI interrupt link (PNP0C0F) and the byte its `_STA`/`_CRS` read, if any. */
export interface AcpiInterruptLink {
  name: string;
  /** config register read by `_STA` and `_CRS` (via IQST/IQCR), or null for GSI links */
  pirqReg: { region: PciConfigRegion; offset: number } | null;
}

/**
 * The DMAR table (hw/i386/acpi-build.c build_dmar_q35) with what Linux reads of the unit it describes: the
 * capability and extended-capability registers at the DRHD's address (dmar.c alloc_iommu() maps them).
 * QEMU's DRHD scopes every device on the root bus (bridges by their subtree), so every PCI function has a unit.
 */
export interface DmarTable {
  /** Host Address Width: aw-bits - 1 */
  hostAddressWidth: number;
  /** flags bit 0, INTR_REMAP */
  intrRemap: boolean;
  /** the DRHD's Register Base Address */
  drhdAddress: number;
  /** an ATSR structure with ALL_PORTS (device-iotlb=on) */
  atsrAllPorts: boolean;
  /** DMAR_CAP_REG bits Linux acts on */
  cap: { cachingMode: boolean };
  /** DMAR_ECAP_REG bits Linux acts on */
  ecap: { ir: boolean; eim: boolean; devIotlb: boolean; pt: boolean; scalableMode: boolean; pasid: boolean; pageRequest: boolean };
}

export interface AcpiTables {
  mcfg: McfgAllocation[];
  hostBridges: AcpiHostBridge[];
  links: AcpiInterruptLink[];
  /**
   * PCI_Config region fields that each evaluation pass over the namespace reads before the links, in namespace
   * order (SeaBIOS's DSDT: VGA's `VEND` in the `_SxD` methods, PX13's `LEON`/`CMEN` in the LPT and COM `_STA`);
   * QEMU's DSDT has none. `sta`: read by a device's `_STA`, so again wherever the kernel re-reads the status
   */
  scanFieldReads?: { region: PciConfigRegion; offset: number; size: 1 | 4; sta: boolean }[];
  /** DMAR, when the machine has an intel-iommu */
  dmar?: DmarTable;
}

export interface BootInfo {
  cmdline: string;
  e820: E820Entry[];
  /** null: no ACPI (microvm with acpi=off) */
  acpi: AcpiTables | null;
  /** SMBIOS type 0 BIOS release date, MM/DD/YYYY */
  dmiBiosDate: string | null;
  /** the vCPUs the machine has (-smp), each in the MADT; absent: 1 */
  cpus?: number;
}
