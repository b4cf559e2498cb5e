import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hotplugScenarioFromJson, runHotplugScenario, parseQmpEventArg, parseEventTime, earliestSafeHotplug, type HotplugRunResult } from '../src/core/hotplug.js';
import { runCli } from '../src/cli.js';
import { parseQemuArgs } from '../src/core/scenario.js';
import { deriveAcpiHotplugCosts, type AcpiHotplugRecording } from '../src/record/acpi-hotplug-costs.js';
import { TCG_DEVICE_ADD_TO_PLUG_NS } from '@sim/qemu';
import { TCG_REFERENCE_GUEST_CPU_COSTS } from '@sim/guest';

// shared/reference/hotplug, copied into the repository's reference/hotplug
const REF = fileURLToPath(new URL('../../../reference', import.meta.url));

interface RefEvent {
  target: string;
  bus: string;
  guest_delay_s_qmp_to_device_printk: number;
  qmp_roundtrip_s: number;
  'lines_after_qmp_send (host_delay_s, line)': [number, string][];
}
interface Ref {
  qemu_args: string[];
  events: RefEvent[];
  repeats: { target: string; guest_delay_s: number }[][];
}

function loadRef(mode: 'acpi' | 'native'): Ref {
  return JSON.parse(readFileSync(join(REF, 'hotplug', `hotplug-${mode}.json`), 'utf8')) as Ref;
}

/** the reference's QEMU command line, minus what pcisim has no use for (-kernel, -initrd, -qmp) */
function refArgs(ref: Ref): string[] {
  const out: string[] = [];
  const a = ref.qemu_args.slice(1);
  for (let i = 0; i < a.length; i++) {
    if (['-kernel', '-initrd', '-qmp'].includes(a[i]!)) {
      i++;
      continue;
    }
    out.push(a[i]!);
  }
  return out;
}

/** the reference sent device_add to rp1, then (1.5 s later) to pb1; slot 1 of the bridge (SHPC has no slot 0) */
function runRef(mode: 'acpi' | 'native'): HotplugRunResult {
  const ref = loadRef(mode);
  const { scenario, events } = hotplugScenarioFromJson({
    qemuArgs: refArgs(ref),
    events: [
      { at: '+1s', qmp: '{"execute":"device_add","arguments":{"driver":"virtio-rng-pci","id":"rng1","bus":"rp1"}}' },
      { at: '+2.5s', qmp: '{"execute":"device_add","arguments":{"driver":"virtio-rng-pci","id":"rng2","bus":"pb1","addr":"0x1"}}' },
    ],
  });
  return runHotplugScenario(scenario, events, { flavour: 'linux-6.1-generic', costProfile: 'tcg-reference' });
}

const strip = (l: string) => l.replace(/^\[\s*[\d.]+\]\s*/, '');

