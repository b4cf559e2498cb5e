/**
 * @module
 * QEMU's generic PCI Express host (hw/pci-host/gpex.c) — the `gpex-root` function at 00:00.0, 1b36:0008 — and
 * the DSDT description `acpi_dsdt_add_gpex()` writes for it (hw/pci-host/gpex-acpi.c): `PCI0` with `_HID`
 * PNP0A08, `_CBA` (the ECAM base: there is no MCFG table on microvm), `_CRS` bus range and windows, an `_OSC`
 * that grants what it is asked of the five native controls, GSI-based interrupt links `GSI0`-`GSI3` in
 * `_PRT`, and `RES0` (PNP0C02) reserving the ECAM window as a motherboard resource.
 */
import type { CrsWindow } from '../i386/bootinfo.js';
import { PciDevice } from '../pci/device.js';
import type { AcpiHostBridge, AcpiInterruptLink } from '../i386/bootinfo.js';
import {
  OSC_PCI_EXPRESS_AER_CONTROL,
  OSC_PCI_EXPRESS_CAPABILITY_CONTROL,
  OSC_PCI_EXPRESS_NATIVE_HP_CONTROL,
  OSC_PCI_EXPRESS_PME_CONTROL,
  OSC_PCI_SHPC_NATIVE_HP_CONTROL,
} from '../i386/bootinfo.js';

/** PCIE_MMCFG_SIZE_MIN: one bus of ECAM */
export const PCIE_MMCFG_SIZE_MIN = 1 << 20;
/** PCIE_MMCFG_SIZE_MAX: 256 buses */
export const PCIE_MMCFG_SIZE_MAX = 1 << 28;
/** GPEX_NUM_IRQS */
export const GPEX_NUM_IRQS = 4;

/** `gpex-root`: the host bridge's PCI face. A conventional function (256-byte config space) on `pcie.0`. */
export class GpexRoot extends PciDevice {
  constructor() {
    // gpex_root_class_init(): PCI_VENDOR_ID_REDHAT, PCI_DEVICE_ID_REDHAT_PCIE_HOST, revision 0, PCI_CLASS_BRIDGE_HOST
    super({ typeName: 'gpex-root', vendorId: 0x1b36, deviceId: 0x0008, revision: 0, classId: 0x0600 });
  }
}

export interface GpexRange {
  base: number;
  size: number;
}

/** struct GPEXConfig */
export interface GpexConfig {
  ecam: GpexRange;
  mmio32: GpexRange;
  mmio64: GpexRange;
  pio: GpexRange;
  /** first of the GPEX_NUM_IRQS consecutive GSIs for INTA-INTD */
  irq: number;
}

/** A window from a host bridge's `_CRS` (inclusive bounds, as Linux prints them). */
/** The `PCI0` device `acpi_dsdt_add_gpex()` writes, with what the shared {@link AcpiHostBridge} shape lacks. */
export interface GpexAcpiHostBridge extends AcpiHostBridge {
  /** `_CBA`: the ECAM base Linux maps at root-bridge add (`pci_mmconfig_insert()`), for busStart..busEnd */
  cba: number;
  /** `PCI0.RES0` (PNP0C02) `_CRS`: the ECAM window, so `is_acpi_reserved()` accepts it */
  res0: GpexRange;
  windows: CrsWindow[];
}

/** OSC control bits `acpi_dsdt_add_pci_osc()` keeps: `And(CTRL, 0x1F, CTRL)` */
export const GPEX_OSC_GRANT_MASK =
  OSC_PCI_EXPRESS_NATIVE_HP_CONTROL |
  OSC_PCI_SHPC_NATIVE_HP_CONTROL |
  OSC_PCI_EXPRESS_PME_CONTROL |
  OSC_PCI_EXPRESS_AER_CONTROL |
  OSC_PCI_EXPRESS_CAPABILITY_CONTROL;

/**
 * acpi_dsdt_add_gpex() for a host with no expander buses: bus range 0..(ecam.size / 1 MiB - 1),
 * no `_ADR` children (gpex-acpi describes no functions), windows mmio32, pio (if any), mmio64.
 */
export function acpiDsdtAddGpex(cfg: GpexConfig): GpexAcpiHostBridge {
  const nrPcieBuses = Math.floor(cfg.ecam.size / PCIE_MMCFG_SIZE_MIN);
  const windows: CrsWindow[] = [];
  if (cfg.mmio32.size) windows.push({ kind: 'mem', min: cfg.mmio32.base, max: cfg.mmio32.base + cfg.mmio32.size - 1 });
  if (cfg.pio.size) windows.push({ kind: 'io', min: 0, max: cfg.pio.size - 1 });
  if (cfg.mmio64.size) windows.push({ kind: 'mem64', min: cfg.mmio64.base, max: cfg.mmio64.base + cfg.mmio64.size - 1 });
  return {
    hid: 'PNP0A08',
    segment: 0,
    busStart: 0,
    busEnd: nrPcieBuses - 1,
    osc: { grantMask: GPEX_OSC_GRANT_MASK },
    devices: [],
    cba: cfg.ecam.base,
    res0: { base: cfg.ecam.base, size: cfg.ecam.size },
    windows,
  };
}

/** A `GSIn` link of acpi_dsdt_add_pci_route_table(): fixed `_PRS`/`_CRS` = one GSI, no `_STA`, `_SRS` a no-op. */
export interface GpexGsiLink extends AcpiInterruptLink {
  gsi: number;
}

/** acpi_dsdt_add_pci_route_table(): `GSI0`-`GSI3` under PCI0, exclusive, level, active-high */
export function gpexGsiLinks(cfg: GpexConfig): GpexGsiLink[] {
  const links: GpexGsiLink[] = [];
  for (let i = 0; i < GPEX_NUM_IRQS; i++) links.push({ name: `GSI${i}`, pirqReg: null, gsi: cfg.irq + i });
  return links;
}

/** `_PRT` of acpi_dsdt_add_pci_route_table(): slot s, pin p (0 = INTA) → link GSI((p + s) % 4) */
export function gpexPrtLink(slot: number, pin: number): number {
  return (pin + slot) % GPEX_NUM_IRQS;
}
