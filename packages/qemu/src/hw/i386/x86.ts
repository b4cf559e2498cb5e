/**
 * @module
 * The firmware side of an x86 machine (hw/i386/x86.c `x86_bios_rom_init()`): which image runs (the `-bios`
 * file, else the machine's default), running it on the vCPU, and what reaches the kernel afterwards: the
 * machine's boot info as that firmware passes it on (qboot rewrites QEMU's E820 and has its own SMBIOS date;
 * with no firmware nothing enables q35's PCIEXBAR, so there is no MCFG and no DMI).
 */
import { QemuError } from '../../errors.js';
import { Seabios, type FirmwareCpu } from '../../firmware/seabios.js';
import { Qboot, qbootExtractE820, QBOOT_SMBIOS_BIOS_DATE } from '../../firmware/qboot.js';
import type { AcpiTables, BootInfo } from './bootinfo.js';
import type { FirmwareKind, Machine } from '../core/machine.js';

/** What the firmware a machine ran left behind for the boot info. */
export interface FirmwareRun {
  /** the firmware that ran */
  firmware: FirmwareKind;
  /** qboot found MMCONFIG (q35's PCIEXBAR) and reserves it in its E820 */
  qbootMmconfig: boolean;
  /** SeaBIOS's own ACPI tables (acpi_setup(), -machine acpi=off); undefined when QEMU's were loaded */
  seabiosAcpi?: AcpiTables | null;
}

/** x86_bios_rom_init(): the firmware the machine loads, `-bios` (`firmware`) or the machine's default. */
export function x86BiosRomInit(machine: Machine, firmware: FirmwareKind | undefined): FirmwareKind {
  const fw = firmware ?? machine.defaultFirmware;
  if (fw === 'seabios' && machine.name === 'microvm') throw new QemuError('UNSUPPORTED', 'pcisim: SeaBIOS on microvm is not modelled (QEMU 7.2 uses qboot there)');
  return fw;
}

/**
 * The firmware's POST on the vCPU: SeaBIOS's PCI set-up on q35 and pc; qboot on microvm makes no PCI config access
 * there. `fwCfg.bootorder` is the fw_cfg "bootorder" file (system/bootdevice.ts), which SeaBIOS's disk drivers read.
 */
export function x86RunFirmware(cpu: FirmwareCpu, machine: Machine, firmware: FirmwareKind, fwCfg: { bootorder?: readonly string[] } = {}): FirmwareRun {
  let qbootMmconfig = false;
  if (firmware === 'seabios') {
    const l = machine.memoryLayout;
    // fw_cfg: the E820 RAM entries give RamSize / RamSizeOver4G, "etc/reserved-memory-end" the device memory's end
    const bios = new Seabios(cpu, {
      machine: machine.name === 'pc' ? 'pc' : 'q35',
      ramBytes: machine.ramBytes,
      // pc_machine_done(): "etc/extra-pci-roots", the expander root buses among the root bus's children
      extraPciRoots: machine.rootBus ? machine.rootBus.children.filter((b) => b.isRoot).length : 0,
      // -machine acpi=off: no "etc/table-loader", so SeaBIOS keeps its pm_base and builds its own tables
      tableLoader: machine.acpiEnabled ?? true,
      ...(l ? { belowFourGBytes: l.below4g, reservedMemoryEnd: l.reservedMemoryEnd } : {}),
      ...(fwCfg.bootorder ? { bootorder: fwCfg.bootorder } : {}),
    });
    bios.run();
    if (bios.acpiTables !== undefined) return { firmware, qbootMmconfig, seabiosAcpi: bios.acpiTables };
  } else if (firmware === 'qboot') qbootMmconfig = new Qboot(cpu).run().haveMmconfig;
  return { firmware, qbootMmconfig };
}

/**
 * The hand-off: QEMU's ACPI tables and E820 through whichever firmware ran, with the kernel command line and
 * the vCPUs (-smp; the MADT lists one processor entry per vCPU).
 */
export function x86BootInfo(machine: Machine, cmdline: string, fw: FirmwareRun, smpCpus = 1): BootInfo {
  const info = machine.bootInfo(cmdline);
  if (smpCpus > 1) info.cpus = smpCpus;
  const { firmware } = fw;
  // -machine acpi=off: what SeaBIOS built replaces QEMU's (none)
  if (fw.seabiosAcpi !== undefined) info.acpi = fw.seabiosAcpi;
  if (firmware === 'qboot' && machine.name !== 'microvm') info.dmiBiosDate = QBOOT_SMBIOS_BIOS_DATE;
  if (firmware === 'qboot' && machine.name === 'q35') {
    // QEMU's etc/e820 for q35 (RAM below 4 GiB, the AMD HyperTransport hole) as qboot's extract_e820() rewrites it
    const qemuE820 = [
      { addr: 0, size: Math.min(machine.ramBytes, 0x80000000), type: 1 },
      { addr: 0xfd00000000, size: 0x300000000, type: 2 },
    ];
    info.e820 = qbootExtractE820(qemuE820, fw.qbootMmconfig);
  }
  if (firmware === 'none' && machine.name === 'q35' && info.acpi && machine.host?.mmcfgBase === -1) {
    // acpi_get_mcfg(): no MCFG while PCIEXBAR is not enabled, which only firmware does
    info.acpi.mcfg = [];
  }
  if (firmware === 'none') info.dmiBiosDate = null;
  return info;
}
