/**
 * @module
 * `pcisim compare`: the same machine booted once per mitigation set — the baseline, each 2020 proposal
 * alone, and the combinations that make sense — side by side, with what each saves against the baseline.
 * A set that cannot change anything says why instead of printing a row of zeros.
 */
import type { CostProfile } from '@sim/kvm';
import type { KvmPciMitigation } from '@sim/qemu';
import type { GuestPatch } from '@sim/guest';
import type { BootResult } from './boot.js';
import { bootScenario } from './boot-scenario.js';
import type { Scenario } from './scenario.js';
import type { ExitTally } from './report-types.js';

export interface MitigationSet {
  name: string;
  /** one line: what the row models */
  description: string;
  kvm: KvmPciMitigation[];
  guest: GuestPatch;
  /** set the PV feature bit on -cpu (kvm-pci-go-mmconfig=on) */
  pvBit?: boolean;
  append?: string;
  accurateMcfgReserve?: number;
  pvEnumeration?: boolean;
}

export interface CompareRow {
  name: string;
  description: string;
  kvm: KvmPciMitigation[];
  guest: string;
  config: { accesses: { total: number }; absent: number };
  exits: ExitTally;
  eptFaults: number;
  memslots: number;
  ioDevices: number;
  hostMemoryBytes: number;
  timeNs: number;
  savedNs: number;
  /** why the row equals the baseline, when it does */
  noEffect?: string;
}

export interface CompareResult {
  schema: 'pcisim.compare/1';
  qemuArgs: string[];
  costProfile: string;
  rows: CompareRow[];
}

/** The sets `pcisim compare` runs by default. */
export const DEFAULT_SETS: MitigationSet[] = [
  { name: 'baseline', description: 'QEMU 7.2 + Linux 6.1 as they are', kvm: [], guest: 'none' },
  { name: 'pci-hole', description: 'KVM_MEM_PCI_HOLE over absent ECAM, guest unchanged', kvm: ['pci-hole'], guest: 'none' },
  { name: 'mmconfig-v1', description: 'guest uses MMCONFIG for all config space on KVM (patch v1)', kvm: [], guest: 'mmconfig-v1' },
  { name: 'mmconfig-v2', description: 'guest MMCONFIG gated by the KVM PV feature bit (patch v2)', kvm: [], guest: 'mmconfig-v2', pvBit: true },
  { name: 'pci-hole+v2', description: 'PCI_HOLE memslots with an MMCONFIG guest', kvm: ['pci-hole'], guest: 'mmconfig-v2', pvBit: true },
  { name: 'mmio-bus+v2', description: 'in-kernel all-ones MMIO-bus devices with an MMCONFIG guest', kvm: ['mmio-bus'], guest: 'mmconfig-v2', pvBit: true },
  { name: 'ro-page+v2', description: 'READONLY slots on one 0xff page (single HVA), 4 KiB SPTEs', kvm: ['ro-page'], guest: 'mmconfig-v2', pvBit: true },
  { name: 'ro-page-prefetch+v2', description: 'ro-page with SPTE prefetch of 8 neighbours', kvm: ['ro-page-prefetch'], guest: 'mmconfig-v2', pvBit: true },
  { name: 'ro-page-prefetch-2m+v2', description: 'ro-page with SPTE prefetch of the 2 MiB range', kvm: ['ro-page-prefetch-2m'], guest: 'mmconfig-v2', pvBit: true },
  { name: 'ro-page-2m+v2', description: 'ro-page on a 2 MiB 0xff page, 2 MiB SPTEs', kvm: ['ro-page-2m'], guest: 'mmconfig-v2', pvBit: true },
  { name: 'ro-page-full+v2', description: 'READONLY slots backed by their own 0xff memory (no single HVA)', kvm: ['ro-page-full'], guest: 'mmconfig-v2', pvBit: true },
  { name: 'pio-fast', description: 'KVM answers 0xcf8/0xcfc for absent functions', kvm: ['pio-fast'], guest: 'none' },
  { name: 'lastbus=0', description: 'kernel command line pci=lastbus=0', kvm: [], guest: 'none', append: 'pci=lastbus=0' },
  { name: 'accurate-mcfg', description: 'MCFG declares only the buses in use', kvm: [], guest: 'none', accurateMcfgReserve: 0 },
  { name: 'accurate-mcfg+pci-hole+v2', description: 'accurate MCFG, PCI_HOLE and an MMCONFIG guest', kvm: ['pci-hole'], guest: 'mmconfig-v2', pvBit: true, accurateMcfgReserve: 0 },
  { name: 'pv-enumeration', description: 'lower bound: the VMM hands over the device list, nothing is probed', kvm: [], guest: 'none', pvEnumeration: true },
];

