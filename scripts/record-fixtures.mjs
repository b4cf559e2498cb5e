#!/usr/bin/env node
// Records reference scenarios on real QEMU into reference/ (docs/recording.md).
//
//   bash scripts/setup-reference.sh            # once: QEMU 7.2 + the 6.1 cloud kernel
//   pnpm -w build                              # the recorder is imported from apps/boot/dist
//   node scripts/record-fixtures.mjs [--out DIR] [name…]     record the scenarios below (default: all)
//   node scripts/record-fixtures.mjs --check [name…]          re-record every fixture JSON (reference ones
//                                                             included) into a temp dir and compare
//
// --check compares phases, devices and bridges field by field: counts are deterministic under TCG.
// PCISIM_RECORD_MODULE overrides where the recorder is imported from (a built apps/boot/dist/record/index.js).
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const APPEND = 'console=ttyS0 earlyprintk=ttyS0 panic=0';

const rootPorts = [];
for (let i = 0; i < 16; i++) {
  const slot = 2 + (i >> 3);
  const fn = i & 7;
  rootPorts.push(
    '-device',
    `pcie-root-port,port=0x${(0x10 + i).toString(16)},chassis=${i + 1},id=rp${i + 1},bus=pcie.0,` +
      `${fn === 0 ? 'multifunction=on,' : ''}addr=0x${slot}.0x${fn}`,
  );
}

/** The issue's new scenarios: name → { qemuArgs, append, description }. */
const SCENARIOS = {
  'q35-many-rootports': {
    qemuArgs: ['-M', 'q35', '-nodefaults', '-serial', 'stdio', ...rootPorts, '-netdev', 'user,id=net0',
      '-device', 'virtio-net-pci,netdev=net0,id=nic0,bus=rp1,addr=0x0'],
    append: APPEND,
    description: 'q35 -nodefaults, 16 pcie-root-ports multifunction at 00:02.0-7 and 00:03.0-7 (chassis 1-16, port 0x10-0x1f), virtio-net-pci (default ROM) behind the first',
  },
  'q35-nested-bridges': {
    qemuArgs: ['-M', 'q35', '-nodefaults', '-serial', 'stdio',
      '-device', 'pcie-root-port,id=rp1,chassis=1',
      '-device', 'pcie-pci-bridge,id=ppb1,bus=rp1',
      '-device', 'pci-bridge,id=pb1,bus=ppb1,chassis_nr=2,addr=1',
      '-blockdev', 'driver=null-co,node-name=n0,size=67108864',
      '-device', 'virtio-blk-pci,bus=pb1,drive=n0'],
    append: APPEND,
    description: 'q35 -nodefaults, pcie-root-port rp1 -> pcie-pci-bridge ppb1 -> pci-bridge pb1 (addr 1) -> virtio-blk-pci (null-co)',
  },
  'q35-multifunction': {
    qemuArgs: ['-M', 'q35', '-nodefaults', '-serial', 'stdio',
      '-netdev', 'user,id=net0',
      '-device', 'virtio-net-pci,netdev=net0,addr=0x5.0x0,multifunction=on',
      '-blockdev', 'driver=null-co,node-name=n0,size=67108864',
      '-device', 'virtio-blk-pci,drive=n0,addr=0x5.0x1',
      '-device', 'virtio-rng-pci,addr=0x5.0x2'],
    append: APPEND,
    description: 'q35 -nodefaults, three virtio functions of slot 5: virtio-net-pci 00:05.0 (multifunction=on, default ROM), virtio-blk-pci 00:05.1 (null-co), virtio-rng-pci 00:05.2',
  },
  'q35-intel': {
    qemuArgs: ['-M', 'q35', '-cpu', 'qemu64,vendor=GenuineIntel'],
    append: APPEND,
    description: 'q35-default with -cpu qemu64,vendor=GenuineIntel: no AMD northbridge probes (00:18.x, ff:00.0)',
  },
  'pc-nodefaults': {
    qemuArgs: ['-M', 'pc', '-nodefaults', '-serial', 'stdio'],
    append: APPEND,
    description: 'i440fx (-M pc) -nodefaults: only the host bridge 00:00.0 and PIIX3 00:01.0/.1/.3',
  },
};

const fixtures = join(root, 'reference');
const argv = process.argv.slice(2);
let outDir;
let check = false;
const names = [];
for (let i = 0; i < argv.length; i++) {
  if (argv[i] === '--out') outDir = resolve(argv[++i]);
  else if (argv[i] === '--check') check = true;
  else names.push(argv[i]);
}

/** name → scenario (+ the JSON to compare with, for --check) */
const runs = new Map();
if (check) {
  for (const f of (await readdir(fixtures)).filter((f) => f.endsWith('.json')).sort()) {
    const ref = JSON.parse(await readFile(join(fixtures, f), 'utf8'));
    if (ref.schema !== 'pcisim.reference/1') continue;
    runs.set(ref.scenario, { qemuArgs: ref.qemuArgs, append: ref.append, description: ref.description, ref });
  }
  outDir ??= await mkdtemp(join(tmpdir(), 'pcisim-check-'));
} else {
  for (const [n, s] of Object.entries(SCENARIOS)) runs.set(n, s);
  outDir ??= fixtures;
}
const selected = names.length > 0 ? names : [...runs.keys()];
for (const n of selected) if (!runs.has(n)) throw new Error(`unknown scenario ${n}; known: ${[...runs.keys()].join(', ')}`);

const modulePath = process.env.PCISIM_RECORD_MODULE ?? join(root, 'apps/boot/dist/record/index.js');
const { recordBoot, RecordError } = await import(pathToFileURL(modulePath).href);

let failed = 0;
for (const name of selected) {
  const s = runs.get(name);
  const t0 = Date.now();
  try {
    // what the recorder adds to the line (microvm's tsc_early_khz=, a console=) and a kernel other than the references'
    const onNote = (n) => console.log(`  ${name}: ${n}`);
    const r = await recordBoot({ scenario: name, description: s.description, qemuArgs: s.qemuArgs, append: s.append, outDir, onNote });
    const f = r.report.phases.firmware.config;
    const l = r.report.phases.linux.config;
    console.log(
      `${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s, ${r.report.devices.length} devices, ${r.report.linuxConfigLines.length} config lines; ` +
        `firmware conf1 ${f.accesses.conf1} mmcfg ${f.accesses.mmcfg} absent ${f.absent}; ` +
        `linux conf1 ${l.accesses.conf1} mmcfg ${l.accesses.mmcfg} absent ${l.absent}`,
    );
    for (const w of r.warnings) console.log(`  warning: ${w}`);
    if (s.ref) {
      const diffs = ['phases', 'devices', 'bridges'].filter((k) => !isDeepStrictEqual(s.ref[k], r.report[k]));
      console.log(diffs.length === 0 ? '  matches the fixture' : `  DIFFERS from the fixture in ${diffs.join(', ')}`);
      if (diffs.length > 0) failed++;
    }
  } catch (e) {
    failed++;
    console.error(`${name}: ${e instanceof RecordError ? `${e.code}: ${e.message}` : e}`);
  }
}
if (check) console.log(`recordings in ${outDir}`);
process.exitCode = failed > 0 ? 1 : 0;
