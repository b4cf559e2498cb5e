/**
 * @module
 * The host device behind `-device vfio-pci,host=…`: what the user gives pcisim in its place (`--vfio-config
 * BDF=PATH`), and what the host kernel's vfio-pci driver makes of it before QEMU reads it.
 *
 * The input is the device's configuration space and its region sizes, from one of
 * - `lspci -vvv -xxxx -s BDF` output (as root: a 4096-byte dump), whose `Region N: … [size=…]` and
 *   `Expansion ROM at … [size=…]` lines give the BAR and ROM sizes; or
 * - the device's sysfs `config` file (`/sys/bus/pci/devices/BDF/config`, read as root: 256 or 4096 bytes),
 *   with its sysfs `resource` file (start, end and flags of each BAR, then the ROM) copied beside it.
 * The configuration space alone cannot give the sizes: they are what the BARs answer to an all-ones write.
 *
 * The host's vfio-pci (drivers/vfio/pci/vfio_pci_config.c, vfio_cap_init() and vfio_ecap_init()) then hides
 * the capabilities it has no length for (`pci_cap_length[]`, `pci_ext_cap_length[]` of Linux 6.1: a hidden
 * standard capability is unlinked; a hidden extended one too, or, at 0x100, left as a header with ID 0 that
 * only keeps the chain), and lets through only the writes its permission tables allow
 * ({@link vfioHostWriteMask}, a model of init_pci_cap_*_perm()).
 */

/** One host function as vfio-pci exposes it: its config region and region sizes. */
export interface VfioHostDevice {
  /** `DDDD:BB:DD.F` */
  readonly bdf: string;
  /** the config region: what the device's configuration space reads through vfio-pci (256 or 4096 bytes) */
  readonly config: Uint8Array;
  /** VFIO_PCI_BAR0..5_REGION_INDEX sizes (0: no BAR, or the upper half of a 64-bit one) */
  readonly barSizes: readonly number[];
  /** VFIO_PCI_ROM_REGION_INDEX size (0: none) */
  readonly romSize: number;
  /** where it came from, for messages */
  readonly source: string;
  /** what pcisim assumed about it, for the report */
  readonly notes: readonly string[];
}

/** A problem with a --vfio-config file, in the user's terms. */
export class VfioHostError extends Error {}

const PCI_STATUS = 0x06;
const PCI_STATUS_CAP_LIST = 0x10;
const PCI_CAPABILITY_LIST = 0x34;
const PCI_CAP_ID_EXP = 0x10;

/** `[DDDD:]BB:DD.F` as `DDDD:BB:DD.F`, or null */
export function normaliseBdf(s: string): string | null {
  const m = /^(?:([0-9a-f]{1,4}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})\.([0-7])$/i.exec(s.trim());
  if (!m) return null;
  const dev = parseInt(m[3]!, 16);
  if (dev > 0x1f) return null;
  const h = (v: string, w: number) => parseInt(v, 16).toString(16).padStart(w, '0');
  return `${h(m[1] ?? '0', 4)}:${h(m[2]!, 2)}:${h(m[3]!, 2)}.${m[4]}`;
}

/** lspci's sizes: "16M", "128", "4K", "32G" */
function lspciSize(s: string): number {
  const m = /^(\d+)([KMGT]?)$/.exec(s);
  if (!m) throw new VfioHostError(`bad size '${s}'`);
  const mult = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!]!;
  return Number(m[1]) * mult;
}

/**
 * `lspci -vvv -xxxx` text: the block of the device (the only block, or the one whose header names `bdf`), its
 * hex dump and its region sizes.
 */
