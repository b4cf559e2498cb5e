// Writes packages/guest/test/fixtures/<name>.handoff.json: what QEMU (the model) hands the guest for a
// recorded scenario, so @sim/guest can test itself against the real boot in reference/ without QEMU. Run after `npx tsc -b`: node scripts/guest-fixture.mjs q35-default
import { readFileSync, writeFileSync } from 'node:fs';
import { bootScenario, parseQemuArgs } from '../apps/boot/dist/index.js';

const name = process.argv[2] ?? 'q35-default';
const root = new URL('../', import.meta.url);
const ref = JSON.parse(readFileSync(new URL(`reference/${name}.json`, root), 'utf8'));
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
console.log(`${name}: ${Object.keys(cpuid).length} cpuid leaves`);
