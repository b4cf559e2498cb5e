/**
 * @module
 * The config-space side of the SeaBIOS 1.16.2 drivers `device_hardware_setup()` starts (src/post.c):
 * `usb_setup()` (src/hw/usb-{xhci,ehci,uhci,ohci}.c) and `block_setup()` (src/block.c: ata, ahci, sdcard,
 * virtio-blk, virtio-scsi, lsi-scsi, esp-scsi, megasas, pvscsi, mpt-scsi, nvme). Each driver finds its
 * controllers in the `PCIDevices` cache, checks and enables their BARs (`pci_enable_iobar/membar`), reads the
 * interrupt line and turns on bus mastering; the rest of its work (MMIO/port I/O to the controller, disk
 * probing) does not touch config space and is not issued here.
 *
 * Order: with Debian's CONFIG_THREADS and QEMU's default "etc/threads" = 1, `run_thread()` starts each
 * driver thread at once and it runs until its first `yield()`; every driver does all of its config accesses
 * before it first waits on its hardware, so the config sequence is the straight-line order below.
 */
import {
  type PciConfig,
  type SbPciDevice,
  pciClassprog,
  pciEnableBusmaster,
  pciEnableIobar,
  pciEnableMembar,
  PCI_BASE_ADDRESS_1,
  PCI_BASE_ADDRESS_2,
  PCI_BASE_ADDRESS_3,
  PCI_BASE_ADDRESS_4,
  PCI_BASE_ADDRESS_5,
  PCI_BASE_ADDRESS_IO_MASK,
  PCI_BASE_ADDRESS_MEM_TYPE_MASK,
  PCI_CLASS_STORAGE_IDE,
  PCI_CLASS_STORAGE_NVME,
  PCI_CLASS_STORAGE_SATA,
  PCI_CLASS_SYSTEM_SDHCI,
} from './pci.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_BASE_ADDRESS_MEM_TYPE_64,
  PCI_BASE_ADDRESS_SPACE_IO,
  PCI_CAP_ID_VNDR,
  PCI_INTERRUPT_LINE,
} from '../hw/pci/regs.js';
import { fmtBdf } from './pciinit.js';
import { SeabiosBootOrder } from './boot.js';

const PCI_CLASS_SERIAL_USB_UHCI = 0x0c0300;
const PCI_CLASS_SERIAL_USB_OHCI = 0x0c0310;
const PCI_CLASS_SERIAL_USB_EHCI = 0x0c0320;
const PCI_CLASS_SERIAL_USB_XHCI = 0x0c0330;
const USBLEGSUP = 0xc0;
const USBLEGSUP_RWC = 0x8f00;

const PCI_VENDOR_ID_REDHAT_QUMRANET = 0x1af4;
const PCI_DEVICE_ID_VIRTIO_BLK_09 = 0x1001;
const PCI_DEVICE_ID_VIRTIO_SCSI_09 = 0x1004;
const PCI_DEVICE_ID_VIRTIO_BLK_10 = 0x1042;
const PCI_DEVICE_ID_VIRTIO_SCSI_10 = 0x1048;
const PCI_VENDOR_ID_ATI = 0x1002;
const PCI_VENDOR_ID_LSI_LOGIC = 0x1000;
const PCI_VENDOR_ID_DELL = 0x1028;
const PCI_VENDOR_ID_AMD = 0x1022;
const PCI_VENDOR_ID_VMWARE = 0x15ad;
const PCI_DEVICE_ID_LSI_53C895A = 0x0012;
const PCI_DEVICE_ID_LSI_53C1030 = 0x0030;
const PCI_DEVICE_ID_LSI_SAS1068 = 0x0054;
const PCI_DEVICE_ID_LSI_SAS1068E = 0x0058;
const PCI_DEVICE_ID_AMD_SCSI = 0x2020;
const PCI_DEVICE_ID_VMWARE_PVSCSI = 0x07c0;
/**
 * megasas_setup()'s list: SAS1064R, SAS1078, SAS1078DE, SAS2108, SAS2108E, SAS2004, SAS2008, VERDE_ZCR,
 * PERC5 (Dell), SAS2208, SAS3108
 */
const MEGASAS_IDS = [0x0411, 0x0060, 0x007c, 0x0079, 0x0078, 0x0071, 0x0073, 0x0413, 0x0015, 0x005b, 0x005d];

// struct virtio_pci_cap (src/hw/virtio-pci.h)
const VIRTIO_PCI_CAP_CFG_TYPE = 3;
const VIRTIO_PCI_CAP_BAR = 4;
const VIRTIO_PCI_CAP_OFFSET = 8;
const VIRTIO_PCI_NOTIFY_CAP_MULT = 16;
const VIRTIO_PCI_CAP_COMMON_CFG = 1;
const VIRTIO_PCI_CAP_NOTIFY_CFG = 2;
const VIRTIO_PCI_CAP_ISR_CFG = 3;
const VIRTIO_PCI_CAP_DEVICE_CFG = 4;
const VIRTIO_PCI_CAP_PCI_CFG = 5;