export function parseLspci(text: string, bdf: string, source: string): VfioHostDevice {
  const lines = text.split(/\r?\n/);
  const blocks: { bdf: string | null; lines: string[] }[] = [];
  for (const l of lines) {
    const head = /^((?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]) /i.exec(l);
    if (head) blocks.push({ bdf: normaliseBdf(head[1]!), lines: [] });
    else if (blocks.length === 0) blocks.push({ bdf: null, lines: [] });
    blocks[blocks.length - 1]!.lines.push(l);
  }
  const named = blocks.filter((b) => b.bdf !== null);
  const block = named.length > 1 ? named.find((b) => b.bdf === bdf) : blocks.find((b) => b.lines.some((l) => /^[0-9a-f]{2,3}: /.test(l)));
  if (!block) throw new VfioHostError(named.length > 1 ? `no device ${bdf} in it` : 'no hex dump in it (lspci -xxxx prints one)');
  const bytes: number[] = [];
  const barSizes = [0, 0, 0, 0, 0, 0];
  let romSize = 0;
  let sawRegions = false;
  for (const l of block.lines) {
    const hex = /^([0-9a-f]{2,3}): ((?:[0-9a-f]{2} ?){1,16})\s*$/i.exec(l);
    if (hex) {
      const off = parseInt(hex[1]!, 16);
      if (off !== bytes.length) throw new VfioHostError(`the hex dump skips from 0x${bytes.length.toString(16)} to 0x${off.toString(16)}`);
      for (const b of hex[2]!.trim().split(/\s+/)) bytes.push(parseInt(b, 16));
      continue;
    }
    const region = /^\s+Region (\d): .*\[size=(\w+)\]/.exec(l);
    if (region) {
      sawRegions = true;
      barSizes[Number(region[1])] = lspciSize(region[2]!);
      continue;
    }
    const rom = /^\s+(?:\[virtual\] )?Expansion ROM at .*\[size=(\w+)\]/.exec(l);
    if (rom) romSize = lspciSize(rom[1]!);
  }
  const { config, notes } = checkConfig(Uint8Array.from(bytes), source);
  if (!sawRegions && !sizesFromV(block.lines, config, barSizes) && hasBars(config)) {
    throw new VfioHostError("its BARs have no sizes: give lspci -vvv -xxxx (the 'Region N: … [size=…]' lines), not lspci -xxxx alone");
  }
  return { bdf, config, barSizes, romSize, source, notes };
}

/**
 * `lspci -v` (one v) prints `Memory at … [size=…]` and `I/O ports at … [size=…]` without the BAR's number: they
 * follow the implemented BARs in order (a 64-bit BAR takes two registers).
 */
function sizesFromV(lines: readonly string[], config: Uint8Array, barSizes: number[]): boolean {
  const sizes = lines.map((l) => /^\s+(?:Memory|I\/O ports) at .*\[size=(\w+)\]/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  if (sizes.length === 0) return false;
  let k = 0;
  for (let nr = 0; nr < 6 && k < sizes.length; nr++) {
    const bar = getLong(config, 0x10 + nr * 4);
    if (!bar) continue;
    barSizes[nr] = lspciSize(sizes[k++]![1]!);
    if ((bar & 1) === 0 && (bar & 4) !== 0) nr++;
  }
  return true;
}

/** sysfs `resource`: "0x<start> 0x<end> 0x<flags>" per line, BAR 0-5 then the ROM */
export function parseSysfsResource(text: string): { barSizes: number[]; romSize: number } {
  const rows = text
    .split(/\r?\n/)
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = /^0x([0-9a-f]+) 0x([0-9a-f]+) 0x([0-9a-f]+)$/i.exec(l.trim());
      if (!m) throw new VfioHostError(`not a sysfs resource line: '${l.trim()}'`);
      const start = BigInt(`0x${m[1]}`);
      const end = BigInt(`0x${m[2]}`);
      return end === 0n && start === 0n ? 0 : Number(end - start + 1n);
    });
  if (rows.length < 7) throw new VfioHostError(`a sysfs resource file has at least 7 lines (BARs 0-5 and the ROM), this has ${rows.length}`);
  return { barSizes: rows.slice(0, 6), romSize: rows[6]! };
}

/** the sysfs config file, with the sizes from its resource file */
export function parseSysfsConfig(bytes: Uint8Array, resource: string | null, bdf: string, source: string): VfioHostDevice {
  const { config, notes } = checkConfig(bytes, source);
  if (resource === null) {
    if (hasBars(config)) throw new VfioHostError("its BARs have no sizes: copy the device's sysfs 'resource' file beside 'config', or give lspci -vvv -xxxx output");
    return { bdf, config, barSizes: [0, 0, 0, 0, 0, 0], romSize: 0, source, notes };
  }
  return { bdf, config, ...parseSysfsResource(resource), source, notes };
}