describe('hot-plug latency against the real runs (QEMU 7.2 TCG + Linux 6.1 generic), tcg-reference profile', () => {
  const native = runRef('native');
  const acpi = runRef('acpi');
  const refN = loadRef('native');
  const refA = loadRef('acpi');

  it('pciehp to a root port: within 10 % of the measured ~136 ms, made of msleep(20) + msleep(100) of pcie_wait_for_link()', () => {
    const e = native.events[0]!;
    const real = refN.events[0]!.guest_delay_s_qmp_to_device_printk * 1e9;
    expect(e.handler).toBe('pcie-slot');
    expect(Math.abs(e.toFoundNs! - real) / real).toBeLessThan(0.1);
    const waits = Object.fromEntries(e.waits.map((w) => [w.what, w.ns]));
    // msleep(20): 6 jiffies + the level-0 bucket's extra jiffy = 24-28 ms; msleep(100): 26 + 1 jiffies = 104-108 ms
    expect(waits['pcie_wait_for_link: msleep(20) (LTSSM Detect)']).toBeGreaterThan(24e6);
    expect(waits['pcie_wait_for_link: msleep(20) (LTSSM Detect)']).toBeLessThanOrEqual(28e6);
    expect(waits['pcie_wait_for_link: msleep(100) after link up']).toBeGreaterThan(104e6);
    expect(waits['pcie_wait_for_link: msleep(100) after link up']).toBeLessThanOrEqual(108e6);
    // no 5 s: the presence-detect change in the same interrupt cancels the button's delayed work
    expect(e.waits.some((w) => /button_work/.test(w.what))).toBe(false);
  });

  it('SHPC to the pci-bridge: within 10 % of the measured ~6.18 s: the 5 s button delay (timer wheel) + msleep(1000)', () => {
    const e = native.events[1]!;
    const real = refN.events[1]!.guest_delay_s_qmp_to_device_printk * 1e9;
    expect(e.handler).toBe('shpc');
    expect(Math.abs(e.toFoundNs! - real) / real).toBeLessThan(0.1);
    const button = e.waits.find((w) => /pushbutton \(1250 jiffies\)/.test(w.what))!;
    expect(button.ns).toBeGreaterThanOrEqual(5e9);
    expect(button.ns).toBeLessThanOrEqual(5e9 + 64 * 4e6); // level 2 of the wheel: 64-jiffy granules
    expect(e.waits.find((w) => /msleep\(1000\)/.test(w.what))!.ns).toBeGreaterThanOrEqual(1e9);
  });

  it("the drivers' console lines are the real ones, word for word (native)", () => {
    for (const [i, ev] of refN.events.entries()) {
      const sim = native.log.filter((l) => l.t >= native.events[i]!.at && (i + 1 >= native.events.length || l.t < native.events[i + 1]!.at)).map((l) => l.text);
      const real = ev['lines_after_qmp_send (host_delay_s, line)'].map(([, l]) => strip(l));
      expect(sim.slice(0, real.length)).toEqual(real);
    }
  });

  it('ACPI hot-plug: the same lines as the real run; its time is QEMU\'s device_add and the guest\'s ACPI path, as measured', () => {
    for (const [i, ev] of refA.events.entries()) {
      const sim = acpi.log.filter((l) => l.t >= acpi.events[i]!.at && (i + 1 >= acpi.events.length || l.t < acpi.events[i + 1]!.at)).map((l) => l.text);
      const real = ev['lines_after_qmp_send (host_delay_s, line)'].map(([, l]) => strip(l));
      expect(sim.slice(0, real.length)).toEqual(real);
      const e = acpi.events[i]!;
      expect(e.handler).toBe('acpi');
      const waits = Object.fromEntries(e.waits.map((w) => [w.what, w.ns]));
      expect(waits['QEMU: device_add to plug (realize, under the BQL)']).toBe(TCG_DEVICE_ADD_TO_PLUG_NS);
      expect(waits['guest CPU: SCI to _E01 (acpi_irq, GPE dispatch, kacpid, ACPICA)']).toBe(TCG_REFERENCE_GUEST_CPU_COSTS.acpiSciToMethod);
      // PCNT walks both hot-plug buses (the bridge's 32 slots, the port's 1), DVNT(PCIU) and DVNT(PCID) each
      const c = TCG_REFERENCE_GUEST_CPU_COSTS;
      expect(waits['guest CPU: AML DVNT (ACPICA, one If per slot)']).toBe(4 * c.amlDvntCall! + 2 * (32 + 1) * c.amlDvntSlot!);
      // only the first hot-plug since boot runs code for the first time
      expect('guest CPU: first hot-plug event since boot (code run for the first time)' in waits).toBe(i === 0);
    }
  });

  it('ACPI hot-plug to a root port (the first of the run): within 10 % of the measured ~6.3 ms', () => {
    const real = refA.events[0]!.guest_delay_s_qmp_to_device_printk * 1e9;
    expect(Math.abs(acpi.events[0]!.toFoundNs! - real) / real).toBeLessThan(0.1);
  });

  it('ACPI hot-plug to the bridge (a later one): the known gap, ~20 % above the reference\'s 4.3 ms (docs/hotplug.md)', () => {
    const real = refA.events[1]!.guest_delay_s_qmp_to_device_printk * 1e9;
    const err = (acpi.events[1]!.toFoundNs! - real) / real;
    // the constants were measured on a host where this span takes ~5.4 ms (acpi-timing.json); see the docs
    expect(err).toBeGreaterThan(0.1);
    expect(err).toBeLessThan(0.3);
  });

  it('ACPI hot-plug on a wider topology the constants were not taken from (3 bridges, 2 ports: PCNT walks 5 buses): within 20 % of its recording', () => {
    const rec = JSON.parse(readFileSync(join(REF, 'hotplug', 'acpi-timing-wide.json'), 'utf8')) as AcpiHotplugRecording;
    const args = [...refArgs(refA), ...(rec.devices ?? []).flatMap((d) => ['-device', d])];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    for (const order of [['rp1', 'pb1'], ['pb1', 'rp1']]) {
      const { scenario, events } = hotplugScenarioFromJson({
        qemuArgs: args,
        events: order.map((bus, i) => ({ at: `+${1 + i}s`, qmp: JSON.stringify({ execute: 'device_add', arguments: { driver: 'virtio-rng-pci', id: `rng${i}`, bus } }) })),
      });
      const r = runHotplugScenario(scenario, events, { flavour: 'linux-6.1-generic', costProfile: 'tcg-reference' });
      order.forEach((_, i) => {
        const real = median(rec.runs.filter((x) => x.order.join() === order.join()).map((x) => x.events[i]!.classReadUs!)) * 1e3;
        expect(Math.abs(r.events[i]!.toFoundNs! - real) / real).toBeLessThan(0.2);
      });
    }
  });

  it("this host, untraced, is slower than the reference's host on the reference's own measure (the bridge row's gap)", () => {
    const rec = JSON.parse(readFileSync(join(REF, 'hotplug', 'acpi-untraced.json'), 'utf8')) as { runs: { events: { order: number; deviceLineUs: number }[] }[] };
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
    const later = median(rec.runs.flatMap((r) => r.events.filter((e) => e.order === 1).map((e) => e.deviceLineUs)));
    const first = median(rec.runs.flatMap((r) => r.events.filter((e) => e.order === 0).map((e) => e.deviceLineUs)));
    // the reference's host delays to the same console line: 6.5 ms (first add), 4.7 ms (later add)
    expect(later / 1e3 / 4.7).toBeGreaterThan(1.1);
    expect(first / 1e3 / 6.5).toBeGreaterThan(1.1);
    // and the model, made from this host's traced recording, sits below this host's untraced console times
    // (they add the device line's own trip through the 8250 and the pipe) and above the reference's
    expect(acpi.events[1]!.toFoundNs! / 1e3).toBeLessThan(later);
    expect(acpi.events[1]!.toFoundNs! / 1e6).toBeGreaterThan(4.7);
  });

  it('the tcg-reference ACPI constants are the committed recording\'s medians (scripts/record-acpi-hotplug.mjs)', () => {
    const rec = JSON.parse(readFileSync(join(REF, 'hotplug', 'acpi-timing.json'), 'utf8')) as AcpiHotplugRecording;
    const d = deriveAcpiHotplugCosts(rec);
    expect(d.deviceAddToSci).toBe(TCG_DEVICE_ADD_TO_PLUG_NS);
    const { irqEntry: _i, wakeup: _w, printk: _p, ...acpiCosts } = TCG_REFERENCE_GUEST_CPU_COSTS;
    expect(acpiCosts).toEqual({
      acpiSciToMethod: d.acpiSciToMethod,
      amlDvntCall: d.amlDvntCall,
      amlDvntSlot: d.amlDvntSlot,
      amlNotify: d.amlNotify,
      acpiNotifyToScan: d.acpiNotifyToScan,
      firstAcpiHotplugEvent: d.firstAcpiHotplugEvent,
    });
  });

  it('reports the accesses and exits an event caused', () => {
    const e = native.events[0]!;
    expect(e.cost.configAccesses.total).toBeGreaterThan(100);
    expect(e.cost.consolePio).toBeGreaterThan(0);
    expect(e.cost.exits.KVM_EXIT_IO).toBeGreaterThan(e.cost.consolePio);
  });
});

