/**
 * @module
 * `pcisim boot`: a boot's report (text, JSON, perf-kvm-stat, a Chrome trace), or with `--qmp`/`--scenario` a run with hot-plug events.
 */
import { writeFileSync } from 'node:fs';
import { parseKvmMitigations, type KvmPciMitigation } from '@sim/qemu';
import { KERNEL_FLAVOURS, type KernelFlavour } from '@sim/guest';
import { parseQemuArgs, stubMissingBackends, type Scenario } from '../core/scenario.js';
import { bootScenario } from '../core/boot-scenario.js';
import { runHotplugScenario, loadHotplugScenario, parseQmpEventArg, type HotplugEvent } from '../core/hotplug.js';
import { UsageError } from '../core/errors.js';
import { TraceCollector } from '../core/collector.js';
import { formatTextReport } from '../formats/text.js';
import { formatMilestones } from '../formats/milestones.js';
import { formatHotplugReport } from '../formats/hotplug.js';
import type { CliIo } from './io.js';

export async function bootCommand(args: readonly string[], io: CliIo): Promise<number> {
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
  const result = bootScenario(scenario, {
    ...(cost !== undefined ? { costProfile: cost } : {}),
    guestPatch: patch,
    kvm: kvmMitigations,
    pvEnumeration: pv,
    // the collector costs a callback per exit: only when an output needs it (--json alone stays as it was)
    ...(!json || traceFile !== undefined ? { trace: new TraceCollector() } : {}),
  });
  if (traceFile !== undefined) {
    const { buildTraceEvents } = await import('../formats/trace-event.js');
    writeFileSync(traceFile, JSON.stringify(buildTraceEvents(result)) + '\n');
  }
  if (json) io.stdout(JSON.stringify(result.report, null, 1) + '\n');
  else if (perfKvmStat) io.stdout((await import('../formats/perf-kvm-stat.js')).formatPerfKvmStat(result));
  else io.stdout(formatTextReport(result) + '\n' + formatMilestones(result));
  return 0;
}

/** true when `pcisim boot` arguments ask for run-time events (cli.ts hands them to {@link hotplugBootCli}) */
export function wantsHotplug(argv: readonly string[]): boolean {
  return argv.includes('--qmp') || argv.includes('--scenario');
}

/**
 * `pcisim boot [qemu options] --qmp '<command>@<time>' … [--scenario file.json]
 *   [--guest linux-6.1-cloud|linux-6.1-generic] [--cost <profile>] [--kvm <mitigations>] [--json]`
 * Times: `3.1s`, `500ms` (virtual time since the VM started: inside the Linux phase it races the boot),
 * `+1s` (after the guest is up).
 */
export function hotplugBootCli(argv: readonly string[], io: CliIo): number {
  const args = [...argv];
  const events: HotplugEvent[] = [];
  let json = false;
  let flavour: KernelFlavour | undefined;
  let cost: string | undefined;
  let kvm: ReturnType<typeof parseKvmMitigations> = [];
  let scenarioFile: string | undefined;
  let stub = false;
  const qemu: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const val = (): string => {
      const v = args[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      return v;
    };
    if (a === '--qmp') events.push(parseQmpEventArg(val()));
    else if (a === '--scenario') scenarioFile = val();
    else if (a === '--json') json = true;
    else if (a === '--stub-backends') stub = true;
    else if (a === '--guest') {
      const g = val();
      if (!KERNEL_FLAVOURS.includes(g as KernelFlavour)) throw new UsageError(`--guest takes ${KERNEL_FLAVOURS.join(' or ')}, not '${g}'`);
      flavour = g as KernelFlavour;
    } else if (a === '--cost') cost = val();
    else if (a === '--kvm') kvm = parseKvmMitigations(val());
    else if (a === '--') {
      const rest = args.slice(i + 1);
      if (rest[0] && /qemu-system/.test(rest[0])) rest.shift();
      qemu.push(...rest);
      break;
    } else if (a.startsWith('--')) throw new UsageError(`unknown option '${a}'`);
    else qemu.push(a);
  }
  let scenario: Scenario;
  if (scenarioFile !== undefined) {
    const f = loadHotplugScenario(scenarioFile);
    scenario = f.scenario;
    events.unshift(...f.events);
    flavour ??= f.flavour;
  } else {
    scenario = parseQemuArgs(stub ? stubMissingBackends(qemu) : qemu);
  }
  const r = runHotplugScenario(scenario, events, { flavour: flavour ?? 'linux-6.1-cloud', kvm, ...(cost !== undefined ? { costProfile: cost } : {}) });
  if (json) {
    const { boot, ...rest } = r;
    io.stdout(JSON.stringify({ schema: 'pcisim.hotplug/1', boot: boot.report, ...rest }, null, 1) + '\n');
  } else io.stdout(formatHotplugReport(r));
  return 0;
}
