/**
 * @module
 * drivers/pci/setup-bus.c: sizing the bridge windows (__pci_bus_size_bridges()), assigning what firmware left
 * unassigned (pbus_assign_resources_sorted()), programming the bridges (__pci_setup_bridge()), and
 * pci_assign_unassigned_bridge_resources() as the hot-plug drivers call it.
 */
import { e820SetupPciGap } from '../../arch/x86/kernel/e820.js';
import { pciReadConfig, pciWriteConfig } from './access.js';
import { pciStdUpdateResource } from './setup-res.js';
import { type BarResource, type PciBusState, type PciDev, type SizedWindow, type SizedWindows, pciName } from '../../include/linux/pci.js';
import { PCI_BRIDGE_CONTROL, PCI_IO_BASE, PCI_IO_BASE_UPPER16, PCI_MEMORY_BASE, PCI_PREF_BASE_UPPER32, PCI_PREF_LIMIT_UPPER32, PCI_PREF_MEMORY_BASE } from '../../include/uapi/linux/pci_regs.js';
import { pciRootWindows } from '../../arch/x86/pci/acpi.js';
import type { KernelState } from '../../init/state.js';

/** drivers/pci/setup-bus.c __pci_setup_bridge(): reprogram the windows, then BRIDGE_CONTROL */
export function pciSetupBridge(k: KernelState, bus: PciBusState): void {
  const bridge = bus.self!;
  const w = bridge.windows ?? { io: null, mem: null, pref: null };
  // pci_setup_bridge_io()
  let l = 0x00f0;
  let ioUpper16 = 0;
  if (w.io) {
    pciReadConfig(k, bridge, PCI_IO_BASE, 2);
    l = (((w.io.end >>> 8) & 0xf0) << 8) | ((w.io.start >>> 8) & 0xf0);
    ioUpper16 = ((w.io.end & 0xffff0000) | (w.io.start >>> 16)) >>> 0;
  }
  pciWriteConfig(k, bridge, PCI_IO_BASE_UPPER16, 4, 0x0000ffff);
  pciWriteConfig(k, bridge, PCI_IO_BASE, 2, l);
  pciWriteConfig(k, bridge, PCI_IO_BASE_UPPER16, 4, ioUpper16);
  // pci_setup_bridge_mmio()
  const m = w.mem ? ((((w.mem.end / 65536) & 0xfff0) << 16) | ((w.mem.start / 65536) & 0xfff0)) >>> 0 : 0x0000fff0;
  pciWriteConfig(k, bridge, PCI_MEMORY_BASE, 4, m);
  // pci_setup_bridge_mmio_pref()
  pciWriteConfig(k, bridge, PCI_PREF_LIMIT_UPPER32, 4, 0);
  let p = 0x0000fff0;
  let bu = 0;
  let lu = 0;
  if (w.pref) {
    p = ((((w.pref.end / 65536) & 0xfff0) << 16) | ((w.pref.start / 65536) & 0xfff0)) >>> 0;
    if (w.pref.is64) {
      bu = Math.floor(w.pref.start / 2 ** 32);
      lu = Math.floor(w.pref.end / 2 ** 32);
    }
  }
  pciWriteConfig(k, bridge, PCI_PREF_MEMORY_BASE, 4, p);
  pciWriteConfig(k, bridge, PCI_PREF_BASE_UPPER32, 4, bu);
  pciWriteConfig(k, bridge, PCI_PREF_LIMIT_UPPER32, 4, lu);
  pciWriteConfig(k, bridge, PCI_BRIDGE_CONTROL, 2, bus.bridgeCtl ?? 0);
}

/**
 * setup-bus.c __pci_bus_size_bridges() with a realloc_head (pci_assign_unassigned_root_bus_resources()):
 * children first, then each bridge window firmware left unassigned is sized from the unassigned
 * resources below it — pbus_size_io(), pbus_size_mem() for the 64-bit (or 32-bit) prefetchable window, then
 * for the rest — with a hot-plug bridge's pci_hotplug_io_size (256) / pci_hotplug_mmio_size (2 MiB) /
 * pci_hotplug_mmio_pref_size (2 MiB) as add_size. A window firmware assigned stays as it is.
 */
