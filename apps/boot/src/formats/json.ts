/**
 * @module
 * pcisim's JSON outputs: a report as one indented object (`--json`), or one line (JSON lines: sweep, validate),
 * and the run with hot-plug events as `pcisim.hotplug/1`.
 */
import type { HotplugRunResult } from '../core/hotplug.js';

/**
 * one object, indented by one space, with a final newline (what every `--json` prints). Times in nanoseconds
 * (`timeNs`, `latencyNs`, a hot-plug run's `t` and `at`) are integers: the virtual clock adds a profile's
 * fractional costs exactly, and the output rounds them once, here (docs/report-format.md).
 */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, integerNanoseconds, 1) + '\n';
}

function integerNanoseconds(key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) && (key.endsWith('Ns') || key === 't' || key === 'at') ? Math.round(v) : v;
}

/** one JSON line */
export function formatJsonLine(value: unknown): string {
  return JSON.stringify(value) + '\n';
}

/** `pcisim boot --qmp … --json`: the run, with the boot as its report */
export function hotplugRunJson(r: HotplugRunResult): { schema: 'pcisim.hotplug/1' } & Omit<HotplugRunResult, 'boot'> & { boot: HotplugRunResult['boot']['report'] } {
  const { boot, ...rest } = r;
  return { schema: 'pcisim.hotplug/1', boot: boot.report, ...rest };
}
