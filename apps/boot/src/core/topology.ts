/**
 * @module
 * What a PCI topology leaves for later: free hot-plug slots per bus and who serves them, the IOMMU groups
 * the guest would form with a vIOMMU (Linux 6.1's pci_device_group(), drivers/iommu/iommu.c), bus numbers
 * and bridge windows reserved or used up, and which buses `pci=lastbus=N` or an accurate MCFG leave without
 * a scan or without extended config space. Plus a side-by-side of topologies (Kata's pci-bridge vs libvirt's
 * root ports) with their boot cost and hot-plug latency per controller.
 */
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine, PciDevice, PciBus } from '@sim/qemu';
import type { PciDev, PciBusState } from '@sim/guest';
import { runHotplugScenario, type HotplugOptions, type HotplugRunResult } from './hotplug.js';
import { parseQemuArgs, type Scenario } from './scenario.js';
import { bootVm, DEFAULT_FLAVOUR, type BootResult } from './boot.js';
import { PcisimError } from './errors.js';
import { pciName, pciDeviceGroups, iommuGroupReasonText, type Linux } from '@sim/guest';

export type SlotController = 'acpi' | 'pciehp' | 'shpchp' | 'none';

export interface BusSlots {
  /** QEMU's bus name (what device_add's bus= takes) */
  name: string;
  /** bus number the firmware gave it */
  number: number;
  express: boolean;
  /** who serves hot-plug here in the guest: ACPI (acpiphp), native PCIe (pciehp), SHPC (shpchp), nobody */
  controller: SlotController;
  /** slots a hot-plug can use (QEMU accepts it and the guest scans it) */
  hotplugSlots: number[];
  usedSlots: number[];
  freeSlots: number[];
  /** why slots are missing (slot 0 of an SHPC bridge, a PCIe link's single device, …) */
  note: string;
}

export interface IommuGroup {
  id: number;
  /** "0000:BB:DD.F" */
  devices: string[];
  /** why these are together */
  reason: string;
}

export interface BridgeRange {
  bridge: string;
  name: string;
  secondary: number;
  subordinate: number;
  /** bus numbers below this bridge not used by any bus: what a hot-added bridge could take */
  spareBuses: number;
  windows: { io: string | null; mem: string | null; pref: string | null };
}

export interface TopologyReport {
  machine: string;
  acpiHotplug: boolean;
  buses: BusSlots[];
  freeHotplugSlots: number;
  iommuGroups: IommuGroup[];
  bridges: BridgeRange[];
  /** the bus numbers in use and the MCFG's end: what `pci=lastbus` and an accurate MCFG leave out */
  busNumbers: {
    used: number[];
    mcfgEndBus: number;
    /** buses the peer-bus scan would reach (pcibios_last_bus) */
    pcibiosLastBus: number;
    notes: string[];
  };
  /** what this means for VFIO in the guest */
  vfio: string[];
}

