/**
 * @module
 * `pcisim`: a thin command over exported functions, so tests run it without spawning a process.
 * Errors become one line on stderr in the style of the tool that would raise them, and an exit status:
 * 1 for a failed run, 2 for a usage error.
 */
import { QemuError } from '@sim/qemu';
import { KvmError } from '@sim/kvm';
import { GuestError } from '@sim/guest';
import { RecordError } from './record/errors.js';
import { PcisimError } from './core/errors.js';
import type { CliIo } from './commands/io.js';
import { bootCommand, hotplugBootCli, wantsHotplug } from './commands/boot.js';
// Each other command loads its modules when it runs (`await import`): `pcisim boot` is a cold process most of
// the time, and loading compare, validate, record, bench, sweep and the HTML report was ~15 % of it.

export type { CliIo } from './commands/io.js';

export const USAGE = `usage: pcisim boot [qemu options] [--json | --format text|json|perf-kvm-stat] [--trace out.json] [--cost <profile|file.json>] [--guest-patch none|mmconfig-v1|mmconfig-v2]
                   [--kvm pci-hole|mmio-bus|ro-page|ro-page-2m|ro-page-prefetch|ro-page-prefetch-2m|ro-page-full|pio-fast,...]
                   [--mcfg accurate[=<spare buses>]] [--pv-enumeration] [--stub-backends] [--firmware seabios|qboot|none]
       pcisim boot -- qemu-system-x86_64 [qemu options]
       pcisim boot [qemu options] --qmp '<qmp command>@<time>'... [--scenario hotplug.json] [--guest linux-6.1-cloud|linux-6.1-generic] [--json]
       pcisim compare [qemu options] [--json] [--chart] [--cost <profile>]
       pcisim compare --topology kata,libvirt [--guest linux-6.1-cloud|linux-6.1-generic] [--cost <profile>] [--json]
       pcisim topology [qemu options] [--guest linux-6.1-cloud|linux-6.1-generic] [--json]
       pcisim report [qemu options] [--cost <profile>] --html out.html
       pcisim validate <reference.json>... [--json|--markdown]
       pcisim record [qemu options] [-append "..."] [--scenario name] [--out dir]
       pcisim import-trace <trace.log> [--console <console.log>] [--json]
       pcisim bench [--json] [case…]
       pcisim sweep <matrix.json> [--jobs N] [--fresh-machines]
       pcisim help`;

/** Runs one command; resolves to the exit status (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
      io.stdout(USAGE + '\n');
      return cmd === undefined ? 2 : 0;
    }
    if (cmd === 'boot') return wantsHotplug(rest) ? hotplugBootCli(rest, io) : await bootCommand(rest, io);
    if (cmd === 'validate') return await (await import('./commands/validate.js')).validateCommand(rest, io);
    if (cmd === 'compare') {
      const c = await import('./commands/compare.js');
      return rest.includes('--topology') ? c.compareTopologyCli(rest, io) : await c.compareCommand(rest, io);
    }
    if (cmd === 'topology') return (await import('./commands/topology.js')).topologyCli(rest, io);
    if (cmd === 'report') return await (await import('./commands/report.js')).reportCommand(rest, io);
    if (cmd === 'record') return await (await import('./commands/record.js')).recordCommand(rest, io);
    if (cmd === 'import-trace') return await (await import('./commands/import-trace.js')).importTraceCommand(rest, io);
    if (cmd === 'bench') return await (await import('./commands/bench.js')).benchCommand(rest, io);
    if (cmd === 'sweep') return await (await import('./commands/sweep.js')).sweepCmd(rest, io);
    io.stderr(`pcisim: unknown command '${cmd}'\n${USAGE}\n`);
    return 2;
  } catch (e) {
    return reportError(e, io);
  }
}

function reportError(e: unknown, io: CliIo): number {
  if (e instanceof PcisimError) {
    io.stderr(e.usage ? `pcisim: ${e.message}\n${USAGE}\n` : `pcisim: ${e.message}\n`);
    return e.usage ? 2 : 1;
  }
  if (e instanceof QemuError) {
    // what QEMU would say carries its name; what the simulator does not model says "pcisim:" alone
    io.stderr(e.message.startsWith('pcisim: ') ? `${e.message}\n` : `qemu-system-x86_64: ${e.message}\n`);
    return 1;
  }
  if (e instanceof KvmError) {
    io.stderr(`kvm: ${e.message}\n`);
    return 1;
  }
  if (e instanceof GuestError) {
    io.stderr(`linux: ${e.message}\n`);
    return 1;
  }
  if (e instanceof RecordError) {
    io.stderr(`pcisim: ${e.message}\n`);
    return e.code === 'BAD_ARGUMENTS' ? 2 : 1;
  }
  throw e;
}
