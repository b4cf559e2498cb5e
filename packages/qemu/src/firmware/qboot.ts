/**
 * @module
 * qboot, the minimal x86 firmware QEMU 7.2 ships as pc-bios/qboot.rom (roms/qboot = bonzini/qboot 8ca302e,
 * 2022-09-19; Debian builds it from there into /usr/share/qemu/qboot.rom and makes bios-microvm.bin a symlink to
 * it, where upstream's bios-microvm.bin is a SeaBIOS build), run through the vCPU so every PCI config access it
 * makes is seen by the VMM in order. main() is the whole POST; the steps that touch config space:
 *
 * 1. `setup_hw()` (hwsetup.c), still running from the ROM at 0xffff0000: 00:00.0's ID picks the chipset; PIRQ
 *    routing and the ACPI PM base in the ISA bridge (`setup_piix()` + `setup_piix_pm()` or `setup_ich9()` +
 *    `setup_ich9_pm()`), then `setup_pam()` opens 0xc0000-0xfffff for the shadow copy. No chipset: no PCI.
 * 2. `setup_mmconfig()` (hwsetup.c), whatever 1 found: on q35 PCIEXBAR = 0xb0000000 | EN in three dword writes
 *    (`setup_q35_mmconfig()`); qboot itself never uses the window, it only reports it in E820.
 * 3. `setup_pci()` (pci.c), only when 1 found a chipset: `do_setup_pci_bus()` walks bus 0 with `pci_foreach()`,
 *    routes INTx lines, sets SERR in bridge control, hard-wires the legacy IDE BARs and numbers the buses of
 *    PCI-PCI bridges depth first, the bridges of a bus taken last found first (a list threaded through their
 *    SECONDARY_BUS registers). **No BAR sizing or assignment, no bridge windows, no COMMAND bits**: Linux does that.
 *
 * After that (setup_idt, fw_cfg_setup, extract_acpi, extract_e820, setup_mptable, extract_smbios,
 * boot_from_fwcfg) qboot makes no config access: fw_cfg is DMA, the tables come from QEMU's `etc/table-loader`.
 *
 * All of qboot's config accesses are conf1 (include/pci.h): `outl(0xcf8, …)` then one data access, so two
 * port exits each. Only config accesses and that latch are issued here; qboot's other port I/O (PIC, ELCR,
 * fw_cfg DMA) and memory accesses (the shadow copy, the `rom_check` probe) are not, as for `Seabios`.
 *
 * Checked against real QEMU 7.2.22 booting Debian's qboot.rom (`-bios /usr/share/qemu/qboot.rom`; fixtures
 * q35-qboot, q35-qboot-rootport, q35-qboot-bridges, pc-qboot in reference): the firmware phase
 * matches access for access, values included. On microvm (no 0xcf8/0xcfc) the two ID reads hit unassigned I/O,
 * so QEMU counts no config access (microvm-pcie's firmware phase: 0).
 */
import type { E820Entry } from '../hw/i386/bootinfo.js';
import { type FirmwareCpu, PciConfig } from './pci.js';
import { FirmwareHang } from '../errors.js';

export type { FirmwareCpu } from './pci.js';

/** What the platform answers besides config space, where it steers qboot's config sequence. */
export interface QbootPlatform {
  /**
   * The F-segment takes writes at reset, so setup_hw()'s `rom_check` probe (a .bss byte at its 0xf0000-based
   * link address, written while PAM still routes that range to the ROM) sees its write stick and skips
   * setup_pam(). Default false, as on every QEMU machine qboot gets that far on: x86_bios_rom_init() maps
   * "isa-bios" read-only when the machine has PCI (pc, q35), and a write to a KVM_MEM_READONLY slot is dropped.
   */
  biosShadowWritable?: boolean;
}

/** A PCI-PCI bridge as do_setup_pci_bus() left it. */
export interface QbootBridge {
  /** bus << 8 | devfn */
  bdf: number;
  /** PRIMARY_BUS: the bus the bridge sits on */
  primary: number;
  /** SECONDARY_BUS: `++max_bus` when its turn came */
  secondary: number;
  /** SUBORDINATE_BUS: `max_bus` once everything behind it was numbered */
  subordinate: number;
}

