import { test } from 'vitest';
import { hotplugScenarioFromJson, runHotplugScenario, formatHotplugReport } from '../src/hotplug.js';
import { readFileSync } from 'node:fs';

test('dev run', () => {
  const mode = process.env.HP_MODE ?? 'acpi';
  const ref = JSON.parse(readFileSync(`/work/shared/reference/hotplug/hotplug-${mode}.json`, 'utf8')) as { qemu_args: string[] };
  const args = ref.qemu_args.slice(1).filter((a, i, arr) => !['-kernel', '-initrd', '-qmp'].includes(arr[i - 1] ?? '') && !['-kernel', '-initrd', '-qmp'].includes(a));
  const { scenario, events, flavour } = hotplugScenarioFromJson({
    qemuArgs: args,
    guest: 'linux-6.1-generic',
    events: [
      { at: '+1s', qmp: '{"execute":"device_add","arguments":{"driver":"virtio-rng-pci","id":"rng1","bus":"rp1"}}' },
      { at: '+3s', qmp: 'device_add virtio-rng-pci,id=rng2,bus=pb1,addr=0x1' },
    ],
  });
  const r = runHotplugScenario(scenario, events, { flavour: flavour ?? 'linux-6.1-generic', costProfile: process.env.HP_COST ?? 'lkml-2020' });
  console.log(formatHotplugReport(r));
  console.log(r.log.slice(0, 80).map((l) => `${(l.t / 1e6).toFixed(3)} ${l.text}`).join('\n'));
}, 120000);
