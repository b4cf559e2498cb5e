import { describe, expect, it } from 'vitest';
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli, type BootReport } from '../src/index.js';
import { namedTopology } from '../src/core/topology.js';

const fixture = (name: string): BootReport => JSON.parse(readFileSync(fileURLToPath(new URL(`../../../reference/${name}.json`, import.meta.url)), 'utf8'));

const run = async (args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

// q35 with ACPI hot-plug off hands the root ports to pciehp at boot (QEMU's _OSC grants native hot-plug)
const NATIVE = ['-M', 'q35', '-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', '-device', 'pcie-root-port,id=rp1,chassis=1', '-device', 'pcie-root-port,id=rp2,chassis=2', '-device', 'virtio-net-pci,bus=rp1', '--stub-backends'];

describe('pcisim CLI: hot-plug and topology', () => {
  it('boot with native-hot-plug root ports runs pciehp instead of failing', async () => {
    const r = await run(['boot', ...NATIVE]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/01:00\.0 \[1af4:1041\]/);
    expect(r.out).toContain('pci_init_end');
  });

  it('boot --qmp hot-adds behind a root port: found after the two pcie_wait_for_link sleeps', async () => {
    const r = await run(['boot', ...NATIVE, '--qmp', 'device_add driver=virtio-net-pci,id=x,bus=rp2@+1s', '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out) as { schema: string; events: { reply: unknown; handler: string; device: { bdf: string }; waits: { what: string; ns: number }[]; latencyNs: number; toUsableNs: number }[] };
    expect(j.schema).toBe('pcisim.hotplug/1');
    const ev = j.events[0]!;
    expect(ev.reply).toEqual({ return: {} });
    expect(ev.handler).toBe('pcie-slot');
    expect(ev.device.bdf).toBe('02:00.0');
    // msleep(100) and msleep(20) at HZ=250, each a jiffy late: more than 120 ms in all
    expect(ev.waits.reduce((a, w) => a + w.ns, 0)).toBeGreaterThan(120e6);
    // the latency to usable: the waits plus the exits of the enable and the scan
    expect(ev.latencyNs).toBe(ev.toUsableNs);
    expect(ev.latencyNs).toBeGreaterThan(ev.waits.reduce((a, w) => a + w.ns, 0));
  });

  it('device_add on q35 root bus is refused as QEMU refuses it', async () => {
    const r = await run(['boot', ...NATIVE, '--qmp', 'device_add driver=virtio-net-pci,id=x@+1s']);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Bus 'pcie.0' does not support hotplugging");
  });

  it('topology reports the bridge group and its free slots', async () => {
    const r = await run(['topology', '-M', 'q35', '-device', 'pci-bridge,id=b1,chassis_nr=1', '-device', 'virtio-net-pci,bus=b1', '--json']);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.out) as { buses: { name: string; freeSlots: number[]; controller: string }[] };
    const b1 = t.buses.find((b) => b.name === 'b1')!;
    expect(b1.freeSlots).toHaveLength(31);
    expect(b1.controller).toBe('acpi');
  });

  it('topology names an unknown option', async () => {
    const r = await run(['topology', '-M', 'q35', '--frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain("unknown option '--frobnicate'");
  });

  it('compare --topology puts kata and libvirt side by side with their recorded boot counts', async () => {
    const r = await run(['compare', '--topology', 'kata,libvirt', '--json']);
    expect(r.code).toBe(0);
    const c = JSON.parse(r.out) as { name: string; boot: { linuxConfigAccesses: number }; freeHotplugSlots: number }[];
    expect(c.map((x) => x.name)).toEqual(['kata', 'libvirt']);
    for (const [i, name] of ['q35-kata', 'q35-libvirt'].entries()) {
      const a = fixture(name).phases.linux.config.accesses;
      expect(c[i]!.boot.linuxConfigAccesses).toBe(a.conf1 + a.mmcfg);
    }
    // Kata: one pci-bridge, 32 SHPC/ACPI slots; libvirt: a root port per device, the spare ones free
    expect(c[0]!.freeHotplugSlots).toBeGreaterThan(c[1]!.freeHotplugSlots);
  });

  it('a scenario file that is missing or not JSON gets one line naming it, no stack trace', async () => {
    const missing = await run(['boot', '--scenario', '/nonexistent/events.json']);
    expect(missing.code).toBe(1);
    expect(missing.err).toBe("pcisim: cannot read scenario file '/nonexistent/events.json': ENOENT\n");
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, 'not json');
    const r = await run(['boot', '--scenario', bad]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pcisim: scenario file '.*bad\.json' is not JSON: /);
    writeFileSync(bad, '{"qemuArgs": 3}');
    expect((await run(['boot', '--scenario', bad])).err).toBe(`pcisim: scenario ${bad}: "qemuArgs" must be an array of strings, got 3\n`);
  });

  it('a bad event time and a missing --qmp value are named', async () => {
    expect((await run(['boot', '-M', 'q35', '--qmp', 'device_add x@soon'])).err).toBe("pcisim: bad event time 'soon' (e.g. 3.1s, 500ms, +2s)\n");
    const r = await run(['boot', '-M', 'q35', '--qmp']);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe('pcisim: --qmp needs a value');
  });

  it('the built-in kata and libvirt topologies are the recorded command lines', () => {
    for (const name of ['kata', 'libvirt']) {
      const ref = fixture(`q35-${name}`) as BootReport & { append: string };
      expect(namedTopology(name, undefined)).toEqual({ qemuArgs: ref.qemuArgs, append: ref.append });
    }
  });
});