export function pciBusSizeBridges(k: KernelState, bus: PciBusState): void {
  for (const dev of bus.devices) if (dev.subordinate) pciBusSizeBridges(k, dev.subordinate);
  const self = bus.self;
  if (!self || self.hdrType !== 1 || !bus.parent) return;
  const w = self.windows;
  const hp = self.isHotplugBridge;
  const addIo = hp ? 256 : 0;
  let addMmio = hp ? 2 << 20 : 0;
  const addPref = hp ? 2 << 20 : 0;
  // every unassigned resource directly below, with what realloc_head holds for a child bridge's windows
  type Res = { size: number; io: boolean; is64: boolean; prefetch: boolean; align: number; add: number; addAlign: number };
  const res: Res[] = [];
  for (const d of bus.devices) {
    for (const b of d.bars) if (!b.start) res.push({ size: b.size, io: b.io, is64: b.is64, prefetch: b.prefetch, align: b.size, add: 0, addAlign: 0 });
    const z = k.sizedWindows.get(d);
    if (z?.io) res.push({ size: z.io.size, io: true, is64: false, prefetch: false, align: z.io.align, add: z.io.add, addAlign: z.io.align });
    if (z?.mem) res.push({ size: z.mem.size, io: false, is64: false, prefetch: false, align: z.mem.align, add: z.mem.add, addAlign: z.mem.align });
    if (z?.pref) res.push({ size: z.pref.size, io: false, is64: z.prefHolds === 'mem64pref' && d.prefWindow === 64, prefetch: true, align: z.pref.align, add: z.pref.add, addAlign: z.pref.align });
  }
  const sized: SizedWindows = { io: null, mem: null, pref: null, prefHolds: null };
  // pbus_size_io()
  if (self.ioWindow && !w?.io) {
    // calculate_iosize(); its CONFIG_ISA/EISA rescaling (x4 above the low byte) is not modelled: it changes
    // nothing while a bus needs less than 256 bytes of I/O, as every recording does
    let total = 0;
    let minAlign = 0x1000;
    let childAdd = 0;
    for (const r of res) {
      if (!r.io) continue;
      total += r.size;
      if (r.align > minAlign) minAlign = r.align;
      childAdd += r.add;
    }
    const ioSize = (add: number, cadd: number) => alignUp(Math.max(total, add) + cadd, minAlign);
    const size0 = ioSize(0, 0);
    const size1 = !addIo && !childAdd ? size0 : ioSize(addIo, childAdd);
    if (size0 || size1) sized.io = { size: size0, add: size1 - size0, align: minAlign };
  }
  // pbus_size_mem(): which resources a window takes
  const sizeMem = (take: (r: Res) => boolean, add: number): SizedWindow | null => {
    let size = 0;
    let childAdd = 0;
    let addAlign = 0;
    const aligns = new Array<number>(40).fill(0);
    let maxOrder = 0;
    for (const r of res) {
      if (r.io || !take(r)) continue;
      const order = Math.max(0, Math.log2(r.align) - 20); // __ffs(align) - 20: alignments are powers of two
      size += Math.max(r.size, r.align);
      if (r.size <= r.align) aligns[order]! += r.align;
      if (order > maxOrder) maxOrder = order;
      childAdd += r.add;
      if (r.add) addAlign = Math.max(addAlign, r.addAlign);
    }
    // calculate_mem_align()
    let acc = 0;
    let minAlign = 0;
    for (let order = 0; order <= maxOrder; order++) {
      const align1 = 2 ** (order + 20);
      if (!acc) minAlign = align1;
      else if (alignUp(acc + minAlign, minAlign) < align1) minAlign = align1 / 2;
      acc += aligns[order]!;
    }
    minAlign = Math.max(minAlign, 1 << 20); // window_alignment(): PCI_P2P_DEFAULT_MEM_ALIGN
    const size0 = alignUp(size, minAlign);
    addAlign = Math.max(minAlign, addAlign);
    const size1 = !add && !childAdd ? size0 : alignUp(Math.max(size, add) + childAdd, addAlign);
    if (!size0 && !size1) return null;
    return { size: size0, add: size1 - size0, align: size1 > size0 ? addAlign : minAlign };
  };
  let memTakes: (r: Res) => boolean = (r) => !r.prefetch;
  if (self.prefWindow && !w?.pref) {
    if (self.prefWindow === 64) {
      sized.pref = sizeMem((r) => r.prefetch && r.is64, addPref);
      sized.prefHolds = 'mem64pref';
      memTakes = (r) => !(r.prefetch && r.is64);
    } else {
      sized.pref = sizeMem((r) => r.prefetch, addPref);
      sized.prefHolds = 'pref';
    }
  } else if (!self.prefWindow) {
    addMmio += addPref;
    memTakes = () => true;
  }
  if (!w?.mem) sized.mem = sizeMem(memTakes, addMmio);
  if (sized.io || sized.mem || sized.pref) k.sizedWindows.set(self, sized);
}

