import { describe, expect, it } from 'vitest';
import { bootScenario, parseQemuArgs } from '../../src/index.js';
import { TraceCollector, formatMilestones, milestones } from '../../src/formats/index.js';

const boot = (args: string[]) => bootScenario(parseQemuArgs(args), { trace: new TraceCollector() });

describe('boot milestones', () => {
  const r = boot(['-M', 'q35']);
  const ms = milestones(r);
  const at = (name: string) => ms.find((m) => m.name === name)!.ns;

  it('uses qemu-boot-time’s names, then pcisim’s own, in time order', () => {
    expect(ms.map((m) => m.name)).toEqual([
      'qemu_init_end',
      'fw_start',
      'fw_do_boot',
      'linux_start_boot',
      'linux_start_kernel',
      'pci_arch_init',
      'pci_enum_start',
      'pci_enum_end',
      'pci_peer_scan_start',
      'pci_peer_scan_end',
      'pci_init_end',
    ]);
    for (let i = 1; i < ms.length; i++) expect(ms[i]!.ns).toBeGreaterThanOrEqual(ms[i - 1]!.ns);
    expect(ms.filter((m) => m.origin === 'qemu-boot-time').map((m) => m.name)).not.toContain('linux_start_user');
  });

  it('puts the points where the virtual clock says', () => {
    // three KVM_SET_USER_MEMORY_REGION calls at 20 µs (lkml-2020's memslotUpdate) before the first KVM_RUN
    expect(at('qemu_init_end')).toBe(60_000);
    expect(at('fw_start')).toBe(at('qemu_init_end'));
    expect(at('fw_do_boot')).toBe(r.kvmStats.firmware.nowNs);
    expect(at('fw_do_boot') - at('fw_start')).toBe(r.report.phases.firmware.timeNs);
    expect(at('linux_start_kernel')).toBe(at('fw_do_boot')); // no mitigation: nothing between
    expect(at('pci_init_end') - at('linux_start_kernel')).toBe(r.report.phases.linux.timeNs);
    // the peer-bus scan of buses 1-255 (MCFG declares 0-255) is most of the linux phase
    expect(at('pci_peer_scan_end') - at('pci_peer_scan_start')).toBeGreaterThan(0.8 * r.report.phases.linux.timeNs!);
  });

  it('prints qemu-boot-time lines: name: abs (+delta), ms', () => {
    const lines = formatMilestones(r).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^Boot milestones \(qemu-boot-time names; virtual ms/);
    expect(lines[1]).toBe(' qemu_init_end: 0.060000');
    expect(lines[2]).toBe(' fw_start: 0.060000 (+0.000000)');
    for (const l of lines.slice(2)) expect(l).toMatch(/^ [a-z_0-9]+: \d+\.\d{6} \(\+\d+\.\d{6}\)$/);
    expect(lines).toContain(' pci_peer_scan_end: 64.751000 (+57.120000)');
  });

  it('with pci=lastbus=0 the peer scan is empty', () => {
    const l = boot(['-M', 'q35', '-append', 'pci=lastbus=0']);
    const m = milestones(l);
    const peer = m.filter((x) => x.name.startsWith('pci_peer_scan'));
    expect(peer[1]!.ns - peer[0]!.ns).toBe(0);
  });

  it('mitigation set-up by QEMU falls between fw_do_boot and linux_start_boot', () => {
    const h = bootScenario(parseQemuArgs(['-M', 'q35']), { kvm: ['pci-hole'], trace: new TraceCollector() });
    const m = milestones(h);
    const fwEnd = m.find((x) => x.name === 'fw_do_boot')!.ns;
    const start = m.find((x) => x.name === 'linux_start_boot')!.ns;
    expect(start - fwEnd).toBe(h.footprint.memslots * h.costProfile.ns.memslotUpdate);
  });

  it('needs the collector', () => {
    expect(() => formatMilestones(bootScenario(parseQemuArgs(['-M', 'q35'])))).toThrow(/TraceCollector/);
  });
});
