#!/usr/bin/env node
/**
 * Records where the time of an ACPI PCI hot-plug goes under QEMU 7.2 TCG + Debian Linux 6.1, for the
 * `tcg-reference` guest-path costs (packages/guest/src/hotplug/tcg-costs.ts). The same machine as
 * reference/hotplug/hotplug-acpi.json (q35, one pcie-root-port at 00:03.0, one pci-bridge,shpc=on at 00:04.0),
 * with QEMU's own trace points on (`acpi_pci_*`, `pci_cfg_read`, `ioapic_set_irq`, timestamps from `-msg timestamp=on`) and a
 * `device_add virtio-rng-pci` to each, in both orders. Per event it writes the host times (µs after the QMP
 * command was sent) of: the QMP reply, the SCI (GSI 9 raised on the IOAPIC by the plug callback), each `_E01`/PCNT register access (BNUM write, PCIU/PCID reads), the
 * new function's first config read and its class-code read (pci_setup_device(), just before the device line).
 *
 *   node scripts/record-acpi-hotplug.mjs --kernel vmlinuz-6.1.0-*-amd64 --initrd initrd.cpio [--runs 3] [--device <qdev>]… [--untraced] > out.json
 *
 * The initrd needs an /init that stays up and prints ORACLE-READY (any static program that does and then
 * pause()s). Nothing here runs in CI.
 */
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const opt = (n, d) => {
  const i = args.indexOf(n);
  return i >= 0 ? args[i + 1] : d;
};
const kernel = opt('--kernel');
const initrd = opt('--initrd');
const runs = Number(opt('--runs', '3'));
// --untraced: no trace points, only the host time to the device line on the serial console (as the
// reference recordings measure it), to check the model on this host without the tracing's own cost
const untraced = args.includes('--untraced');
// extra -device arguments (a wider topology: more buses for PCNT to walk)
const extra = args.flatMap((a, i) => (a === '--device' ? ['-device', args[i + 1]] : []));
if (!kernel || !initrd) {
  process.stderr.write('usage: record-acpi-hotplug.mjs --kernel <vmlinuz> --initrd <cpio> [--runs N]\n');
  process.exit(2);
}
const nowUs = () => (performance.timeOrigin + performance.now()) * 1e3;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function run(order, n) {
  const sock = join(tmpdir(), `pcisim-acpi-hp-${process.pid}-${n}.sock`);
  const trace = join(tmpdir(), `pcisim-acpi-hp-${process.pid}-${n}.trace`);
  rmSync(sock, { force: true });
  rmSync(trace, { force: true });
  const qemuArgs = [
    '-M', 'q35', '-accel', 'tcg', '-m', '512', '-cpu', 'qemu64,vendor=GenuineIntel', '-nodefaults', '-nographic',
    '-serial', 'stdio', '-no-reboot', '-kernel', kernel, '-initrd', initrd,
    '-append', 'console=ttyS0 earlyprintk=ttyS0 panic=0 rdinit=/init', '-qmp', `unix:${sock},server=on,wait=off`,
    '-device', 'pcie-root-port,id=rp1,chassis=1,port=0x10,bus=pcie.0,addr=0x3',
    '-device', 'pci-bridge,id=pb1,chassis_nr=2,shpc=on,bus=pcie.0,addr=0x4',
    ...extra,
    ...(untraced
      ? []
      : ['-msg', 'timestamp=on', '-trace', 'acpi_pci_sel_write', '-trace', 'acpi_pci_up_read', '-trace', 'acpi_pci_down_read',
          '-trace', 'pci_cfg_read', '-trace', 'ioapic_set_irq', '-D', trace]),
  ];
  const q = spawn('qemu-system-x86_64', qemuArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  // console lines with the host time they arrived
  const consoleLines = [];
  let partial = '';
  q.stdout.on('data', (b) => {
    const t = nowUs();
    out += b.toString();
    partial += b.toString();
    let i;
    while ((i = partial.indexOf('\n')) >= 0) {
      consoleLines.push({ t, text: partial.slice(0, i) });
      partial = partial.slice(i + 1);
    }
  });
  for (let i = 0; i < 600 && !out.includes('ORACLE-READY'); i++) await sleep(50);
  if (!out.includes('ORACLE-READY')) throw new Error('the guest never printed ORACLE-READY');
  await sleep(500);
  const c = createConnection(sock);
  let buf = '';
  const waiters = [];
  c.on('data', (b) => {
    buf += b.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = JSON.parse(line);
      if ('return' in m || 'error' in m) waiters.shift()?.([m, nowUs()]);
    }
  });
  const cmd = (o) => new Promise((r) => { waiters.push(r); c.write(JSON.stringify(o) + '\n'); });
  await cmd({ execute: 'qmp_capabilities' });
  const events = [];
  for (const [i, bus] of order.entries()) {
    const sent = nowUs();
    const [reply, at] = await cmd({ execute: 'device_add', arguments: { driver: 'virtio-rng-pci', bus, id: `rng${i}` } });
    if (reply.error) throw new Error(`device_add: ${reply.error.desc}`);
    events.push({ bus, order: i, sent, replyUs: at - sent });
    await sleep(1000);
  }
  c.end();
  q.kill();
  await new Promise((r) => q.on('exit', r));
  for (const [k, e] of events.entries()) {
    const end = k + 1 < events.length ? events[k + 1].sent : Infinity;
    const line = consoleLines.find((l) => l.t >= e.sent && l.t < end && /\] pci [0-9a-f:.]+: \[1af4:/.test(l.text));
    e.deviceLineUs = line ? Math.round(line.t - e.sent) : null;
  }
  if (untraced) {
    for (const e of events) delete e.sent;
    return { events };
  }
  const lines = readFileSync(trace, 'utf8').split('\n');
  const tr = [];
  for (const l of lines) {
    const m = /^\d+@(\d+)\.(\d+):(\S+) (.*)$/.exec(l);
    if (m) tr.push({ t: Number(m[1]) * 1e6 + Number(m[2]), ev: m[3], rest: m[4] });
  }
  rmSync(trace, { force: true });
  for (const [k, e] of events.entries()) {
    const end = k + 1 < events.length ? events[k + 1].sent : Infinity;
    const win = tr.filter((x) => x.t >= e.sent && x.t < end);
    e.pcnt = win.filter((x) => x.ev.startsWith('acpi_pci_') && x.t < (win.find((y) => y.ev === 'pci_cfg_read' && /virtio-rng-pci/.test(y.rest))?.t ?? Infinity))
      .map((x) => ({ us: Math.round(x.t - e.sent), ev: x.ev.replace('acpi_pci_', ''), v: x.rest }));
    // the SCI: QEMU's acpi_send_event() from the plug callback raises GSI 9 (ICH9's SCI) on the IOAPIC
    const sci = win.find((x) => x.ev === 'ioapic_set_irq' && /vector: 9 level: 1/.test(x.rest));
    e.sciUs = sci ? Math.round(sci.t - e.sent) : null;
    const mine = win.filter((x) => x.ev === 'pci_cfg_read' && /virtio-rng-pci/.test(x.rest));
    e.firstConfigReadUs = mine[0] ? Math.round(mine[0].t - e.sent) : null;
    const cls = mine.find((x) => /@0x8 /.test(x.rest));
    e.classReadUs = cls ? Math.round(cls.t - e.sent) : null;
    e.configReadsToClass = cls ? mine.indexOf(cls) + 1 : null;
    e.replyUs = Math.round(e.replyUs);
    delete e.sent;
  }
  return { events };
}

const result = { untraced, devices: extra.filter((_, i) => i % 2 === 1), qemu: 'qemu-system-x86_64 (TCG)', kernel: kernel.split('/').pop(), recorded: new Date().toISOString(), runs: [] };
for (let n = 0; n < runs; n++) {
  for (const order of [['rp1', 'pb1'], ['pb1', 'rp1']]) result.runs.push({ order, ...(await run(order, result.runs.length)) });
  process.stderr.write(`run ${n + 1}/${runs} done\n`);
}
process.stdout.write(JSON.stringify(result, null, 1) + '\n');