/** pbus_assign_resources_sorted() of one bus, then __pci_bus_assign_resources() of its child buses and pci_setup_bridge() */
export function pbusAssignResourcesSorted(k: KernelState, bus: PciBusState, windows: Window[], claimed: Interval[]): void {
  // pbus_assign_resources_sorted(): this bus's unassigned BARs (required), and each hot-plug bridge's
  // missing I/O window, which pbus_size_io() sized 0 with pci_hotplug_io_size as add_size (optional,
  // rounded to the 4 KiB window granularity), sorted by alignment, largest first
  type Req = { dev: PciDev; bar: BarResource | null; window?: 'io' | 'mem' | 'pref'; required: number; add: number; align: number; io: boolean; mem64pref: boolean; start: number | null; size?: number };
  const reqs: Req[] = [];
  for (const dev of bus.devices) {
    for (const b of dev.bars) if (!b.start) reqs.push({ dev, bar: b, required: b.size, add: 0, align: b.size, io: b.io, mem64pref: b.is64 && b.prefetch, start: null });
    const z = k.sizedWindows.get(dev);
    if (z) {
      // bridge windows come after the BARs and the ROM in dev->resource[]: io, mem, pref
      if (z.io) reqs.push({ dev, bar: null, window: 'io', required: z.io.size, add: z.io.add, align: z.io.align, io: true, mem64pref: false, start: null });
      if (z.mem) reqs.push({ dev, bar: null, window: 'mem', required: z.mem.size, add: z.mem.add, align: z.mem.align, io: false, mem64pref: false, start: null });
      if (z.pref) reqs.push({ dev, bar: null, window: 'pref', required: z.pref.size, add: z.pref.add, align: z.pref.align, io: false, mem64pref: dev.prefWindow === 64, start: null });
      k.sizedWindows.delete(dev);
    } else if (dev.hdrType === 1 && dev.isHotplugBridge && dev.ioWindow && !dev.windows?.io) {
      reqs.push({ dev, bar: null, window: 'io', required: 0, add: 0x1000, align: 0x1000, io: true, mem64pref: false, start: null });
    }
  }
  const align = (r: Req) => r.align;
  const head = [...reqs].sort((a, b) => align(b) - align(a));
  const place = (r: Req, size: number): boolean => {
    const start = allocate(windows, claimed, size, r.io, r.mem64pref, r.io ? PCIBIOS_MIN_IO : e820SetupPciGap(k), r.align);
    if (start === null) {
      const what = r.bar ? `BAR ${r.bar.index}` : 'bridge window';
      k.log.push(`pci ${pciName(r.dev)}: ${what} [${r.io ? 'io ' : 'mem'} size 0x${size.toString(16)}]: can't assign; no space`);
      return false;
    }
    claimed.push({ io: r.io, start, end: start + size - 1 });
    r.start = start;
    r.size = size;
    if (r.bar) {
      r.bar.start = start;
      if (!r.bar.rom) pciStdUpdateResource(k, r.dev, r.bar);
    }
    return true;
  };
  const release = (r: Req) => {
    const i = claimed.findIndex((c) => c.io === r.io && c.start === r.start);
    if (i >= 0) claimed.splice(i, 1);
    if (r.bar) r.bar.start = 0;
    r.start = null;
  };
  // __assign_resources_sorted(): first required + add_size for everything
  const optional = reqs.filter((r) => r.add > 0);
  const failed = head.filter((r) => !place(r, r.required + r.add));
  if (failed.length && optional.length) {
    // release what shares the failed type (pci_need_to_release()), then the must-haves, then the
    // add_size requests again in realloc_head's order (add_to_list() puts each new entry first)
    const failIo = failed.some((r) => r.io);
    const failMem = failed.some((r) => !r.io);
    for (const r of head) if (r.start !== null && ((r.io && failIo) || (!r.io && failMem))) release(r);
    for (const r of head) if (r.start === null && r.required > 0) place(r, r.required);
    for (const r of [...optional].reverse()) if (r.start === null) place(r, r.add);
  }
  for (const r of reqs) {
    if (r.bar === null && r.start !== null && r.window) {
      const end = r.start + (r.size ?? r.required + r.add) - 1;
      r.dev.windows ??= { io: null, mem: null, pref: null };
      if (r.window === 'pref') r.dev.windows.pref = { start: r.start, end, is64: r.dev.prefWindow === 64 };
      else r.dev.windows[r.window] = { start: r.start, end };
    }
  }
  for (const dev of bus.devices) {
    if (!dev.subordinate) continue;
    const w = dev.windows;
    const childWindows: Window[] = [];
    if (w?.io) childWindows.push({ kind: 'io', min: w.io.start, max: w.io.end });
    if (w?.mem) childWindows.push({ kind: 'mem', min: w.mem.start, max: w.mem.end });
    if (w?.pref) childWindows.push({ kind: w.pref.is64 ? 'mem64' : 'mem', min: w.pref.start, max: w.pref.end });
    pbusAssignResourcesSorted(k, dev.subordinate, childWindows, claimed);
    if (dev.hdrType === 1) pciSetupBridge(k, dev.subordinate);
  }
}

