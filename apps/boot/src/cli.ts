/**
 * @module
 * `pcisim`: a thin command over exported functions, so tests run it without spawning a process.
 * Errors become one line on stderr in the style of the tool that would raise them, and an exit status:
 * 1 for a failed run, 2 for a usage error.
 */
import { QemuError, parseKvmMitigations, type KvmPciMitigation } from '@sim/qemu';
import { KvmError } from '@sim/kvm';
import { GuestError } from '@sim/guest';
import { parseQemuArgs, stubMissingBackends } from './scenario.js';
import { wantsHotplug, hotplugBootCli, bootWithDrivers } from './hotplug.js';
import { formatTextReport } from './report/text.js';
import { RecordError } from './record/errors.js';
import { PcisimError, UsageError, takeOption } from './cli-error.js';
import { writeFileSync } from 'node:fs';
import { TraceCollector } from './formats/collector.js';
import { formatMilestones } from './formats/milestones.js';
// Each other command loads its modules when it runs (`await import`): `pcisim boot` is a cold process most of
// the time, and loading compare, validate, record, bench, sweep and the HTML report was ~15 % of it.

export interface CliIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** stderr is a terminal (`pcisim sweep` draws its progress line there only then) */
  stderrIsTTY?: boolean;
}

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
    if (cmd === 'boot') return wantsHotplug(rest) ? hotplugBootCli(rest, io) : await boot(rest, io);
    if (cmd === 'validate') return await validate(rest, io);
    if (cmd === 'compare') return rest.includes('--topology') ? (await import('./topology.js')).compareTopologyCli(rest, io) : await compareCmd(rest, io);
    if (cmd === 'topology') return (await import('./topology.js')).topologyCli(rest, io);
    if (cmd === 'report') return await reportCmd(rest, io);
    if (cmd === 'record') return await record(rest, io);
    if (cmd === 'import-trace') return await importTraceCmd(rest, io);
    if (cmd === 'bench') return await benchCmd(rest, io);
    if (cmd === 'sweep') return await sweepCmd(rest, io);
    io.stderr(`pcisim: unknown command '${cmd}'\n${USAGE}\n`);
    return 2;
  } catch (e) {
    return reportError(e, io);
  }
}

async function compareCmd(argv: readonly string[], io: CliIo): Promise<number> {
  const { compare, formatCompare, formatCompareChart, DEFAULT_SETS } = await import('./compare.js');
  const args = [...argv];
  const cost = takeOption(args, '--cost');
  const json = args.includes('--json');
  const chart = args.includes('--chart');
  let qemu = args.filter((a) => a !== '--json' && a !== '--chart');
  if (qemu[0] === '--') qemu = qemu.slice(1);
  if (qemu[0] && /qemu-system/.test(qemu[0])) qemu = qemu.slice(1);
  const unknown = qemu.find((a) => a.startsWith('--'));
  if (unknown) throw new UsageError(`unknown option '${unknown}'`);
  const r = compare(parseQemuArgs(qemu), DEFAULT_SETS, cost);
  io.stdout(json ? JSON.stringify(r, null, 1) + '\n' : formatCompare(r) + (chart ? '\n' + formatCompareChart(r) : ''));
  return 0;
}

async function validate(args: readonly string[], io: CliIo): Promise<number> {
  const { validateReference, formatValidate, fidelityMarkdown } = await import('./validate.js');
  const json = args.includes('--json');
  const markdown = args.includes('--markdown');
  const files = args.filter((a) => a !== '--json' && a !== '--markdown');
  if (files.length === 0) throw new UsageError('validate needs a reference JSON');
  if (markdown) {
    const table = fidelityMarkdown(files);
    io.stdout(table);
    return table.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| fixture')).every((l) => l.includes('| exact |')) ? 0 : 1;
  }
  let allExact = true;
  for (const f of files) {
    const r = validateReference(f);
    allExact &&= r.exact;
    io.stdout(json ? JSON.stringify(r) + '\n' : formatValidate(r));
  }
  return allExact ? 0 : 1;
}