/** The driver half of POST, over the `PCIDevices` cache. */
export class SeabiosDrivers {
  constructor(
    private readonly pci: PciConfig,
    private readonly devices: SbPciDevice[],
    private readonly log: (msg: string) => void = () => {},
    private readonly boot: SeabiosBootOrder = new SeabiosBootOrder(),
  ) {}

  /** the drivers' `skip_nonbootable && bootprio_find_pci_device(pci) < 0` */
  private skipNonbootable(d: SbPciDevice, what: string): boolean {
    if (!this.boot.isBootprioStrict() || this.boot.bootprioFindPciDevice(d) >= 0) return false;
    this.log(`skipping init of a non-bootable ${what} at ${fmtBdf(d.bdf)}`);
    return true;
  }

  /** device_hardware_setup(): usb, ps2port, block, lpt, serial, cbfs payload; the others are not PCI */
  deviceHardwareSetup(): void {
    this.usbSetup();
    this.blockSetup();
  }

  // --- src/hw/usb.c ---

  /** usb_setup() */
  private usbSetup(): void {
    // xhci_setup(): PCI controllers, then ACPI ones ("PNP0D10" in the DSDT; QEMU declares none)
    for (const d of this.devices) if (pciClassprog(d) === PCI_CLASS_SERIAL_USB_XHCI) this.xhciControllerSetupPci(d);
    for (const d of this.devices) if (pciClassprog(d) === PCI_CLASS_SERIAL_USB_EHCI) this.ehciControllerSetup(d);
    for (const d of this.devices) if (pciClassprog(d) === PCI_CLASS_SERIAL_USB_UHCI) this.uhciControllerSetup(d);
    for (const d of this.devices) if (pciClassprog(d) === PCI_CLASS_SERIAL_USB_OHCI) this.ohciControllerSetup(d);
  }

  /** xhci_controller_setup_pci(): then MMIO (xhci_controller_setup) and the configure_xhci thread */
  private xhciControllerSetupPci(d: SbPciDevice): void {
    if (!pciEnableMembar(this.pci, d, PCI_BASE_ADDRESS_0)) return;
    this.log(`PCI: XHCI at ${fmtBdf(d.bdf)}`);
    pciEnableBusmaster(this.pci, d);
  }

  /** ehci_controller_setup() */
  private ehciControllerSetup(d: SbPciDevice): void {
    if (!pciEnableMembar(this.pci, d, PCI_BASE_ADDRESS_0)) return;
    pciEnableBusmaster(this.pci, d);
  }

  /** uhci_controller_setup() + reset_uhci()'s "Reset PIRQ and SMI" */
  private uhciControllerSetup(d: SbPciDevice): void {
    if (!pciEnableIobar(this.pci, d, PCI_BASE_ADDRESS_4)) return;
    pciEnableBusmaster(this.pci, d);
    this.pci.writew(d.bdf, USBLEGSUP, USBLEGSUP_RWC);
  }

  /** ohci_controller_setup() */
  private ohciControllerSetup(d: SbPciDevice): void {
    if (!pciEnableMembar(this.pci, d, PCI_BASE_ADDRESS_0)) return;
    pciEnableBusmaster(this.pci, d);
  }

  // --- src/block.c ---

  /** block_setup(): floppy and ramdisk are not PCI */
  private blockSetup(): void {
    this.ataSetup();
    this.ahciSetup();
    this.sdcardSetup();
    this.virtioBlkSetup();
    this.virtioScsiSetup();
    this.simpleScsiSetup(
      (d) => d.vendor === PCI_VENDOR_ID_LSI_LOGIC && d.device === PCI_DEVICE_ID_LSI_53C895A,
      PCI_BASE_ADDRESS_0,
    ); // lsi_scsi_setup() / init_lsi_scsi()
    this.simpleScsiSetup(
      (d) => d.vendor === PCI_VENDOR_ID_AMD && d.device === PCI_DEVICE_ID_AMD_SCSI,
      PCI_BASE_ADDRESS_0,
    ); // esp_scsi_setup() / init_esp_scsi()
    this.megasasSetup();
    this.pvscsiSetup();
    this.simpleScsiSetup(
      (d) =>
        d.vendor === PCI_VENDOR_ID_LSI_LOGIC &&
        (d.device === PCI_DEVICE_ID_LSI_53C1030 ||
          d.device === PCI_DEVICE_ID_LSI_SAS1068 ||
          d.device === PCI_DEVICE_ID_LSI_SAS1068E),
      PCI_BASE_ADDRESS_0,
    ); // mpt_scsi_setup() / init_mpt_scsi()
    this.nvmeSetup();
  }

