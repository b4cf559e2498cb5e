/**
 * @module
 * The human report of `pcisim boot`: lspci-like device list, config accesses by phase, mechanism and
 * presence, exits by reason and where they were handled, time under the cost profile, and one summary line.
 */
import type { BootResult } from '../core/boot.js';
import type { DeviceEntry } from '../core/report-types.js';
import { groupThousands } from './number.js';

const n = groupThousands;
const ms = (ns: number) => (ns / 1e6).toFixed(3);

export function formatTextReport(r: BootResult): string {
  const out: string[] = [];
  const { report } = r;
  out.push(`pcisim boot: q35 (QEMU 7.2), SeaBIOS 1.16, Linux 6.1; cost profile ${r.costProfile.name}`);
  out.push(`qemu args: ${report.qemuArgs.join(' ') || '(none)'}`);
  out.push(`kernel command line: ${report.append || '(empty)'}`);
  out.push('');
  out.push('Devices Linux found (bridges with what sits behind them):');
  out.push(...formatTree(report.devices));
  for (const line of r.log) out.push(`  (${line})`);
  out.push('');
  out.push('Config-space accesses       firmware      linux');
  const f = report.phases.firmware;
  const l = report.phases.linux;
  const row = (name: string, a: number, b: number) => out.push(`  ${name.padEnd(24)}${n(a).padStart(10)} ${n(b).padStart(10)}`);
  row('conf1 (0xcf8/0xcfc)', f.config.accesses.conf1, l.config.accesses.conf1);
  row('mmcfg (ECAM)', f.config.accesses.mmcfg, l.config.accesses.mmcfg);
  row('total', f.config.accesses.total, l.config.accesses.total);
  row('  to absent functions', f.config.absent, l.config.absent);
  row('  on buses 1-255', total(f.config.byBus) - (f.config.byBus['0'] ?? 0), total(l.config.byBus) - (l.config.byBus['0'] ?? 0));
  out.push('');
  out.push('VM exits                    firmware      linux');
  row('KVM_EXIT_IO (userspace)', f.exits!.KVM_EXIT_IO, l.exits!.KVM_EXIT_IO);
  row('KVM_EXIT_MMIO (userspace)', f.exits!.KVM_EXIT_MMIO, l.exits!.KVM_EXIT_MMIO);
  row('handled in KVM', f.exits!.inKernel, l.exits!.inKernel);
  out.push(`  time in config access     ${ms(f.timeNs!).padStart(8)} ms ${ms(l.timeNs!).padStart(7)} ms`);
  out.push('');
  const lx = l.exits!;
  const user = lx.KVM_EXIT_IO + lx.KVM_EXIT_MMIO;
  const saved = l.timeNs! - r.inKernelTimeNs;
  out.push(
    `Linux made ${n(l.config.accesses.total)} config accesses, ${n(l.config.absent)} of them to functions that do not exist` +
      ` (${pct(l.config.absent, l.config.accesses.total)}); they cost ${n(user)} exits to userspace, ${ms(l.timeNs!)} ms under ${r.costProfile.name}.`,
  );
  const perAccessSaving = l.config.absent * (r.costProfile.ns.userspaceExitMmio - r.costProfile.ns.inKernelMmio);
  out.push(
    `The 2020 cover letter's figure, counted per access: ${n(l.config.absent)} absent-function accesses answered in KVM` +
      ` (${r.costProfile.ns.inKernelMmio} ns) instead of userspace (${r.costProfile.ns.userspaceExitMmio} ns) save ${(perAccessSaving / 1e9).toFixed(3)} s a boot.`,
  );
  out.push(
    `Handled in KVM (${r.costProfile.ns.inKernelMmio} ns instead of ${r.costProfile.ns.userspaceExitIo} ns an exit) they would cost ${ms(r.inKernelTimeNs)} ms: ${ms(saved)} ms less a boot.`,
  );
  return out.join('\n') + '\n';
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