async function record(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const scenario = takeOption(args, '--scenario') ?? 'recording';
  const outDir = takeOption(args, '--out') ?? '.';
  const append = takeOption(args, '-append') ?? '';
  const { recordBoot } = await import('./record/record.js');
  const r = await recordBoot({ qemuArgs: args, append, scenario, outDir, onConsoleLine: () => {} });
  for (const w of r.warnings) io.stderr(`pcisim record: warning: ${w}\n`);
  const l = r.report.phases.linux.config;
  io.stdout(`${scenario}: linux conf1 ${l.accesses.conf1}, mmcfg ${l.accesses.mmcfg}, absent ${l.absent}; wrote ${Object.values(r.files).join(', ')}\n`);
  return 0;
}

async function importTraceCmd(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const consolePath = takeOption(args, '--console');
  const json = args.includes('--json');
  const files = args.filter((a) => a !== '--json');
  const trace = files[0];
  if (!trace) throw new UsageError('import-trace needs a trace file');
  const { importTrace } = await import('./record/record.js');
  const r = await importTrace(trace, consolePath !== undefined ? { consolePath } : {});
  for (const w of r.warnings) io.stderr(`pcisim import-trace: warning: ${w}\n`);
  if (json) io.stdout(JSON.stringify(r.report, null, 1) + '\n');
  else {
    for (const ph of ['firmware', 'linux'] as const) {
      const c = r.report.phases[ph].config;
      io.stdout(`${ph}: conf1 ${c.accesses.conf1}, mmcfg ${c.accesses.mmcfg}, total ${c.accesses.total}, absent ${c.absent}\n`);
    }
  }
  return 0;
}

async function boot(args: readonly string[], io: CliIo): Promise<number> {
  let json = false;
  let perfKvmStat = false;
  let traceFile: string | undefined;
  let cost: string | undefined;
  let patch: 'none' | 'mmconfig-v1' | 'mmconfig-v2' = 'none';
  let kvmMitigations: KvmPciMitigation[] = [];
  let pv = false;
  let stub = false;
  let firmware: 'seabios' | 'qboot' | 'none' | undefined;
  let mcfgReserve: number | undefined;
  const qemu: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json') json = true;
    else if (a === '--format') {
      const f = args[++i];
      if (f === 'json') json = true;
      else if (f === 'perf-kvm-stat') perfKvmStat = true;
      else if (f !== 'text') throw new UsageError(`--format takes text, json or perf-kvm-stat, not '${f ?? ''}'`);
    } else if (a === '--trace') {
      traceFile = args[++i];
      if (!traceFile) throw new UsageError('--trace needs a file name (Chrome Trace Event JSON)');
    } else if (a === '--cost') {
      cost = args[++i];
      if (!cost) throw new UsageError('--cost needs a profile name');
    } else if (a === '--guest-patch') {
      const p = args[++i];
      if (p !== 'none' && p !== 'mmconfig-v1' && p !== 'mmconfig-v2') throw new UsageError(`--guest-patch takes none, mmconfig-v1 or mmconfig-v2, not '${p ?? ''}'`);
      patch = p;
    } else if (a === '--kvm') {
      kvmMitigations = parseKvmMitigations(args[++i] ?? '');
    } else if (a === '--pv-enumeration') {
      pv = true;
    } else if (a === '--stub-backends') {
      stub = true;
    } else if (a === '--firmware') {
      const f = args[++i];
      if (f !== 'seabios' && f !== 'qboot' && f !== 'none') throw new UsageError(`--firmware takes seabios, qboot or none, not '${f ?? ''}'`);
      firmware = f;
    } else if (a === '--mcfg') {
      const v = args[++i] ?? '';
      const m = /^accurate(?:=(\d+))?$/.exec(v);
      if (!m) throw new UsageError(`--mcfg takes accurate or accurate=<spare buses>, not '${v}'`);
      mcfgReserve = Number(m[1] ?? 0);
    } else if (a === '--') {
      const rest = args.slice(i + 1);
      if (rest[0] && /qemu-system/.test(rest[0])) rest.shift();
      qemu.push(...rest);
      break;
    } else if (a.startsWith('--')) {
      throw new UsageError(`unknown option '${a}'`);
    } else qemu.push(a);
  }
  const scenario = parseQemuArgs(stub ? stubMissingBackends(qemu) : qemu);
  if (mcfgReserve !== undefined) scenario.accurateMcfgReserve = mcfgReserve;
  if (firmware !== undefined) scenario.firmware = firmware;
  const result = bootWithDrivers(scenario, {
    ...(cost !== undefined ? { costProfile: cost } : {}),
    guestPatch: patch,
    kvm: kvmMitigations,
    pvEnumeration: pv,
    // the collector costs a callback per exit: only when an output needs it (--json alone stays as it was)
    ...(!json || traceFile !== undefined ? { trace: new TraceCollector() } : {}),
  });
  if (traceFile !== undefined) {
    const { buildTraceEvents } = await import('./formats/trace-event.js');
    writeFileSync(traceFile, JSON.stringify(buildTraceEvents(result)) + '\n');
  }
  if (json) io.stdout(JSON.stringify(result.report, null, 1) + '\n');
  else if (perfKvmStat) io.stdout((await import('./formats/perf-kvm-stat.js')).formatPerfKvmStat(result));
  else io.stdout(formatTextReport(result) + '\n' + formatMilestones(result));
  return 0;
}

