/**
 * @module
 * SeaBIOS 1.16.2's option ROM handling (src/optionroms.c): `vgarom_setup()` finds the primary VGA, maps its
 * ROM BAR (`map_pcirom`) and runs it; `optionrom_setup()` does the same for every other device no driver
 * claimed. The VGA ROM is SeaVGABIOS (Debian's vgabios-*.bin, built from the same tree, vgasrc/), whose
 * `vga_post()` reads the card's config space through conf1 (16-bit code); {@link runVgaBios} issues those
 * reads. iPXE's NIC ROMs make no config accesses when initialised.
 *
 * The ROM image itself is not read through the vCPU: the VMM backs a ROM BAR with RAM (a memslot, so no exits
 * on KVM), and which image sits there is QEMU's `romfile` default for the device, whose PCI data structure
 * carries the device's own vendor:device. {@link qemuDefaultRom} says which; `SeabiosPlatform.romImage`
 * overrides it (e.g. `romfile=` given on the command line).
 */
import {
  type PciConfig,
  type SbPciDevice,
  PCI_BASE_ADDRESS_1,
  PCI_BASE_ADDRESS_2,
  PCI_CLASS_DISPLAY_OTHER,
  PCI_CLASS_DISPLAY_VGA,
} from './pci.js';
import {
  PCI_BASE_ADDRESS_0,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE_NORMAL,
  PCI_ROM_ADDRESS,
  PCI_ROM_ADDRESS_ENABLE,
  PCI_VENDOR_ID,
} from '../hw/pci/regs.js';
import { isPciVga } from './pciinit.js';

/** Which SeaVGABIOS build a VGA ROM is (debian/rules: vgabios-*-config), or another kind of ROM. */
export type OptionRomKind =
  /** VGA_BOCHS: vgabios-stdvga (1234:1111), -virtio (1af4:1050), -qxl (1b36:0100), -vmware (15ad:0405) */
  | 'seavgabios-bochs'
  /** VGA_CIRRUS: vgabios-cirrus (1013:00b8) */
  | 'seavgabios-cirrus'
  /** DISPLAY_BOCHS: vgabios-bochs-display (1234:1111, class 0380) */
  | 'seavgabios-bochs-display'
  /** VGA_ATI: vgabios-ati */
  | 'seavgabios-ati'
  /** any ROM whose initialisation makes no config access (iPXE's efi-*.rom, sgabios, ...) */
  | 'other';

/** What an option ROM BAR holds, as far as SeaBIOS's config accesses depend on it. */
export interface OptionRomImage {
  kind: OptionRomKind;
  /** the x86 image's PCI data structure vendor and device (map_pcirom() wants them to match the function) */
  vendor: number;
  device: number;
}

/** The ROM QEMU 7.2 loads into a device's ROM BAR by default (the `romfile` property of its class). */
export function qemuDefaultRom(dev: { vendor: number; device: number; classId: number }): OptionRomImage | null {
  const { vendor, device, classId } = dev;
  const same = (kind: OptionRomKind): OptionRomImage => ({ kind, vendor, device });
  if (vendor === 0x1234 && device === 0x1111) {
    return classId === PCI_CLASS_DISPLAY_OTHER ? same('seavgabios-bochs-display') : same('seavgabios-bochs');
  }
  if (vendor === 0x1af4 && device === 0x1050 && classId === PCI_CLASS_DISPLAY_VGA) return same('seavgabios-bochs'); // virtio-vga
  if (vendor === 0x1b36 && device === 0x0100 && classId === PCI_CLASS_DISPLAY_VGA) return same('seavgabios-bochs'); // qxl-vga
  if (vendor === 0x15ad && device === 0x0405) return same('seavgabios-bochs'); // vmware-svga
  if (vendor === 0x1013 && device === 0x00b8) return same('seavgabios-cirrus');
  if (vendor === 0x1002 && (device === 0x5046 || device === 0x5159)) return same('seavgabios-ati');
  return same('other'); // a NIC's efi-*.rom: an iPXE legacy image first, PnP, BEV only
}

