/**
 * @module
 * SeaBIOS src/boot.c: the boot order QEMU passes in the fw_cfg file "bootorder" (loadBootOrder()), and the
 * lookups the drivers make in it: find_prio() with glob_prefix(), build_pci_path(), is_bootprio_strict() (a
 * `HALT` line, which QEMU writes for `-boot strict=on`) and bootprio_find_pci_device(). With a strict order,
 * virtio-blk, virtio-scsi and NVMe controllers the order does not name are skipped: no BAR enable, no bus master.
 */
import type { SbPciDevice } from './pci.js';

/** FW_PCI_DOMAIN */
const FW_PCI_DOMAIN = '/pci@i0cf8';

/**
 * glob_prefix(): `glob` matches the start of `str` up to a `/` or its end; `*` matches any run of characters
 * that are not `/` or the glob's next character. Returns whether it matched.
 */
export function globPrefix(glob: string, str: string): boolean {
  let g = 0;
  let s = 0;
  for (;;) {
    if (g >= glob.length && (s >= str.length || str[s] === '/')) return true;
    if (glob[g] === '*') {
      if (s >= str.length || str[s] === '/' || str[s] === glob[g + 1]) g++;
      else s++;
      continue;
    }
    if (g >= glob.length || s >= str.length || glob[g] !== str[s]) return false;
    g++;
    s++;
  }
}

/** build_pci_path(): `/pci@i0cf8[,rootbus]/pci-bridge@slot[,fn]/…/<devname>@slot[,fn]` */
export function buildPciPath(devname: string, pci: SbPciDevice): string {
  const head = pci.parent ? buildPciPath('pci-bridge', pci.parent) : `${FW_PCI_DOMAIN}${pci.rootbus ? `,${pci.rootbus.toString(16)}` : ''}`;
  const dev = (pci.bdf >> 3) & 0x1f;
  const fn = pci.bdf & 7;
  return `${head}/${devname}@${dev.toString(16)}${fn ? `,${fn.toString(16)}` : ''}`;
}

/** The "bootorder" file as SeaBIOS loaded it (loadBootOrder(): one entry per line, trailing blanks dropped). */
export class SeabiosBootOrder {
  private readonly bootorder: string[];
  constructor(lines: readonly string[] = []) {
    this.bootorder = lines.map((l) => l.replace(/\s+$/, ''));
  }

  /** find_prio(): the 1-based line that `glob` is a prefix of, or -1 */
  findPrio(glob: string): number {
    const i = this.bootorder.findIndex((l) => globPrefix(glob, l));
    return i < 0 ? -1 : i + 1;
  }

  /** is_bootprio_strict() */
  isBootprioStrict(): boolean {
    return this.findPrio('HALT') >= 0;
  }

  /** bootprio_find_pci_device() (no CSM) */
  bootprioFindPciDevice(pci: SbPciDevice): number {
    return this.findPrio(buildPciPath('*', pci));
  }
}
