// Writes packages/guest/test/fixtures/<name>.{handoff.json,linux-accesses.txt.gz}: what QEMU (the model)
// hands the guest for a recorded scenario, and the real recording's Linux-phase accesses, so @sim/guest can
// test itself against a real boot without QEMU. Run after `npx tsc -b`: node scripts/guest-fixture.mjs q35-default
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { bootScenario, parseQemuArgs } from '../apps/boot/dist/index.js';

const name = process.argv[2] ?? 'q35-default';
const root = new URL('../', import.meta.url);
const ref = JSON.parse(readFileSync(new URL(`apps/boot/test/fixtures/${name}.json`, root), 'utf8'));
const args = ref.qemuArgs.includes('-m') ? [...ref.qemuArgs] : ['-m', '512', ...ref.qemuArgs];
const cpuid = {};
let bootInfo = null;
bootScenario(parseQemuArgs([...args, '-append', ref.append]), {
  runtime: {
    guestCpu: (cpu) => {
      const c = Object.create(cpu);
      c.cpuid = (leaf, sub = 0) => (cpuid[`${leaf}:${sub}`] = cpu.cpuid(leaf, sub));
      for (const k of ['inb', 'inw', 'inl', 'outb', 'outw', 'outl', 'readb', 'readw', 'readl', 'writeb', 'writew', 'writel', 'now', 'sleepNs']) c[k] = cpu[k].bind(cpu);
      return c;
    },
    // the hand-off exactly as the kernel got it (with what qboot or no firmware changes in it)
    beforeLinux: (linux) => {
      bootInfo = linux.info;
    },
  },
});
writeFileSync(new URL(`packages/guest/test/fixtures/${name}.handoff.json`, root), JSON.stringify({ scenario: name, qemuArgs: args, append: ref.append, devices: ref.devices.map((d) => d.bdf), bootInfo, cpuid }) + '\n');
const lines = gunzipSync(readFileSync(new URL(`apps/boot/test/fixtures/${name}.accesses.txt.gz`, root))).toString().split('\n').filter((l) => l.startsWith('L '));
writeFileSync(new URL(`packages/guest/test/fixtures/${name}.linux-accesses.txt.gz`, root), gzipSync(lines.join('\n') + '\n', { level: 9 }));
console.log(`${name}: ${lines.length} linux accesses, ${Object.keys(cpuid).length} cpuid leaves`);