  /** ata_setup() / ata_scan(): pci_ata_tbl */
  private ataSetup(): void {
    for (const d of this.devices) {
      if (d.classId === PCI_CLASS_STORAGE_IDE) this.initPciata(d, d.progIf); // found_genericata()
      // found_compatibleahci() (ATI 0x4391): CONFIG_AHCI handles it through the native AHCI driver
      else if (d.vendor === PCI_VENDOR_ID_ATI && d.device === 0x4391) continue;
    }
  }

  /** init_pciata(): Debian builds without CONFIG_ATA_DMA, so BAR 4 is not looked at */
  private initPciata(d: SbPciDevice, progIf: number): void {
    this.pci.readb(d.bdf, PCI_INTERRUPT_LINE);
    if (progIf & 1) {
      const port1 = pciEnableIobar(this.pci, d, PCI_BASE_ADDRESS_0);
      const port2 = pciEnableIobar(this.pci, d, PCI_BASE_ADDRESS_1);
      if (!port1 || !port2) return;
    }
    if (progIf & 4) {
      const port1 = pciEnableIobar(this.pci, d, PCI_BASE_ADDRESS_2);
      const port2 = pciEnableIobar(this.pci, d, PCI_BASE_ADDRESS_3);
      if (!port1 || !port2) return;
    }
    // init_controller() x2: ata_detect threads, port I/O only
  }

  /** ahci_setup() / ahci_scan() / ahci_controller_setup() */
  private ahciSetup(): void {
    for (const d of this.devices) {
      if (d.classId !== PCI_CLASS_STORAGE_SATA) continue;
      if (d.progIf !== 1) continue; // AHCI rev 1
      const iobase = pciEnableMembar(this.pci, d, PCI_BASE_ADDRESS_5);
      if (!iobase) continue;
      const irq = this.pci.readb(d.bdf, PCI_INTERRUPT_LINE);
      this.log(`AHCI controller at ${fmtBdf(d.bdf)}, iobase 0x${iobase.toString(16)}, irq ${irq}`);
      pciEnableBusmaster(this.pci, d);
      // HOST_CTL/HOST_CAP/PORTS_IMPL over MMIO, ahci_port_detect threads
    }
  }

  /** sdcard_setup(): PCI SDHCI controllers ("etc/sdcard*" romfiles are not PCI) */
  private sdcardSetup(): void {
    for (const d of this.devices) {
      if (d.classId !== PCI_CLASS_SYSTEM_SDHCI || d.progIf >= 2) continue;
      pciEnableMembar(this.pci, d, PCI_BASE_ADDRESS_0); // sdcard_pci_setup()
    }
  }

  /** virtio_blk_setup() / init_virtio_blk(): with a strict boot order ("HALT"), only the devices it names */
  private virtioBlkSetup(): void {
    for (const d of this.devices) {
      if (d.vendor !== PCI_VENDOR_ID_REDHAT_QUMRANET) continue;
      if (d.device !== PCI_DEVICE_ID_VIRTIO_BLK_09 && d.device !== PCI_DEVICE_ID_VIRTIO_BLK_10) continue;
      if (this.skipNonbootable(d, 'virtio-blk')) continue;
      this.log(`found virtio-blk at ${fmtBdf(d.bdf)}`);
      this.vpInitSimple(d);
    }
  }

  /** virtio_scsi_setup() / init_virtio_scsi() */
  private virtioScsiSetup(): void {
    for (const d of this.devices) {
      if (d.vendor !== PCI_VENDOR_ID_REDHAT_QUMRANET) continue;
      if (d.device !== PCI_DEVICE_ID_VIRTIO_SCSI_09 && d.device !== PCI_DEVICE_ID_VIRTIO_SCSI_10) continue;
      if (this.skipNonbootable(d, 'virtio-scsi')) continue;
      this.log(`found virtio-scsi at ${fmtBdf(d.bdf)}`);
      this.vpInitSimple(d);
    }
  }

