/**
 * @module
 * The human report of `pcisim boot`: lspci-like device list, config accesses by phase, mechanism and
 * presence, exits by reason and where they were handled, time under the cost profile, and one summary line.
 */
import type { BootResult, SimulatedSetup } from '../core/boot.js';
import type { DeviceEntry } from '../core/report-types.js';
import { groupThousands } from './number.js';

const n = groupThousands;
const ms = (ns: number) => (ns / 1e6).toFixed(3);

export function formatTextReport(r: BootResult): string {
  const out: string[] = [];
  const { report } = r;
  out.push(`pcisim boot: ${simulatedLine(r.simulated)}; cost profile ${r.costProfile.name}`);
  out.push(`qemu args: ${report.qemuArgs.join(' ') || '(none)'}`);
  out.push(`kernel command line: ${report.append || '(empty)'}`);
  if (report.hostCpu) out.push(`cpu: ${report.hostCpu}`);
  if (report.notModelled?.length) out.push(`accepted, not modelled: ${report.notModelled.join('; ')}`);
  if (report.noPciEffect?.length) out.push(`accepted, no effect on PCI: ${report.noPciEffect.join('; ')}`);
  out.push('');
  out.push('Devices Linux found (bridges with what sits behind them):');
  out.push(...formatTree(report.devices));
  for (const line of r.log) out.push(`  (${line})`);
  out.push('');
  // the label column is as wide as its longest label, so that every number lines up
  const W = 2 + 'KVM_EXIT_MMIO (userspace)'.length;
  out.push(`${'Config-space accesses'.padEnd(W)}${'firmware'.padStart(10)} ${'linux'.padStart(10)}`);
  const f = report.phases.firmware;
  const l = report.phases.linux;
  const row = (name: string, a: number, b: number) => out.push(`  ${name.padEnd(W - 2)}${n(a).padStart(10)} ${n(b).padStart(10)}`);
  row('conf1 (0xcf8/0xcfc)', f.config.accesses.conf1, l.config.accesses.conf1);
  row('mmcfg (ECAM)', f.config.accesses.mmcfg, l.config.accesses.mmcfg);
  row('total', f.config.accesses.total, l.config.accesses.total);
  row('  to absent functions', f.config.absent, l.config.absent);
  row('  on buses 1-255', total(f.config.byBus) - (f.config.byBus['0'] ?? 0), total(l.config.byBus) - (l.config.byBus['0'] ?? 0));
  out.push('');
  out.push(`${'VM exits'.padEnd(W)}${'firmware'.padStart(10)} ${'linux'.padStart(10)}`);
  row('KVM_EXIT_IO (userspace)', f.exits!.KVM_EXIT_IO, l.exits!.KVM_EXIT_IO);
  row('KVM_EXIT_MMIO (userspace)', f.exits!.KVM_EXIT_MMIO, l.exits!.KVM_EXIT_MMIO);
  row('handled in KVM', f.exits!.inKernel, l.exits!.inKernel);
  out.push(`  ${'time in config access'.padEnd(W - 2)}${`${ms(f.timeNs!)} ms`.padStart(10)} ${`${ms(l.timeNs!)} ms`.padStart(10)}`);
  out.push('');
  const lx = l.exits!;
  const user = lx.KVM_EXIT_IO + lx.KVM_EXIT_MMIO;
  const p = r.costProfile;
  out.push(
    `Linux made ${n(l.config.accesses.total)} config accesses, ${n(l.config.absent)} of them to functions that do not exist` +
      ` (${pct(l.config.absent, l.config.accesses.total)}); they cost ${n(user)} exits to userspace, ${ms(l.timeNs!)} ms under ${p.name}.`,
  );
  // two answers to "what would handling it in KVM save", each saying what it counts: the cover letter's
  // (absent functions only, what KVM_MEM_PCI_HOLE targets) and the bound (every exit to userspace)
  const absentSaving = l.config.absent * (p.ns.userspaceExitMmio - p.ns.inKernelMmio);
  const userNs = p.ns.userspaceExitIo === p.ns.userspaceExitMmio ? `${p.ns.userspaceExitMmio} ns an exit` : `${p.ns.userspaceExitIo} ns a port exit, ${p.ns.userspaceExitMmio} ns an MMIO exit`;
  out.push(`Handled in KVM (${p.ns.inKernelMmio} ns) instead of in userspace (${userNs}), the linux phase would save:`);
  out.push(`  ${ms(absentSaving).padStart(9)} ms  the ${n(l.config.absent)} accesses to absent functions alone (the 2020 cover letter's figure, what KVM_MEM_PCI_HOLE targets)`);
  out.push(`  ${ms(l.timeNs! - r.inKernelTimeNs).padStart(9)} ms  all ${n(user)} exits to userspace (present devices too): ${ms(r.inKernelTimeNs)} ms instead of ${ms(l.timeNs!)} ms`);
  return out.join('\n') + '\n';
}

const FIRMWARE: Record<SimulatedSetup['firmware'], string> = {
  seabios: 'SeaBIOS 1.16.2',
  qboot: 'qboot',
  none: 'no firmware',
};

/** "q35 (QEMU 7.2), SeaBIOS 1.16.2, linux-6.1-cloud": what was simulated, not what is usual */
export function simulatedLine(sim: SimulatedSetup): string {
  return `${sim.machine} (QEMU ${sim.qemu}), ${FIRMWARE[sim.firmware]}, ${sim.kernel}`;
}

function total(byBus: Record<string, number>): number {
  let t = 0;
  for (const v of Object.values(byBus)) t += v;
  return t;
}
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : '0 %');
const hex2 = (x: number) => x.toString(16).padStart(2, '0');

/** The devices as a tree: each bridge's secondary bus indented under it, like `lspci -t` turned sideways. */
export function formatTree(devices: readonly DeviceEntry[]): string[] {
  const byBus = new Map<number, DeviceEntry[]>();
  for (const d of devices) {
    const bus = Number.parseInt(d.bdf.slice(5, 7), 16);
    const list = byBus.get(bus) ?? [];
    list.push(d);
    byBus.set(bus, list);
  }
  const secondaries = new Set(devices.filter((d) => d.bridge).map((d) => d.bridge!.secondary));
  const lines: string[] = [];
  const walk = (bus: number, depth: number) => {
    for (const d of byBus.get(bus) ?? []) {
      const pad = '  '.repeat(depth + 1);
      const br = d.bridge;
      const range = br ? `  -> bus ${hex2(br.secondary)}${br.subordinate !== br.secondary ? `-${hex2(br.subordinate)}` : ''}` : '';
      lines.push(`${pad}${d.bdf.slice(5)} [${d.vendor}:${d.device}] class ${d.class}${range}`);
      if (br) {
        if (!byBus.has(br.secondary)) lines.push(`${pad}  (bus ${hex2(br.secondary)}: empty)`);
        else walk(br.secondary, depth + 1);
      }
    }
  };
  for (const bus of [...byBus.keys()].filter((b) => !secondaries.has(b)).sort((a, b) => a - b)) walk(bus, 0);
  return lines;
}