export function compare(base: Scenario, sets: MitigationSet[] = DEFAULT_SETS, costProfile?: CostProfile | string): CompareResult {
  const rows: CompareRow[] = [];
  let baseline: BootResult | null = null;
  for (const set of sets) {
    const s: Scenario = { ...base, qemuArgs: [...base.qemuArgs] };
    if (set.append) s.append = `${base.append} ${set.append}`.trim();
    if (set.pvBit) s.cpu = `${base.cpu ?? 'qemu64'},kvm-pci-go-mmconfig=on`;
    if (set.accurateMcfgReserve !== undefined) s.accurateMcfgReserve = set.accurateMcfgReserve;
    const r = bootScenario(s, {
      kvm: set.kvm,
      guestPatch: set.guest,
      ...(set.pvEnumeration ? { pvEnumeration: true } : {}),
      ...(costProfile !== undefined ? { costProfile } : {}),
    });
    baseline ??= r;
    const l = r.report.phases.linux;
    const row: CompareRow = {
      name: set.name,
      description: set.description,
      kvm: set.kvm,
      guest: set.guest + (set.append ? ` ${set.append}` : ''),
      config: { accesses: { total: l.config.accesses.total }, absent: l.config.absent },
      exits: l.exits!,
      eptFaults: r.footprint.eptFaults,
      memslots: r.footprint.memslots,
      ioDevices: r.footprint.ioDevices,
      hostMemoryBytes: r.footprint.hostMemoryBytes,
      timeNs: l.timeNs!,
      savedNs: baseline.report.phases.linux.timeNs! - l.timeNs!,
    };
    if (row.savedNs === 0 && set.name !== 'baseline') row.noEffect = whyNoEffect(set, r);
    rows.push(row);
  }
  return { schema: 'pcisim.compare/1', qemuArgs: base.qemuArgs, costProfile: baseline?.costProfile.name ?? '', rows };
}

function whyNoEffect(set: MitigationSet, r: BootResult): string {
  const ecam = set.kvm.some((k) => k !== 'pio-fast');
  const l = r.report.phases.linux;
  const guestHasEcam = r.log.some((x) => x.includes('MMCONFIG'));
  if ((ecam || set.guest !== 'none') && !guestHasEcam) {
    return 'the guest finds no ECAM window (no MCFG table, no _CBA): there is nothing to switch to and no ECAM hole to punch';
  }
  if ((set.append?.includes('lastbus') || set.accurateMcfgReserve !== undefined) && !guestHasEcam) {
    return 'without MCFG pcibios_last_bus stays -1, so Linux makes no peer-bus scan to cut';
  }
  if (ecam && set.guest === 'none' && l.config.accesses.mmcfg > 0) {
    return 'the guest reads the first 256 bytes of config space through ports 0xcf8/0xcfc (raw_pci_ops = conf1); its ECAM accesses all reach present functions, so no absent ECAM range is ever touched';
  }
  if (ecam && set.guest === 'none') return 'the guest uses no ECAM at all (raw_pci_ops = conf1), and the holes only cover ECAM';
  if (set.pvBit && r.log.every((x) => !x.includes('MMCONFIG for base access'))) {
    return 'the guest did not switch to MMCONFIG (the PV bit is not set)';
  }
  return 'nothing in this boot reaches what the mitigation changes';
}
