import { test } from 'vitest';
import { hotplugScenarioFromJson, runHotplugScenario } from '../src/hotplug.js';
const base = ['-M','q35','-m','512','-cpu','qemu64,vendor=GenuineIntel','-nodefaults','-device','pcie-root-port,id=rp1,chassis=1,port=0x10,bus=pcie.0,addr=0x3','-device','pci-bridge,id=pb1,chassis_nr=2,shpc=on,bus=pcie.0,addr=0x4','-append','console=ttyS0'];
const native = ['-global','ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off', ...base];
test('sweep', () => {
  for (const [name, args] of [['acpi', base], ['native', native]] as const) {
    for (const bus of ['rp1', 'pb1,addr=1']) {
      const out: string[] = [];
      for (const ms of [0.5, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 19, 19.5, 20, 25]) {
        const { scenario, events } = hotplugScenarioFromJson({ qemuArgs: [...args], events: [{ at: `${ms}ms`, qmp: `device_add virtio-rng-pci,id=r1,bus=${bus}` }] });
        const r = runHotplugScenario(scenario, events, { flavour: 'linux-6.1-generic', costProfile: 'tcg-reference', settleNs: 12e9 });
        const e = r.events[0]!;
        out.push(`${ms}ms${e.duringBoot ? '*' : ''}: ${e.toFoundNs !== undefined ? (e.toFoundNs / 1e6).toFixed(1) + 'ms ' : ''}${e.outcome}`);
      }
      console.log(name, bus, '\n  ' + out.join('\n  '));
    }
  }
  const { scenario } = hotplugScenarioFromJson({ qemuArgs: native, events: [] });
  const r = runHotplugScenario(scenario, [], { flavour: 'linux-6.1-generic', costProfile: 'tcg-reference' });
  console.log('fw time', r.boot.report.phases.firmware.timeNs, 'linux', r.boot.report.phases.linux.timeNs, 'up', r.guestUpNs);
}, 300000);
