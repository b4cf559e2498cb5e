/**
 * @module
 * The text of `pcisim topology` (free slots, IOMMU groups, bus numbers, VFIO notes) and of
 * `pcisim compare --topology` (topologies side by side).
 */
import type { TopologyReport, TopologyComparison } from '../core/topology.js';

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

export function formatTopology(t: TopologyReport): string {
  const l: string[] = [];
  l.push(`machine ${t.machine}, ACPI PCI hot-plug ${t.acpiHotplug ? `on (QEMU 7.2's ${t.machine} default)` : 'off (native: pciehp / shpchp)'}`);
  l.push('');
  l.push('bus              nr  hot-plug   slots  used  free  note');
  for (const b of t.buses) {
    l.push(
      `${b.name.padEnd(16)} ${hex2(b.number)}  ${b.controller.padEnd(9)}  ${String(b.hotplugSlots.length).padStart(5)}  ${String(b.usedSlots.length).padStart(4)}  ${String(b.freeSlots.length).padStart(4)}  ${b.note}`,
    );
  }
  l.push(`free hot-plug slots: ${t.freeHotplugSlots}`);
  l.push('');
  l.push('IOMMU groups (a vIOMMU, ACS enabled where the capability exists):');
  for (const g of t.iommuGroups) l.push(`  ${String(g.id).padStart(2)}: ${g.devices.join(', ')}${g.devices.length > 1 ? `  [${g.reason}]` : ''}`);
  l.push('');
  l.push('bridges: bus range, spare bus numbers, windows');
  for (const b of t.bridges) {
    l.push(
      `  ${b.bridge} ${b.name.padEnd(12)} [bus ${hex2(b.secondary)}-${hex2(b.subordinate)}] spare ${b.spareBuses}  io ${b.windows.io ?? '-'}  mem ${b.windows.mem ?? '-'}  pref ${b.windows.pref ?? '-'}`,
    );
  }
  l.push('');
  l.push(`bus numbers in use: ${t.busNumbers.used.map(hex2).join(' ')}; ${t.busNumbers.mcfgEndBus >= 0 ? `MCFG ends at ${hex2(t.busNumbers.mcfgEndBus)}` : 'no MCFG'}; peer-bus scan up to ${hex2(t.busNumbers.pcibiosLastBus)}`);
  for (const n of t.busNumbers.notes) l.push(`  - ${n}`);
  l.push('');
  l.push('VFIO:');
  for (const n of t.vfio) l.push(`  - ${n}`);
  return l.join('\n') + '\n';
}

export function formatTopologyComparison(c: readonly TopologyComparison[]): string {
  const l: string[] = [];
  const w = 30;
  const row = (label: string, f: (x: TopologyComparison) => string) => l.push(label.padEnd(w) + c.map((x) => f(x).padEnd(34)).join(''));
  row('', (x) => x.name);
  row('boot: linux config accesses', (x) => String(x.boot.linuxConfigAccesses));
  row('boot: linux time in exits', (x) => `${(x.boot.linuxTimeNs / 1e6).toFixed(3)} ms`);
  row('free hot-plug slots', (x) => String(x.freeHotplugSlots));
  row('IOMMU groups (largest)', (x) => `${x.iommuGroups} (${x.largestGroup})`);
  for (const ctl of ['acpi', 'pciehp', 'shpchp']) {
    row(`hot-plug via ${ctl}`, (x) => {
      const h = x.hotplug.find((y) => y.controller === ctl);
      if (!h) return '-';
      return h.toFoundNs !== null ? `${fmtNs(h.toFoundNs)} found, ${h.toUsableNs !== null ? fmtNs(h.toUsableNs) : '-'} usable` : h.outcome;
    });
  }
  return l.join('\n') + '\n';
}

function fmtNs(ns: number): string {
  return ns >= 1e9 ? `${(ns / 1e9).toFixed(3)} s` : `${(ns / 1e6).toFixed(3)} ms`;
}