/** Analyse the topology of a booted scenario (booted here when a Scenario is given). */
export function analyzeTopology(input: Scenario | HotplugRunResult | BootResult, opts: HotplugOptions = {}): TopologyReport {
  let boot: BootResult;
  // the run-time hot-plug controllers are modelled on q35; elsewhere what the boot left is analysed as it stands
  if ('machine' in input && 'qemuArgs' in input) boot = input.machine === 'q35' ? runHotplugScenario(input, [], { ...opts, settleNs: 0 }).boot : bootVm(input, { ...opts, runtime: {} });
  else if ('boot' in input) boot = input.boot;
  else boot = input;
  const live = boot.live;
  if (!live) throw new PcisimError('analyzeTopology needs a boot with the run-time hooks (runHotplugScenario)');
  const machine = live.machine;
  const root = machine.rootBus;
  if (!root) throw new PcisimError(`machine ${machine.name} has no PCI bus`);
  // ICH9's and PIIX4's ACPI PCI hot-plug (hw/acpi/pcihp.c), on by default in QEMU 7.2 on both
  const acpiHotplug = (machine as Machine & { opts?: { acpiPciHotplugWithBridgeSupport?: boolean } }).opts?.acpiPciHotplugWithBridgeSupport !== false && (machine.name === 'q35' || machine.name === 'pc');
  const osc = live.linux.osc;

  // --- slots per bus
  const buses: BusSlots[] = [];
  for (const bus of root.walk()) {
    const bridge = bus.parentBridge;
    let controller: SlotController = 'none';
    let hotplugSlots: number[] = [];
    let note = '';
    // an expander's root bus (pxb, pxb-pcie) and what sits below it: no ACPI hot-plug handler reaches there
    let top = bus;
    while (top.parentBridge?.bus) top = top.parentBridge.bus;
    const acpiHere = acpiHotplug && top === root;
    if (!bridge && bus !== root) {
      note = "an expander's root bus (pxb/pxb-pcie): no hot-plug handler; its own _OSC grants native hot-plug (pxb-pcie)";
    } else if (!bridge) {
      if (machine.name === 'q35') note = "q35's root bus has no hot-plug handler: device_add says \"Bus 'pcie.0' does not support hotplugging\"";
      else if (machine.name === 'pc') {
        // PIIX4_PM's acpi-root-pci-hotplug (on by default): the DSDT describes S00..S1F on bus 0, and
        // piix4_update_bus_hotplug() serves them; the on-board functions (host bridge, PIIX3) cannot be unplugged
        controller = 'acpi';
        hotplugSlots = range(0, 31);
        note = "PIIX4's ACPI hot-plug serves the root bus: every slot (the DSDT's S00..S1F); the on-board functions cannot be unplugged";
      }
    } else if (bridge.typeName === 'pcie-root-port' || bridge.isExpress && bridge.isBridge && bus.isExpress) {
      const hotplugOn = (bridge as PciDevice & { cfg?: { hotplug?: boolean } }).cfg?.hotplug !== false;
      if (hotplugOn) {
        controller = acpiHere && !bridge.hotplugged ? 'acpi' : osc.nativePcieHotplug || top !== root ? 'pciehp' : 'none';
        hotplugSlots = controller === 'none' ? [] : [0];
        note = 'a PCIe link has one device: slot 0 only (Linux scans devfn 0 of a port, only_one_child())';
        if (controller === 'none') note = 'native hot-plug is not granted by _OSC and ACPI hot-plug is off';
      } else note = 'hotplug=off';
    } else if (bridge.isBridge) {
      const shpc = (bridge as PciDevice & { shpc?: unknown }).shpc;
      if (acpiHere && !bridge.hotplugged) {
        controller = 'acpi';
        hotplugSlots = range(0, 31);
        note = 'ACPI hot-plug serves all 32 slots (the DSDT has S00..S1F under the bridge)';
      } else if (shpc && osc.nativeShpc) {
        controller = live.linux && hasShpchp(opts) ? 'shpchp' : 'none';
        hotplugSlots = range(1, 31);
        note =
          controller === 'shpchp'
            ? 'SHPC serves slots 1-31: shpc_device_plug_cb() refuses slot 0 ("Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.")'
            : 'SHPC slots 1-31, but the guest kernel has no shpchp (Debian cloud kernel): a device_add is only seen after a rescan';
      } else note = 'no SHPC: not hot-pluggable';
    }
    const used = usedSlots(bus);
    buses.push({
      name: bus.name,
      number: bus.number,
      express: bus.isExpress,
      controller,
      hotplugSlots,
      usedSlots: used,
      freeSlots: hotplugSlots.filter((s) => !used.includes(s)),
      note,
    });
  }

  // --- IOMMU groups (with a vIOMMU, ACS enabled by Linux where the capability exists)
  const iommuGroups = iommuGroupsOf(machine, live.linux);

  // --- bus numbers and windows (the guest's view)
  const bridges: BridgeRange[] = [];
  const usedNumbers = new Set<number>();
  for (const d of live.linux.allDevices()) {
    usedNumbers.add(d.bus.number);
    if (d.subordinate) {
      usedNumbers.add(d.subordinate.number);
      const inUse = busesBelow(d.subordinate);
      const w = d.windows;
      bridges.push({
        bridge: pciName(d),
        name: qemuNameOf(machine, d) ?? '',
        secondary: d.subordinate.number,
        subordinate: d.subordinate.busnEnd,
        spareBuses: d.subordinate.busnEnd - d.subordinate.number + 1 - inUse,
        windows: {
          io: w?.io ? `${hex(w.io.start)}-${hex(w.io.end)}` : null,
          mem: w?.mem ? `${hex(w.mem.start)}-${hex(w.mem.end)}` : null,
          pref: w?.pref ? `${hex(w.pref.start)}-${hex(w.pref.end)}` : null,
        },
      });
    }
  }
  const info = machine.bootInfo(boot.report.append);
  const mcfgEndBus = info.acpi?.mcfg[0]?.endBus ?? -1;
  const lastBusOpt = /pci=(?:[^\s]*,)?lastbus=(\d+)/.exec(boot.report.append);
  // without an MCFG (pc) the peer-bus scan runs to bus ff all the same (pcibios_last_bus stays 0xff)
  const pcibiosLastBus = lastBusOpt ? Number(lastBusOpt[1]) : mcfgEndBus >= 0 ? mcfgEndBus : 0xff;
  const used = [...usedNumbers].sort((a, b) => a - b);
  const notes: string[] = [];
  const maxUsed = used[used.length - 1] ?? 0;
  notes.push(
    `pci=lastbus=N only bounds pcibios_fixup_peer_bridges()' blind scan of root buses the ACPI tables do not describe; every bus here sits behind a bridge or a described host bridge, so lastbus=0 hides none of them and saves the ${Math.max(0, 255 - maxUsed)} × 32 probes of buses ${hex2(maxUsed + 1)}-ff`,
  );
  for (const b of bridges) {
    if (b.spareBuses <= 0) notes.push(`${b.name || b.bridge} [bus ${hex2(b.secondary)}-${hex2(b.subordinate)}]: no spare bus number, a bridge hot-added below it fails ("No bus number available for hot-added bridge")`);
  }
  if (mcfgEndBus >= 0 && mcfgEndBus < 255) {
    notes.push(
      `MCFG ends at bus ${hex2(mcfgEndBus)}: a function on a later bus (a bridge hot-added with a new bus number) has no ECAM, so no extended config space (AER, ACS, the PCIe capability's registers past 0x100)`,
    );
  } else if (mcfgEndBus < 0) {
    notes.push('no MCFG: config space is reached through ports 0xcf8/0xcfc only, so no function has extended config space (past 0x100)');
  } else {
    notes.push('MCFG covers buses 00-ff: every bus number a hot-added bridge could take has ECAM');
  }

  const free = buses.reduce((s, b) => s + b.freeSlots.length, 0);
  const vfio = vfioNotes(iommuGroups, buses);
  return {
    machine: machine.name,
    acpiHotplug,
    buses,
    freeHotplugSlots: free,
    iommuGroups,
    bridges,
    busNumbers: { used, mcfgEndBus, pcibiosLastBus, notes },
    vfio,
  };
}

