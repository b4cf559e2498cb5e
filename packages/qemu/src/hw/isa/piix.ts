/**
 * @module
 * The PIIX functions QEMU's `pc` machine puts in slot 1, with the config-space contents QEMU 7.2 gives them:
 * - 01.0 `PIIX3` PCI-to-ISA bridge, 8086:7000 (hw/isa/piix3.c), multifunction, PIRQ route registers 0x60-0x63;
 * - 01.1 `piix3-ide`, 8086:7010 (hw/ide/piix.c), legacy-mode IDE with the bus-master BAR 4;
 * - 01.2 `piix3-usb-uhci` with `-usb` (hw/usb/hcd-uhci.c, modelled in ../usb/hcd-uhci.ts);
 * - 01.3 `PIIX4_PM`, 8086:7113 (hw/acpi/piix4.c), ACPI PM and SMBus, unless `acpi=off`.
 *
 * Each `deviceReset()` is the class's `DeviceClass::reset`; PciDevice.reset() runs it before the PCI core's part.
 */
import { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';

/** PIIX_PIRQCA..PIIX_PIRQCD (include/hw/southbridge/piix.h) */
export const PIIX_PIRQCA = 0x60;
export const PIIX_NUM_PIRQS = 4;
/** a PIRQ route byte >= PIIX_NUM_PIC_IRQS (bit 7, IRQEN# set) routes nowhere */
export const PIIX_NUM_PIC_IRQS = 16;
/** the PIIX3 reset-control register, an I/O port the ISA bridge claims */
export const PIIX_RCR_IOPORT = 0xcf9;

/** `PIIX3`: 82371SB PIIX3 PCI-to-ISA bridge (step A1) */
export class Piix3 extends PciDevice {
  /** called after a write that touched PIRQA-D (piix3_write_config → piix3_update_irq_levels) */
  onPirqRoute: ((pirq: number, route: number) => void) | null = null;

  constructor() {
    // pci_piix3_class_init(): PCI_DEVICE_ID_INTEL_82371SB_0, PCI_CLASS_BRIDGE_ISA, revision 0
    super({ typeName: 'PIIX3', vendorId: 0x8086, deviceId: 0x7000, revision: 0, classId: 0x0601 });
    // pc_init1(): pci_create_simple_multifunction(pci_bus, -1, true, TYPE_PIIX3_DEVICE)
    this.multifunction = true;
  }

  /** piix3_reset() */
  override deviceReset(): void {
    const c = this.config;
    c[0x04] = 0x07; // master, memory and I/O (pci_do_device_reset() clears it again)
    c[0x05] = 0x00;
    c[0x06] = 0x00;
    c[0x07] = 0x02; // PCI_status_devsel_medium
    c[0x4c] = 0x4d;
    c[0x4e] = 0x03;
    c[0x4f] = 0x00;
    c[0x60] = 0x80;
    c[0x61] = 0x80;
    c[0x62] = 0x80;
    c[0x63] = 0x80;
    c[0x69] = 0x02;
    c[0x70] = 0x80;
    c[0x76] = 0x0c;
    c[0x77] = 0x0c;
    c[0x78] = 0x02;
    c[0x79] = 0x00;
    c[0x80] = 0x00;
    c[0x82] = 0x00;
    c[0xa0] = 0x08;
    c[0xa2] = 0x00;
    c[0xa3] = 0x00;
    c[0xa4] = 0x00;
    c[0xa5] = 0x00;
    c[0xa6] = 0x00;
    c[0xa7] = 0x00;
    c[0xa8] = 0x0f;
    c[0xaa] = 0x00;
    c[0xab] = 0x00;
    c[0xac] = 0x00;
    c[0xae] = 0x00;
  }

  /** the ISA IRQ a PIRQ line is routed to, or -1 (piix3_set_irq_pic: route >= 16 disables) */
  pirqRoute(pirq: number): number {
    const v = this.config[PIIX_PIRQCA + pirq]!;
    return v < PIIX_NUM_PIC_IRQS ? v : -1;
  }

  /** piix3_write_config() */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    if (addr < PIIX_PIRQCA + PIIX_NUM_PIRQS && addr + len > PIIX_PIRQCA) {
      for (let i = 0; i < PIIX_NUM_PIRQS; i++) {
        const a = PIIX_PIRQCA + i;
        if (a >= addr && a < addr + len) this.onPirqRoute?.(i, this.config[a]!);
      }
    }
  }
}

/** `piix3-ide`: 82371SB PIIX3 IDE, legacy ATA mode; the IDE ports and IRQs 14/15 are hardwired */
export class Piix3Ide extends PciDevice {
  constructor() {
    // piix3_ide_class_init(): PCI_DEVICE_ID_INTEL_82371SB_1, PCI_CLASS_STORAGE_IDE
    super({ typeName: 'piix3-ide', vendorId: 0x8086, deviceId: 0x7010, revision: 0, classId: 0x0101 });
  }

  override realize(): void {
    // pci_piix_ide_realize()
    this.config[R.PCI_CLASS_PROG] = 0x80; // legacy ATA mode
    // bmdma_setup_bar(): two 8-byte BMDMA blocks in one 16-byte I/O BAR
    this.registerBar(4, R.PCI_BASE_ADDRESS_SPACE_IO, 16);
  }

