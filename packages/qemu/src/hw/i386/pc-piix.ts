/**
 * @module
 * QEMU's `pc` machine (`pc-i440fx-7.2`: hw/i386/pc_piix.c `pc_init1()`, hw/pci-host/i440fx.c) as version 7.2
 * builds it: the i440FX host bridge at 00:00.0 on the conventional root bus `pci.0`, PIIX3 ISA/IDE at
 * 01.0/01.1 (01.2 UHCI with `-usb`), PIIX4 PM at 01.3 (unless `acpi=off`), and unless `-nodefaults` the
 * std VGA at 02.0 and the default NIC (e1000) at the next free slot. Config access is type 1 only (0xcf8 /
 * 0xcfc): no MMCONFIG, so no MCFG, and the guest has no extended config space.
 *
 * The ACPI view is `build_dsdt()`'s i440fx branch (hw/i386/acpi-build.c): `PCI0` is PNP0A03 with no `_OSC`;
 * with ACPI PCI hotplug on the root bus (PIIX4_PM `acpi-root-pci-hotplug`, on by default) the root bus has a
 * BSEL, so every empty slot is described with `_SUN`/`_EJ0`; interrupt links LNKA-LNKD read and write the
 * PIIX3 PIRQ route bytes 0x60-0x63 through the `P40C` PCI_Config region declared in `PCI0.S08`, and LNKS
 * (the SCI, GSI 9) reads nothing.
 */
import { PciBus, busFunctions, pciBusGetW64Range } from '../pci/bus.js';
import { PciHost, PciHostConfAddressRegion, PciHostConfDataRegion } from '../pci/host.js';
import { AddressSpace } from '../../system/memory.js';
import type { PciDevice } from '../pci/device.js';
import * as R from '../pci/regs.js';
import { acpiBusDevices, acpiExpanderHostBridges, crsFreeRanges } from './acpi-pci.js';
import { I440fx } from '../pci-host/i440fx.js';
import { Piix3, Piix3Ide, Piix4Pm, PIIX_PIRQCA, PIIX_NUM_PIRQS } from '../isa/piix.js';
import { Piix3UsbUhci } from '../usb/hcd-uhci.js';
import { StdVga } from '../display/vga.js';
import { E1000 } from '../net/e1000.js';
import type { CrsWindow } from './bootinfo.js';
import { PCI_CONFIG_ADDR_PORT, PCI_CONFIG_DATA_PORT, type CoalescedPioZone, type FirmwareKind, type Machine } from '../core/machine.js';
import type { AcpiHostBridge, AcpiInterruptLink, AcpiPciDevice, AcpiTables, BootInfo, E820Entry, PciConfigRegion } from './bootinfo.js';
import { pcMemoryLayout, type PcMemoryLayout } from './pc.js';

/** IO_APIC_DEFAULT_ADDRESS: the top of the 32-bit PCI hole */
export const IO_APIC_DEFAULT_ADDRESS = 0xfec00000;
/** I440FX_PCI_HOST_HOLE64_SIZE_DEFAULT */
export const I440FX_PCI_HOST_HOLE64_SIZE_DEFAULT = 2 ** 31;
/** the 64 KiB-aligned hole AMD reserves for HyperTransport below 1 TiB (pc_memory_init) */
export const AMD_HT_START = 0xfd00000000;
export const AMD_HT_SIZE = 0x10000000000 - AMD_HT_START;
/** PIIX4_PM `smb_io_base` as pc_init1() sets it */
export const PC_SMB_IO_BASE = 0xb100;

const GiB = 2 ** 30;
const MiB = 2 ** 20;