/** What qboot's POST left behind that the rest of the boot depends on. */
export interface QbootResult {
  /** the chipset setup_hw() recognised at 00:00.0, or null (microvm, or an unknown host bridge) */
  chipset: 'i440fx' | 'q35' | null;
  /** setup_hw()'s return: setup_pci() ran */
  havePci: boolean;
  /** setup_mmconfig()'s return: PCIEXBAR programmed, and extract_e820() adds the window as reserved */
  haveMmconfig: boolean;
  /** `max_bus`: the highest bus number handed out */
  maxBus: number;
  /** bridges in the order their bus numbers were programmed */
  bridges: QbootBridge[];
  /** setup_pci()'s panic(): 00:00.0 changed identity between setup_hw() and setup_pci() (cli; hlt) */
  panicked: boolean;
}

// include/pci.h
const PCI_VENDOR_ID = 0x00;
const PCI_CLASS_DEVICE = 0x0a;
const PCI_HEADER_TYPE = 0x0e;
const PCI_PRIMARY_BUS = 0x18;
const PCI_SECONDARY_BUS = 0x19;
const PCI_SUBORDINATE_BUS = 0x1a;
const PCI_INTERRUPT_LINE = 0x3c;
const PCI_INTERRUPT_PIN = 0x3d;
const PCI_BRIDGE_CONTROL = 0x3e;
const PCI_CLASS_STORAGE_IDE = 0x0101;
const PCI_CLASS_BRIDGE_PCI = 0x0604;
const PCI_HEADER_TYPE_BRIDGE = 1;
const PCI_HEADER_TYPE_MULTI_FUNCTION = 0x80;
const PCI_BRIDGE_CTL_SERR = 0x02;
const PCI_VENDOR_ID_INTEL = 0x8086;
const PCI_DEVICE_ID_INTEL_82441 = 0x1237;
const PCI_DEVICE_ID_INTEL_Q35_MCH = 0x29c0;
const PCI_DEVICE_ID_INTEL_82371SB_1 = 0x7010;
const PCI_DEVICE_ID_INTEL_82371AB = 0x7111;
/** PCIE_MMCONFIG_BASE (include/pci.h): where setup_q35_mmconfig() puts ECAM on q35 */
export const QBOOT_PCIE_MMCONFIG_BASE = 0xb0000000;
/** PCIE_MMCONFIG_SIZE: the E820 reservation extract_e820() makes for it (256 buses) */
export const QBOOT_PCIE_MMCONFIG_SIZE = 256 * 1024 * 1024;

const ID_I440FX = (PCI_VENDOR_ID_INTEL | (PCI_DEVICE_ID_INTEL_82441 << 16)) >>> 0;
const ID_Q35_MCH = (PCI_VENDOR_ID_INTEL | (PCI_DEVICE_ID_INTEL_Q35_MCH << 16)) >>> 0;
const ID_PIIX3_IDE = (PCI_VENDOR_ID_INTEL | (PCI_DEVICE_ID_INTEL_82371SB_1 << 16)) >>> 0;
const ID_PIIX4_IDE = (PCI_VENDOR_ID_INTEL | (PCI_DEVICE_ID_INTEL_82371AB << 16)) >>> 0;

// hwsetup.c
const PIIX_ISA_PIRQA_ROUT = 0x60;
const PIIX_PMBASE = 0x40;
const PIIX_PMREGMISC = 0x80;
const PIIX_SMBHSTBASE = 0x90;
const PIIX_SMBHSTCFG = 0xd2;
const ICH9_LPC_PIRQA_ROUT = 0x60;
const ICH9_LPC_PIRQE_ROUT = 0x68;
const ICH9_LPC_PMBASE = 0x40;
const ICH9_LPC_ACPI_CTRL = 0x44;
const I440FX_PAM0 = 0x59;
const Q35_HOST_BRIDGE_PAM0 = 0x90;
const Q35_HOST_BRIDGE_PCIEXBAREN = 1;
const Q35_HOST_BRIDGE_PCIEXBAR = 0x60;

