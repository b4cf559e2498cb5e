/**
 * @module
 * SeaBIOS 1.16.2 as Debian builds bios-256k.bin (debian/rules: `QEMU=y ROM_SIZE=256`, every other option at
 * its Kconfig default: THREADS, USE_SMM, MPTABLE, OPTIONROMS, AHCI, VIRTIO_*, USB_*, NVME, ... on;
 * ATA_DMA, WRITABLE_UPPERMEMORY off), run through the vCPU so every PCI config access of its POST is seen
 * by the VMM in order. The POST steps that touch config space, in the order src/post.c runs them:
 *
 * 1. `handle_post()` → `make_bios_writable()` (src/fw/shadow.c): conf1 scan for the host bridge, PAM on
 * 2. `dopost()` → `qemu_preinit()` → `qemu_detect()` (src/fw/paravirt.c): 00:00.0 IDs and subsystem IDs
 * 3. `maininit()` → `qemu_platform_setup()`: `pci_setup()` (./pciinit.ts), `smm_device_setup()` +
 *    `smm_setup()` (src/fw/smm.c), `mptable_setup()` (src/fw/mptable.c)
 * 4. `vgarom_setup()` (./optionroms.ts): the VGA ROM and SeaVGABIOS's own conf1 reads
 * 5. `device_hardware_setup()` (./drivers.ts): USB and block drivers claiming their controllers
 * 6. `optionrom_setup()`: ROM BARs of every unclaimed device
 * 7. `make_bios_readonly()`: PAM back to read-only (via MMCONFIG on q35)
 *
 * Only config accesses (and the conf1 address latch they need) are issued. Port I/O and MMIO SeaBIOS makes
 * elsewhere (fw_cfg, RTC, PIC/ELCR, PM timer, APM/SMI, VGA and DISPI registers, AHCI/virtio/xHCI registers)
 * are not; where their answer steers the config sequence, the answer QEMU 7.2 gives is written down at that
 * step, and {@link SeabiosPlatform} can change it.
 */
