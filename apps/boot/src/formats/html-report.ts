/**
 * @module
 * `pcisim report … --html out.html`: one self-contained page — inline CSS and SVG, no script, no font, no
 * image, no link, and a Content-Security-Policy that forbids fetching anything — so it opens the same
 * offline, attached to a bug, or years later. Sections: the topology Linux found (from `report.devices`),
 * the phase timeline and milestones (from the collected trace), VM exits stacked by VMX reason, and the
 * `pcisim compare` matrix as one bar per mitigation row. Every section is optional but one.
 *
 * Deterministic: the same boot and compare give the same bytes (no date, no random ids).
 */
import type { BootResult } from '../core/boot.js';
import type { CompareResult, CompareRow } from '../core/compare.js';
import { compareRowCells } from './compare.js';
import type { DeviceEntry } from '../core/report-types.js';
import type { TraceSpan } from '../core/collector.js';
import { formatMilestones, milestones } from './milestones.js';
import { groupThousands } from './number.js';
import { simulatedLine } from './text.js';

export interface HtmlReportInput {
  /** a boot; with `trace` collected for the timeline and the exit-rate chart */
  boot?: BootResult;
  compare?: CompareResult;
  /** page title (default: "pcisim report") */
  title?: string;
}

const REASON_COLOURS: Record<string, string> = {
  IO_INSTRUCTION: '#4e79a7',
  EPT_MISCONFIG: '#f28e2b',
  EPT_VIOLATION: '#e15759',
  CPUID: '#76b7b2',
};
const REASONS = ['IO_INSTRUCTION', 'EPT_MISCONFIG', 'EPT_VIOLATION', 'CPUID'] as const;