function hasShpchp(opts: HotplugOptions): boolean {
  return (opts.flavour ?? DEFAULT_FLAVOUR) === 'linux-6.1-generic';
}

function range(a: number, b: number): number[] {
  const out: number[] = [];
  for (let i = a; i <= b; i++) out.push(i);
  return out;
}

function usedSlots(bus: PciBus): number[] {
  const out = new Set<number>();
  for (const d of bus.devices) if (d) out.add(d.devfn >> 3);
  return [...out].sort((a, b) => a - b);
}

function busesBelow(bus: PciBusState): number {
  let n = 1;
  for (const d of bus.devices) if (d.subordinate) n += busesBelow(d.subordinate);
  return n;
}

function qemuNameOf(machine: Machine, d: PciDev): string | undefined {
  for (const { bus, dev } of machine.functions()) if (bus === d.bus.number && dev.devfn === d.devfn) return dev.id;
  return undefined;
}

const hex = (n: number) => `0x${n.toString(16)}`;
const hex2 = (n: number) => n.toString(16).padStart(2, '0');

// ------------------------------------------------------------------------------------------------
// IOMMU groups: @sim/guest's pci_device_group() (drivers/iommu/iommu.c) on what the guest enumerated

/**
 * Linux's IOMMU groups (with a vIOMMU, ACS enabled by Linux where the capability exists), named after QEMU's
 * devices; the functions in QEMU's bus-walk order, as this report has always listed them.
 */