import {
  type FirmwareCpu,
  PciConfig,
  type SbPciDevice,
  pciBdfToBus,
} from './pci.js';
import {
  PCI_DEVICE_ID,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from '../hw/pci/regs.js';
import { PciInit, type PciSetupResult } from './pciinit.js';
import { SeabiosDrivers } from './drivers.js';
import { SeabiosBootOrder } from './boot.js';
import { PCI_RMV_BASE, seabiosAcpiSetup } from './seabios-acpi.js';
import type { AcpiTables } from '../hw/i386/bootinfo.js';
import { type OptionRomImage, optionromSetup, qemuDefaultRom, vgaromSetup } from './optionroms.js';

export type { FirmwareCpu } from './pci.js';
export type { OptionRomImage, OptionRomKind } from './optionroms.js';

/** What QEMU hands SeaBIOS besides the hardware: fw_cfg files, machine properties. Defaults are QEMU 7.2's. */
export interface SeabiosPlatform {
  machine: 'q35' | 'pc';
  /** -m, bytes */
  ramBytes: number;
  /** RAM below 4 GiB (SeaBIOS's RamSize from the fw_cfg E820); default: QEMU 7.2's split for `machine` */
  belowFourGBytes?: number;
  /** "etc/extra-pci-roots": pxb host bridges; default 0 */
  extraPciRoots?: number;
  /** "etc/reserved-memory-end": end of the memory hotplug area; default absent (0) */
  reservedMemoryEnd?: number;
  /** "etc/table-loader" present (QEMU builds the ACPI tables), which moves acpi_pm_base to 0x600; default true */
  tableLoader?: boolean;
  /** "etc/pci-optionrom-exec"; default 2 (run every PCI ROM) */
  pciOptionromExec?: number;
  /**
   * -machine smm=on (QEMU's default where the accelerator supports it). When off, ICH9's PM block resets
   * SMI_EN with APMC_EN set and PIIX4's DEVACTB likewise, so SeaBIOS skips SMM relocation.
   */
  smm?: boolean;
  /** the fw_cfg file "bootorder" (softmmu/bootdevice.c get_boot_devices_list()), one line each; default none */
  bootorder?: readonly string[];
  /** the image in a device's ROM BAR; default {@link qemuDefaultRom} */
  romImage?: (dev: { bdf: number; vendor: number; device: number; classId: number }) => OptionRomImage | null;
}

// src/fw/dev-q35.h, src/fw/dev-piix.h, src/hw/pci_ids.h
const PCI_VENDOR_ID_INTEL = 0x8086;
const PCI_DEVICE_ID_INTEL_82441 = 0x1237;
const PCI_DEVICE_ID_INTEL_Q35_MCH = 0x29c0;
const PCI_DEVICE_ID_INTEL_82371AB_3 = 0x7113;
const PCI_DEVICE_ID_INTEL_ICH9_LPC = 0x2918;
const I440FX_PAM0 = 0x59;
const I440FX_SMRAM = 0x72;
const Q35_HOST_BRIDGE_PAM0 = 0x90;
const Q35_HOST_BRIDGE_SMRAM = 0x9d;
const PIIX_DEVACTB = 0x58;
const PIIX_DEVACTB_APMC_EN = 1 << 25;
const ICH9_PMIO_SMI_EN_APMC_EN = 1 << 5;
const ICH9_LPC_GEN_PMCON_1 = 0xa0;
const ICH9_LPC_GEN_PMCON_1_SMI_LOCK = 1 << 4;

const BUILD_ROM_START = 0xc0000;
const BUILD_BIOS_ADDR = 0xf0000;
/**
 * rom_get_max() in Debian's bios-256k.bin: the bottom of the upper-memory malloc zone (CONFIG_MALLOC_UPPERMEMORY),
 * fixed by the build's own low-memory allocations. The reference boots' PAM bytes (0x11 up to 0xe7fff, 0x00
 * from 0xe8000) pin it to [0xe8000, 0xec000); the PAM values depend on nothing finer.
 */
const DEBIAN_BIOS_256K_ROM_MAX = 0xe8000;

/** One SeaBIOS POST on `cpu`: the firmware phase of a boot. */
export class Seabios {
  private readonly pci: PciConfig;
  /** SeaBIOS's debug output (dprintf level 1), the messages that name config-space work */
  readonly log: string[] = [];
  private shadowBdf = -1;
  private acpiPmBase = 0xb000;
  private setup: PciSetupResult | null = null;
  private smmIsaDeviceBdf = -1;
  private smmPmDeviceBdf = -1;
  /**
   * The tables acpi_setup() built (no "etc/table-loader"): null when it found no PM device and built none;
   * undefined when QEMU's tables were loaded instead.
   */
  acpiTables: AcpiTables | null | undefined = undefined;

  constructor(
    private readonly cpu: FirmwareCpu,
    private readonly platform: SeabiosPlatform,
  ) {
    this.pci = new PciConfig(cpu);
  }

  /** the `PCIDevices` list after POST */
  get devices(): readonly SbPciDevice[] {
    return this.setup?.devices ?? [];
  }

  /** handle_post() → dopost() → maininit(), up to the int 19h that boots */
  run(): void {
    const p = this.platform;
    // handle_post(): serial_debug_preinit, xen_preinit (not on Xen), then
    this.makeBiosWritable();
    // dopost(): code_mutable_preinit() (RTC), qemu_preinit()
    this.qemuDetect();
    // kvm_detect() (CPUID), qemu_early_e820() (fw_cfg), malloc_preinit(), reloc_preinit(maininit)
    // maininit() → interface_init(): qemu_cfg_init() reads the fw_cfg file directory
    if (p.tableLoader ?? true) this.acpiPmBase = 0x0600; // "Moving pm_base to 0x600"
    // platform_hardware_setup(): dma, pic, thread_setup, mathcp, then qemu_platform_setup()
    this.qemuPlatformSetup();
    // timer_setup, clock_setup, tpm_setup: no config access
    // threads_during_optionroms() is false ("etc/threads" = 1), so VGA first, then the drivers synchronously
    const devices = this.setup?.devices ?? [];
    const romCtx = {
      pci: this.pci,
      devices,
      runPciRoms: p.pciOptionromExec ?? 2,
      romImage: (d: SbPciDevice) =>
        (p.romImage ?? qemuDefaultRom)({ bdf: d.bdf, vendor: d.vendor, device: d.device, classId: d.classId }),
      log: (m: string) => this.log.push(m),
    };
    vgaromSetup(romCtx);
    // sercon_setup(), enable_vga_console(): no config access
    new SeabiosDrivers(this.pci, devices, (m) => this.log.push(m), new SeabiosBootOrder(p.bootorder)).deviceHardwareSetup();
    // wait_threads()
    optionromSetup(romCtx);
    // interactive_bootmenu(), wait_threads(), prepareboot(): no config access
    this.makeBiosReadonly();
    // startBoot(): int 19h → the linuxboot option ROM's BEV loads the kernel through fw_cfg
  }

  /** RamSize: RAM below 4 GiB as QEMU 7.2 splits it (pc_q35_init / pc_init1, gigabyte_align on) */
  private ramSize(): number {
    const p = this.platform;
    if (p.belowFourGBytes !== undefined) return p.belowFourGBytes;
    if (p.machine === 'q35') return Math.min(p.ramBytes, p.ramBytes >= 0xb0000000 ? 0x80000000 : 0xb0000000);
    return Math.min(p.ramBytes, p.ramBytes >= 0xe0000000 ? 0xc0000000 : 0xe0000000);
  }

  // --- src/fw/paravirt.c ---

  /** qemu_detect(): "check northbridge @ 00:00.0" */
  private qemuDetect(): void {
    const v = this.pci.readw(0, PCI_VENDOR_ID);
    if (v === 0x0000 || v === 0xffff) return;
    const d = this.pci.readw(0, PCI_DEVICE_ID);
    const sv = this.pci.readw(0, PCI_SUBSYSTEM_VENDOR_ID);
    const sd = this.pci.readw(0, PCI_SUBSYSTEM_ID);
    if (sv !== 0x1af4 || sd !== 0x1100) return; // Red Hat / Qemu virtual machine
    if (d === PCI_DEVICE_ID_INTEL_82441) this.log.push('Running on QEMU (i440fx)');
    else if (d === PCI_DEVICE_ID_INTEL_Q35_MCH) this.log.push('Running on QEMU (q35)');
    else this.log.push(`Running on QEMU (unknown nb: ${v.toString(16)}:${d.toString(16)})`);
  }

  /** qemu_platform_setup() */
  private qemuPlatformSetup(): void {
    // kvmclock_init(): MSR only
    const ramSize = this.ramSize();
    this.setup = new PciInit(
      this.pci,
      {
        ramSize,
        ramSizeOver4G: Math.max(0, this.platform.ramBytes - ramSize),
        extraPciRoots: this.platform.extraPciRoots ?? 0,
        reservedMemoryEnd: this.platform.reservedMemoryEnd ?? 0,
        acpiPmBase: this.acpiPmBase,
      },
      (m) => this.log.push(m),
    ).run();
    this.smmDeviceSetup();
    this.smmSetup();
    // mtrr_setup(), msr_feature_control_setup(), smp_setup(): MSRs and APIC; pirtable_setup(): static table
    this.mptableSetup(); // MaxCountCPUs <= 255
    // smbios_setup(), romfile_loader_execute("etc/table-loader"), acpi_dsdt_parse(): fw_cfg and memory
    if (this.platform.tableLoader ?? true) return;
    // no RSDP from the loader: acpi_setup() builds SeaBIOS's own tables (no config access)
    const s = this.setup;
    this.acpiTables = s
      ? seabiosAcpiSetup({
          devices: s.devices,
          pcimemStart: s.pcimemStart,
          pcimemEnd: s.pcimemEnd,
          pcimem64Start: s.pcimem64Start,
          pcimem64End: s.pcimem64End,
          rmvcPcrm: this.cpu.inl(PCI_RMV_BASE),
        })
      : null;
  }

  // --- src/fw/shadow.c ---

  /** make_bios_writable(): the conf1 host bridge scan, before anything else on the bus */
  private makeBiosWritable(): void {
    const pci = this.pci;
    for (const bdf of pci.ioconfigForeachBdf(0)) {
      const vendev = pci.ioconfigReadl(bdf, PCI_VENDOR_ID);
      const vendor = vendev & 0xffff;
      const device = vendev >>> 16;
      if (vendor === PCI_VENDOR_ID_INTEL && device === PCI_DEVICE_ID_INTEL_82441) {
        this.makeBiosWritableIntel(bdf, I440FX_PAM0);
        this.shadowBdf = bdf;
        return;
      }
      if (vendor === PCI_VENDOR_ID_INTEL && device === PCI_DEVICE_ID_INTEL_Q35_MCH) {
        this.makeBiosWritableIntel(bdf, Q35_HOST_BRIDGE_PAM0);
        this.shadowBdf = bdf;
        return;
      }
    }
    this.log.push('Unable to unlock ram - bridge not found');
  }

  /**
   * make_bios_writable_intel() + __make_bios_writable_intel(): whether it runs from the 0xf0000 shadow or
   * from the flash copy at 0xffff0000 (PAM0 bit 4 clear), the config accesses are the same
   */
  private makeBiosWritableIntel(bdf: number, pam0: number): void {
    const pci = this.pci;
    pci.ioconfigReadb(bdf, pam0);
    const base = pam0 & ~3;
    const pam = pamBytes(pci.ioconfigReadl(bdf, base), pci.ioconfigReadl(bdf, base + 4));
    const o = pam0 & 3;
    for (let i = 0; i < 6; i++) pam[o + i + 1] = 0x33; // Make ram from 0xc0000-0xf0000 writable
    pam[o] = 0x30; // Make ram from 0xf0000-0x100000 writable
    pci.ioconfigWritel(bdf, base, pamDword(pam, 0));
    pci.ioconfigWritel(bdf, base + 4, pamDword(pam, 4));
    // if ram was not present the BIOS is copied from flash: memory, not config
  }

  /** make_bios_readonly() */
  private makeBiosReadonly(): void {
    if (this.shadowBdf < 0) {
      this.log.push('Unable to lock ram - bridge not found');
      return;
    }
    const device = this.pci.readw(this.shadowBdf, PCI_DEVICE_ID);
    this.makeBiosReadonlyIntel(this.shadowBdf, device === PCI_DEVICE_ID_INTEL_82441 ? I440FX_PAM0 : Q35_HOST_BRIDGE_PAM0);
  }

  /** make_bios_readonly_intel(): after wbinvd(), through pci_config_* (MMCONFIG on q35 by now) */
  private makeBiosReadonlyIntel(bdf: number, pam0: number): void {
    const pci = this.pci;
    const base = pam0 & ~3;
    const pam = pamBytes(pci.readl(bdf, base), pci.readl(bdf, base + 4));
    const o = pam0 & 3;
    // Write protect roms from 0xc0000-0xf0000 (CONFIG_WRITABLE_UPPERMEMORY off: romlast = BUILD_BIOS_ADDR)
    const romlast = BUILD_BIOS_ADDR;
    const rommax = DEBIAN_BIOS_256K_ROM_MAX;
    for (let i = 0; i < 6; i++) {
      const mem = BUILD_ROM_START + i * 32 * 1024;
      if (romlast < mem + 16 * 1024 || rommax < mem + 32 * 1024) {
        if (romlast >= mem && rommax >= mem + 16 * 1024) pam[o + i + 1] = 0x31;
        break;
      }
      pam[o + i + 1] = 0x11;
    }
    pam[o] = 0x10; // Write protect 0xf0000-0x100000
    pci.writel(bdf, base, pamDword(pam, 0));
    pci.writel(bdf, base + 4, pamDword(pam, 4));
  }

  // --- src/fw/smm.c ---

  /** smm_device_setup(): from the PCIDevices cache, no access */
  private smmDeviceSetup(): void {
    const find = (vendor: number, device: number) =>
      this.devices.find((d) => d.vendor === vendor && d.device === device) ?? null;
    let isapci = find(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82371AB_3);
    let pmpci = find(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_82441);
    if (isapci && pmpci) {
      this.smmIsaDeviceBdf = isapci.bdf;
      this.smmPmDeviceBdf = pmpci.bdf;
      return;
    }
    isapci = find(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_ICH9_LPC);
    pmpci = find(PCI_VENDOR_ID_INTEL, PCI_DEVICE_ID_INTEL_Q35_MCH);
    if (isapci && pmpci) {
      this.smmIsaDeviceBdf = isapci.bdf;
      this.smmPmDeviceBdf = pmpci.bdf;
    }
  }

  /** smm_setup() */
  private smmSetup(): void {
    if (this.smmIsaDeviceBdf < 0) return;
    const device = this.pci.readw(this.smmIsaDeviceBdf, PCI_DEVICE_ID);
    if (device === PCI_DEVICE_ID_INTEL_82371AB_3) this.piix4ApmcSmmSetup(this.smmIsaDeviceBdf, this.smmPmDeviceBdf);
    else this.ich9LpcApmcSmmSetup(this.smmIsaDeviceBdf, this.smmPmDeviceBdf);
  }

  /** piix4_apmc_smm_setup(): "check if SMM init is already done" reads DEVACTB in config space */
  private piix4ApmcSmmSetup(isabdf: number, i440Bdf: number): void {
    const pci = this.pci;
    const value = pci.readl(isabdf, PIIX_DEVACTB);
    if (value & PIIX_DEVACTB_APMC_EN) return;
    pci.writeb(i440Bdf, I440FX_SMRAM, 0x02 | 0x48); // enable the SMM memory window
    // smm_save_and_copy(): memory
    pci.writel(isabdf, PIIX_DEVACTB, (value | PIIX_DEVACTB_APMC_EN) >>> 0); // SMI on APMC writes
    // GLBCTL.SMI_EN via the PM I/O block; smm_relocate_and_restore(): APM ports 0xb2/0xb3, the SMI handler
    pci.writeb(i440Bdf, I440FX_SMRAM, 0x02 | 0x08); // close the SMM memory window and enable normal SMM
  }

  /**
   * ich9_lpc_apmc_smm_setup(): "check if SMM init is already done" reads SMI_EN in the PM I/O block
   * (acpi_pm_base + 0x30), which QEMU's ICH9 PM resets to 0, or to APMC_EN with smm=off (pm_reset()).
   */
  private ich9LpcApmcSmmSetup(isabdf: number, mchBdf: number): void {
    const pci = this.pci;
    const smiEn = (this.platform.smm ?? true) ? 0 : ICH9_PMIO_SMI_EN_APMC_EN;
    if (smiEn & ICH9_PMIO_SMI_EN_APMC_EN) return;
    pci.writeb(mchBdf, Q35_HOST_BRIDGE_SMRAM, 0x02 | 0x48); // enable the SMM memory window
    // smm_save_and_copy(): memory; SMI_EN |= APMC_EN | GLB_SMI_EN: PM I/O
    const value = pci.readw(isabdf, ICH9_LPC_GEN_PMCON_1); // lock SMI generation
    pci.writel(isabdf, ICH9_LPC_GEN_PMCON_1, value | ICH9_LPC_GEN_PMCON_1_SMI_LOCK);
    // smm_relocate_and_restore(): APM ports 0xb2/0xb3, the SMI handler relocates SMBASE
    pci.writeb(mchBdf, Q35_HOST_BRIDGE_SMRAM, 0x02 | 0x08); // close the SMM memory window and enable normal SMM
  }

  // --- src/fw/mptable.c ---

  /** mptable_setup(): an interrupt source entry per bus-0 function pin; stops at the first device off bus 0 */
  private mptableSetup(): void {
    for (const d of this.devices) {
      if (pciBdfToBus(d.bdf) !== 0) break;
      this.pci.readb(d.bdf, PCI_INTERRUPT_PIN);
      this.pci.readb(d.bdf, PCI_INTERRUPT_LINE);
    }
  }

  // --- src/fw/pciinit.c ---

  /** pci_resume(): S3 resume re-programs what the chipset forgot (not part of a cold boot) */
  resume(): void {
    const s = this.setup;
    if (!s) return;
    const init = new PciInit(this.pci, {
      ramSize: this.ramSize(),
      ramSizeOver4G: 0,
      extraPciRoots: 0,
      reservedMemoryEnd: 0,
      acpiPmBase: this.acpiPmBase,
    });
    if (s.piixPmBdf >= 0) init.piix4PmConfigSetup(s.piixPmBdf);
    if (s.ich9LpcBdf >= 0) init.mchIsaLpcSetup(s.ich9LpcBdf);
    if (s.ich9SmbusBdf >= 0) init.ich9SmbusEnable(s.ich9SmbusBdf);
    if (s.mchMmcfgBdf >= 0) init.mchMmconfigSetup(s.mchMmcfgBdf);
  }
}

/** union pamdata_u: two dwords as eight bytes */
function pamBytes(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (const v of [lo, hi]) for (let i = 0; i < 4; i++) out.push((v >>> (8 * i)) & 0xff);
  return out;
}

function pamDword(pam: number[], at: number): number {
  return (pam[at]! | (pam[at + 1]! << 8) | (pam[at + 2]! << 16) | (pam[at + 3]! << 24)) >>> 0;
}
