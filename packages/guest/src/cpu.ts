/**
 * @module
 * What the guest kernel runs on and what firmware hands it. The guest knows only the ISA: port I/O,
 * MMIO, CPUID and a clock. @sim/kvm's vCPU satisfies {@link Cpu}; @sim/qemu's boot info satisfies
 * {@link BootInfo}; a test can hand it fakes.
 */

export interface CpuidResult {
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

/**
 * Values written are the bytes of the access: a dword may come as their int32 (the guest passes
 * PCI_CONF1_ADDRESS and other dwords with bit 31 set so, which V8 passes without allocating); take
 * `value >>> 0` for the unsigned value. Values read may be either. Likewise a gpa below 4 GiB may come as the
 * int32 of its bits (the guest passes ECAM addresses so: 0xb0000000 and up would be a heap number per
 * access); `gpa < 0 ? gpa + 2 ** 32 : gpa` is the address (@sim/kvm's `gpaOf`).
 */
export interface Cpu {
  inb(port: number): number;
  inw(port: number): number;
  inl(port: number): number;
  outb(port: number, value: number): void;
  outw(port: number, value: number): void;
  outl(port: number, value: number): void;
  readb(gpa: number): number;
  readw(gpa: number): number;
  readl(gpa: number): number;
  writeb(gpa: number, value: number): void;
  writew(gpa: number, value: number): void;
  writel(gpa: number, value: number): void;
  cpuid(leaf: number, subleaf?: number): CpuidResult;
  /** virtual time, ns */
  now(): number;
  /** the guest sleeps (msleep and friends) */
  sleepNs(ns: number): void;
}

export interface E820Entry {
  addr: number;
  size: number;
  type: number;
}

export interface McfgAllocation {
  base: number;
  segment: number;
  startBus: number;
  endBus: number;
}

export interface AcpiPciDevice {
  adr: number;
  ej0: boolean;
  sun?: number;
  children: AcpiPciDevice[];
}

export interface AcpiHostBridge {
  hid: 'PNP0A08' | 'PNP0A03';
  segment: number;
  busStart: number;
  busEnd: number;
  osc: { grantMask: number } | null;
  devices: AcpiPciDevice[];
  /** `_CBA`: the ECAM base of this host bridge, for firmware that declares it there instead of in MCFG */
  cba?: number;
  /** `_CRS` windows ("root bus resource"); Linux assigns what firmware left unassigned from them */
  windows?: { kind: 'io' | 'mem' | 'mem64'; min: number; max: number }[];
  /**
   * `_PRT` through the LNKx interrupt links (hw/i386/acpi-build.c build_prt()): PCI0 of pc (`pci0`, slot 1 on
   * LNKS) or an expander bus (`expander`); absent when the routes are GSIs (q35's PCI0 in APIC mode)
   */
  prt?: 'pci0' | 'expander';
}

export interface PciConfigRegion {
  bus: number;
  devfn: number;
  path: number[];
}

export interface AcpiInterruptLink {
  name: string;
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
  acpi: AcpiTables | null;
  dmiBiosDate: string | null;
  /** the CPUs the firmware's tables describe (the MADT's processor entries; QEMU's -smp); absent: 1 */
  cpus?: number;
}