export interface PcOptions {
  /** -nodefaults: no VGA, no default NIC, no default serial/parallel ports */
  nodefaults: boolean;
  /** -m, in bytes */
  ramBytes: number;
  /** -m maxmem= (default ramBytes): above ramBytes, device memory sits between RAM and the 64-bit hole */
  maxramBytes?: number;
  /** -m slots= (default 0): each adds 1 GiB of alignment room to the device memory */
  ramSlots?: number;
  /** -machine nvdimm=on: `-device nvdimm` allowed (NFIT and the DSDT's NVDR device; nothing PCI) */
  nvdimm?: boolean;
  /** -machine acpi=on|off (x86_machine_is_acpi_enabled(): only `off` disables). Off: no PIIX4_PM, no ACPI tables */
  acpi?: boolean;
  /** PIIX4_PM.acpi-pci-hotplug-with-bridge-support (default on) */
  acpiPciHotplugWithBridgeSupport?: boolean;
  /** PIIX4_PM.acpi-root-pci-hotplug (default on) */
  acpiRootPciHotplug?: boolean;
  /** -usb: piix3-usb-uhci at 01.2 */
  usb?: boolean;
  /** SMM enabled (smm=auto: on under TCG, and under KVM when it supports SMM). Off: PIIX4 0x5b reads 0x02 */
  smm?: boolean;
  /**
   * pc_vga_init(): `std` (the default; none with -nodefaults or a display -device), `none`, or what
   * pci_vga_init() creates for another -vga (virtio-vga, qxl-vga, cirrus-vga)
   */
  vga?: 'std' | 'none' | ((bus: PciBus) => PciDevice);
  /** ISA serial ports (-serial), for PIIX4's machine_ready bytes; default 1, 0 with -nodefaults */
  serialPorts?: number;
  /** ISA parallel ports (-parallel); default 1 (-nographic makes it a `null` chardev, still a device), 0 with -nodefaults */
  parallelPorts?: number;
  /** firmware (-bios): decides the E820 map and the DMI BIOS date the guest reads */
  firmware?: FirmwareKind;
  /** CPU vendor: pc_memory_init() reserves the AMD HyperTransport hole in E820 for AMD vCPUs (TCG qemu64 is AMD) */
  cpuVendor?: 'AuthenticAMD' | 'GenuineIntel' | 'HygonGenuine';
  /** guest physical address bits (TCG qemu64: 40) */
  physBits?: number;
  /** -machine max-ram-below-4g (default 3.5 GiB) */
  maxRamBelow4g?: number;
}


/** `PCI0` as the i440fx branch of build_dsdt() describes it, with the `_CRS` windows. */
export interface PcAcpiHostBridge extends AcpiHostBridge {
  windows: CrsWindow[];
}

/** How a PIIX link's methods read the route byte (build_link_dev / build_iqcr_method(true) / build_irq_status_method). */
export interface PiixLinkSemantics {
  /** `_PRS`: the IRQs a link may take */
  possibleIrqs: number[];
  /** `_STA` = IQST(reg): bit 7 set → 0x09 (present, disabled), else 0x0B */
  sta(reg: number): number;
  /** `_CRS` = IQCR(reg): PIIX4 form, `If (Arg0 < 0x80) PRRI = Arg0`: the IRQ, or 0 when disabled */
  crs(reg: number): number;
  /** `_DIS`: `Or(reg, 0x80, reg)`: one read, one write of the byte */
  dis(reg: number): number;
}

/** The AML semantics of LNKA-LNKD on pc (they differ from q35's IQCR, which masks `Arg0 & 0x0F`). */
export const PIIX_LINK_SEMANTICS: PiixLinkSemantics = {
  possibleIrqs: [5, 10, 11],
  sta: (reg) => ((reg & 0x80) !== 0 ? 0x09 : 0x0b),
  crs: (reg) => (reg < 0x80 ? reg : 0),
  dis: (reg) => (reg | 0x80) & 0xff,
};

/** LNKS: `_STA` returns 0x0B, `_CRS` returns `_PRS` = IRQ 9 (the SCI), `_DIS`/`_SRS` are no-ops; no config access. */
export const PIIX_LNKS_IRQ = 9;


export class PcMachine implements Machine {
  readonly name = 'pc';
  readonly defaultFirmware = 'seabios' as const;
  readonly conf1Ports = true;
  /** pc-i440fx-7.2: no compat properties (the newest machine type) */
  readonly compatProps = [] as const;
  readonly rootBus: PciBus;
  readonly host: PciHost;
  readonly io = new AddressSpace('io');
  /** no MMCONFIG on i440fx: nothing PCI answers in memory space */
  readonly memory = new AddressSpace('memory');
  readonly i440fx: I440fx;
  readonly piix3: Piix3;
  readonly ide: Piix3Ide;
  readonly pm: Piix4Pm | null;
  readonly usb: Piix3UsbUhci | null;
  readonly vga: PciDevice | null;
  /** the default NIC, once {@link addDefaultNic} placed it */
  nic: E1000 | null = null;
  /** i440fx_pcihost_realize(): "register i440fx 0xcf8 port as coalesced pio"; 0xcfc flushes the ring */
  readonly coalescedPio: readonly CoalescedPioZone[] = [{ port: PCI_CONFIG_ADDR_PORT, size: 4 }];
  /** RAM below 4 GiB and above it (pc_init1's split) */
  readonly below4gMemSize: number;
  readonly above4gMemSize: number;
  readonly memoryLayout: PcMemoryLayout;