function hasBars(config: Uint8Array): boolean {
  if ((config[0x0e]! & 0x7f) !== 0) return false;
  for (let i = 0x10; i < 0x28; i++) if (config[i]) return true;
  return false;
}

/**
 * a config space pcisim can present: 256 or 4096 bytes, a type-0 header; 64 bytes is what a non-root read gives.
 * 256 bytes of a PCI Express device (lspci -xxx, three x) lack its extended space: it is taken as empty, and said so.
 */
function checkConfig(c: Uint8Array, source: string): { config: Uint8Array; notes: string[] } {
  if (c.length === 64) throw new VfioHostError('only 64 bytes: the config space read without root (sudo lspci -xxxx, or the sysfs file read as root, has 256 or 4096)');
  if (c.length !== 256 && c.length !== 4096) throw new VfioHostError(`${c.length} bytes: a config space has 256 or 4096`);
  const vendor = c[0]! | (c[1]! << 8);
  if (vendor === 0xffff || vendor === 0) throw new VfioHostError(`vendor ID 0x${vendor.toString(16)}: no device answered`);
  if ((c[0x0e]! & 0x7f) !== 0) throw new VfioHostError(`header type ${c[0x0e]! & 0x7f}: vfio-pci passes through endpoints (type 0) only`);
  if (c.length === 256 && pcieCapability(c)) {
    const full = new Uint8Array(4096);
    full.set(c);
    return { config: full, notes: [`${source}: 256 bytes of a PCI Express device: its extended capabilities are taken as none (lspci -xxxx, four x, as root, has them)`] };
  }
  return { config: c.slice(), notes: [] };
}

function pcieCapability(c: Uint8Array): number {
  if (!(c[PCI_STATUS]! & PCI_STATUS_CAP_LIST)) return 0;
  let ttl = 48;
  for (let p = c[PCI_CAPABILITY_LIST]! & ~3; p >= 0x40 && ttl--; p = c[p + 1]! & ~3) if (c[p] === PCI_CAP_ID_EXP) return p;
  return 0;
}

// ----------------------------------------------------------------------------------------------
// the host kernel's vfio-pci (drivers/vfio/pci/vfio_pci_config.c)

/** pci_cap_length[] of Linux 6.1: 0 hides the capability; 0xff: a length read from the device (never 0 here) */
const PCI_CAP_LENGTH: Readonly<Record<number, number>> = {
  0x01: 8, 0x02: 0x30, 0x03: 8, 0x04: 0, 0x05: 0xff, 0x06: 0, 0x07: 0xff, 0x08: 0xff, 0x09: 0xff, 0x0a: 0, 0x0b: 0,
  0x0c: 0, 0x0d: 0, 0x0e: 0, 0x0f: 0, 0x10: 0xff, 0x11: 12, 0x12: 0xff, 0x13: 6,
};
/** pci_ext_cap_length[] of Linux 6.1, the same way */
const PCI_EXT_CAP_LENGTH: Readonly<Record<number, number>> = {
  0x01: 0x38, 0x02: 0xff, 0x03: 12, 0x04: 16, 0x05: 0, 0x06: 0, 0x07: 0, 0x08: 0xff, 0x09: 0xff, 0x0a: 0, 0x0b: 0xff,
  0x0c: 0, 0x0d: 0xff, 0x0e: 8, 0x0f: 8, 0x10: 0x40, 0x11: 0, 0x12: 0x30, 0x13: 16, 0x14: 0, 0x15: 0xff, 0x16: 0xff,
  0x17: 0xff, 0x18: 8, 0x19: 0, 0x1a: 0, 0x1b: 0,
};

