/**
 * @module
 * `qxl-vga` and `qxl`: the SPICE QXL paravirtual GPU (hw/display/qxl.c), primary (VGA compatible, class
 * 0x0300, vgabios-qxl.bin) and secondary (class 0x0380, no ROM), 1b36:0100. `qxl_init_ramsize()` settles the
 * sizes of the four BARs from the properties; `qxl_realize_common()` registers them: the VGA RAM (BAR 0), the
 * 32-bit surface window (BAR 1), the QXL ROM (BAR 2), the I/O ports (BAR 3) and, when the 64-bit surface
 * area is larger than the 32-bit window, a 64-bit prefetchable BAR 4.
 */
import { QemuError } from '../../errors.js';
import { pciProps } from '../pci/device.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import * as R from '../pci/regs.js';
import { defineProp, type PropBag } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';
import { vgaCommonVramSize } from './vga.js';

const MiB = 1024 * 1024;
const REDHAT_PCI_VENDOR_ID = 0x1b36;
const QXL_DEVICE_ID_STABLE = 0x0100;
/** QXL_REVISION_STABLE_V12 + 1 (qxl.h) */
const QXL_DEFAULT_REVISION = 5;
/** spice-protocol's enum of QXL I/O ports, QXL_IO_NOTIFY_CMD .. QXL_IO_MONITORS_CONFIG_ASYNC */
const QXL_IO_RANGE_SIZE = 25;
/**
 * qxl_rom_size(): QXLRom, QXLModes and qxl_modes[] rounded up to the host page (4 KiB on x86-64): 8 KiB,
 * which reference/q35-qxl shows as Linux's `BAR 2 [mem 0xfc010000-0xfc011fff]`
 */
const QXL_ROM_SIZE = 0x2000;
const QXL_RAM_RANGE_INDEX = 0;
const QXL_VRAM_RANGE_INDEX = 1;
const QXL_ROM_RANGE_INDEX = 2;
const QXL_IO_RANGE_INDEX = 3;
const QXL_VRAM64_RANGE_INDEX = 4;
/** the qxl_properties[] sentinel of the *_mb properties: -1 as uint32 */
const UNSET = 0xffffffff;

