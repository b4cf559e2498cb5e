/**
 * @module
 * What the guest's console says about PCI: Linux's device list, the bridges it set up, and the lines on how
 * it reaches config space (the reference JSON's `devices`, `bridges`, `linuxConfigLines`).
 */

import type { DeviceEntry } from '../core/report-types.js';

/**
 * `pci 0000:00:1f.2: [8086:2922] type 00 class 0x010601` (drivers/pci/probe.c, pci_setup_device). The device
 * number is PCI_SLOT(devfn), 00..1f: a line with another is not Linux's, and is no device.
 */
const DEVICE_RE = /\bpci ([0-9a-f]{4}):([0-9a-f]{2}:[01][0-9a-f]\.[0-7]): \[([0-9a-f]{4}):([0-9a-f]{4})\] type ([0-9a-f]{2}) class 0x([0-9a-f]{6})\b/;
/** `pci 0000:00:02.0: PCI bridge to [bus 01]` or `[bus 01-02]` (setup-bus.c, pci_setup_bridge) */
const BRIDGE_RE = /\bpci ([0-9a-f]{4}):([0-9a-f]{2}:[01][0-9a-f]\.[0-7]): PCI bridge to \[bus ([0-9a-f]{2})(?:-([0-9a-f]{2}))?\]/;
/**
 * The config-space lines the reference keeps: MMCONFIG discovery and reservation, conf1 / "Fatal: No config
 * space access function", host bridge windows, root bridge, _OSC, the root bus range, buses without extended
 * config space, and `PCI: CLS` (the end of PCI init). Checked line for line against every reference console.
 */
const CONFIG_LINE_RE =
  /MMCONFIG|configuration type|config space|PCI: Using host bridge windows|PCI host bridge to bus|Root Bridge|_OSC|root bus resource \[bus|PCI: CLS|PCI: Fatal/;
const PANIC_RE = /Kernel panic - not syncing: (.*)$/;
/** Written last by panic(); the recorder stops QEMU on it. */
export const PANIC_END_RE = /---\[ end Kernel panic - not syncing: /;
/** Terminal control sequences SeaBIOS and the boot stub write (ESC c, CSI …). */
const ANSI_RE = /\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_]|c)/g;

export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

export interface ConsoleInfo {
  /** in the order Linux printed them, each once */
  devices: DeviceEntry[];
  /** "BB:DD.F" → bus range, from the last `PCI bridge to` line of each bridge */
  bridges: Record<string, { secondary: number; subordinate: number }>;
  linuxConfigLines: string[];
  /** the first line with Linux's own timestamp was seen */
  linuxStarted: boolean;
  /** text after "Kernel panic - not syncing: ", when Linux panicked */
  panic: string | undefined;
  /** the panic is the expected one: no root file system */
  vfsPanic: boolean;
  /** the `---[ end Kernel panic` line was seen */
  panicEnded: boolean;
}

/** Line-at-a-time console reader, so the recorder can watch QEMU's output as it comes. */
export class ConsoleParser {
  private readonly devices: DeviceEntry[] = [];
  private readonly seen = new Set<string>();
  private readonly bridges: Record<string, { secondary: number; subordinate: number }> = {};
  private readonly configLines: string[] = [];
  private linuxStarted = false;
  private panicText: string | undefined;
  private ended = false;

  push(rawLine: string): void {
    const line = stripAnsi(rawLine).replace(/\r+$/, '');
    if (!this.linuxStarted && /^\[\s*\d+\.\d+\] /.test(line)) this.linuxStarted = true;
    const d = DEVICE_RE.exec(line);
    if (d) {
      // Domain 0000 is the only one conf1 and the recorded ECAM reach; keep others with their domain.
      const bdf = d[1] === '0000' ? (d[2] ?? '') : `${d[1]}:${d[2]}`;
      if (!this.seen.has(bdf)) {
        this.seen.add(bdf);
        this.devices.push({ bdf, vendor: d[3] ?? '', device: d[4] ?? '', header_type: d[5] ?? '', class: d[6] ?? '' });
      }
      return;
    }
    const b = BRIDGE_RE.exec(line);
    if (b) {
      const bdf = b[1] === '0000' ? (b[2] ?? '') : `${b[1]}:${b[2]}`;
      const secondary = Number.parseInt(b[3] ?? '', 16);
      this.bridges[bdf] = { secondary, subordinate: b[4] === undefined ? secondary : Number.parseInt(b[4], 16) };
      return;
    }
    if (CONFIG_LINE_RE.test(line)) {
      this.configLines.push(line);
      return;
    }
    if (this.panicText === undefined) {
      const p = PANIC_RE.exec(line);
      if (p) this.panicText = p[1];
    }
    if (PANIC_END_RE.test(line)) this.ended = true;
  }

  /** Text after "Kernel panic - not syncing: ", once Linux has panicked. */
  get panic(): string | undefined {
    return this.panicText;
  }

  /** The `---[ end Kernel panic` line has been seen: the console has nothing more to say. */
  get panicEnded(): boolean {
    return this.ended;
  }

  /** Snapshot; the parser can keep reading afterwards. */
  result(): ConsoleInfo {
    return {
      devices: this.devices.map((d) => ({ ...d })),
      bridges: Object.fromEntries(Object.entries(this.bridges).map(([k, v]) => [k, { ...v }])),
      linuxConfigLines: [...this.configLines],
      linuxStarted: this.linuxStarted,
      panic: this.panicText,
      vfsPanic: this.panicText !== undefined && this.panicText.startsWith('VFS:'),
      panicEnded: this.ended,
    };
  }
}

/** The whole console at once (a recorded `.console.log` is a few tens of KB). */
export function parseConsole(text: string): ConsoleInfo {
  const p = new ConsoleParser();
  for (const line of text.split('\n')) p.push(line);
  return p.result();
}