  /** x86_machine_is_acpi_enabled(): false with -machine acpi=off */
  readonly acpiEnabled: boolean;
  private readonly firmware: FirmwareKind;

  get ramBytes(): number {
    return this.opts.ramBytes;
  }

  constructor(readonly opts: PcOptions) {
    this.acpiEnabled = opts.acpi ?? true;
    this.firmware = opts.firmware ?? 'seabios';
    // pc_init1(): max_ram_below_4g defaults to 3.5 GiB; gigabyte_align moves the split to 3 GiB when RAM
    // would be split at all
    let lowmem = opts.maxRamBelow4g ?? 0xe0000000;
    if (opts.ramBytes >= lowmem && lowmem > 0xc0000000) lowmem = 0xc0000000;
    this.below4gMemSize = opts.ramBytes >= lowmem ? lowmem : opts.ramBytes;
    this.above4gMemSize = opts.ramBytes >= lowmem ? opts.ramBytes - lowmem : 0;
    this.memoryLayout = pcMemoryLayout(
      { ramBytes: opts.ramBytes, maxramBytes: opts.maxramBytes ?? opts.ramBytes, ramSlots: opts.ramSlots ?? 0 },
      { below4g: this.below4gMemSize, above4g: this.above4gMemSize },
      { amd: (opts.cpuVendor ?? 'AuthenticAMD') === 'AuthenticAMD', physBits: opts.physBits ?? 40, pciHole64Size: I440FX_PCI_HOST_HOLE64_SIZE_DEFAULT },
    );

    // i440fx_init(): pci_root_bus_new(..., TYPE_PCI_BUS) then pci_create_simple(b, 0, "i440FX")
    this.rootBus = new PciBus('pci.0', false, null);
    this.host = new PciHost(this.rootBus);
    // i440fx_pcihost_initfn(): the config ports
    this.io.insert('pci-conf-idx', PCI_CONFIG_ADDR_PORT, 4, new PciHostConfAddressRegion(this.host, false));
    this.io.insert('pci-conf-data', PCI_CONFIG_DATA_PORT, 4, new PciHostConfDataRegion(this.host));
    this.i440fx = new I440fx(opts.ramBytes);
    this.plug(this.i440fx, 0);
    // pci_create_simple_multifunction(pci_bus, -1, true, TYPE_PIIX3_DEVICE): the first free slot, 01.0
    this.piix3 = new Piix3();
    this.plug(this.piix3, -1);
    const piix3Devfn = this.piix3.devfn;
    // pc_vga_init(): -vga std unless -nodefaults (vgabios-stdvga.bin, 64 KiB once rounded)
    const vga = opts.vga ?? (opts.nodefaults ? 'none' : 'std');
    this.vga = vga === 'std' ? new StdVga({ vgamemMb: 16, mmio: true, romSize: 0x10000 }) : vga === 'none' ? null : vga(this.rootBus);
    if (this.vga) this.plug(this.vga, -1);
    // (pc_nic_init() comes here in pc_init1(): see addDefaultNic)
    this.ide = new Piix3Ide();
    this.plug(this.ide, piix3Devfn + 1);
    this.usb = opts.usb ? new Piix3UsbUhci() : null;
    if (this.usb) this.plug(this.usb, piix3Devfn + 2);
    this.pm = this.acpiEnabled ? new Piix4Pm({ smbIoBase: PC_SMB_IO_BASE, smmEnabled: opts.smm ?? true }) : null;
    if (this.pm) {
      this.plug(this.pm, piix3Devfn + 3);
      // piix4_pm_machine_ready(), a machine-init-done notifier: the board's ports now, -device isa-serial later
      const serials = opts.serialPorts ?? (opts.nodefaults ? 0 : 1);
      const parallels = opts.parallelPorts ?? (opts.nodefaults ? 0 : 1);
      this.isaPresence = { parallel: parallels > 0, serial0: serials > 0, serial1: serials > 1 };
      this.pm.machineReady(this.isaPresence);
    }
  }

  /** what piix4_pm_machine_ready() finds at 0x378, 0x3f8 and 0x2f8 (memory_region_present()) */
  private isaPresence: { parallel: boolean; serial0: boolean; serial1: boolean } = { parallel: false, serial0: false, serial1: false };

  /** a `-device isa-serial` took `iobase`: the notifier runs after the devices exist, so it sees the port */
  isaSerialPortAdded(iobase: number): void {
    if (iobase === 0x3f8) this.isaPresence.serial0 = true;
    if (iobase === 0x2f8) this.isaPresence.serial1 = true;
    this.pm?.machineReady(this.isaPresence);
  }