/** One qboot POST on `cpu`: the firmware phase of a boot. */
export class Qboot {
  private readonly pci: PciConfig;
  /** what qboot would have said (it prints nothing itself: these name the steps, for reports and tests) */
  readonly log: string[] = [];

  // pci.c's file-scope state
  private addend = 0; // uint16_t
  private bus = 0; // uint8_t
  private bridgeHead = 0; // uint8_t
  private useI440fxRouting = false;
  private bridgeCount = 0;
  private maxBus = 0; // uint8_t
  private readonly bridges: QbootBridge[] = [];
  private panicked = false;

  constructor(
    cpu: FirmwareCpu,
    private readonly platform: QbootPlatform = {},
  ) {
    this.pci = new PciConfig(cpu);
  }

  /** main(), up to boot_from_fwcfg() */
  run(): QbootResult {
    const chipset = this.setupHw();
    const havePci = chipset !== null;
    // asm("ljmp $0x8, $1f"): now running from the F-segment copy
    const haveMmconfig = this.setupMmconfig();
    if (havePci) this.setupPci();
    // setup_idt(), fw_cfg_setup(), extract_acpi(), extract_e820(), setup_mptable(), extract_smbios(),
    // boot_from_fwcfg(): memory and fw_cfg DMA only
    return {
      chipset,
      havePci,
      haveMmconfig,
      maxBus: this.maxBus,
      bridges: this.bridges.map((b) => ({ ...b })),
      panicked: this.panicked,
    };
  }

  // --- hwsetup.c ---

  /** setup_hw(): the chipset at 00:00.0, its ISA bridge, PAM; false when 00:00.0 is neither i440FX nor Q35 */
  private setupHw(): 'i440fx' | 'q35' | null {
    const bdf = 0;
    const id = this.pci.ioconfigReadl(bdf, 0);
    let pambase: number;
    let chipset: 'i440fx' | 'q35';
    if (id === ID_I440FX) {
      this.setupPiix();
      this.setupPiixPm();
      pambase = I440FX_PAM0;
      chipset = 'i440fx';
    } else if (id === ID_Q35_MCH) {
      this.setupIch9();
      this.setupIch9Pm();
      pambase = Q35_HOST_BRIDGE_PAM0;
      chipset = 'q35';
    } else {
      this.log.push(`setup_hw: 00:00.0 is ${hex(id, 8)}, no PCI set-up`);
      return null;
    }
    // "Make ram from 0xc0000-0xf0000 read-write", unless the rom_check byte took a write
    if (!(this.platform.biosShadowWritable ?? false)) this.setupPam(bdf, pambase);
    // memcpy() of the image to its link address, setup_pic(): memory and PIC ports
    return chipset;
  }

  /** setup_piix(): PIIX3 PIRQ[A-D] routing at 00:01.0 */
  private setupPiix(): void {
    const bdf = 1 << 3;
    this.pci.ioconfigWriteb(bdf, PIIX_ISA_PIRQA_ROUT, 10);
    this.pci.ioconfigWriteb(bdf, PIIX_ISA_PIRQA_ROUT + 1, 10);
    this.pci.ioconfigWriteb(bdf, PIIX_ISA_PIRQA_ROUT + 2, 11);
    this.pci.ioconfigWriteb(bdf, PIIX_ISA_PIRQA_ROUT + 3, 11);
  }

  /** setup_piix_pm(): PIIX4 PM at 00:01.3, PM I/O at 0x600 and SMBus at 0x700 */
  private setupPiixPm(): void {
    const bdf = (1 << 3) | 3;
    this.pci.ioconfigWritel(bdf, PIIX_PMBASE, 0x601);
    this.pci.ioconfigWriteb(bdf, PIIX_PMREGMISC, 0x01);
    this.pci.ioconfigWritel(bdf, PIIX_SMBHSTBASE, 0x701);
    this.pci.ioconfigWriteb(bdf, PIIX_SMBHSTCFG, 0x09);
  }

