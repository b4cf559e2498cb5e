/**
 * @module
 * pcisim's JSON outputs: a report as one indented object (`--json`), or one line (JSON lines: sweep, validate),
 * and the run with hot-plug events as `pcisim.hotplug/1`.
 */
import type { HotplugRunResult } from '../core/hotplug.js';

/** one object, indented by one space, with a final newline (what every `--json` prints) */
export function formatJson(value: unknown): string {
  return JSON.stringify(value, null, 1) + '\n';
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