  /**
   * pc_nic_init(): the default NIC (e1000) at the first free slot. QEMU creates it inside pc_init1(), after
   * the VGA and before any `-device` function, so call this before plugging those (it lands at 03.0).
   */
  addDefaultNic(): void {
    if (this.opts.nodefaults || this.nic) return;
    // efi-e1000.rom in Debian's ipxe-qemu rounds to 256 KiB (`L conf1 r 00:03.0 0x030/4 0xfffc0000`)
    this.nic = new E1000('e1000', 0x100e);
    this.nic.romSize = 0x40000;
    this.plug(this.nic, -1);
  }

  /** Plug a cold-plugged function and give it the state a system reset leaves (realize, then reset). */
  plug(dev: PciDevice, devfn: number): void {
    this.rootBus.plug(dev, devfn);
    dev.reset();
  }

  /** qemu_system_reset(): every function's reset handler, then pci_do_device_reset() */
  reset(): void {
    for (const { dev } of this.functions()) dev.reset();
  }

  // --- VmOps: what QEMU's I/O and memory address spaces answer ---
  // The config-data window is checked first, as QEMU's dispatch tries its most recently used section first:
  // the region mapped there is the host's (nothing can overlap it), so this is the address space's answer
  // with the lookup and two calls saved on the hottest path.
  pioRead(port: number, size: number): number {
    if (port >= PCI_CONFIG_DATA_PORT && port < PCI_CONFIG_DATA_PORT + 4) return this.host.readConfigData(port - PCI_CONFIG_DATA_PORT, size);
    return this.io.read(port, size);
  }

  pioWrite(port: number, size: number, value: number): void {
    if (port >= PCI_CONFIG_DATA_PORT && port < PCI_CONFIG_DATA_PORT + 4) this.host.writeConfigData(port - PCI_CONFIG_DATA_PORT, size, value);
    else if (port === PCI_CONFIG_ADDR_PORT) this.host.writeConfigAddress(0, size, value); // the latch, likewise
    else this.io.write(port, size, value);
  }

  mmioRead(gpa: number, size: number): number {
    return this.memory.read(gpa, size);
  }

  mmioWrite(gpa: number, size: number, value: number): void {
    this.memory.write(gpa, size, value);
  }

  /** every function, in bus-walk order */
  functions(): { bus: number; dev: PciDevice }[] {
    return busFunctions(this.rootBus);
  }

  /** pc_pci_hole64_start() and i440fx_pcihost_get_pci_hole64_end() with x-pci-hole64-fix (no 64-bit BAR yet) */
  pciHole64(): { start: number; end: number } {
    // i440fx_pcihost_get_pci_hole64_start/end(): what the firmware mapped above 4 GiB, else pc_pci_hole64_start()
    const w64 = pciBusGetW64Range(this.rootBus);
    const start = w64 ? w64.lob : this.memoryLayout.pciHole64Start;
    return { start, end: Math.max(roundUp(start + I440FX_PCI_HOST_HOLE64_SIZE_DEFAULT, GiB), w64 ? w64.upb + 1 : 0) };
  }

  /** `_PRT` of build_prt(true): slot, pin (0 = INTA) → link name; 01.x INTA is the SCI's LNKS */
  prtLink(slot: number, pin: number): string {
    const idx = (slot + pin) & 3;
    if (idx === 1) return slot === 1 && pin === 0 ? 'LNKS' : 'LNKA';
    return (['LNKD', 'LNKA', 'LNKB', 'LNKC'] as const)[idx]!;
  }

  /** What firmware hands the kernel: its E820 map, the ACPI tables QEMU built, SMBIOS type 0's date. */
  bootInfo(cmdline: string): BootInfo {
    return {
      cmdline,
      e820: this.e820(),
      acpi: this.acpiEnabled ? this.acpiTables() : null,
      dmiBiosDate: this.firmware === 'seabios' ? '04/01/2014' : null,
    };
  }

  /** QEMU's own `etc/e820` (pc_memory_init) */
  private qemuE820(): E820Entry[] {
    const e: E820Entry[] = [];
    if ((this.opts.cpuVendor ?? 'AuthenticAMD') === 'AuthenticAMD' && (this.opts.physBits ?? 40) >= 40) {
      e.push({ addr: AMD_HT_START, size: AMD_HT_SIZE, type: 2 });
    }
    e.push({ addr: 0, size: this.below4gMemSize, type: 1 });
    if (this.above4gMemSize > 0) e.push({ addr: this.memoryLayout.above4gStart, size: this.above4gMemSize, type: 1 });
    return e;
  }