  /** setup_ich9(): ICH9 LPC PIRQ[A-H] routing at 00:1f.0 */
  private setupIch9(): void {
    const bdf = 0x1f << 3;
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQA_ROUT, 10);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQA_ROUT + 1, 10);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQA_ROUT + 2, 11);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQA_ROUT + 3, 11);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQE_ROUT, 10);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQE_ROUT + 1, 10);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQE_ROUT + 2, 11);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_PIRQE_ROUT + 3, 11);
  }

  /** setup_ich9_pm(): PMBASE 0x600, ACPI enable */
  private setupIch9Pm(): void {
    const bdf = 0x1f << 3;
    this.pci.ioconfigWritel(bdf, ICH9_LPC_PMBASE, 0x601);
    this.pci.ioconfigWriteb(bdf, ICH9_LPC_ACPI_CTRL, 0x80);
  }

  /** setup_pam(): PAM1-6 read-write (0xc0000-0xeffff), then PAM0's high nibble (0xf0000-0xfffff) */
  private setupPam(bdf: number, pambase: number): void {
    for (let i = 0; i < 6; i++) this.pci.ioconfigWriteb(bdf, pambase + 1 + i, 0x33);
    this.pci.ioconfigWriteb(bdf, pambase, 0x30);
  }

  /** setup_mmconfig(): true on q35, after setup_q35_mmconfig() */
  private setupMmconfig(): boolean {
    const bdf = 0;
    const id = this.pci.ioconfigReadl(bdf, 0);
    if (id === ID_Q35_MCH) {
      this.setupQ35Mmconfig();
      return true;
    }
    return false;
  }

  /** setup_q35_mmconfig(): disable, high half, then base | PCIEXBAREN (the 256-bus size field left 0) */
  private setupQ35Mmconfig(): void {
    const bdf = 0;
    const addr = QBOOT_PCIE_MMCONFIG_BASE;
    const upper = Math.floor(addr / 2 ** 32) >>> 0;
    const lower = ((addr >>> 0) | Q35_HOST_BRIDGE_PCIEXBAREN) >>> 0;
    this.pci.ioconfigWritel(bdf, Q35_HOST_BRIDGE_PCIEXBAR, 0);
    this.pci.ioconfigWritel(bdf, Q35_HOST_BRIDGE_PCIEXBAR + 4, upper);
    this.pci.ioconfigWritel(bdf, Q35_HOST_BRIDGE_PCIEXBAR, lower);
    this.log.push(`setup_q35_mmconfig: PCIEXBAR ${hex(lower, 8)}`);
  }

  // --- pci.c ---

  /** setup_pci(): the routing flavour from 00:00.0, then bus 0 and everything behind it; setup_bios32() is memory */
  private setupPci(): void {
    const bdf = 0;
    const id = this.pci.ioconfigReadl(bdf, 0);
    if (id === ID_I440FX) this.useI440fxRouting = true;
    else if (id === ID_Q35_MCH) this.useI440fxRouting = false;
    else {
      this.panicked = true; // panic(): cli; hlt
      this.log.push('setup_pci: panic');
      return;
    }
    this.doSetupPciBus();
  }

  /**
   * pci_foreach(): 32 slots of `bus`; function 0 absent ends the slot, an absent function above 0 is skipped,
   * and a function 0 without the multi-function bit ends the slot after it
   */
  private pciForeach(fn: (bdf: number, id: number, type: number) => void): void {
    for (let d = 0; d < 32; d++) {
      for (let f = 0; f < 8; f++) {
        const bdf = this.bus * 256 + d * 8 + f;
        const id = this.pci.ioconfigReadl(bdf, PCI_VENDOR_ID);
        // 0x0000 or 0xFFFF?  Skip.
        const vendor = id & 0xffff;
        if (((vendor + 1) & 0xffff) <= 1) {
          if (f === 0) break;
          else continue;
        }
        const type = this.pci.ioconfigReadb(bdf, PCI_HEADER_TYPE);
        fn(bdf, id, type);
        if (f === 0 && !(type & PCI_HEADER_TYPE_MULTI_FUNCTION)) break;
      }
    }
  }

  /** do_setup_pci_irq(): an INTx line for a function whose INTERRUPT_LINE is still 0 (LNKA/LNKB → 10, LNKC/LNKD → 11) */
  private doSetupPciIrq(bdf: number, pin: number): void {
    const dev = (bdf >> 3) & 0x1f;
    let irq = this.pci.ioconfigReadb(bdf, PCI_INTERRUPT_LINE);
    if (irq !== 0) return;
    let lnk = this.addend + pin;
    if (this.useI440fxRouting) lnk += dev - 1;
    // Q35 devices 25-31 all use LNKA.  Devices 0-24 have a slightly different mapping.
    else if (dev <= 24) lnk += dev;
    lnk &= 3;
    irq = lnk & 2 ? 11 : 10;
    this.pci.ioconfigWriteb(bdf, PCI_INTERRUPT_LINE, irq);
  }

  /** do_setup_pci(): per present function */
  private doSetupPci(bdf: number, id: number, type: number): void {
    const pin = this.pci.ioconfigReadb(bdf, PCI_INTERRUPT_PIN);
    if (pin !== 0) this.doSetupPciIrq(bdf, pin);
    // `type & PCI_HEADER_TYPE_BRIDGE`: bit 0, so a multi-function bridge (0x81) counts, a CardBus one (0x02) not
    if (type & PCI_HEADER_TYPE_BRIDGE) {
      const ctl = this.pci.ioconfigReadw(bdf, PCI_BRIDGE_CONTROL);
      this.pci.ioconfigWritew(bdf, PCI_BRIDGE_CONTROL, ctl | PCI_BRIDGE_CTL_SERR);
    }
    const cls = this.pci.ioconfigReadw(bdf, PCI_CLASS_DEVICE);
    switch (cls) {
      case PCI_CLASS_STORAGE_IDE:
        this.pci.ioconfigWritel(bdf, 0x10, 0x1f0);
        this.pci.ioconfigWritel(bdf, 0x14, 0x3f4);
        this.pci.ioconfigWritel(bdf, 0x18, 0x170);
        this.pci.ioconfigWritel(bdf, 0x1c, 0x374);
        if (id === ID_PIIX3_IDE || id === ID_PIIX4_IDE) {
          // Enable IDE0 and IDE1.
          this.pci.ioconfigWritew(bdf, 0x40, 0x8000);
          this.pci.ioconfigWritew(bdf, 0x42, 0x8000);
        }
        break;
      case PCI_CLASS_BRIDGE_PCI:
        this.pci.ioconfigWriteb(bdf, PCI_PRIMARY_BUS, this.bus);
        // prevent accidental access to unintended devices
        this.pci.ioconfigWriteb(bdf, PCI_SUBORDINATE_BUS, 0);
        // Insert at the head of a linked list of bridges: the link is the bridge's SECONDARY_BUS register,
        // which do_setup_pci_bus() reads back (0xFF ends the list, bridge_count bounds it anyway).
        this.pci.ioconfigWriteb(bdf, PCI_SECONDARY_BUS, this.bridgeHead);
        this.bridgeHead = bdf & 0xff;
        this.bridgeCount++;
        break;
    }
  }

  /** do_setup_pci_bus(): discover `bus`, then number each bridge found on it (last found first) and recurse */
  private doSetupPciBus(): void {
    this.bridgeHead = 0xff;
    this.bridgeCount = 0;
    // Discover all PCI devices and block bridges
    this.pciForeach((bdf, id, type) => this.doSetupPci(bdf, id, type));
    let nextHead = this.bridgeHead;
    const saveBus = this.bus;
    // Configure bridges on this bus and recursively setup new busses
    for (let i = this.bridgeCount; i > 0; i--) {
      const bdf = saveBus * 256 + nextHead;
      nextHead = this.pci.ioconfigReadb(bdf, PCI_SECONDARY_BUS);
      this.maxBus = (this.maxBus + 1) & 0xff;
      // `bus = ++max_bus` past 255 wraps to 0 (uint8_t): qboot makes bus 0 this bridge's secondary bus and
      // recurses into bus 0, which finds the same bridges in the same order and wraps at the same one, forever
      if (this.maxBus === 0) {
        throw new FirmwareHang(
          'qboot',
          null,
          `pcisim: qboot ran out of PCI bus numbers (it numbers at most 255 buses behind bridges): bridge ${fmtBdf(bdf)} ` +
            "would need bus 256, qboot's 8-bit max_bus wraps to 0 and do_setup_pci_bus() sets up bus 0 again, without end: " +
            'the real VM hangs in the firmware until its stack overflows, QEMU keeps running and the guest never boots',
        );
      }
      this.bus = this.maxBus;
      this.pci.ioconfigWriteb(bdf, PCI_SECONDARY_BUS, this.bus);
      this.pci.ioconfigWriteb(bdf, PCI_SUBORDINATE_BUS, 255);
      const bridge: QbootBridge = { bdf, primary: saveBus, secondary: this.bus, subordinate: 255 };
      this.bridges.push(bridge);
      // Add PCI bridge device id for the recursive call.
      const slot = (bdf >> 3) & 0x1f;
      this.addend = (this.addend + slot) & 0xffff;
      this.doSetupPciBus();
      this.addend = (this.addend - slot) & 0xffff;
      this.pci.ioconfigWriteb(bdf, PCI_SUBORDINATE_BUS, this.maxBus);
      bridge.subordinate = this.maxBus;
      this.log.push(`bridge ${fmtBdf(bdf)}: bus ${saveBus} -> [${bridge.secondary}-${bridge.subordinate}]`);
    }
  }
}

