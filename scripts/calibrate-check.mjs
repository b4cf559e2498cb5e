#!/usr/bin/env node
/**
 * `pcisim calibrate` against an independent measurement on the same machine, interleaved so that a busy
 * host's load weighs on both alike: round i runs `pcisim calibrate` and scripts/kvm-exits-check.c (a separate
 * C program: real mode instead of long mode, the guest's rdtsc instead of the host's clock, means of batches
 * instead of single exits), in alternating order. Prints each round's userspace port-I/O and MMIO exit costs
 * from both, their ratio, and the medians over the rounds; exit 1 when a median differs by more than 20 %.
 *
 *   npx -y pnpm@10.34.9 build && node scripts/calibrate-check.mjs [rounds, default 5]
 *
 * Needs /dev/kvm and cc, as pcisim calibrate does. docs/costs.md has this machine's figures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const rounds = Number(process.argv[2] ?? 5);
const work = mkdtempSync(join(tmpdir(), 'pcisim-calibrate-check-'));
const cc = process.env.CC || 'cc';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT });
  if (r.status !== 0) {
    process.stderr.write(`calibrate-check: ${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || String(r.error)).trim()}\n`);
    process.exit(1);
  }
  return r.stdout;
}

const check = join(work, 'kvm-exits-check');
run(cc, ['-O2', '-o', check, join(ROOT, 'scripts/kvm-exits-check.c')]);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = [];
for (let i = 0; i < rounds; i++) {
  const profile = join(work, `round-${i}.json`);
  const calibrate = () => {
    run(process.execPath, [join(ROOT, 'apps/boot/dist/bin.js'), 'calibrate', '--out', profile]);
    return JSON.parse(readFileSync(profile, 'utf8')).ns;
  };
  const independent = () => JSON.parse(run(check, [])).ns;
  let c, k;
  if (i % 2 === 0) {
    c = calibrate();
    k = independent();
  } else {
    k = independent();
    c = calibrate();
  }
  const row = {
    round: i + 1,
    order: i % 2 === 0 ? 'calibrate, check' : 'check, calibrate',
    io: c.userspaceExitIo,
    ioCheck: (k.pio_out_user + k.pio_in_user) / 2,
    mmio: c.userspaceExitMmio,
    mmioCheck: (k.mmio_read_user + k.mmio_write_user) / 2,
  };
  rows.push(row);
  print(row);
}
function print(r) {
  const f = (x) => (x / 1000).toFixed(2).padStart(6);
  const ratio = (a, b) => `${((a / b - 1) * 100).toFixed(1).padStart(6)} %`;
  if (typeof r.round === 'number' && r.round === 1) {
    console.log('round  order              port I/O exit, µs: calibrate  check   diff   MMIO exit, µs: calibrate  check   diff');
  }
  console.log(
    `${String(r.round).padEnd(6)} ${r.order.padEnd(18)} ${' '.repeat(19)}${f(r.io)} ${f(r.ioCheck)} ${ratio(r.io, r.ioCheck)}  ${' '.repeat(15)}${f(r.mmio)} ${f(r.mmioCheck)} ${ratio(r.mmio, r.mmioCheck)}`,
  );
}
const m = {
  round: 'median',
  order: `${rounds} rounds`,
  io: median(rows.map((r) => r.io)),
  ioCheck: median(rows.map((r) => r.ioCheck)),
  mmio: median(rows.map((r) => r.mmio)),
  mmioCheck: median(rows.map((r) => r.mmioCheck)),
};
print(m);
rmSync(work, { recursive: true, force: true });
const within = Math.abs(m.io / m.ioCheck - 1) <= 0.2 && Math.abs(m.mmio / m.mmioCheck - 1) <= 0.2;
console.log(within ? 'within 20 %' : 'NOT within 20 %');
process.exit(within ? 0 : 1);