  /**
   * vp_init_simple() (src/hw/virtio-pci.c): walk the vendor capabilities, check each region's BAR, then
   * reset the device and enable bus mastering. Regions in BARs above 4 GiB would be reached through the
   * VIRTIO_PCI_CAP_PCI_CFG window, i.e. by config accesses whose values depend on the virtio device model;
   * that mode is not issued here.
   */
  private vpInitSimple(d: SbPciDevice): void {
    const pci = this.pci;
    const bdf = d.bdf;
    const have = { common: false, notify: false, isr: false, device: false };
    let cap = pci.findCapability(bdf, PCI_CAP_ID_VNDR, 0);
    while (cap !== 0) {
      const type = pci.readb(bdf, cap + VIRTIO_PCI_CAP_CFG_TYPE);
      let slot: keyof typeof have | null = null;
      switch (type) {
        case VIRTIO_PCI_CAP_COMMON_CFG:
          slot = 'common';
          break;
        case VIRTIO_PCI_CAP_NOTIFY_CFG:
          slot = 'notify';
          pci.readl(bdf, cap + VIRTIO_PCI_NOTIFY_CAP_MULT); // notify_off_multiplier
          break;
        case VIRTIO_PCI_CAP_ISR_CFG:
          slot = 'isr';
          break;
        case VIRTIO_PCI_CAP_DEVICE_CFG:
          slot = 'device';
          break;
        case VIRTIO_PCI_CAP_PCI_CFG:
          slot = null;
          break;
        default:
          slot = null;
      }
      if (slot && !have[slot]) {
        have[slot] = true;
        const barIdx = pci.readb(bdf, cap + VIRTIO_PCI_CAP_BAR);
        pci.readl(bdf, cap + VIRTIO_PCI_CAP_OFFSET);
        const base = PCI_BASE_ADDRESS_0 + 4 * barIdx;
        const addr = pci.readl(bdf, base);
        if (addr & PCI_BASE_ADDRESS_SPACE_IO) {
          if (!pciEnableIobar(pci, d, base)) return;
        } else if ((addr & PCI_BASE_ADDRESS_MEM_TYPE_MASK) === PCI_BASE_ADDRESS_MEM_TYPE_64) {
          const high = pci.readl(bdf, base + 4);
          if (high === 0) {
            if (!pciEnableMembar(pci, d, base)) return;
          } // else VP_ACCESS_PCICFG: nothing more here
        } else {
          if (!pciEnableMembar(pci, d, base)) return;
        }
      }
      cap = pci.findCapability(bdf, PCI_CAP_ID_VNDR, cap);
    }
    if (!(have.common && have.notify && have.isr && have.device)) {
      // legacy (0.9.5) virtio mode
      if (!pciEnableIobar(pci, d, PCI_BASE_ADDRESS_0)) return;
    }
    // vp_reset(): a write and a read of the device, not config space
    pciEnableBusmaster(pci, d);
    // vp_set_status(ACKNOWLEDGE | DRIVER), feature negotiation, vp_find_vq, disk/LUN scan: device registers
  }

  /** lsi_scsi_setup(), esp_scsi_setup(), mpt_scsi_setup(): an I/O BAR, then bus mastering */
  private simpleScsiSetup(match: (d: SbPciDevice) => boolean, bar: number): void {
    for (const d of this.devices) {
      if (!match(d)) continue;
      if (!pciEnableIobar(this.pci, d, bar)) continue;
      pciEnableBusmaster(this.pci, d);
    }
  }

  /** megasas_setup() / init_megasas(): BAR 2 if it is an I/O BAR with an address, else BAR 0 */
  private megasasSetup(): void {
    for (const d of this.devices) {
      if (d.vendor !== PCI_VENDOR_ID_LSI_LOGIC && d.vendor !== PCI_VENDOR_ID_DELL) continue;
      if (!MEGASAS_IDS.includes(d.device)) continue;
      let bar = PCI_BASE_ADDRESS_2;
      if (!(this.pci.readl(d.bdf, bar) & PCI_BASE_ADDRESS_IO_MASK)) bar = PCI_BASE_ADDRESS_0;
      if (!pciEnableIobar(this.pci, d, bar)) continue;
      pciEnableBusmaster(this.pci, d);
    }
  }

  /** pvscsi_setup() / init_pvscsi() */
  private pvscsiSetup(): void {
    for (const d of this.devices) {
      if (d.vendor !== PCI_VENDOR_ID_VMWARE || d.device !== PCI_DEVICE_ID_VMWARE_PVSCSI) continue;
      if (!pciEnableMembar(this.pci, d, PCI_BASE_ADDRESS_0)) continue;
      pciEnableBusmaster(this.pci, d);
    }
  }

  /**
   * nvme_setup() / nvme_controller_setup(): the BAR, then (QEMU's controller speaks the NVMe command set)
   * nvme_controller_enable() turns on bus mastering before it first waits on the controller
   */
  private nvmeSetup(): void {
    for (const d of this.devices) {
      if (d.classId !== PCI_CLASS_STORAGE_NVME) continue;
      // nvme_controller_setup() runs in a thread per controller and checks first thing
      if (this.skipNonbootable(d, 'NVMe')) continue;
      if (!pciEnableMembar(this.pci, d, PCI_BASE_ADDRESS_0)) continue;
      pciEnableBusmaster(this.pci, d);
    }
  }
}
