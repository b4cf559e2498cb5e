/**
 * @module
 * SeaBIOS 1.16.2's own ACPI tables (src/fw/acpi.c `acpi_setup()`), built when QEMU loads none through fw_cfg
 * (`-machine acpi=off`: no "etc/table-loader", so qemu_platform_setup() finds no RSDP and falls back here).
 * What reaches the kernel is the namespace of the default DSDT (src/fw/acpi-dsdt.dsl, `AmlCode`: Debian builds
 * with CONFIG_ACPI_DSDT) and the SSDT build_ssdt() generates: a PIIX4-era PNP0A03 `PCI0` with no `_OSC`, the
 * link devices LNKA–LNKD on the PIRQ route registers of 00:01.0 and LNKS, and, on ICH9 only, build_mcfg_q35().
 * The DSDT is the same on q35: its PCI_Config regions name 00:01.0 and 00:01.3 whatever sits there.
 */
import type { AcpiPciDevice, AcpiTables, PciConfigRegion } from '../hw/i386/bootinfo.js';
import type { SbPciDevice } from './pci.js';

const PCI_VENDOR_ID_INTEL = 0x8086;
const PCI_DEVICE_ID_INTEL_82371AB_3 = 0x7113;
const PCI_DEVICE_ID_INTEL_ICH9_LPC = 0x2918;
/** src/fw/dev-q35.h: build_mcfg_q35()'s single allocation */
const Q35_HOST_BRIDGE_PCIEXBAR_ADDR = 0xb0000000;
const Q35_HOST_PCIE_END_BUS_NUMBER = 255;
/** src/fw/acpi.c: the PIIX4 PM's hot-plug "removable slots" register (PCI_RMV_BASE) */
export const PCI_RMV_BASE = 0xae0c;
/** src/fw/acpi.h PCI_SLOTS */
const PCI_SLOTS = 32;
/** acpi-dsdt.dsl: PCI0.ISA, _ADR 0x00010000, OperationRegion(P40C, PCI_Config, 0x60, 0x04) with PRQ0..PRQ3 */
const DSDT_ISA_ADR = 0x00010000;
const DSDT_P40C_OFFSET = 0x60;

/** What acpi_setup() reads besides PCIDevices. */
export interface SeabiosAcpiInputs {
  /** PCIDevices after pci_setup() */
  devices: readonly SbPciDevice[];
  /** pcimem_start / pcimem_end, patched into the SSDT's P0S / P0E (the DSDT's `_CRS` PW32 window) */
  pcimemStart: number;
  pcimemEnd: number;
  /** pcimem64_start / pcimem64_end (P1V set when the start is non-zero) */
  pcimem64Start: number;
  pcimem64End: number;
  /** inl(PCI_RMV_BASE): build_ssdt()'s mask of slots whose `_EJ0` is kept */
  rmvcPcrm: number;
}

/**
 * acpi_setup(): null when pci_find_init_device(acpi_find_tbl) finds neither a PIIX4 PM (8086:7113) nor an ICH9
 * LPC (8086:2918) in PCIDevices ("Device not found": no RSDP at all, as on pc with acpi=off, which has no PIIX4
 * PM). The search walks the list SeaBIOS already built, so building the tables makes no config access.
 */
export function seabiosAcpiSetup(p: SeabiosAcpiInputs): AcpiTables | null {
  const pm = p.devices.find(
    (d) => d.vendor === PCI_VENDOR_ID_INTEL && (d.device === PCI_DEVICE_ID_INTEL_82371AB_3 || d.device === PCI_DEVICE_ID_INTEL_ICH9_LPC),
  );
  if (!pm) return null;
  // acpi-dsdt.dsl: the link devices' PRQx fields in PCI0.ISA's P40C region (00:01.0 config 0x60..0x63)
  const region: PciConfigRegion = { bus: 0, devfn: (DSDT_ISA_ADR >>> 16) << 3, path: [DSDT_ISA_ADR] };
  const links: AcpiTables['links'] = [];
  for (let i = 0; i < 4; i++) links.push({ name: `LNK${'ABCD'[i]!}`, pirqReg: { region, offset: DSDT_P40C_OFFSET + i } });
  links.push({ name: 'LNKS', pirqReg: null });
  // the DSDT's PCI0 children in table order (VGA 2.0, PX13 1.3, ISA 1.0), then build_ssdt()'s S01..S1F,
  // each with _SUN = slot and _EJ0 unless its bit is clear in PCI_RMV_BASE (patch_pcihp() renames it EJ0_)
  const devices: AcpiPciDevice[] = [
    { adr: 0x00020000, ej0: false, children: [] },
    { adr: 0x00010003, ej0: false, children: [] },
    { adr: DSDT_ISA_ADR, ej0: false, children: [] },
  ];
  for (let slot = 1; slot < PCI_SLOTS; slot++) {
    devices.push({ adr: slot << 16, ej0: ((p.rmvcPcrm >>> slot) & 1) !== 0, sun: slot, children: [] });
  }
  // the DSDT's _CRS: CRES with PW32 from P0S..P0E, and CR64 appended when P1V
  const windows: NonNullable<AcpiTables['hostBridges'][number]['windows']> = [
    { kind: 'io', min: 0x0000, max: 0x0cf7 },
    { kind: 'io', min: 0x0d00, max: 0xffff },
    { kind: 'mem', min: 0x000a0000, max: 0x000bffff },
    { kind: 'mem', min: p.pcimemStart, max: p.pcimemEnd - 1 },
  ];
  if (p.pcimem64Start) windows.push({ kind: 'mem64', min: p.pcimem64Start, max: p.pcimem64End - 1 });
  // acpi-dsdt.dsl: VGA's PCIC region (VEND, a dword at 0, in _S1D.._S3D) and PX13's P13C (LEON at 0x5f for
  // LPT's _STA, CMEN at 0x67 for COM1's and COM2's), read in namespace order before the links
  const vga: PciConfigRegion = { bus: 0, devfn: 2 << 3, path: [0x00020000] };
  const px13: PciConfigRegion = { bus: 0, devfn: (1 << 3) | 3, path: [0x00010003] };
  const scanFieldReads: NonNullable<AcpiTables['scanFieldReads']> = [
    { region: vga, offset: 0x00, size: 4, sta: false },
    { region: px13, offset: 0x5f, size: 1, sta: true },
    { region: px13, offset: 0x67, size: 1, sta: true },
    { region: px13, offset: 0x67, size: 1, sta: true },
  ];
  return {
    scanFieldReads,
    // build_mcfg_q35() only for the ICH9 LPC
    mcfg: pm.device === PCI_DEVICE_ID_INTEL_ICH9_LPC ? [{ base: Q35_HOST_BRIDGE_PCIEXBAR_ADDR, segment: 0, startBus: 0, endBus: Q35_HOST_PCIE_END_BUS_NUMBER }] : [],
    hostBridges: [{ hid: 'PNP0A03', segment: 0, busStart: 0, busEnd: 0xff, osc: null, devices, windows }],
    links,
  };
}