  /** The map Linux prints as BIOS-e820, as each firmware builds it */
  private e820(): E820Entry[] {
    const qemu = this.qemuE820();
    const high = qemu.filter((x) => x.addr !== 0);
    let e: E820Entry[];
    if (this.firmware === 'seabios') {
      // SeaBIOS: EBDA, the F-segment, 128 KiB at the top of low RAM for its tables, the 256 KiB BIOS image
      // (reference/pc-default.console.log, BIOS-e820 lines)
      e = [
        { addr: 0, size: 0x9fc00, type: 1 },
        { addr: 0x9fc00, size: 0x400, type: 2 },
        { addr: 0xf0000, size: 0x10000, type: 2 },
        { addr: 0x100000, size: this.below4gMemSize - 0x100000 - 0x20000, type: 1 },
        { addr: this.below4gMemSize - 0x20000, size: 0x20000, type: 2 },
        { addr: 0xfffc0000, size: 0x40000, type: 2 },
        ...high,
      ];
    } else if (this.firmware === 'qboot') {
      e = qbootE820(qemu);
    } else {
      e = qemu;
    }
    return e.sort((a, b) => a.addr - b.addr);
  }

  /** build_dsdt()'s i440fx branch and the MADT-less parts the guest's PCI code reads */
  private acpiTables(): AcpiTables {
    const rootBsel = this.opts.acpiRootPciHotplug ?? true;
    const hole64 = this.pciHole64();
    // the expander buses' host bridges, and crs_replace_with_free_ranges() for what PCI0 keeps
    const pxb = acpiExpanderHostBridges(this.rootBus);
    const free = (kind: CrsWindow['kind'], r: [number, number][]) => r.map(([min, max]): CrsWindow => ({ kind, min, max }));
    const windows: CrsWindow[] = [
      { kind: 'io', min: 0x0000, max: 0x0cf7 },
      ...free('io', crsFreeRanges(pxb.used.io, 0x0d00, 0xffff)),
      { kind: 'mem', min: 0x000a0000, max: 0x000bffff },
      ...free('mem', crsFreeRanges(pxb.used.mem, this.below4gMemSize, IO_APIC_DEFAULT_ADDRESS - 1)),
      ...free('mem64', crsFreeRanges(pxb.used.mem64, hole64.start, hole64.end - 1)),
    ];
    const bridge: PcAcpiHostBridge = {
      hid: 'PNP0A03',
      segment: 0,
      busStart: 0,
      busEnd: pxb.rootBusLimit, // root_bus_limit: below the first expander bus
      osc: null, // no _OSC on PNP0A03
      prt: 'pci0', // build_prt(true): LNKA-D, the PIIX3's slot on LNKS
      devices: acpiBusDevices(this.rootBus, rootBsel, this.opts.acpiPciHotplugWithBridgeSupport ?? true),
      windows,
    };
    // build_pci_isa_aml(): OperationRegion P40C, PCI_Config, 0x60, 4 in PCI0.S08 (the PIIX3)
    const region: PciConfigRegion = { bus: 0, devfn: this.piix3.devfn, path: [(R.PCI_SLOT(this.piix3.devfn) << 16) | R.PCI_FUNC(this.piix3.devfn)] };
    const links: AcpiInterruptLink[] = [];
    for (let i = 0; i < PIIX_NUM_PIRQS; i++) {
      links.push({ name: `LNK${'ABCD'[i]!}`, pirqReg: { region, offset: PIIX_PIRQCA + i } });
    }
    links.push({ name: 'LNKS', pirqReg: null });
    return { mcfg: [], hostBridges: [bridge, ...pxb.bridges], links };
  }


}

/** qboot's extract_e820(): its own low entries, then QEMU's table with the RAM entry at 0 moved to 1 MiB */
export function qbootE820(qemu: E820Entry[]): E820Entry[] {
  const e: E820Entry[] = [
    { addr: 0, size: 639 * 1024, type: 1 }, // low RAM
    { addr: 639 * 1024, size: 1024, type: 2 }, // EBDA
    { addr: 0xd0000, size: 128 * 1024, type: 4 }, // ACPI tables (E820_NVS)
    { addr: 0xf0000, size: 64 * 1024, type: 2 }, // firmware
  ];
  let moved = false;
  for (const x of qemu) {
    if (!moved && x.addr === 0) {
      e.push({ addr: MiB, size: x.size - MiB, type: x.type });
      moved = true;
    } else {
      e.push({ ...x });
    }
  }
  return e;
}

function roundUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