export function iommuGroupsOf(machine: Machine, linux: Linux): IommuGroup[] {
  const byBdf = new Map<number, PciDev>();
  for (const d of linux.allDevices()) byBdf.set((d.bus.number << 8) | d.devfn, d);
  const qemuOf = new Map<PciDev, PciDevice>();
  const order: PciDev[] = [];
  for (const { bus, dev } of machine.functions()) {
    const d = byBdf.get((bus << 8) | dev.devfn);
    if (!d) continue;
    order.push(d);
    qemuOf.set(d, dev);
  }
  return pciDeviceGroups(order).map((g) => ({
    id: g.id,
    devices: g.devices.map((d) => {
      const q = qemuOf.get(d)!;
      return `${pciName(d)} ${q.typeName}${q.id ? ` (${q.id})` : ''}`;
    }),
    reason: iommuGroupReasonText(g.reason),
  }));
}

function vfioNotes(groups: IommuGroup[], buses: BusSlots[]): string[] {
  const notes: string[] = [];
  const shared = groups.filter((g) => g.devices.length > 1);
  for (const g of shared) {
    if (/DMA alias of the bridge/.test(g.reason)) {
      notes.push(
        `group ${g.id} (${g.devices.length} functions): everything behind ${g.reason.replace(/^DMA alias of the bridge (\S+).*/, '$1')} is one group, so VFIO can only hand the whole set to one user: two DPDK processes cannot each own a device there, and a device bound to a guest kernel driver blocks DPDK on the others (seed 004)`,
      );
    } else if (/no ACS/.test(g.reason)) {
      notes.push(`group ${g.id}: ${g.reason}; its ${g.devices.length} functions go to VFIO together`);
    }
  }
  const rp = buses.filter((b) => b.controller !== 'none' && b.hotplugSlots.length === 1);
  if (rp.length) notes.push(`${rp.length} root port(s) with ACS: each device hot-plugged there gets its own group (assignable on its own)`);
  for (const b of buses) {
    // a root bus's functions each keep their own requester ID: only a bridge's secondary bus aliases
    if (b.controller === 'none' || b.hotplugSlots.length <= 1 || b.express || b.number === 0) continue;
    notes.push(
      `${b.name}: a conventional bus; its ${b.freeSlots.length} free slots all alias to the bridge's requester ID, so whatever is hot-plugged there joins the bridge's group: one VFIO user for all of them (no two DPDK processes, no mixing with guest-kernel drivers; seed 004)`,
    );
  }
  if (!notes.length) notes.push('every function is in its own group');
  return notes;
}

// ------------------------------------------------------------------------------------------------
// compare topologies

export interface TopologyComparison {
  name: string;
  qemuArgs: string[];
  boot: { linuxConfigAccesses: number; linuxTimeNs: number; firmwareConfigAccesses: number };
  hotplug: { controller: string; bus: string; toFoundNs: number | null; toUsableNs: number | null; outcome: string }[];
  freeHotplugSlots: number;
  iommuGroups: number;
  largestGroup: number;
  topology: TopologyReport;
}

