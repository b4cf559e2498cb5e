/**
 * @module
 * What the booting commands (boot, compare, topology, report) read the same way: the QEMU command line with
 * pcisim's scenario options (--stub-backends, --firmware, --mcfg), and the guest flavour.
 */
import type { KernelFlavour } from '@sim/guest';
import { normaliseBdf, parseKvmMitigations, parseLspci, parseSysfsConfig, QemuError, VfioHostError, type KvmPciMitigation, type VfioHostDevice } from '@sim/qemu';
import { parseQemuArgs, stubMissingBackends, type Scenario } from '../core/scenario.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PcisimError, UsageError } from '../core/errors.js';
import type { ParsedArgs } from './options.js';
import { readQemuCommandLineFile } from '../core/pasted-line.js';

/** The scenario of a booting command's arguments. */
export function scenarioOf(args: ParsedArgs): Scenario {
  const line = qemuArgvOf(args);
  const qemu = args.flag('--stub-backends') ? stubMissingBackends(line) : line;
  return withScenarioOptions(parseQemuArgs(qemu), args);
}

/** QEMU's argv: the positionals, or --cmdline-file's line (a libvirt guest log, a shell command line) */
export function qemuArgvOf(args: ParsedArgs): string[] {
  const file = args.value('--cmdline-file');
  if (file === undefined) return [...args.positionals];
  if (args.positionals.length > 0) throw new UsageError(`--cmdline-file takes the QEMU command line from ${file}, not '${args.positionals[0]!}'`);
  return readQemuCommandLineFile(file);
}

/** --mcfg and --firmware on a scenario (from the command line or a scenario file) */
export function withScenarioOptions(scenario: Scenario, args: ParsedArgs): Scenario {
  const mcfg = args.value('--mcfg');
  if (mcfg !== undefined) {
    const m = /^accurate(?:=(\d+))?$/.exec(mcfg);
    if (!m) throw new UsageError(`--mcfg takes accurate or accurate=<spare buses>, not '${mcfg}'`);
    scenario.accurateMcfgReserve = Number(m[1] ?? 0);
  }
  const hostCpu = args.value('--host-cpu') as Scenario['hostCpu'] | undefined;
  if (hostCpu !== undefined) scenario.hostCpu = hostCpu;
  const firmware = args.value('--firmware') as Scenario['firmware'];
  if (firmware !== undefined) scenario.firmware = firmware;
  const vfio = args.all('--vfio-config');
  if (vfio.length) {
    scenario.vfioHosts = {};
    for (const v of vfio) {
      const host = readVfioConfig(v);
      scenario.vfioHosts[host.bdf] = host;
      scenario.notModelled.push(...host.notes);
    }
  }
  return scenario;
}

/**
 * One --vfio-config: `DDDD:BB:DD.F=path`, the path an lspci text or a sysfs config file (binary: 256 or 4096
 * bytes, with `resource` beside it for the BAR sizes).
 */
function readVfioConfig(v: string): VfioHostDevice {
  const eq = v.indexOf('=');
  const bdf = eq > 0 ? normaliseBdf(v.slice(0, eq)) : null;
  if (!bdf) throw new UsageError(`--vfio-config takes DDDD:BB:DD.F=path, not '${v}'`);
  const path = v.slice(eq + 1);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new PcisimError(`--vfio-config ${bdf}: cannot read ${path}: ${systemErrorText(e)}`);
  }
  try {
    const text = bytes.toString('latin1');
    const binary = [64, 256, 4096].includes(bytes.length) && !/^[\t\n\r\x20-\x7e]*$/.test(text);
    if (!binary) return parseLspci(text, bdf, path);
    const resPath = join(dirname(path), 'resource');
    const resource = existsSync(resPath) ? readFileSync(resPath, 'latin1') : null;
    return parseSysfsConfig(new Uint8Array(bytes), resource, bdf, path);
  } catch (e) {
    if (e instanceof VfioHostError) throw new PcisimError(`--vfio-config ${bdf}: ${path}: ${e.message}`);
    throw e;
  }
}

/** --guest, checked against the table's choices by the parser */
export function flavourOf(args: ParsedArgs): KernelFlavour | undefined {
  return args.value('--guest') as KernelFlavour | undefined;
}

/** --kvm: a comma-separated list of mitigations, or `none` (the default; a sweep's kvm axis spells it so too) */
export function kvmOf(args: ParsedArgs): KvmPciMitigation[] {
  const v = args.value('--kvm') ?? 'none';
  try {
    return parseKvmMitigations(v === 'none' ? '' : v);
  } catch (e) {
    // pcisim's option, not QEMU's: the usage error says so (`pcisim: --kvm: unknown mitigation 'x' (…)`)
    if (e instanceof QemuError) throw new UsageError(e.message.startsWith('--kvm') ? e.message : `--kvm: ${e.message}`);
    throw e;
  }
}

/** --cost as BootOptions spells it */
export function costOf(args: ParsedArgs): { costProfile?: string } {
  const cost = args.value('--cost');
  return cost !== undefined ? { costProfile: cost } : {};
}

/**
 * Writes an output file (--trace, --html): a path that cannot be written is one line naming it and why
 * (`cannot write /x/y.json: no such file or directory`), exit 1, not Node's stack.
 */
export function writeOutputFile(option: string, path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (e) {
    throw new PcisimError(`${option}: cannot write ${path}: ${systemErrorText(e)}`);
  }
}

/** Node's "ENOENT: no such file or directory, open '…'" as "no such file or directory" (the errno's text alone). */
export function systemErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code !== 'string') return String((e as Error)?.message ?? e);
  const m = /^[A-Z0-9_]+: ([^,]+)/.exec(err.message);
  return m ? m[1]! : err.code;
}
