/**
 * @module
 * `pcisim boot`: a boot's report (text, JSON, perf-kvm-stat, a Chrome trace); with `--qmp`/`--scenario` the same
 * boot goes on with hot-plug events, reported each with its latency and cost.
 */
import type { GuestPatch } from '@sim/guest';
import { bootScenario } from '../core/boot-scenario.js';
import type { BootOptions, BootResult } from '../core/boot.js';
import { runHotplugScenario, loadHotplugScenario, parseQmpEventArg } from '../core/hotplug.js';
import { TraceCollector } from '../core/collector.js';
import { UsageError } from '../core/errors.js';
import { formatTextReport } from '../formats/text.js';
import { formatMilestones } from '../formats/milestones.js';
import { formatHotplugReport } from '../formats/hotplug.js';
import type { ParsedArgs } from './options.js';
import { costOf, flavourOf, kvmOf, scenarioOf, withScenarioOptions, writeOutputFile } from './common.js';
import type { CliIo } from './io.js';
import { formatJson, formatJsonLine, hotplugRunJson } from '../formats/json.js';

export async function bootCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const format = args.flag('--json') ? 'json' : args.value('--format') ?? 'text';
  const traceFile = args.value('--trace');
  const scenarioFile = args.value('--scenario');
  const events = args.all('--qmp').map(parseQmpEventArg);
  let flavour = flavourOf(args);
  let scenario;
  if (scenarioFile !== undefined) {
    if (args.positionals.length > 0) throw new UsageError(`--scenario takes the QEMU command line from ${scenarioFile}, not '${args.positionals[0]!}'`);
    const f = loadHotplugScenario(scenarioFile);
    scenario = withScenarioOptions(f.scenario, args);
    events.unshift(...f.events);
    flavour ??= f.flavour;
  } else scenario = scenarioOf(args);
  const hotplug = scenarioFile !== undefined || events.length > 0;
  // the collector costs a callback per exit: only when an output needs it (--json alone stays as it was)
  const traced = traceFile !== undefined || format === 'perf-kvm-stat' || (format === 'text' && !hotplug);
  const opts: BootOptions = {
    ...costOf(args),
    guestPatch: (args.value('--guest-patch') ?? 'none') as GuestPatch,
    kvm: kvmOf(args),
    pvEnumeration: args.flag('--pv-enumeration'),
    ...(flavour !== undefined ? { flavour } : {}),
    ...(traced ? { trace: new TraceCollector() } : {}),
  };
  let result: BootResult;
  let text: () => string;
  if (hotplug) {
    const r = runHotplugScenario(scenario, events, opts);
    result = r.boot;
    text = () => (format === 'json' ? formatJson(hotplugRunJson(r)) : formatHotplugReport(r));
  } else {
    result = bootScenario(scenario, opts);
    text = () => (format === 'json' ? formatJson(result.report) : formatTextReport(result) + '\n' + formatMilestones(result));
  }
  if (traceFile !== undefined) {
    const { buildTraceEvents } = await import('../formats/trace-event.js');
    writeOutputFile('--trace', traceFile, formatJsonLine(buildTraceEvents(result)));
  }
  io.stdout(format === 'perf-kvm-stat' ? (await import('../formats/perf-kvm-stat.js')).formatPerfKvmStat(result) : text());
  return 0;
}