/**
 * Seed 004's two topologies, as recorded in the q35-kata and q35-libvirt references (a test holds them equal):
 * Kata's devices behind one `pci-bridge` with SHPC, libvirt's `pcie-root-port` per device.
 */
const NAMED_TOPOLOGIES: Record<string, { qemuArgs: string[]; append: string }> = {
  kata: {
    qemuArgs: [
    "-M",
    "q35",
    "-nodefaults",
    "-serial",
    "stdio",
    "-device",
    "pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,shpc=on,addr=2,romfile=",
    "-object",
    "rng-random,id=rng0,filename=/dev/urandom",
    "-netdev",
    "user,id=network-0",
    "-device",
    "virtio-serial-pci,disable-modern=false,id=serial0,romfile=",
    "-device",
    "virtio-scsi-pci,id=scsi0,disable-modern=false,romfile=",
    "-device",
    "virtio-rng-pci,rng=rng0,romfile=",
    "-device",
    "virtio-net-pci,netdev=network-0,mac=02:42:ac:11:00:02,disable-modern=false,mq=on,vectors=4,romfile=",
  ],
    append: "console=ttyS0 earlyprintk=ttyS0 panic=0",
  },
  libvirt: {
    qemuArgs: [
    "-M",
    "q35",
    "-nodefaults",
    "-serial",
    "stdio",
    "-device",
    "pcie-root-port,port=0x10,chassis=1,id=pci.1,bus=pcie.0,multifunction=on,addr=0x2",
    "-device",
    "pcie-root-port,port=0x11,chassis=2,id=pci.2,bus=pcie.0,addr=0x2.0x1",
    "-device",
    "pcie-root-port,port=0x12,chassis=3,id=pci.3,bus=pcie.0,addr=0x2.0x2",
    "-device",
    "pcie-root-port,port=0x13,chassis=4,id=pci.4,bus=pcie.0,addr=0x2.0x3",
    "-device",
    "pcie-root-port,port=0x14,chassis=5,id=pci.5,bus=pcie.0,addr=0x2.0x4",
    "-device",
    "pcie-root-port,port=0x15,chassis=6,id=pci.6,bus=pcie.0,addr=0x2.0x5",
    "-device",
    "pcie-root-port,port=0x16,chassis=7,id=pci.7,bus=pcie.0,addr=0x2.0x6",
    "-device",
    "qemu-xhci,p2=15,p3=15,id=usb,bus=pci.2,addr=0x0",
    "-device",
    "virtio-serial-pci,id=virtio-serial0,bus=pci.3,addr=0x0",
    "-blockdev",
    "driver=null-co,node-name=n0,size=67108864",
    "-device",
    "virtio-blk-pci,bus=pci.4,addr=0x0,drive=n0,id=virtio-disk0",
    "-netdev",
    "user,id=hostnet0",
    "-device",
    "virtio-net-pci,netdev=hostnet0,id=net0,mac=52:54:00:12:34:56,bus=pci.1,addr=0x0",
    "-object",
    "rng-random,id=objrng0,filename=/dev/urandom",
    "-device",
    "virtio-rng-pci,rng=objrng0,id=rng0,bus=pci.6,addr=0x0",
  ],
    append: "console=ttyS0 earlyprintk=ttyS0 panic=0",
  },
};

/**
 * A topology by name: a built-in one (kata, libvirt), or `q35-<name>.json` (a pcisim reference) in
 * `referenceDir` or `$PCISIM_REFERENCE_DIR`.
 */