  /** piix_ide_reset() */
  override deviceReset(): void {
    this.setWord(R.PCI_COMMAND, 0x0000); // PCI command register default value (0000h)
    this.setWord(R.PCI_STATUS, R.PCI_STATUS_DEVSEL_MEDIUM | R.PCI_STATUS_FAST_BACK);
    this.setLong(0x20, 0x1); // BMIBA: 20-23h
  }
}

export const PIIX4_PMBASE = 0x40;
export const PIIX4_PMREGMISC = 0x80;
export const PIIX4_DEVACTB = 0x58;
export const PIIX4_SMBHSTBASE = 0x90;
export const PIIX4_SMBHSTCFG = 0xd2;

/** the legacy ISA devices `piix4_pm_machine_ready()` looks for in the I/O space */
export interface Piix4IsaPresence {
  /** an LPT at 0x378 */
  parallel: boolean;
  /** COM1 at 0x3f8 */
  serial0: boolean;
  /** COM2 at 0x2f8 */
  serial1: boolean;
}

/** `PIIX4_PM`: 82371AB PIIX4 ACPI power management + SMBus, 8086:7113 */
export class Piix4Pm extends PciDevice {
  /** I/O base of the 64-byte `piix4-pm` block and whether PMREGMISC enables it (pm_io_space_update) */
  pmIoBase = 0;
  pmIoEnabled = false;
  /** SMBus host I/O base and enable (smbus_io_space_update) */
  smbIoBase: number;
  smbIoEnabled = false;

  constructor(
    private readonly opts: {
      /** pc_init1() sets the `smb_io_base` property to 0xb100 */
      smbIoBase: number;
      /** `smm-enabled` (x86_machine_is_smm_enabled(): smm=auto is on under TCG, and on KVM that has SMM) */
      smmEnabled: boolean;
    },
  ) {
    // piix4_pm_class_init(): PCI_DEVICE_ID_INTEL_82371AB_3, revision 0x03, PCI_CLASS_BRIDGE_OTHER
    super({ typeName: 'PIIX4_PM', vendorId: 0x8086, deviceId: 0x7113, revision: 0x03, classId: 0x0680 });
    this.smbIoBase = opts.smbIoBase;
  }

  override realize(): void {
    // piix4_pm_realize()
    const c = this.config;
    c[0x06] = 0x80;
    c[0x07] = 0x02;
    c[0x09] = 0x00;
    c[R.PCI_INTERRUPT_PIN] = 0x01; // interrupt pin 1
    if (!this.opts.smmEnabled) c[0x5b] = 0x02; // SMM already inited: KVM without SMM
    c[PIIX4_SMBHSTBASE] = (this.opts.smbIoBase | 1) & 0xff;
    c[PIIX4_SMBHSTBASE + 1] = (this.opts.smbIoBase >> 8) & 0xff;
    c[PIIX4_SMBHSTCFG] = 0x09;
    this.smbIoEnabled = (c[PIIX4_SMBHSTCFG]! & 1) !== 0;
  }

  /** piix4_pm_reset() */
  override deviceReset(): void {
    const c = this.config;
    c[0x58] = 0;
    c[0x59] = 0;
    c[0x5a] = 0;
    c[0x5b] = 0;
    c[PIIX4_PMBASE] = 0x01; // PM io base read only bit
    c[PIIX4_PMREGMISC] = 0;
    if (!this.opts.smmEnabled) c[0x5b] = 0x02; // Mark SMM as already inited (until KVM supports SMM)
    this.pmIoSpaceUpdate();
  }

  /** piix4_pm_machine_ready(): which legacy ISA ports are decoded, in 0x5f/0x63/0x67 */
  machineReady(isa: Piix4IsaPresence): void {
    const c = this.config;
    c[0x5f] = 0x10 | (isa.parallel ? 0x80 : 0);
    c[0x63] = 0x60;
    c[0x67] = (isa.serial0 ? 0x08 : 0) | (isa.serial1 ? 0x90 : 0);
  }

  /** pm_write_config() */
  override configWrite(addr: number, val: number, len: number): void {
    super.configWrite(addr, val, len);
    const covers = (b: number) => b >= addr && b < addr + len;
    const overlaps = (b: number, n: number) => addr < b + n && addr + len > b;
    if (covers(PIIX4_PMREGMISC) || overlaps(PIIX4_PMBASE, 4)) this.pmIoSpaceUpdate();
    if (covers(PIIX4_SMBHSTCFG) || overlaps(PIIX4_SMBHSTBASE, 4)) {
      // smbus_io_space_update()
      this.smbIoBase = this.getLong(PIIX4_SMBHSTBASE) & 0xffc0;
      this.smbIoEnabled = (this.config[PIIX4_SMBHSTCFG]! & 1) !== 0;
    }
  }

  /** pm_io_space_update() */
  private pmIoSpaceUpdate(): void {
    this.pmIoBase = this.getLong(PIIX4_PMBASE) & 0xffc0;
    this.pmIoEnabled = (this.config[PIIX4_PMREGMISC]! & 1) !== 0;
  }
}