/** What option ROM handling needs from the rest of SeaBIOS. */
export interface OptionRomContext {
  pci: PciConfig;
  devices: SbPciDevice[];
  /** romfile "etc/pci-optionrom-exec" (RunPCIroms), QEMU never sets it: 2 */
  runPciRoms: number;
  romImage: (dev: SbPciDevice) => OptionRomImage | null;
  log: (msg: string) => void;
}

/** map_pcirom(): size the ROM BAR, enable it, look for a matching x86 image, disable it again */
function mapPcirom(ctx: OptionRomContext, dev: SbPciDevice): OptionRomImage | null {
  const pci = ctx.pci;
  if ((dev.headerType & 0x7f) !== PCI_HEADER_TYPE_NORMAL) return null; // Skipping non-normal pci device
  const bdf = dev.bdf;
  let orig = pci.readl(bdf, PCI_ROM_ADDRESS);
  pci.writel(bdf, PCI_ROM_ADDRESS, ~PCI_ROM_ADDRESS_ENABLE >>> 0);
  const sz = pci.readl(bdf, PCI_ROM_ADDRESS);
  orig = (orig & ~PCI_ROM_ADDRESS_ENABLE) >>> 0;
  let image: OptionRomImage | null = null;
  if (sz && sz !== 0xffffffff && !(orig === sz || ((orig + 4 * 1024 * 1024) >>> 0) < 20 * 1024 * 1024)) {
    // Looks like a rom - enable it.
    pci.writel(bdf, PCI_ROM_ADDRESS, (orig | PCI_ROM_ADDRESS_ENABLE) >>> 0);
    const rom = ctx.romImage(dev);
    // the image walk: 0xaa55 signature, PCIR, vendor/device/code type x86; copy_rom() when one matches
    if (rom && rom.vendor === dev.vendor && rom.device === dev.device) image = rom;
  }
  // success (after copy_rom) and failure alike put the original address back
  pci.writel(bdf, PCI_ROM_ADDRESS, orig);
  return image;
}

/** init_pcirom(): "pciVVVV,DDDD.rom" romfiles are not used by QEMU; RunPCIroms decides on the ROM BAR */
function initPcirom(ctx: OptionRomContext, dev: SbPciDevice, isvga: boolean): void {
  if (!(ctx.runPciRoms > 1 || (ctx.runPciRoms === 1 && isvga))) return;
  const rom = mapPcirom(ctx, dev);
  if (!rom) return;
  // init_optionrom(): only VGA and PnP ROMs are called here; callrom(rom, bdf)
  if (isvga) runVgaBios(ctx.pci.segment(), rom, dev.bdf, dev.parent === null);
}

/** vgarom_setup(): the primary VGA's ROM, or another display's (try_setup_display_other) */
export function vgaromSetup(ctx: OptionRomContext): void {
  let haveVga = false;
  for (const d of ctx.devices) {
    if (!isPciVga(ctx.pci, d)) continue;
    // vgahook_setup(): only records coreboot/Intel/VIA board hooks, no config access for QEMU devices
    initPcirom(ctx, d, true);
    haveVga = true;
    break;
  }
  if (!haveVga) trysetupDisplayOther(ctx);
  // run_file_roms("vgaroms/"): sgabios-style fw_cfg ROMs make no config access
}