export function namedTopology(name: string, referenceDir = process.env.PCISIM_REFERENCE_DIR): { qemuArgs: string[]; append: string } {
  const builtIn = NAMED_TOPOLOGIES[name];
  if (builtIn) return { qemuArgs: [...builtIn.qemuArgs], append: builtIn.append };
  const known = Object.keys(NAMED_TOPOLOGIES).join(', ');
  if (referenceDir === undefined) throw new PcisimError(`no topology named '${name}'; known: ${known} (or set PCISIM_REFERENCE_DIR to a folder of q35-<name>.json references)`);
  const file = join(referenceDir, `q35-${name}.json`);
  if (!existsSync(file)) throw new PcisimError(`no topology named '${name}' (${file} not found); known: ${known}`);
  let j: unknown;
  try {
    j = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new PcisimError(`topology '${name}': ${file} is not a readable JSON reference (${(e as Error).message.split('\n')[0]!})`);
  }
  const o = (typeof j === 'object' && j !== null ? j : {}) as { qemuArgs?: unknown; append?: unknown };
  if (!Array.isArray(o.qemuArgs) || !o.qemuArgs.every((a) => typeof a === 'string')) throw new PcisimError(`topology '${name}': ${file} has no "qemuArgs" list of strings`);
  if (o.append !== undefined && typeof o.append !== 'string') throw new PcisimError(`topology '${name}': ${file}: "append" must be a string`);
  return { qemuArgs: o.qemuArgs as string[], append: (o.append as string | undefined) ?? '' };
}

/**
 * Side by side: boot cost, then one hot-plug per controller kind the topology offers (ACPI by default,
 * native with `-global ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off`), free slots and IOMMU groups.
 */
export function compareTopologies(names: readonly string[], opts: HotplugOptions & { referenceDir?: string } = {}): TopologyComparison[] {
  const out: TopologyComparison[] = [];
  for (const name of names) {
    const t = namedTopology(name, opts.referenceDir);
    const args = [...t.qemuArgs, '-append', t.append];
    const scenario = parseQemuArgs(args);
    const base = runHotplugScenario(scenario, [], { ...opts, settleNs: 0 });
    const topo = analyzeTopology(base, opts);
    const hotplug: TopologyComparison['hotplug'] = [];
    for (const mode of ['acpi', 'native'] as const) {
      const margs = mode === 'native' ? ['-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', ...args] : args;
      const sc = parseQemuArgs(margs);
      const probe = runHotplugScenario(sc, [], { ...opts, settleNs: 0 });
      const tp = analyzeTopology(probe, opts);
      // one free slot per controller kind
      const kinds = new Map<string, BusSlots>();
      for (const b of tp.buses) if (b.freeSlots.length && !kinds.has(b.controller) && b.controller !== 'none') kinds.set(b.controller, b);
      for (const [controller, bus] of kinds) {
        const slot = bus.freeSlots[0]!;
        const cmd = `device_add virtio-net-pci,id=hp0,bus=${bus.name}${bus.hotplugSlots.length > 1 ? `,addr=${slot}` : ''},netdev=hpnet0`;
        const sc2 = parseQemuArgs([...margs, '-netdev', 'user,id=hpnet0']);
        const r = runHotplugScenario(sc2, [{ at: 1e9, relative: true, qmp: cmd }], { ...opts, settleNs: 12e9 });
        const e = r.events[0];
        hotplug.push({
          controller,
          bus: bus.name,
          toFoundNs: e?.toFoundNs ?? null,
          toUsableNs: e?.toUsableNs ?? null,
          outcome: e?.outcome ?? '',
        });
      }
    }
    const lin = base.boot.report.phases.linux;
    out.push({
      name,
      qemuArgs: t.qemuArgs,
      boot: { linuxConfigAccesses: lin.config.accesses.total, linuxTimeNs: lin.timeNs ?? 0, firmwareConfigAccesses: base.boot.report.phases.firmware.config.accesses.total },
      hotplug,
      freeHotplugSlots: topo.freeHotplugSlots,
      iommuGroups: topo.iommuGroups.length,
      largestGroup: Math.max(...topo.iommuGroups.map((g) => g.devices.length)),
      topology: topo,
    });
  }
  return out;
}