function pow2ceil(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/** The sizes qxl_init_ramsize() settles on, in bytes. */
export interface QxlSizes {
  /** qxl->vga.vram_size: BAR 0 */
  vgaVram: number;
  /** qxl->vram32_size: BAR 1 */
  vram32: number;
  /** qxl->vram_size: BAR 4 when larger than vram32 */
  vram: number;
}

/** qxl_init_ramsize(): the properties to BAR sizes (uint32 fields wrap as in C) */
export function qxlInitRamsize(props: PropBag): QxlSizes {
  const revision = props.num('revision');
  let vgamemMb = props.num('vgamem_mb');
  if (vgamemMb < 8) vgamemMb = 8;
  if (vgamemMb > 256) vgamemMb = 256;
  const vgamem = vgamemMb * MiB;
  // vga ram (bar 0, total)
  let vgaVram = props.num('ram_size');
  const ramSizeMb = props.num('ram_size_mb');
  if (ramSizeMb !== UNSET) vgaVram = Number((BigInt(ramSizeMb) * BigInt(MiB)) & 0xffffffffn);
  if (vgaVram < vgamem * 2) vgaVram = vgamem * 2;
  // vram32 (surfaces, 32bit, bar 1)
  let vram32 = Number(props.big('vram_size') ?? 64n * BigInt(MiB));
  const vram32Mb = props.num('vram_size_mb');
  if (vram32Mb !== UNSET) vram32 = vram32Mb * MiB;
  if (vram32 < 4096) vram32 = 4096;
  // vram (surfaces, 64bit, bar 4+5)
  let vram = 0;
  const vram64Mb = props.num('vram64_size_mb');
  if (vram64Mb !== UNSET) vram = vram64Mb * MiB;
  if (vram < vram32) vram = vram32;
  if (revision === 1) {
    vram32 = 4096;
    vram = 4096;
  }
  return { vgaVram: pow2ceil(vgaVram), vram32: pow2ceil(vram32), vram: pow2ceil(vram) };
}

/** qxl_realize_common(): the revision picks the PCI revision and the I/O BAR's size */
function qxlRevision(revision: number): { pciRev: number; ioSize: number } {
  switch (revision) {
    case 1: return { pciRev: 1, ioSize: 8 }; // spice 0.4 -- qxl-1
    case 2: return { pciRev: 2, ioSize: 16 }; // spice 0.6 -- qxl-2
    case 3: return { pciRev: 3, ioSize: 32 }; // qxl-3
    case 4: return { pciRev: 4, ioSize: pow2ceil(QXL_IO_RANGE_SIZE) };
    case 5: return { pciRev: 5, ioSize: pow2ceil(QXL_IO_RANGE_SIZE) };
    default:
      throw new QemuError('BAD_PROPERTY_VALUE', `Invalid revision ${revision} for qxl device (max ${QXL_DEFAULT_REVISION})`);
  }
}

/** A QXL function, primary (`qxl-vga`) or secondary (`qxl`). */
export class PciQxlDevice extends QdevPciDevice {
  constructor(
    typeName: string,
    readonly primary: boolean,
    readonly sizes: QxlSizes,
    readonly revision: number,
  ) {
    super({ typeName, vendorId: REDHAT_PCI_VENDOR_ID, deviceId: QXL_DEVICE_ID_STABLE, revision: 0, classId: primary ? 0x0300 : 0x0380 });
  }

  protected override realizeDevice(): void {
    // qxl_realize_primary(): vga_common_init() clamps the VGA RAM to 512 MiB; the secondary keeps it as is
    const vgaVram = this.primary ? vgaCommonVramSize(this.sizes.vgaVram / MiB) : this.sizes.vgaVram;
    const { pciRev, ioSize } = qxlRevision(this.revision);
    this.config[R.PCI_REVISION_ID] = pciRev;
    this.config[R.PCI_INTERRUPT_PIN] = 1;
    this.registerBar(QXL_IO_RANGE_INDEX, R.PCI_BASE_ADDRESS_SPACE_IO, ioSize);
    this.registerBar(QXL_ROM_RANGE_INDEX, R.PCI_BASE_ADDRESS_SPACE_MEMORY, QXL_ROM_SIZE);
    this.registerBar(QXL_RAM_RANGE_INDEX, R.PCI_BASE_ADDRESS_SPACE_MEMORY, vgaVram);
    this.registerBar(QXL_VRAM_RANGE_INDEX, R.PCI_BASE_ADDRESS_SPACE_MEMORY, this.sizes.vram32);
    if (this.sizes.vram32 < this.sizes.vram) {
      // "Make the 64bit vram bar show up only in case it is configured to be larger than the 32bit vram bar."
      this.registerBar(
        QXL_VRAM64_RANGE_INDEX,
        R.PCI_BASE_ADDRESS_SPACE_MEMORY | R.PCI_BASE_ADDRESS_MEM_TYPE_64 | R.PCI_BASE_ADDRESS_MEM_PREFETCH,
        this.sizes.vram,
      );
    }
  }
}

/** qxl_properties[] */
function qxlProps(owner: string) {
  return [
    ...pciProps(owner),
    defineProp(owner, 'ram_size', 'uint32', 64 * MiB),
    defineProp(owner, 'vram_size', 'uint64', 64n * BigInt(MiB)),
    defineProp(owner, 'revision', 'uint32', QXL_DEFAULT_REVISION),
    defineProp(owner, 'debug', 'uint32', 0),
    defineProp(owner, 'guestdebug', 'uint32', 0),
    defineProp(owner, 'cmdlog', 'uint32', 0),
    defineProp(owner, 'ram_size_mb', 'uint32', UNSET),
    defineProp(owner, 'vram_size_mb', 'uint32', UNSET),
    defineProp(owner, 'vram64_size_mb', 'uint32', UNSET),
    defineProp(owner, 'vgamem_mb', 'uint32', 16),
    defineProp(owner, 'surfaces', 'int32', 1024),
    defineProp(owner, 'max_outputs', 'uint16', 0),
    defineProp(owner, 'xres', 'uint32', 0),
    defineProp(owner, 'yres', 'uint32', 0),
    defineProp(owner, 'global-vmstate', 'bool', false),
  ];
}

function qxlType(name: string, primary: boolean): QdevTypeInfo {
  const info: QdevTypeInfo = {
    name,
    ancestors: [name, 'pci-qxl', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    props: qxlProps(name),
    build: (ctx) => {
      const revision = ctx.props.num('revision');
      qxlRevision(revision); // the revision check comes before any BAR
      return new PciQxlDevice(name, primary, qxlInitRamsize(ctx.props), revision);
    },
  };
  if (primary) info.romfile = 'vgabios-qxl.bin';
  return info;
}

/** `qxl-vga` (qxl_primary_info) and `qxl` (qxl_secondary_info) */
export const QXL_TYPES: readonly QdevTypeInfo[] = [qxlType('qxl-vga', true), qxlType('qxl', false)];
