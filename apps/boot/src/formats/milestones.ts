/**
 * @module
 * Boot milestones under the names stefano-garzarella/qemu-boot-time gives them (perf-script/
 * qemu-perf-script.py: `qemu_init_end` is the first kvm_entry; `fw_start`, `fw_do_boot`,
 * `linux_start_boot`, `linux_start_kernel`, `linux_start_user` are values written to ports 0xf5/0xf4), in
 * its line format `name: abs (+delta)` in ms, followed by pcisim's own PCI milestones.
 *
 * Virtual time only, and only what pcisim simulates: the clock starts at KVM_CREATE_VM and moves for
 * memslot updates, config accesses and their exits. QEMU's own start-up, the firmware's work other than
 * PCI, the option ROM, kernel decompression and every kernel subsystem but PCI take no time here. So
 * `qemu_init_end` is the three RAM/ROM memslot ioctls, `fw_start` → `fw_do_boot` is the firmware's PCI
 * set-up, and `linux_start_boot` / `linux_start_kernel` fall on the hand-off. `linux_start_user` is not
 * printed: the model stops after PCI init (qemu-boot-time too prints only the points it recorded).
 */
import type { BootResult } from '../core/boot.js';
import type { TraceData, TraceSpan } from '../core/collector.js';

export interface Milestone {
  name: string;
  /** virtual ns since KVM_CREATE_VM */
  ns: number;
  /** qemu-boot-time's name, or pcisim's own */
  origin: 'qemu-boot-time' | 'pcisim';
  /** one line: what the point is in pcisim */
  meaning: string;
}

const NO_TRACE = 'milestones need the phase marks: boot with bootScenario(scenario, { trace: new TraceCollector() })';

function first(trace: TraceData, pred: (s: TraceSpan) => boolean): TraceSpan | undefined {
  return trace.spans.find(pred);
}

/** The milestones of one boot, in time order (ties keep the order qemu-boot-time numbers them in). */
export function milestones(result: BootResult): Milestone[] {
  const trace = result.trace;
  if (!trace) throw new Error(NO_TRACE);
  const out: Milestone[] = [];
  const fw = first(trace, (s) => s.layer === 'guest' && s.depth === 0 && s.name === 'firmware');
  const linux = first(trace, (s) => s.layer === 'guest' && s.depth === 0 && s.name === 'linux');
  const firmwareName = fw?.args?.['firmware'];
  const vcpuStart = fw?.startNs ?? linux?.startNs ?? trace.t0Ns;
  out.push({ name: 'qemu_init_end', ns: vcpuStart, origin: 'qemu-boot-time', meaning: 'first KVM_RUN: after the RAM and BIOS memslot ioctls (QEMU start-up itself is not simulated)' });
  if (fw && firmwareName !== 'none') {
    out.push({ name: 'fw_start', ns: fw.startNs, origin: 'qemu-boot-time', meaning: `the firmware's first instruction (${String(firmwareName ?? 'firmware')})` });
    out.push({ name: 'fw_do_boot', ns: fw.endNs, origin: 'qemu-boot-time', meaning: "the firmware's PCI set-up is done (only its config accesses are simulated)" });
  }
  if (linux) {
    out.push({ name: 'linux_start_boot', ns: linux.startNs, origin: 'qemu-boot-time', meaning: 'the jump to the kernel (the option ROM and the kernel load take no virtual time)' });
    out.push({ name: 'linux_start_kernel', ns: linux.startNs, origin: 'qemu-boot-time', meaning: 'start_kernel() (decompression and early boot take no virtual time)' });
  }
  const archInit = first(trace, (s) => s.layer === 'guest' && s.name === 'pci_arch_init');
  if (archInit) out.push({ name: 'pci_arch_init', ns: archInit.startNs, origin: 'pcisim', meaning: 'the pci_arch_init initcall: type-1 probe, MMCONFIG from MCFG' });
  const scan = first(trace, (s) => s.layer === 'guest' && (s.name === 'pci_acpi_scan_root' || s.name.startsWith('scan bus ')));
  if (scan) out.push({ name: 'pci_enum_start', ns: scan.startNs, origin: 'pcisim', meaning: 'the scan of the first root bus begins' });
  const peer = first(trace, (s) => s.layer === 'guest' && s.name === 'pcibios_fixup_peer_bridges');
  const roots = trace.spans.filter(
    (s) => s.layer === 'guest' && (s.name === 'pci_acpi_scan_root' || (s.name.startsWith('scan bus ') && !insideRootScanOrPeer(trace, s))),
  );
  const lastRoot = roots.filter((s) => !peer || s.endNs <= peer.startNs).at(-1);
  if (lastRoot) out.push({ name: 'pci_enum_end', ns: lastRoot.endNs, origin: 'pcisim', meaning: 'the root buses and every bus below their bridges are scanned' });
  if (peer) {
    out.push({ name: 'pci_peer_scan_start', ns: peer.startNs, origin: 'pcisim', meaning: 'pcibios_fixup_peer_bridges(): probing buses 0..pcibios_last_bus nothing claims' });
    out.push({ name: 'pci_peer_scan_end', ns: peer.endNs, origin: 'pcisim', meaning: 'the peer-bus scan is done' });
  }
  if (linux) out.push({ name: 'pci_init_end', ns: linux.endNs, origin: 'pcisim', meaning: "pci_apply_final_quirks() is done: the end of what pcisim simulates (no linux_start_user)" });
  return out.map((m, i) => ({ m, i })).sort((a, b) => a.m.ns - b.m.ns || a.i - b.i).map(({ m }) => m);
}

/** a `scan bus NN` nested in a root scan or in the peer scan is not a root of its own */
function insideRootScanOrPeer(trace: TraceData, s: TraceSpan): boolean {
  return trace.spans.some(
    (p) =>
      p !== s &&
      p.layer === 'guest' &&
      (p.name === 'pci_acpi_scan_root' || p.name.startsWith('scan bus ') || p.name === 'pcibios_fixup_peer_bridges') &&
      p.depth < s.depth &&
      p.startNs <= s.startNs &&
      p.endNs >= s.endNs,
  );
}

/** `%f` of a number of ms */
const ms6 = (ns: number) => (ns / 1e6).toFixed(6);

/**
 * The qemu-boot-time block: ` qemu_init_end: abs`, then ` name: abs (+delta)` per point, ms, delta to the
 * previous printed point (the script's print()). A first line says what the clock is.
 */
export function formatMilestones(result: BootResult): string {
  const ms = milestones(result);
  const lines = ['Boot milestones (qemu-boot-time names; virtual ms since KVM_CREATE_VM: memslot updates, config accesses and their exits only)'];
  let prev: number | null = null;
  for (const m of ms) {
    if (prev === null) lines.push(` ${m.name}: ${ms6(m.ns)}`);
    else lines.push(` ${m.name}: ${ms6(m.ns)} (+${ms6(m.ns - prev)})`);
    prev = m.ns;
  }
  return lines.join('\n') + '\n';
}
