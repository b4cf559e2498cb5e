import { describe, expect, it } from 'vitest';
import { analyzeTopology, compareTopologies } from '../src/core/topology.js';
import { formatTopology, formatTopologyComparison } from '../src/formats/topology.js';
import { runCli } from '../src/cli.js';
import { parseQemuArgs } from '../src/core/scenario.js';

const kata = () => compareTopologies(['kata'], { flavour: 'linux-6.1-generic', costProfile: 'tcg-reference' })[0]!;

describe('topology analysis', () => {
  it("Kata's pci-bridge: 32 ACPI slots (31 with SHPC: slot 0 is refused), q35's root bus not hot-pluggable", () => {
    const s = parseQemuArgs(['-M', 'q35', '-nodefaults', '-device', 'pci-bridge,bus=pcie.0,id=pci-bridge-0,chassis_nr=1,shpc=on,addr=2']);
    const acpi = analyzeTopology(s, { flavour: 'linux-6.1-generic' });
    const bridge = acpi.buses.find((b) => b.name === 'pci-bridge-0')!;
    expect(bridge.controller).toBe('acpi');
    expect(bridge.freeSlots).toHaveLength(32);
    expect(acpi.buses.find((b) => b.name === 'pcie.0')!.controller).toBe('none');
    const native = analyzeTopology(parseQemuArgs(['-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', ...s.qemuArgs]), { flavour: 'linux-6.1-generic' });
    const nb = native.buses.find((b) => b.name === 'pci-bridge-0')!;
    expect(nb.controller).toBe('shpchp');
    expect(nb.freeSlots).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    // the cloud kernel has no shpchp
    const cloud = analyzeTopology(parseQemuArgs(['-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', ...s.qemuArgs]), { flavour: 'linux-6.1-cloud' });
    expect(cloud.buses.find((b) => b.name === 'pci-bridge-0')!.controller).toBe('none');
  });

  it('IOMMU groups: functions behind a conventional bridge alias to it; ICH9 functions share; root ports with ACS isolate', () => {
    const s = parseQemuArgs([
      '-M', 'q35', '-nodefaults',
      '-device', 'pci-bridge,bus=pcie.0,id=pb,chassis_nr=1,addr=2',
      '-device', 'virtio-rng-pci,bus=pb,addr=1',
      '-device', 'virtio-rng-pci,bus=pb,addr=2',
      '-device', 'pcie-root-port,id=rp1,chassis=2,bus=pcie.0,addr=3',
      '-device', 'virtio-rng-pci,bus=rp1',
    ]);
    const t = analyzeTopology(s);
    const groupOf = (bdf: string) => t.iommuGroups.find((g) => g.devices.some((d) => d.startsWith(bdf)))!;
    expect(groupOf('0000:01:01.0')).toBe(groupOf('0000:00:02.0'));
    expect(groupOf('0000:01:02.0')).toBe(groupOf('0000:00:02.0'));
    expect(groupOf('0000:00:1f.0')).toBe(groupOf('0000:00:1f.3'));
    expect(groupOf('0000:02:00.0')).not.toBe(groupOf('0000:00:03.0'));
    expect(t.vfio.join('\n')).toMatch(/DPDK/);
  });

  it('root ports without ACS in one multifunction slot: everything behind them is one group', () => {
    const s = parseQemuArgs([
      '-M', 'q35', '-nodefaults',
      '-device', 'pcie-root-port,id=a,chassis=1,bus=pcie.0,addr=2.0,multifunction=on,disable-acs=on',
      '-device', 'pcie-root-port,id=b,chassis=2,bus=pcie.0,addr=2.1,disable-acs=on',
      '-device', 'virtio-rng-pci,bus=a',
      '-device', 'virtio-rng-pci,bus=b',
    ]);
    const t = analyzeTopology(s);
    const g = t.iommuGroups.find((x) => x.devices.some((d) => d.startsWith('0000:01:00.0')))!;
    expect(g.devices.some((d) => d.startsWith('0000:02:00.0'))).toBe(true);
    expect(g.devices.some((d) => d.startsWith('0000:00:02.0'))).toBe(true);
  });

  it('bus numbers: a root port holds one bus, so a bridge hot-added below it finds none; lastbus and MCFG notes', () => {
    const t = analyzeTopology(parseQemuArgs(['-M', 'q35', '-nodefaults', '-device', 'pcie-root-port,id=rp1,chassis=1,bus=pcie.0']));
    expect(t.bridges[0]!.spareBuses).toBe(0);
    expect(t.busNumbers.notes.join('\n')).toMatch(/No bus number available/);
    expect(t.busNumbers.mcfgEndBus).toBe(255);
    const text = formatTopology(t);
    expect(text).toContain('rp1');
  });

  it('compare kata vs libvirt: boot accesses as recorded, hot-plug per controller, slots, groups', () => {
    const c = compareTopologies(['kata', 'libvirt'], { flavour: 'linux-6.1-generic', costProfile: 'tcg-reference' });
    const [k, l] = c;
    expect(k!.boot.linuxConfigAccesses).toBe(9375);
    expect(l!.boot.linuxConfigAccesses).toBe(11389);
    expect(k!.freeHotplugSlots).toBe(32);
    expect(l!.freeHotplugSlots).toBe(2);
    const shpc = k!.hotplug.find((h) => h.controller === 'shpchp')!;
    expect(shpc.toFoundNs!).toBeGreaterThan(6e9);
    const pciehp = l!.hotplug.find((h) => h.controller === 'pciehp')!;
    expect(pciehp.toFoundNs!).toBeGreaterThan(0.12e9);
    expect(pciehp.toFoundNs!).toBeLessThan(0.2e9);
    expect(formatTopologyComparison(c)).toContain('hot-plug via shpchp');
  });

  it('pcisim topology prints the analysis', async () => {
    let out = '';
    expect(await runCli(['topology', '-M', 'q35', '-nodefaults', '-device', 'pcie-root-port,id=rp1,chassis=1,bus=pcie.0'], { stdout: (s) => (out += s), stderr: () => {} })).toBe(0);
    expect(out).toContain('free hot-plug slots: 1');
  });

  it('kata alone', () => {
    expect(kata().iommuGroups).toBeGreaterThan(0);
  });
});