/**
 * pci_assign_unassigned_bridge_resources(bridge): the BARs firmware left unassigned on the
 * bridge's bus and below, from the bridge's windows (pbus_assign_resources_sorted()), then
 * pci_setup_bridge() of each bridge from the deepest up, this one last.
 */
export function pciAssignUnassignedBridgeResources(k: KernelState, bridge: PciDev): void {
  const sub = bridge.subordinate;
  if (!sub) return;
  assignBusResources(k, sub, true);
}

/**
 * __pci_bus_assign_resources(bus) as acpiphp's enable_slot() calls it: the bus's unassigned BARs
 * from the windows of the bridge above, child bridges programmed, the bridge above left as it is.
 */
export function pciBusAssignResources(k: KernelState, bus: PciBusState): void {
  assignBusResources(k, bus, false);
}

/** the unassigned BARs on `bus` and below from the windows above it (the bridge's, or the host bridge's); `setupSelf`: pci_setup_bridge() of the bridge above too */
export function assignBusResources(k: KernelState, bus: PciBusState, setupSelf: boolean): void {
  const bridge = bus.self;
  // what is taken inside the windows this bus allocates from: its devices' BARs and its bridges' windows
  const claimed: Interval[] = [];
  pcibiosAllocateResources(k, bus, claimed);
  const unassigned: { dev: PciDev; bar: BarResource }[] = [];
  const collect = (b: PciBusState): void => {
    for (const d of b.devices) {
      for (const bar of d.bars) if (!bar.start) unassigned.push({ dev: d, bar });
      if (d.subordinate) collect(d.subordinate);
    }
  };
  collect(bus);
  let windows: Window[];
  if (bridge) {
    const w = bridge.windows;
    windows = [];
    if (w?.io) windows.push({ kind: 'io', min: w.io.start, max: w.io.end });
    if (w?.mem) windows.push({ kind: 'mem', min: w.mem.start, max: w.mem.end });
    if (w?.pref) windows.push({ kind: w.pref.is64 ? 'mem64' : 'mem', min: w.pref.start, max: w.pref.end });
  } else {
    windows = pciRootWindows(k, bus.number);
  }
  pbusAssignResourcesSorted(k, bus, windows, claimed);
  // pbus_assign_resources_sorted(): largest alignment first, and so are the "assigned" lines
  for (const u of [...unassigned].sort((a, b) => b.bar.size - a.bar.size)) if (u.bar.start) k.hp?.barAssigned(u.dev, u.bar);
  if (setupSelf && bridge && bridge.hdrType === 1) {
    pciSetupBridge(k, bus);
    k.hp?.bridgeSetUp(bridge);
  }
}