/** The whole page. */
export function renderHtmlReport(input: HtmlReportInput): string {
  const { boot, compare } = input;
  if (!boot && !compare) throw new Error('renderHtmlReport needs a boot, a compare, or both');
  const title = input.title ?? 'pcisim report';
  const args = boot?.report.qemuArgs ?? compare?.qemuArgs ?? [];
  const sections: string[] = [];
  if (boot) {
    sections.push(summary(boot));
    sections.push(section('topology', 'Topology Linux found', renderTopology(boot.report.devices)));
    if (boot.trace) sections.push(section('timeline', 'Boot timeline (virtual time)', timeline(boot)));
    sections.push(section('exits', 'VM exits by VMX reason', exits(boot)));
  }
  if (compare) sections.push(section('compare', 'Mitigations side by side (pcisim compare, linux phase)', compareChart(compare)));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="pcisim">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${esc(title)}</h1>
<p class="sub"><code>${esc(args.join(' ') || '(no options: QEMU\'s default machine, pc)')}</code>${boot?.report.append ? ` <code>-append "${esc(boot.report.append)}"</code>` : ''} · cost profile <b>${esc(boot?.costProfile.name ?? compare?.costProfile ?? '')}</b> · ${boot ? esc(simulatedLine(boot.simulated)) : 'QEMU 7.2, Linux 6.1'} as pcisim models them${boot?.report.notModelled?.length ? ` · accepted, not modelled: <code>${esc(boot.report.notModelled.join('; '))}</code>` : ''}${boot?.report.noPciEffect?.length ? ` · accepted, no effect on PCI: <code>${esc(boot.report.noPciEffect.join('; '))}</code>` : ''}</p>
</header>
<main>
${sections.join('\n')}
</main>
<footer>
<p>All times are pcisim's virtual clock: it starts at KVM_CREATE_VM and moves only for memslot updates, config-space accesses and the VM exits they cause, priced by the cost profile. QEMU's start-up, the firmware's and the kernel's other work are not simulated and take no time here.</p>
</footer>
</body>
</html>
`;
}

function section(id: string, heading: string, body: string): string {
  return `<section id="${id}">\n<h2>${esc(heading)}</h2>\n${body}\n</section>`;
}

// ---------------------------------------------------------------- summary

function summary(boot: BootResult): string {
  const l = boot.report.phases.linux;
  const f = boot.report.phases.firmware;
  const userExits = (l.exits?.KVM_EXIT_IO ?? 0) + (l.exits?.KVM_EXIT_MMIO ?? 0);
  const cards: [string, string, string][] = [
    ['devices', String(boot.report.devices.length), 'functions Linux found'],
    ['accesses', num(l.config.accesses.total), `config accesses by Linux (${num(l.config.accesses.conf1)} conf1, ${num(l.config.accesses.mmcfg)} mmcfg)`],
    ['absent', pct(l.config.absent, l.config.accesses.total), `of them to absent functions (${num(l.config.absent)})`],
    ['user-exits', num(userExits), 'exits to QEMU in the linux phase'],
    ['linux-ms', `${ms(l.timeNs ?? 0)} ms`, 'linux PCI time'],
    ['firmware-ms', `${ms(f.timeNs ?? 0)} ms`, 'firmware PCI time'],
  ];
  return `<section id="summary" class="cards">${cards
    .map(([id, v, label]) => `<div class="card" data-card="${id}"><div class="v">${esc(v)}</div><div class="l">${esc(label)}</div></div>`)
    .join('')}</section>`;
}

// ---------------------------------------------------------------- topology

const CLASS_NAMES: Record<string, string> = {
  '0100': 'SCSI storage controller',
  '0101': 'IDE interface',
  '0106': 'SATA controller',
  '0108': 'Non-Volatile memory controller',
  '0200': 'Ethernet controller',
  '0280': 'Network controller',
  '0300': 'VGA compatible controller',
  '0380': 'Display controller',
  '0403': 'Audio device',
  '0600': 'Host bridge',
  '0601': 'ISA bridge',
  '0604': 'PCI bridge',
  '0680': 'Bridge',
  '0700': 'Serial controller',
  '0780': 'Communication controller',
  '0880': 'System peripheral',
  '0c03': 'USB controller',
  '0c05': 'SMBus',
  '00ff': 'Unclassified device',
};
const BASE_CLASS_NAMES: Record<string, string> = {
  '01': 'Mass storage controller',
  '02': 'Network controller',
  '03': 'Display controller',
  '04': 'Multimedia controller',
  '05': 'Memory controller',
  '06': 'Bridge',
  '07': 'Communication controller',
  '08': 'Generic system peripheral',
  '0c': 'Serial bus controller',
};
const VENDOR_NAMES: Record<string, string> = {
  '8086': 'Intel',
  '1af4': 'Red Hat (virtio)',
  '1b36': 'Red Hat (QEMU)',
  '1234': 'QEMU',
  '1013': 'Cirrus Logic',
  '15ad': 'VMware',
};
const DEVICE_NAMES: Record<string, string> = {
  '8086:29c0': '82G33/G31/P35/P31 Express DRAM Controller',
  '8086:2918': '82801IB (ICH9) LPC Interface Controller',
  '8086:2922': '82801IR/IO/IH (ICH9R/DO/DH) 6 port SATA Controller [AHCI mode]',
  '8086:2930': '82801I (ICH9 Family) SMBus Controller',
  '8086:10d3': '82574L Gigabit Network Connection',
  '8086:100e': '82540EM Gigabit Ethernet Controller',
  '8086:1237': '440FX - 82441FX PMC [Natoma]',
  '8086:7000': '82371SB PIIX3 ISA [Natoma/Triton II]',
  '8086:7010': '82371SB PIIX3 IDE [Natoma/Triton II]',
  '8086:7113': '82371AB/EB/MB PIIX4 ACPI',
  '1234:1111': 'standard VGA',
  '1b36:0001': 'QEMU PCI-PCI bridge',
  '1b36:0008': 'QEMU PCIe Host bridge',
  '1b36:000c': 'QEMU PCIe Root port',
  '1af4:1000': 'Virtio network device',
  '1af4:1001': 'Virtio block device',
  '1af4:1041': 'Virtio 1.0 network device',
  '1af4:1042': 'Virtio 1.0 block device',
};

function className(cls: string): string {
  return CLASS_NAMES[cls.slice(0, 4)] ?? BASE_CLASS_NAMES[cls.slice(0, 2)] ?? `Class ${cls.slice(0, 4)}`;
}

interface Parsed {
  d: DeviceEntry;
  bus: number;
  devfn: number;
  short: string;
}

function parseBdf(d: DeviceEntry): Parsed {
  const m = /^(?:[0-9a-f]{4}:)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(d.bdf);
  const bus = m ? parseInt(m[1]!, 16) : 0;
  const dev = m ? parseInt(m[2]!, 16) : 0;
  const fn = m ? parseInt(m[3]!, 10) : 0;
  return { d, bus, devfn: (dev << 3) | fn, short: m ? `${m[1]}:${m[2]}.${m[3]}` : d.bdf };
}

/** The tree: root buses, their functions, and under each bridge the bus it leads to. */
export function renderTopology(devices: readonly DeviceEntry[]): string {
  const parsed = devices.map(parseBdf);
  const byBus = new Map<number, Parsed[]>();
  for (const p of parsed) {
    const list = byBus.get(p.bus) ?? [];
    list.push(p);
    byBus.set(p.bus, list);
  }
  for (const list of byBus.values()) list.sort((a, b) => a.devfn - b.devfn);
  const secondaries = new Set(parsed.filter((p) => p.d.bridge).map((p) => p.d.bridge!.secondary));
  const roots = [...byBus.keys()].filter((b) => !secondaries.has(b)).sort((a, b) => a - b);
  const seen = new Set<number>();
  const renderBus = (bus: number, label: string): string => {
    if (seen.has(bus)) return `<li class="bus" data-bus="${bus}">${esc(label)} (already shown)</li>`;
    seen.add(bus);
    const list = byBus.get(bus) ?? [];
    const items = list.map((p) => renderDev(p)).join('');
    return `<li class="bus" data-bus="${bus}"><span class="busname">${esc(label)}</span>${list.length ? `<ul>${items}</ul>` : ' <span class="empty">(no function found)</span>'}</li>`;
  };
  const renderDev = (p: Parsed): string => {
    const key = `${p.d.vendor}:${p.d.device}`;
    const name = DEVICE_NAMES[key];
    const vendor = VENDOR_NAMES[p.d.vendor];
    const br = p.d.bridge;
    const detail = `${className(p.d.class)}: ${vendor ?? p.d.vendor} ${name ?? `device ${p.d.device}`}`;
    const busRange = br ? ` <span class="range">→ bus ${hex2(br.secondary)}${br.subordinate !== br.secondary ? `–${hex2(br.subordinate)}` : ''}</span>` : '';
    const child = br ? `<ul>${renderBus(br.secondary, `bus ${hex2(br.secondary)}`)}</ul>` : '';
    return `<li class="dev${br ? ' bridge' : ''}" data-bdf="${esc(p.d.bdf)}" data-class="${esc(p.d.class)}"><code class="bdf">${esc(p.short)}</code> <code class="id">[${esc(key)}]</code> <span class="what">${esc(detail)}</span>${busRange}${child}</li>`;
  };
  const body = roots.map((b) => renderBus(b, `bus ${hex2(b)}${b === 0 ? ' (root)' : ' (root or peer)'}`)).join('');
  const orphans = [...byBus.keys()].filter((b) => !seen.has(b)).sort((a, b) => a - b);
  const rest = orphans.map((b) => renderBus(b, `bus ${hex2(b)}`)).join('');
  return `<ul class="tree" data-devices="${devices.length}">${body}${rest}</ul>`;
}

// ---------------------------------------------------------------- timeline

const SPAN_COLOURS: [RegExp, string][] = [
  [/^firmware$/, '#9c755f'],
  [/^linux$/, '#59a14f'],
  [/^BAR sizing/, '#edc948'],
  [/^scan bus/, '#4e79a7'],
  [/^pci_acpi_scan_root$/, '#76b7b2'],
  [/^pcibios_fixup_peer_bridges$/, '#e15759'],
  [/^qemu init$/, '#bab0ac'],
  [/^kvm-pci-accel$/, '#b07aa1'],
];
const SPAN_LEGEND: [string, string][] = [
  ['firmware', '#9c755f'],
  ['linux', '#59a14f'],
  ['initcalls', '#8cd17d'],
  ['pci_acpi_scan_root', '#76b7b2'],
  ['scan bus NN', '#4e79a7'],
  ['BAR sizing', '#edc948'],
  ['peer-bus scan', '#e15759'],
  ['QEMU init', '#bab0ac'],
  ['KVM mitigations set-up', '#b07aa1'],
];
const spanColour = (name: string) => SPAN_COLOURS.find(([re]) => re.test(name))?.[1] ?? '#8cd17d';

function timeline(boot: BootResult): string {
  const trace = boot.trace!;
  const spans = trace.spans;
  const marks = milestones(boot);
  const whole = lanes(spans, trace.t0Ns, trace.endNs, marks.map((m) => m.ns), 'whole');
  const linux = spans.find((s) => s.layer === 'guest' && s.depth === 0 && s.name === 'linux');
  const peer = spans.find((s) => s.name === 'pcibios_fixup_peer_bridges');
  let zoom = '';
  if (linux && peer && peer.startNs > linux.startNs && peer.endNs - peer.startNs > (trace.endNs - trace.t0Ns) / 4) {
    zoom =
      `<h3>Linux up to the peer-bus scan (${ms(linux.startNs)}–${ms(peer.startNs)} ms)</h3>` +
      lanes(
        spans.filter((s) => s.layer === 'guest' && s.endNs > linux.startNs && s.startNs < peer.startNs && s.name !== 'linux'),
        linux.startNs,
        peer.startNs,
        [],
        'zoom',
      );
  }
  const legend = `<p class="legend">${SPAN_LEGEND.map(([name, colour]) => `<span><i style="background:${colour}"></i>${esc(name)}</span>`).join('')}</p>`;
  return `${legend}${whole}${zoom}<h3>Milestones</h3><pre class="milestones">${esc(formatMilestones(boot))}</pre>`;
}

/** A Gantt chart of spans over [from, to]: one lane per layer, one row per nesting depth. */
function lanes(spans: readonly TraceSpan[], from: number, to: number, ticks: number[], id: string): string {
  const W = 1040;
  const gutter = 130;
  const plotW = W - gutter - 10;
  const rowH = 20;
  const span = Math.max(1, to - from);
  const x = (ns: number) => gutter + ((Math.min(Math.max(ns, from), to) - from) / span) * plotW;
  const layers = (['qemu', 'guest'] as const).filter((l) => spans.some((s) => s.layer === l));
  let y = 28;
  const parts: string[] = [];
  for (const layer of layers) {
    const mine = spans.filter((s) => s.layer === layer);
    const minDepth = Math.min(...mine.map((s) => s.depth));
    const depth = Math.max(...mine.map((s) => s.depth)) - minDepth + 1;
    const h = depth * rowH;
    parts.push(`<text class="lane" x="6" y="${y + 14}">${layer === 'guest' ? 'guest vCPU 0' : 'qemu'}</text>`);
    parts.push(`<line class="sep" x1="0" x2="${W}" y1="${y - 3}" y2="${y - 3}"/>`);
    for (const s of mine) {
      const x0 = x(s.startNs);
      const w = Math.max(1, x(s.endNs) - x0);
      const ry = y + (s.depth - minDepth) * rowH;
      const label = s.name.length * 6.2 < w - 6 ? `<text x="${f1(x0 + 3)}" y="${ry + 13}">${esc(s.name)}</text>` : '';
      parts.push(
        `<g class="span" data-span="${esc(s.name)}"><rect x="${f1(x0)}" y="${ry}" width="${f1(w)}" height="${rowH - 3}" fill="${spanColour(s.name)}"><title>${esc(
          `${s.name}: ${ms(s.startNs)}–${ms(s.endNs)} ms (${ms(s.endNs - s.startNs)} ms)`,
        )}</title></rect>${label}</g>`,
      );
    }
    y += h + 10;
  }
  const height = y + 24;
  const axis: string[] = [];
  const step = niceStep(span / 1e6, 10);
  for (let t = Math.ceil(from / 1e6 / step) * step; t * 1e6 <= to + 1; t += step) {
    const tx = x(t * 1e6);
    axis.push(`<line class="grid" x1="${f1(tx)}" x2="${f1(tx)}" y1="20" y2="${y}"/><text class="tick" x="${f1(tx)}" y="${y + 16}">${fmtTick(t, step)} ms</text>`);
  }
  const marks = [...new Set(ticks)].map((t) => `<path class="mark" d="M${f1(x(t) - 4)} 10 L${f1(x(t) + 4)} 10 L${f1(x(t))} 18 Z"><title>${esc(`milestone at ${ms(t)} ms`)}</title></path>`);
  return `<svg class="timeline" data-timeline="${id}" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="phase timeline">${axis.join('')}${marks.join('')}${parts.join('')}</svg>`;
}

// ---------------------------------------------------------------- exits

function exits(boot: BootResult): string {
  const phases = [
    ['firmware', boot.kvmStats.firmware.vmxExits],
    ['linux', boot.kvmStats.linux.vmxExits],
  ] as const;
  const W = 1040;
  const gutter = 130;
  const plotW = W - gutter - 140;
  const total = (v: Record<string, number>) => REASONS.reduce((a, r) => a + (v[r] ?? 0), 0);
  const max = Math.max(1, ...phases.map(([, v]) => total(v)));
  const rows: string[] = [];
  phases.forEach(([name, v], i) => {
    const y = 10 + i * 34;
    let x0 = gutter;
    rows.push(`<text class="lane" x="6" y="${y + 17}">${name}</text>`);
    for (const r of REASONS) {
      const n = v[r] ?? 0;
      if (n === 0) continue;
      const w = Math.max(1, (n / max) * plotW);
      rows.push(`<rect data-phase="${name}" data-reason="${r}" x="${f1(x0)}" y="${y}" width="${f1(w)}" height="24" fill="${REASON_COLOURS[r]}"><title>${esc(`${name}: ${r} ${num(n)}`)}</title></rect>`);
      x0 += w;
    }
    rows.push(`<text class="val" x="${f1(x0 + 6)}" y="${y + 17}">${num(total(v))} exits</text>`);
  });
  const legend = `<p class="legend">${REASONS.map((r) => `<span><i style="background:${REASON_COLOURS[r]}"></i>${r}</span>`).join('')}</p>`;
  const table = `<table class="num"><thead><tr><th>VMX reason</th><th>firmware</th><th>linux</th></tr></thead><tbody>${REASONS.map(
    (r) => `<tr><td>${r}</td><td>${num(phases[0][1][r])}</td><td>${num(phases[1][1][r])}</td></tr>`,
  ).join('')}</tbody></table>`;
  const stacked = `<svg class="exits" viewBox="0 0 ${W} 80" width="${W}" height="80" role="img" aria-label="exits by reason">${rows.join('')}</svg>`;
  return `${legend}${stacked}${boot.trace ? rateChart(boot) : ''}${table}<p class="note">CPUID exits are counted but not priced by the cost model. EPT_VIOLATION is the first touch of an ECAM page with no memslot (KVM caches an MMIO SPTE); every later access to that page is EPT_MISCONFIG.</p>`;
}

/** Exits per bin over the boot, stacked by VMX reason. */
function rateChart(boot: BootResult): string {
  const trace = boot.trace!;
  const W = 1040;
  const gutter = 130;
  const plotW = W - gutter - 10;
  const H = 140;
  const from = trace.t0Ns;
  const span = Math.max(1, trace.endNs - from);
  const max = Math.max(1, ...trace.bins.map((b) => b.IO_INSTRUCTION + b.EPT_MISCONFIG + b.EPT_VIOLATION));
  const bw = Math.max(0.5, (trace.binNs / span) * plotW);
  const rects: string[] = [];
  for (const b of trace.bins) {
    const x0 = gutter + ((b.startNs - from) / span) * plotW;
    let y = H;
    for (const r of ['IO_INSTRUCTION', 'EPT_MISCONFIG', 'EPT_VIOLATION'] as const) {
      const n = b[r];
      if (n === 0) continue;
      const h = (n / max) * (H - 10);
      y -= h;
      rects.push(`<rect x="${f2(x0)}" y="${f2(y)}" width="${f2(bw)}" height="${f2(h)}" fill="${REASON_COLOURS[r]}"/>`);
    }
  }
  const step = niceStep(span / 1e6, 10);
  const axis: string[] = [];
  for (let t = Math.ceil(from / 1e6 / step) * step; t * 1e6 <= trace.endNs + 1; t += step) {
    const tx = gutter + ((t * 1e6 - from) / span) * plotW;
    axis.push(`<line class="grid" x1="${f1(tx)}" x2="${f1(tx)}" y1="0" y2="${H}"/><text class="tick" x="${f1(tx)}" y="${H + 16}">${fmtTick(t, step)} ms</text>`);
  }
  const binUs = trace.binNs / 1000;
  return `<h3>Exit rate over the boot (exits per ${binUs} µs, stacked by reason)</h3><svg class="rate" viewBox="0 0 ${W} ${H + 24}" width="${W}" height="${H + 24}" role="img" aria-label="exit rate"><text class="lane" x="6" y="16">max ${num(max)}</text>${axis.join('')}${rects.join('')}</svg>`;
}

// ---------------------------------------------------------------- compare

function compareChart(c: CompareResult): string {
  const W = 1040;
  const gutter = 220;
  const plotW = W - gutter - 190;
  const rowH = 24;
  const max = Math.max(1, ...c.rows.map((r) => r.timeNs));
  const base = c.rows[0];
  const bars = c.rows.map((r, i) => {
    const y = 8 + i * rowH;
    const w = r.timeNs > 0 ? Math.max(1, (r.timeNs / max) * plotW) : 0;
    const cls = i === 0 ? 'baseline' : r.noEffect ? 'noeffect' : r.savedNs > 0 ? 'saves' : r.savedNs < 0 ? 'costs' : 'noeffect';
    const saved = i === 0 ? 'baseline' : r.savedNs === 0 ? 'no change' : `${r.savedNs > 0 ? '−' : '+'}${ms(Math.abs(r.savedNs))} ms`;
    return `<g class="bar ${cls}" data-mitigation="${esc(r.name)}" data-time-ns="${r.timeNs}"><text class="name" x="${gutter - 8}" y="${y + 15}">${esc(r.name)}</text><rect x="${gutter}" y="${y + 2}" width="${f1(w)}" height="${rowH - 6}"><title>${esc(
      `${r.name}: ${r.description}\n${ms(r.timeNs)} ms, ${num(r.config.accesses.total)} accesses, ${num(r.exits.KVM_EXIT_IO + r.exits.KVM_EXIT_MMIO)} userspace exits${r.noEffect ? `\nno effect: ${r.noEffect}` : ''}`,
    )}</title></rect><text class="val" x="${f1(gutter + w + 6)}" y="${y + 15}">${ms(r.timeNs)} ms · ${esc(saved)}</text></g>`;
  });
  const H = 16 + c.rows.length * rowH;
  const svg = `<svg class="compare" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="PCI time per mitigation">${bars.join('')}</svg>`;
  const table = `<table class="num matrix"><thead><tr><th>mitigation</th><th>accesses</th><th>absent</th><th>KVM_EXIT_IO</th><th>KVM_EXIT_MMIO</th><th>in KVM</th><th>no exit</th><th>EPT faults</th><th>slots+devs</th><th>host mem</th><th>PCI ms</th><th>saved ms</th></tr></thead><tbody>${c.rows
    .map((r) => matrixRow(r))
    .join('')}</tbody></table>`;
  const notes = c.rows.filter((r) => r.noEffect);
  const noteList = notes.length ? `<ul class="notes">${notes.map((r) => `<li><b>${esc(r.name)}</b>: no effect — ${esc(r.noEffect!)}</li>`).join('')}</ul>` : '';
  return `<p class="note">Linux-phase PCI time under ${esc(c.costProfile)}, one bar per mitigation set${base ? `; ${esc(base.name)} = ${ms(base.timeNs)} ms` : ''}. Green saves time, grey changes nothing.</p>${svg}${table}${noteList}`;
}

function matrixRow(r: CompareRow): string {
  const cells = compareRowCells(r, ms);
  return `<tr data-row="${esc(r.name)}"><td title="${esc(r.description)}">${esc(r.name)}</td>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

// ---------------------------------------------------------------- helpers

function niceStep(rangeMs: number, target: number): number {
  const raw = rangeMs / target;
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function fmtTick(t: number, step: number): string {
  const d = step >= 1 ? 0 : Math.min(6, Math.ceil(-Math.log10(step)));
  return t.toFixed(d);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = groupThousands;
const ms = (ns: number) => (ns / 1e6).toFixed(3);
const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)} %` : '0 %');
const hex2 = (n: number) => n.toString(16).padStart(2, '0');
const f1 = (x: number) => (Math.round(x * 10) / 10).toString();
const f2 = (x: number) => (Math.round(x * 100) / 100).toString();

const CSS = `
:root{--fg:#1d232a;--muted:#5b6670;--line:#d8dde2;--bg:#fff;--soft:#f4f6f8}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;color:var(--fg);background:var(--bg)}
header,main,footer{max-width:1080px;margin:0 auto;padding:0 20px}
header{padding-top:18px}
h1{font-size:22px;margin:0 0 4px}
h2{font-size:17px;margin:26px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}
h3{font-size:14px;margin:16px 0 6px;color:var(--muted)}
.sub{margin:0;color:var(--muted)}
code,pre{font-family:ui-monospace,"DejaVu Sans Mono",Menlo,Consolas,monospace;font-size:12.5px}
.cards{display:grid;grid-template-columns:repeat(6,1fr);gap:10px;margin-top:16px}
.card{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px}
.card .v{font-size:19px;font-weight:600}
.card .l{color:var(--muted);font-size:12px}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:18px}
ul.tree{padding-left:0}
ul.tree li{position:relative;padding:1px 0}
ul.tree ul li::before{content:"";position:absolute;left:-12px;top:0;bottom:0;border-left:1px solid var(--line)}
ul.tree ul li::after{content:"";position:absolute;left:-12px;top:11px;width:8px;border-top:1px solid var(--line)}
.busname{font-weight:600}
.bdf{font-weight:600}
.id{color:var(--muted)}
.range{color:#b07aa1;font-weight:600}
.empty{color:var(--muted)}
svg{display:block;max-width:100%;height:auto;font:11px system-ui,-apple-system,"DejaVu Sans",sans-serif}
svg text{fill:var(--fg)}
svg .lane{font-weight:600}
svg .tick{fill:var(--muted);text-anchor:middle}
svg .grid{stroke:#eef0f2}
svg .sep{stroke:var(--line)}
svg .mark{fill:#d37295}
svg .val{fill:var(--muted)}
svg.compare .name{text-anchor:end}
svg.compare .bar rect{fill:#9aa5ae}
svg.compare .bar.saves rect{fill:#59a14f}
svg.compare .bar.costs rect{fill:#e15759}
svg.compare .bar.noeffect rect{fill:#cfd5da}
svg.compare .bar.baseline rect{fill:#4e79a7}
.legend span{margin-right:14px;white-space:nowrap}
.legend i{display:inline-block;width:11px;height:11px;margin-right:5px;vertical-align:-1px;border-radius:2px}
table.num{border-collapse:collapse;margin:10px 0;font-size:12.5px}
table.num th,table.num td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:right}
table.num td{white-space:nowrap}
table.num th:first-child,table.num td:first-child{text-align:left;white-space:nowrap}
table.num th{background:var(--soft);font-weight:600}
pre.milestones{background:var(--soft);border:1px solid var(--line);border-radius:6px;padding:8px 10px;overflow:auto}
.note,.notes{color:var(--muted);font-size:12.5px}
footer{color:var(--muted);font-size:12px;margin-top:24px;padding-bottom:24px;border-top:1px solid var(--line)}
`;