/**
 * extract_e820() (main.c): qboot's own entries (low RAM to 639 KiB, the EBDA, 128 KiB of ACPI NVS at 0xd0000
 * where its malloc zone holds the ACPI tables, the F-segment), the MMCONFIG window when setup_mmconfig()
 * programmed it, then QEMU's `etc/e820` with its RAM entry at 0 moved to start at 1 MiB. Unsorted, as qboot
 * hands it over (Linux's e820__update_table() sorts it).
 */
export function qbootExtractE820(qemuE820: readonly E820Entry[], haveMmconfig: boolean): E820Entry[] {
  const map: E820Entry[] = [
    { addr: 0, size: 639 * 1024, type: 1 }, // low RAM (E820_RAM)
    { addr: 639 * 1024, size: 1024, type: 2 }, // EBDA (E820_RESERVED)
    { addr: 0xd0000, size: 128 * 1024, type: 4 }, // ACPI tables (E820_NVS)
    { addr: 0xf0000, size: 64 * 1024, type: 2 }, // firmware
  ];
  if (haveMmconfig) map.push({ addr: QBOOT_PCIE_MMCONFIG_BASE, size: QBOOT_PCIE_MMCONFIG_SIZE, type: 2 });
  const first = map.length;
  for (const e of qemuE820) map.push({ ...e });
  for (let i = first; i < map.length; i++) {
    const e = map[i]!;
    if (e.addr === 0) {
      // lowmem = e->size
      e.addr = 1024 * 1024;
      e.size -= 1024 * 1024;
      break;
    }
  }
  return map;
}

/**
 * BIOS_DATE of the SMBIOS type 0 that extract_smbios() (smbios.c) prepends when QEMU supplies
 * `etc/smbios/smbios-tables` (pc, q35; not microvm, which has no SMBIOS): Linux prints "BIOS 0.1 11/11/2019".
 */
export const QBOOT_SMBIOS_BIOS_DATE = '11/11/2019';
/** VERSION of that type 0 */
export const QBOOT_SMBIOS_BIOS_VERSION = '0.1';

function hex(v: number, w: number): string {
  return `0x${(v >>> 0).toString(16).padStart(w, '0')}`;
}

function fmtBdf(bdf: number): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `${h((bdf >> 8) & 0xff)}:${h((bdf >> 3) & 0x1f)}.${bdf & 7}`;
}