/** a range of bus addresses taken by a BAR or a window */
export interface Interval {
  io: boolean;
  start: number;
  end: number;
}

/** a window resources are allocated from */
export interface Window {
  kind: 'io' | 'mem' | 'mem64';
  min: number;
  max: number;
}

/**
 * pci_bus_alloc_resource() over the bus's windows: a 64-bit prefetchable BAR tries the 64-bit windows
 * first, then any; allocate_resource()'s first fit, at the lowest aligned address no claimed range overlaps.
 */
function allocate(windows: Window[], claimed: Interval[], size: number, io: boolean, mem64pref: boolean, min: number, alignment = size): number | null {
  const order: Window[] = io
    ? windows.filter((w) => w.kind === 'io')
    : mem64pref
      ? [...windows.filter((w) => w.kind === 'mem64'), ...windows.filter((w) => w.kind === 'mem')]
      : windows.filter((w) => w.kind === 'mem');
  for (const w of order) {
    // pci_bus_alloc_from_region(): PCIBIOS_MIN_IO / PCIBIOS_MIN_MEM bound the low end of 32-bit windows
    const lowest = w.kind === 'mem64' ? w.min : Math.max(w.min, min);
    let cand = Math.ceil(lowest / alignment) * alignment;
    for (;;) {
      // pcibios_align_resource(): I/O avoids the ISA alias range (addresses with bits 8-9 set)
      if (io && cand & 0x300) cand = Math.ceil(((cand + 0x3ff) & ~0x3ff) / alignment) * alignment;
      if (cand + size - 1 > w.max) break;
      // the window itself and the windows above it are parents in the resource tree, not conflicts
      const hit = claimed.find((c) => c.io === io && c.start <= cand + size - 1 && c.end >= cand && !(c.start <= w.min && c.end >= w.max));
      if (!hit) return cand;
      cand = Math.ceil((hit.end + 1) / alignment) * alignment;
    }
  }
  return null;
}

/** ALIGN(x, a) for a power-of-two a */
export function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/** PCIBIOS_MIN_IO (arch/x86/include/asm/pci.h) */
const PCIBIOS_MIN_IO = 0x1000;

/**
 * pcibios_allocate_resources() (arch/x86/pci/i386.c): every BAR and bridge window firmware programmed is
 * taken. Kept here, beside the assignment that starts from it, because the hot-plug paths below need it too
 * and arch/x86/pci/i386.ts builds on this file (one direction of import).
 */
export function pcibiosAllocateResources(k: KernelState, bus: PciBusState, claimed: Interval[]): void {
  for (const dev of bus.devices) {
    for (const b of dev.bars) if (b.start) claimed.push({ io: b.io, start: b.start, end: b.start + b.size - 1 });
    const w = dev.windows;
    // pcibios_allocate_bridge_resources(): a window at address 0 ("something is wrong with the region") is
    // invalidated; pci_bridge_check_ranges() brings it back unassigned for __pci_bus_size_bridges()
    if (w) {
      if (w.io?.start === 0) w.io = null;
      if (w.mem?.start === 0) w.mem = null;
      if (w.pref?.start === 0) w.pref = null;
    }
    if (w?.io) claimed.push({ io: true, start: w.io.start, end: w.io.end });
    if (w?.mem) claimed.push({ io: false, start: w.mem.start, end: w.mem.end });
    if (w?.pref) claimed.push({ io: false, start: w.pref.start, end: w.pref.end });
    if (dev.subordinate) pcibiosAllocateResources(k, dev.subordinate, claimed);
  }
}