/** vfio_cap_init() and vfio_ecap_init(): the config region as the user of vfio-pci reads it */
export function vfioPciConfigRegion(host: VfioHostDevice): Uint8Array {
  const c = host.config.slice();
  // standard capabilities: unlink those without a length
  if (c[PCI_STATUS]! & PCI_STATUS_CAP_LIST) {
    let prev = PCI_CAPABILITY_LIST;
    let pos = c[PCI_CAPABILITY_LIST]!;
    let loops = 48;
    while (pos && loops--) {
      const cap = c[pos]!;
      const next = c[pos + 1]!;
      const len = PCI_CAP_LENGTH[cap] ?? 0;
      if (!len) c[prev] = next;
      else prev = pos + 1;
      pos = next;
    }
  }
  if (c.length <= 256) return c;
  // extended capabilities
  let epos = 0x100;
  let prevHdr = -1;
  let ecaps = 0;
  let loops = (c.length - 256) / 4;
  while (loops-- && epos >= 256) {
    const header = getLong(c, epos);
    const len = PCI_EXT_CAP_LENGTH[header & 0xffff] ?? 0;
    if (!len) {
      if (prevHdr >= 0) {
        epos = header >>> 20;
        setLong(c, prevHdr, ((getLong(c, prevHdr) & ~(0xffc << 20)) | (epos << 20)) >>> 0);
        continue;
      }
      // the head of the chain: a placeholder that keeps only the next pointer
      setLong(c, epos, (header & (0xffc << 20)) >>> 0);
    } else ecaps++;
    prevHdr = epos;
    epos = header >>> 20;
  }
  if (!ecaps) setLong(c, 0x100, 0);
  return c;
}

/**
 * Which bits of a register a write reaches on the host, per init_pci_cap_basic_perm(), _pm_perm(), _exp_perm()
 * and _err_perm(): the command register (INTx-disable virtualized, the rest to the device), cache line size,
 * latency timer, BIST and interrupt line; PMCSR's power state and PME enable; PCIe device, link and slot
 * control, device control 2; AER's masks and severities. Which of those bits a given device implements is
 * not in its dump: the ones the standard defines as read-write are taken as implemented (memory and I/O
 * enable only when the device has a BAR of that kind). Everything else reads as the dump shows it.
 */
export function vfioHostWriteMask(region: Uint8Array, barIo: boolean, barMem: boolean): Uint8Array {
  const m = new Uint8Array(region.length);
  const w = (a: number, v: number) => {
    m[a] = v & 0xff;
    m[a + 1] = (v >>> 8) & 0xff;
  };
  const l = (a: number, v: number) => {
    w(a, v & 0xffff);
    w(a + 2, v >>> 16);
  };
  // PCI_COMMAND: I/O, memory, master, parity, SERR, INTx disable
  w(0x04, (barIo ? 0x1 : 0) | (barMem ? 0x2 : 0) | 0x4 | 0x40 | 0x100 | 0x400);
  m[0x0c] = 0xff;
  m[0x0d] = 0xff;
  m[0x3c] = 0xff;
  if (region[PCI_STATUS]! & PCI_STATUS_CAP_LIST) {
    let ttl = 48;
    for (let p = region[PCI_CAPABILITY_LIST]!; p >= 0x40 && ttl--; p = region[p + 1]!) {
      if (region[p] === 0x01) w(p + 4, 0x0103); // PMCSR: power state, PME enable
      if (region[p] === PCI_CAP_ID_EXP) {
        w(p + 0x08, 0xffff & ~0x8000 & ~0x00e0); // DEVCTL less FLR (virtualized) and MPS (virtualized)
        w(p + 0x10, 0x0ffb); // LNKCTL
        w(p + 0x18, 0x1fff); // SLTCTL
        w(p + 0x28, 0xffff & ~0x0020); // DEVCTL2 less ARI forwarding
      }
    }
  }
  if (region.length > 256) {
    let ttl = (4096 - 256) / 8;
    for (let p = 0x100; p >= 0x100 && ttl--; ) {
      const hdr = getLong(region, p);
      if (hdr === 0 || hdr === 0xffffffff) break;
      if ((hdr & 0xffff) === 0x01) {
        l(p + 0x08, 0xffffffff); // uncorrectable mask
        l(p + 0x0c, 0xffffffff); // uncorrectable severity
        l(p + 0x14, 0xffffffff); // correctable mask
      }
      p = hdr >>> 20;
    }
  }
  return m;
}

export function getLong(c: Uint8Array, a: number): number {
  return (c[a]! | (c[a + 1]! << 8) | (c[a + 2]! << 16) | (c[a + 3]! << 24)) >>> 0;
}

function setLong(c: Uint8Array, a: number, v: number): void {
  c[a] = v & 0xff;
  c[a + 1] = (v >>> 8) & 0xff;
  c[a + 2] = (v >>> 16) & 0xff;
  c[a + 3] = (v >>> 24) & 0xff;
}
