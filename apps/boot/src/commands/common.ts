/**
 * @module
 * What the booting commands (boot, compare, topology, report) read the same way: the QEMU command line with
 * pcisim's scenario options (--stub-backends, --firmware, --mcfg), and the guest flavour.
 */
import type { KernelFlavour } from '@sim/guest';
import { parseQemuArgs, stubMissingBackends, type Scenario } from '../core/scenario.js';
import { UsageError } from '../core/errors.js';
import type { ParsedArgs } from './options.js';

/** The scenario of a booting command's arguments. */
export function scenarioOf(args: ParsedArgs): Scenario {
  const qemu = args.flag('--stub-backends') ? stubMissingBackends(args.positionals) : args.positionals;
  return withScenarioOptions(parseQemuArgs(qemu), args);
}

/** --mcfg and --firmware on a scenario (from the command line or a scenario file) */
export function withScenarioOptions(scenario: Scenario, args: ParsedArgs): Scenario {
  const mcfg = args.value('--mcfg');
  if (mcfg !== undefined) {
    const m = /^accurate(?:=(\d+))?$/.exec(mcfg);
    if (!m) throw new UsageError(`--mcfg takes accurate or accurate=<spare buses>, not '${mcfg}'`);
    scenario.accurateMcfgReserve = Number(m[1] ?? 0);
  }
  const firmware = args.value('--firmware') as Scenario['firmware'];
  if (firmware !== undefined) scenario.firmware = firmware;
  return scenario;
}

/** --guest, checked against the table's choices by the parser */
export function flavourOf(args: ParsedArgs): KernelFlavour | undefined {
  return args.value('--guest') as KernelFlavour | undefined;
}

/** --cost as BootOptions spells it */
export function costOf(args: ParsedArgs): { costProfile?: string } {
  const cost = args.value('--cost');
  return cost !== undefined ? { costProfile: cost } : {};
}