/** `pcisim report [qemu options] [--cost <profile>] --html out.html`: the boot and the compare matrix as one page */
async function reportCmd(argv: readonly string[], io: CliIo): Promise<number> {
  const [{ compare, DEFAULT_SETS }, { renderHtmlReport }] = await Promise.all([import('./compare.js'), import('./formats/html-report.js')]);
  const args = [...argv];
  const out = takeOption(args, '--html');
  if (out === undefined) throw new UsageError('report needs --html <out.html>');
  const cost = takeOption(args, '--cost');
  let qemu = args;
  if (qemu[0] === '--') qemu = qemu.slice(1);
  if (qemu[0] && /qemu-system/.test(qemu[0])) qemu = qemu.slice(1);
  const unknown = qemu.find((a) => a.startsWith('--'));
  if (unknown) throw new UsageError(`unknown option '${unknown}'`);
  const scenario = parseQemuArgs(qemu);
  const boot = bootWithDrivers(scenario, { ...(cost !== undefined ? { costProfile: cost } : {}), trace: new TraceCollector() });
  const cmp = compare(scenario, DEFAULT_SETS, cost);
  writeFileSync(out, renderHtmlReport({ boot, compare: cmp }));
  io.stdout(`pcisim report: wrote ${out}\n`);
  return 0;
}


/** `pcisim bench [--json] [case…]`: BENCHMARKS.md's figures on this machine. */
async function benchCmd(argv: readonly string[], io: CliIo): Promise<number> {
  const json = argv.includes('--json');
  const cases = argv.filter((a) => a !== '--json');
  const unknown = cases.find((a) => a.startsWith('-'));
  if (unknown) throw new UsageError(`unknown option '${unknown}'`);
  const { runBench } = await import('./bench/index.js');
  try {
    await runBench({ json, cases, write: io.stdout });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  return 0;
}

/** `pcisim sweep <matrix.json> [--jobs N] [--fresh-machines]`: one JSON line per scenario; a scenario that fails is a line with its error. */
async function sweepCmd(argv: readonly string[], io: CliIo): Promise<number> {
  const { sweepCommand, SweepMatrixError, SweepUsageError } = await import('./sweep/index.js');
  try {
    await sweepCommand(argv, io);
    return 0;
  } catch (e) {
    if (e instanceof SweepUsageError) throw new UsageError(e.message);
    if (e instanceof SweepMatrixError) {
      io.stderr(`pcisim: ${e.message}\n`);
      return 2;
    }
    throw e;
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