describe('the race: events while a controller is mid-way', () => {
  const native = ['-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', '-M', 'q35', '-nodefaults', '-device', 'pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=0x3', '-device', 'pci-bridge,id=pb1,chassis_nr=2,shpc=on,bus=pcie.0,addr=0x4', '-append', 'console=ttyS0'];
  const run = (events: { at: string; qmp?: string; guest?: 'rescan' }[]) => {
    const { scenario, events: ev } = hotplugScenarioFromJson({ qemuArgs: native, events });
    return runHotplugScenario(scenario, ev, { flavour: 'linux-6.1-generic', costProfile: 'tcg-reference' });
  };

  it('SHPC: a device_del within the 5 s reads as a second button press: "Button cancel", the add never happens', () => {
    const r = run([
      { at: '+1s', qmp: 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1' },
      { at: '+3s', qmp: 'device_del r1' },
    ]);
    expect(r.events[0]!.outcome).toBe('the guest never saw the device');
    expect(r.events[1]!.reply).toEqual({ return: {} });
    expect(r.log.map((l) => l.text)).toContain('shpchp 0000:00:04.0: Button cancel on Slot(1)');
    expect(r.qmpEvents).toEqual([]); // QEMU still has the device: no DEVICE_DELETED
  });

  it("SHPC + Kata's forced rescan: the rescan finds the device, the 5 s work then disables the slot and QEMU deletes it under the guest", () => {
    const r = run([
      { at: '+1s', qmp: 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1' },
      { at: '+1.1s', guest: 'rescan' },
    ]);
    const log = r.log.map((l) => l.text);
    expect(log).toContain('shpchp 0000:00:04.0: Device 0000:02:01.0 already exists at 0000:02:01, cannot hot-add');
    expect(r.qmpEvents.map((e) => e.data.device)).toEqual(['r1']);
    expect(r.events[0]!.outcome).toMatch(/QEMU deleted it/);
  });

  it('pciehp: device_del while the power indicator blinks is refused by QEMU 7.2', () => {
    const r = run([
      { at: '+1s', qmp: 'device_add virtio-rng-pci,id=r1,bus=rp1' },
      { at: '+1.05s', qmp: 'device_del r1' },
    ]);
    expect(r.events[1]!.reply).toEqual({ error: { class: 'GenericError', desc: 'Hot-unplug failed: guest is busy (power indicator blinking)' } });
  });

  it('SHPC during boot, after the bridge was scanned but before shpchp probed: the events are cleared by shpc_init(), the device is lost', () => {
    const probe = run([]);
    const mid = Math.round(probe.guestUpNs * 0.6);
    const r = run([{ at: `${mid}ns`, qmp: 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1' }]);
    expect(r.events[0]!.duringBoot).toBe(true);
    expect(r.events[0]!.outcome).toBe('the guest never saw the device');
    // after the probe, the same add works (6 s later)
    const ok = run([{ at: '+10ms', qmp: 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1' }]);
    expect(ok.events[0]!.toFoundNs).toBeGreaterThan(5e9);
  });

  it('earliest safe hot-plug time: SHPC only once shpchp has probed; pciehp and ACPI any time', () => {
    const sc = parseQemuArgs(native);
    const shpc = earliestSafeHotplug(sc, 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1', { flavour: 'linux-6.1-generic', points: 6, horizonNs: 1e9 });
    expect(shpc.tried.some((x) => !x.ok)).toBe(true);
    expect(shpc.earliestSafeNs).not.toBeNull();
    expect(shpc.earliestSafeNs!).toBeGreaterThanOrEqual(shpc.guestUpNs);
    const pcie = earliestSafeHotplug(sc, 'device_add virtio-rng-pci,id=r1,bus=rp1', { flavour: 'linux-6.1-generic', points: 4, horizonNs: 1e9 });
    expect(pcie.tried.every((x) => x.ok)).toBe(true);
  });

  it('pciehp during boot: the latched events are taken at probe, the device comes up ~136 ms after the driver', () => {
    const probe = run([]);
    const r = run([{ at: `${Math.round(probe.guestUpNs * 0.6)}ns`, qmp: 'device_add virtio-rng-pci,id=r1,bus=rp1' }]);
    expect(r.events[0]!.outcome).toBe('device found and added');
  });
});

describe('memslot updates with a KVM mitigation (KvmPciAccel.update() re-punches the holes)', () => {
  it('device_add under pci-hole changes the absent ECAM ranges: KVM counts the memslot updates', () => {
    const { scenario, events } = hotplugScenarioFromJson({
      qemuArgs: ['-M', 'q35', '-nodefaults', '-device', 'pcie-root-port,id=rp1,chassis=1,bus=pcie.0,addr=0x3'],
      events: [{ at: '+1s', qmp: 'device_add virtio-rng-pci,id=r1,bus=rp1' }],
    });
    const r = runHotplugScenario(scenario, events, { kvm: ['pci-hole'] });
    expect(r.events[0]!.cost.memslotUpdates).toBeGreaterThan(0);
    const plain = runHotplugScenario(scenario, events, {});
    expect(plain.events[0]!.cost.memslotUpdates).toBe(0);
  });
});

describe('command-line forms', () => {
  it('--qmp <command>@<time>', () => {
    expect(parseQmpEventArg('device_add virtio-net-pci,id=n1,bus=rp1@+1.5s')).toEqual({ at: 1.5e9, relative: true, qmp: 'device_add virtio-net-pci,id=n1,bus=rp1' });
    expect(parseQmpEventArg('{"execute":"device_del","arguments":{"id":"n1"}}@3s')).toMatchObject({ at: 3e9, relative: false });
    expect(parseEventTime('250ms')).toEqual({ at: 250e6, relative: false });
    expect(() => parseEventTime('soon')).toThrow('bad event time');
  });

  it('pcisim boot … --qmp runs the events and reports them', async () => {
    let out = '';
    const code = await runCli(
      ['boot', '-M', 'q35', '-nodefaults', '-device', 'pcie-root-port,id=rp1,chassis=1,bus=pcie.0', '--qmp', 'device_add virtio-rng-pci,id=r1,bus=rp1@+1s', '--qmp', 'device_add virtio-rng-pci,id=r1,bus=nope@+2s'],
      { stdout: (s) => (out += s), stderr: () => {} },
    );
    expect(code).toBe(0);
    expect(out).toContain('handler: acpi');
    expect(out).toContain(`"desc":"Bus 'nope' not found"`);
  });

  it('--scenario file.json: {qemuArgs, append, events: [{at, qmp}]}, JSON out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-hp-'));
    const file = join(dir, 's.json');
    writeFileSync(
      file,
      JSON.stringify({
        qemuArgs: ['qemu-system-x86_64', '-M', 'q35', '-nodefaults', '-device', 'pcie-root-port,id=rp1,chassis=1,bus=pcie.0'],
        append: 'console=ttyS0',
        events: [{ at: '+1s', qmp: '{"execute":"device_add","arguments":{"driver":"virtio-rng-pci","id":"r1","bus":"rp1"}}' }, { at: '+2s', qmp: 'device_del r1' }],
      }),
    );
    let out = '';
    expect(await runCli(['boot', '--scenario', file, '--json'], { stdout: (x) => (out += x), stderr: () => {} })).toBe(0);
    const j = JSON.parse(out) as { schema: string; events: { kind: string; toFoundNs?: number; toDeletedNs?: number }[]; qmpEvents: unknown[] };
    expect(j.schema).toBe('pcisim.hotplug/1');
    expect(j.events.map((e) => e.kind)).toEqual(['device_add', 'device_del']);
    expect(j.events[0]!.toFoundNs).toBeGreaterThan(0);
    expect(j.events[1]!.toDeletedNs).toBeGreaterThan(0);
    expect(j.qmpEvents).toHaveLength(1);
  });

  it('the cloud kernel has no shpchp: a native SHPC add is never seen', () => {
    const s = parseQemuArgs(['-global', 'ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', '-M', 'q35', '-nodefaults', '-device', 'pci-bridge,id=pb1,chassis_nr=2,shpc=on,bus=pcie.0']);
    const r = runHotplugScenario(s, [{ at: 1e9, relative: true, qmp: 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1' }], { flavour: 'linux-6.1-cloud', settleNs: 8e9 });
    expect(r.events[0]!.outcome).toBe('the guest never saw the device');
  });
});