/** try_setup_display_other() */
function trysetupDisplayOther(ctx: OptionRomContext): void {
  ctx.log('No VGA found, scan for other display');
  for (const d of ctx.devices) {
    if (d.classId !== PCI_CLASS_DISPLAY_OTHER) continue;
    const rom = mapPcirom(ctx, d);
    if (!rom) continue;
    ctx.pci.maskw(d.bdf, PCI_COMMAND, 0, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    runVgaBios(ctx.pci.segment(), rom, d.bdf, d.parent === null); // init_optionrom(rom, bdf, 1)
    return;
  }
}

/** optionrom_setup(): every non-display device no driver claimed; then fw_cfg "genroms/" (linuxboot) */
export function optionromSetup(ctx: OptionRomContext): void {
  for (const d of ctx.devices) {
    if (d.classId === PCI_CLASS_DISPLAY_VGA || d.classId === PCI_CLASS_DISPLAY_OTHER || d.haveDriver) continue;
    initPcirom(ctx, d, false);
  }
}

/**
 * SeaVGABIOS `vga_post()` (vgasrc/vgainit.c) with `regs->ax` = bdf, in 16-bit mode (conf1): claim the
 * function if its IDs match the ROM's, then `vgahw_setup()`. The VGA register and Bochs DISPI port
 * accesses in between are not config accesses; QEMU's VGA models answer the DISPI ID check when the ports
 * 0x1ce/0x1cf reach them: on a root bus. Behind a bridge they do not (QEMU's bridges forward only the VGA
 * ranges 0x3b0-0x3bb and 0x3c0-0x3df, and SeaBIOS never opens an I/O window below 0x1000), so the check
 * reads all ones and bochsvga_setup() falls back to plain VGA without reading a BAR
 * (reference/q35-display-rootports: virtio-vga behind a pcie-root-port).
 */
export function runVgaBios(seg: PciConfig, rom: OptionRomImage, bdf: number, onRootBus = true): void {
  if (rom.kind === 'other') return; // not SeaVGABIOS: nothing known to read config space
  let vgaBdf = -1;
  // CONFIG_VGA_PCI && !HaveRunInit
  if (seg.readw(bdf, PCI_VENDOR_ID) === rom.vendor && seg.readw(bdf, PCI_DEVICE_ID) === rom.device) vgaBdf = bdf;
  switch (rom.kind) {
    case 'seavgabios-bochs': {
      // bochsvga_setup() (vgasrc/bochsvga.c): stdvga_setup(), VBE_DISPI_ID0 check, then the BARs
      if (!onRootBus) return; // "No VBE DISPI interface detected, falling back to stdvga"
      if (vgaBdf < 0) return;
      const vendor = seg.readw(vgaBdf, PCI_VENDOR_ID);
      let barid = 0;
      if (vendor === 0x15ad) barid = 1; // qemu vmware vga
      else if (vendor === 0x1234) seg.readl(vgaBdf, PCI_BASE_ADDRESS_2); // stdvga: the MMIO BAR holds DISPI
      seg.readl(vgaBdf, PCI_BASE_ADDRESS_0 + barid * 4); // the linear framebuffer
      return;
    }
    case 'seavgabios-cirrus':
      // clext_setup() (vgasrc/clext.c): cirrus_check() over ports, then the framebuffer BAR
      if (vgaBdf >= 0) seg.readl(vgaBdf, PCI_BASE_ADDRESS_0);
      return;
    case 'seavgabios-bochs-display':
      // bochs_display_setup() (vgasrc/bochsdisplay.c): `if (bdf == 0) return` lets VgaBDF -1 through
      if (vgaBdf === 0) return;
      seg.readl(vgaBdf & 0xffff, PCI_BASE_ADDRESS_0); // (u16) bdf
      seg.readl(vgaBdf & 0xffff, PCI_BASE_ADDRESS_2);
      return;
    case 'seavgabios-ati': {
      // ati_setup() (vgasrc/atiext.c): size the framebuffer BAR, read the I/O and MMIO BARs, then the device
      // ID picks the EDID reader (i2c over the MMIO BAR)
      if (vgaBdf === 0) return;
      const b = vgaBdf & 0xffff; // (u16) bdf
      const bar = seg.readl(b, PCI_BASE_ADDRESS_0);
      seg.writel(b, PCI_BASE_ADDRESS_0, 0xffffffff);
      seg.readl(b, PCI_BASE_ADDRESS_0);
      seg.writel(b, PCI_BASE_ADDRESS_0, bar);
      seg.readl(b, PCI_BASE_ADDRESS_1);
      seg.readl(b, PCI_BASE_ADDRESS_2);
      seg.readw(b, PCI_DEVICE_ID);
      return;
    }
  }
}
