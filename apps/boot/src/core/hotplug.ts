/**
 * @module
 * Run-time events on a booted (or booting) VM: QMP `device_add`/`device_del` at virtual times, QEMU's
 * hot-plug controllers answering, Linux 6.1's drivers (acpiphp, pciehp, shpchp) reacting on the same
 * clock. Each event is reported with its latency to the device being found (the reference's measure: the
 * PCI core's "[vvvv:dddd] type 00 class" line) and to it being usable (resources assigned and added),
 * split into the waits that make it up, with the accesses, exits and memslot updates it caused.
 */
import { readFileSync } from 'node:fs';
import { diffStats, type KvmStatsSnapshot } from '@sim/kvm';
import { QemuHotplug, parseQmpCommand, executeQmp, QemuError, TCG_DEVICE_ADD_TO_PLUG_NS, fmtBdf, ICH9_PMIO_GPE0_STS, ICH9_PMIO_GPE0_LEN, ICH9_SCI_IRQ, ACPI_PCIHP_ADDR_ICH9, type QmpReply, type QmpEvent, type HotplugHandlerKind } from '@sim/qemu';
import {

  HotplugRuntime,
  KERNEL_FLAVOURS,
  TCG_REFERENCE_GUEST_CPU_COSTS,
  fmtTime,
  type KernelFlavour,
  type AcpiPciHotplugTables,
  type GuestCpuCosts,
  type KernelLogLine,
  type PciMilestone,
} from '@sim/guest';
import { bootVm, DEFAULT_FLAVOUR, type BootOptions, type BootResult, type BootLive } from './boot.js';
import { parseQemuArgs, type Scenario } from './scenario.js';
import type { ExitTally } from './report-types.js';
import { PcisimError, UsageError } from './errors.js';

/** One run-time event: a monitor command, or something the guest's user does. */
export interface HotplugEvent {
  /** virtual time, ns since the VM started; with `relative`, ns after the guest is up */
  at: number;
  relative?: boolean;
  /** a QMP command (JSON) or its HMP form (`device_add driver,id=…,bus=…`, `device_del id`) */
  qmp?: string;
  /** a guest action: `rescan` writes 1 to /sys/bus/pci/rescan (what Kata's agent does after an SHPC add) */
  guest?: 'rescan';
}

/** A scenario file: `{ "qemuArgs": [...], "append": "...", "events": [{ "at": "3.1s", "qmp": "..." }] }` */
export interface HotplugScenarioFile {
  qemuArgs: string[];
  append?: string;
  guest?: KernelFlavour;
  events: { at: string | number; qmp?: string; guest?: 'rescan' }[];
}

export interface HotplugOptions extends BootOptions {
  /**
   * guest CPU time besides exits (irq entry, wake-up, printk, the ACPI path); default none, or the
   * measured TCG_REFERENCE_GUEST_CPU_COSTS under the `tcg-reference` cost profile
   */
  guestCosts?: GuestCpuCosts;
  /**
   * QEMU's time from a `device_add` to its hot-plug handler's plug (realize, under the BQL), ns; default 0,
   * or the measured TCG_DEVICE_ADD_TO_PLUG_NS under the `tcg-reference` cost profile
   */
  deviceAddNs?: number;
  /** how long the run goes on after the last event (ns), at most; it stops earlier when the guest is idle */
  settleNs?: number;
}

/** What a window of the run cost. */
export interface WindowCost {
  /** config accesses the guest made (its own account) */
  configAccesses: { conf1: number; mmcfg: number; total: number };
  exits: ExitTally;
  /** port writes and reads of the serial console (printk lines) */
  consolePio: number;
  memslotUpdates: number;
  /** virtual time in exits (config, console, the hot-plug registers) */
  exitTimeNs: number;
}

/** One wait on the way to the device being found or usable. */
export interface WaitSlice {
  what: string;
  ns: number;
}

export interface HotplugEventReport {
  index: number;
  /** virtual time the command ran, ns */
  at: number;
  command: string;
  kind: 'device_add' | 'device_del' | 'rescan';
  /** during boot(): before the guest's drivers were up */
  duringBoot: boolean;
  reply: QmpReply | null;
  handler?: HotplugHandlerKind;
  device?: { id: string | undefined; type: string; bdf: string };
  /** device_add: the PCI core's "[vvvv:dddd]" line (what the reference measures), ns after the command */
  toFoundNs?: number;
  /** device_add: BARs assigned and pci_bus_add_device() done */
  toUsableNs?: number;
  /** device_del: the guest removed the device */
  toRemovedNs?: number;
  /** device_del: QEMU's DEVICE_DELETED */
  toDeletedNs?: number;
  /**
   * The event's latency: from the command to the device usable in the guest (device_add: `toUsableNs`) or
   * gone from QEMU (device_del: `toDeletedNs`, else `toRemovedNs`); absent when it never got there.
   * (The hot-plug references time the PCI core's device line: compare those with `toFoundNs`.)
   */
  latencyNs?: number;
  /** the waits on the way to found (or removed), in order of size; the rest of the latency is exits */
  waits: WaitSlice[];
  /** from the command to found/removed (or the end of the guest's reaction) */
  cost: WindowCost;
  /** the console lines the event caused */
  console: string[];
  /** what the guest was left doing (pending timers, threads) when the run ended */
  outcome: string;
  /** the hot-plug controller that served it: the port or bridge, and the slot */
  controller?: { bdf: string; slot: number };
}

export interface HotplugRunResult {
  boot: BootResult;
  events: HotplugEventReport[];
  /** the kernel log after boot (and boot-time driver lines) */
  log: KernelLogLine[];
  qmpEvents: QmpEvent[];
  /** virtual time at which boot() returned and the drivers were up */
  guestUpNs: number;
  /** notes from QEMU's side (interrupts not delivered, …) */
  notes: string[];
  flavour: KernelFlavour;
}

/** "3.1s", "500ms", "120us", "+2s" (relative to the guest being up), or a number of ns */
export function parseEventTime(v: string | number): { at: number; relative: boolean } {
  if (typeof v === 'number') return { at: v, relative: false };
  const m = /^(\+)?\s*(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?$/.exec(v.trim());
  if (!m) throw new PcisimError(`bad event time '${v}' (e.g. 3.1s, 500ms, +2s)`);
  const n = Number(m[2]);
  const unit = m[3] ?? 's';
  const mult = unit === 'ns' ? 1 : unit === 'us' || unit === 'µs' ? 1e3 : unit === 'ms' ? 1e6 : 1e9;
  return { at: Math.round(n * mult), relative: m[1] === '+' };
}

/** `--qmp '<command>@<time>'`: the command, then the time after the last '@' */
export function parseQmpEventArg(arg: string): HotplugEvent {
  const i = arg.lastIndexOf('@');
  if (i < 0) throw new UsageError(`--qmp takes '<command>@<time>', e.g. 'device_add virtio-net-pci,id=n1,bus=rp1@+1s'`);
  const cmd = arg.slice(0, i).trim();
  const t = parseEventTime(arg.slice(i + 1));
  if (cmd === 'rescan' || cmd === 'guest:rescan') return { ...t, guest: 'rescan' };
  return { ...t, qmp: cmd };
}

/** Reads a scenario file (JSON). */
export function loadHotplugScenario(path: string): { scenario: Scenario; events: HotplugEvent[]; flavour?: KernelFlavour } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PcisimError(`cannot read scenario file '${path}': ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    // V8's message quotes the text around the error, line breaks and all: one line
    throw new PcisimError(`scenario file '${path}' is not JSON: ${(e as Error).message.replace(/\s*[\r\n]+\s*/g, ' ')}`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new PcisimError(`scenario file '${path}' must hold a JSON object`);
  try {
    return hotplugScenarioFromJson(j as HotplugScenarioFile);
  } catch (e) {
    // the file's name on the line: `pcisim: scenario x.json: "events"[0] has no "at"`
    if (e instanceof PcisimError && e.message.startsWith('scenario: ')) throw new PcisimError(`scenario ${path}: ${e.message.slice(10)}`);
    throw e;
  }
}

export function hotplugScenarioFromJson(j: HotplugScenarioFile): { scenario: Scenario; events: HotplugEvent[]; flavour?: KernelFlavour } {
  checkScenarioFile(j);
  const args = [...j.qemuArgs];
  if (args[0] && /qemu-system/.test(args[0])) args.shift();
  if (j.append !== undefined && !args.includes('-append')) args.push('-append', j.append);
  const scenario = parseQemuArgs(args);
  const events: HotplugEvent[] = (j.events ?? []).map((e) => ({ ...parseEventTime(e.at), ...(e.qmp ? { qmp: e.qmp } : {}), ...(e.guest ? { guest: e.guest } : {}) }));
  return { scenario, events, ...(j.guest ? { flavour: j.guest } : {}) };
}

const jsonKind = (v: unknown): string => (v === undefined ? 'nothing (the field is missing)' : v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? 'an object' : String(v));

/**
 * A scenario file's shape, field by field, before anything reads it: a wrong field is one line naming it
 * (`"events"[2].at`), not a TypeError from deep inside the run.
 */
function checkScenarioFile(j: unknown): asserts j is HotplugScenarioFile {
  const bad = (field: string, want: string, got: unknown): PcisimError => new PcisimError(`scenario: ${field} must be ${want}, got ${jsonKind(got)}`);
  if (typeof j !== 'object' || j === null || Array.isArray(j)) throw bad('the file', 'a JSON object', j);
  const o = j as Record<string, unknown>;
  if (!Array.isArray(o.qemuArgs)) throw bad('"qemuArgs"', 'an array of strings', o.qemuArgs);
  o.qemuArgs.forEach((a, i) => {
    if (typeof a !== 'string') throw bad(`"qemuArgs"[${i}]`, 'a string', a);
  });
  if (o.append !== undefined && typeof o.append !== 'string') throw bad('"append"', 'a string', o.append);
  if (o.guest !== undefined && (typeof o.guest !== 'string' || !(KERNEL_FLAVOURS as readonly string[]).includes(o.guest))) {
    throw new PcisimError(`unknown guest ${jsonKind(o.guest)} (${KERNEL_FLAVOURS.join(', ')})`);
  }
  if (o.events === undefined) return;
  if (!Array.isArray(o.events)) throw bad('"events"', 'an array of {"at", "qmp"}', o.events);
  o.events.forEach((e: unknown, i) => {
    const f = `"events"[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad(f, 'an object {"at", "qmp"}', e);
    const ev = e as Record<string, unknown>;
    if (ev.at === undefined) throw new PcisimError(`scenario: ${f} has no "at" (a time: 3.1s, 500ms, +2s)`);
    if (typeof ev.at !== 'string' && (typeof ev.at !== 'number' || !Number.isFinite(ev.at) || ev.at < 0)) throw bad(`${f}.at`, 'a time (3.1s, 500ms, +2s) or nanoseconds >= 0', ev.at);
    if (ev.qmp !== undefined && typeof ev.qmp !== 'string') throw bad(`${f}.qmp`, 'a string', ev.qmp);
    if (ev.guest !== undefined && ev.guest !== 'rescan') throw bad(`${f}.guest`, '"rescan"', ev.guest);
    if (ev.qmp === undefined && ev.guest === undefined) throw new PcisimError(`scenario: ${f} has neither "qmp" nor "guest"`);
  });
}

/** The ACPI hot-plug description the DSDT gives the guest, from QEMU's controllers. */
function acpiTablesOf(hp: QemuHotplug): AcpiPciHotplugTables | null {
  const a = hp.acpi;
  if (!a) return null;
  const m = hp.machine as { lpc?: { getLong(o: number): number } };
  const pm = m.lpc ? m.lpc.getLong(0x40) & 0xff80 : 0x600;
  return {
    pm1aEvtBlk: pm,
    gpe0Blk: pm + ICH9_PMIO_GPE0_STS,
    gpe0BlkLen: ICH9_PMIO_GPE0_LEN,
    sciIrq: ICH9_SCI_IRQ,
    hotplugGpe: 1,
    // _E01 (PCI hot-plug) and _E02 (ICH9 CPU hot-plug): "ACPI: Enabled 2 GPEs in block 00 to 3F"
    enabledGpes: [1, 2],
    pcihpIoBase: ACPI_PCIHP_ADDR_ICH9,
    buses: a.buses.map((b) => ({ path: b.path, bsel: b.bsel, slots: b.slots })),
  };
}

interface SleepRec {
  task: string;
  why: string;
  from: number;
  to: number;
}

/**
 * Boot the scenario with the hot-plug controllers and drivers in place, run the events on the virtual
 * clock, and report each one.
 */
export function runHotplugScenario(scenario: Scenario, events: readonly HotplugEvent[], opts: HotplugOptions = {}): HotplugRunResult {
  const flavour = opts.flavour ?? DEFAULT_FLAVOUR;
  // the TCG reference: what QEMU and the guest's CPU spend besides exits, as measured there
  const tcg = (typeof opts.costProfile === 'string' ? opts.costProfile : opts.costProfile?.name) === 'tcg-reference';
  const guestCosts = opts.guestCosts ?? (tcg ? TCG_REFERENCE_GUEST_CPU_COSTS : undefined);
  const deviceAddNs = opts.deviceAddNs ?? (tcg ? TCG_DEVICE_ADD_TO_PLUG_NS : 0);
  const serialConsole = /(^|\s)console=ttyS0/.test(scenario.append);
  let hp: QemuHotplug | null = null;
  let rt: HotplugRuntime | null = null;
  let live: BootLive | null = null;
  let bootDone = false;
  const qmpEvents: QmpEvent[] = [];
  const conf = { conf1: 0, mmcfg: 0 };
  const sleeps: SleepRec[] = [];
  const reports: HotplugEventReport[] = [];
  type Snap = { stats: KvmStatsSnapshot; conf1: number; mmcfg: number; console: number; log: number };
  const snapshots = new Map<number, Snap>();
  /** counters at each milestone and each DEVICE_DELETED, by time */
  const marks: { t: number; kind: string; bdf: string; id?: string; s: Snap }[] = [];

  const snap = () => ({
    stats: live!.vm.stats.snapshot(),
    conf1: conf.conf1,
    mmcfg: conf.mmcfg,
    console: rt!.kernel.consolePio,
    log: rt!.kernel.log.length,
  });

  const runEvent = (i: number, ev: HotplugEvent, at: number): void => {
    const k = rt!.kernel;
    const before = snap();
    snapshots.set(i, before);
    const r: HotplugEventReport = {
      index: i,
      at,
      command: ev.qmp ?? `guest: ${ev.guest ?? ''}`,
      kind: ev.guest === 'rescan' ? 'rescan' : 'device_add',
      duringBoot: !bootDone,
      reply: null,
      waits: [],
      cost: emptyCost(),
      console: [],
      outcome: '',
    };
    reports.push(r);
    if (ev.guest === 'rescan') {
      // a user task writes to sysfs: it runs as soon as the CPU is free
      k.queueWork('sysfs rescan', function* () {
        rt!.sysfsRescan();
      });
      return;
    }
    let cmd;
    try {
      cmd = parseQmpCommand(ev.qmp!);
    } catch (e) {
      if (e instanceof QemuError) {
        r.reply = { error: { class: 'GenericError', desc: e.message } };
        return;
      }
      throw e;
    }
    r.kind = cmd.execute;
    if (cmd.execute === 'device_del') {
      const id = cmd.arguments.id;
      const d = hp!.devices().find((x) => x.id === id);
      if (d && d.bus) r.device = { id, type: d.typeName, bdf: bdfOf(d.bus.number, d.devfn) };
    }
    if (cmd.execute === 'device_add' && deviceAddNs > 0) {
      // QEMU's main loop realizes the device before its hot-plug handler plugs it (and raises the SCI)
      sleeps.push({ task: 'qemu', why: 'QEMU: device_add to plug (realize, under the BQL)', from: at, to: at + deviceAddNs });
      k.atHost(at + deviceAddNs, () => execute(cmd, r));
    } else {
      execute(cmd, r);
    }
  };

  const execute = (cmd: ReturnType<typeof parseQmpCommand>, r: HotplugEventReport): void => {
    const out = executeQmp(hp!, cmd);
    r.reply = out.reply;
    if (out.added) {
      r.handler = out.added.handler;
      r.device = { id: out.added.id, type: out.added.typeName, bdf: bdfOf(out.added.bus.number, out.added.dev.devfn) };
      const pb = out.added.bus.parentBridge;
      if (pb) r.controller = { bdf: fmtBdf(pb), slot: out.added.dev.devfn >> 3 };
    } else if (r.device) {
      const d = hp!.devices().find((x) => x.id === r.device!.id);
      if (d?.bus) {
        r.handler = hp!.handlerOf(d.bus);
        const pb = d.bus.parentBridge;
        if (pb) r.controller = { bdf: fmtBdf(pb), slot: d.devfn >> 3 };
      }
    }
  };

  const boot = bootVm(scenario, {
    ...opts,
    runtime: {
      vmOps: (machine, vm) => {
        hp = new QemuHotplug(machine, {
          irq: (line) => rt?.kernel.raiseIrq(line),
          now: () => vm.clock.now(),
          onTopologyChange: () => live?.accel.update(),
          onEvent: (e) => {
            qmpEvents.push(e);
            if (live && rt) marks.push({ t: e.t, kind: 'deleted', bdf: '', ...(e.data.device !== undefined ? { id: e.data.device } : {}), s: snap() });
          },
        });
        // the controllers map their registers into the machine's address spaces: the vCPU talks to the machine
        return machine;
      },
      guestCpu: (cpu) => {
        rt = new HotplugRuntime(cpu, {
          flavour,
          acpi: acpiTablesOf(hp!),
          serialConsole,
          ...(guestCosts ? { costs: guestCosts } : {}),
          onMilestone: (m) => {
            if (live) marks.push({ t: m.t, kind: m.what, bdf: m.bdf, s: snap() });
          },
          onTrace: (_t, what, detail) => {
            if (what === 'slept') {
              const [task, why, from, to] = (detail ?? '').split('\u0000');
              sleeps.push({ task: task ?? '', why: why ?? '', from: Number(from), to: Number(to) });
            }
          },
        });
        return rt.cpu;
      },
      onConfigAccess: (mech) => {
        if (mech) conf.mmcfg++;
        else conf.conf1++;
      },
      beforeLinux: (linux, l) => {
        live = l;
        rt!.attach(linux);
        // events that fall inside the boot run as host events between its accesses
        events.forEach((ev, i) => {
          if (!ev.relative) rt!.kernel.atHost(ev.at, () => runEvent(i, ev, ev.at));
        });
      },
    },
  });
  const runtime = rt as HotplugRuntime | null;
  const qhp = hp as QemuHotplug | null;
  if (!runtime || !live || !qhp) throw new Error('runHotplugScenario: the boot did not install the runtime');
  runtime.afterBoot();
  bootDone = true;
  const guestUpNs = runtime.kernel.now();
  // let what boot left pending settle (pciehp's presence check at probe, an event during boot)
  events.forEach((ev, i) => {
    if (ev.relative) runtime.kernel.atHost(guestUpNs + ev.at, () => runEvent(i, ev, guestUpNs + ev.at));
  });
  const lastAt = Math.max(guestUpNs, ...events.map((e) => (e.relative ? guestUpNs + e.at : e.at)));
  runtime.run(lastAt + (opts.settleNs ?? 30e9));

  // reports
  reports.sort((a, b) => a.index - b.index);
  const deletedWithoutDel = (r: HotplugEventReport): boolean => {
    const id = r.device?.id;
    if (id === undefined) return false;
    const del = qmpEvents.find((e) => e.data.device === id && e.t >= r.at);
    if (!del) return false;
    return !reports.some((x) => x.kind === 'device_del' && x.device?.id === id && x.at >= r.at && x.at <= del.t && !(x.reply && 'error' in x.reply));
  };
  const ms = runtime.milestones;
  for (let n = 0; n < reports.length; n++) {
    const r = reports[n]!;
    const next = reports.slice(n + 1).find((x) => x.at > r.at)?.at ?? Infinity;
    let end: number | undefined;
    if (r.kind === 'device_add' && r.device && !('error' in (r.reply ?? {}))) {
      const found = ms.find((m) => m.what === 'found' && m.bdf === `0000:${r.device!.bdf}` && m.t >= r.at);
      const added = ms.find((m) => m.what === 'added' && m.bdf === `0000:${r.device!.bdf}` && m.t >= r.at);
      if (found) r.toFoundNs = found.t - r.at;
      if (added) r.toUsableNs = r.latencyNs = added.t - r.at;
      end = found?.t;
      r.outcome = describeOutcome(ms, r, runtime.kernel.log, next, deletedWithoutDel);
    } else if (r.kind === 'device_del' && r.device && !('error' in (r.reply ?? {}))) {
      const removed = ms.find((m) => m.what === 'removed' && m.bdf === `0000:${r.device!.bdf}` && m.t >= r.at);
      const del = qmpEvents.find((e) => e.data.device === r.device!.id && e.t >= r.at);
      if (removed) r.toRemovedNs = removed.t - r.at;
      if (del) r.toDeletedNs = del.t - r.at;
      const gone = r.toDeletedNs ?? r.toRemovedNs;
      if (gone !== undefined) r.latencyNs = gone;
      end = del?.t ?? removed?.t;
      r.outcome = describeOutcome(ms, r, runtime.kernel.log, next, deletedWithoutDel);
    } else if (r.kind === 'rescan') {
      r.outcome = 'sysfs rescan';
    } else if (r.reply && 'error' in r.reply) {
      r.outcome = `QEMU refused: ${r.reply.error.desc}`;
    }
    const winEnd = end ?? Math.min(next, runtime.kernel.now());
    r.waits = r.reply && 'error' in r.reply ? [] : waitsIn(sleeps.filter((sl) => relevantSleep(r, sl)), r.at, winEnd);
    r.console = runtime.kernel.log.filter((l) => l.t >= r.at && l.t < Math.min(next, Infinity) && l.t <= winEnd + 1).map((l) => `[${fmtTime(l.t)}] ${l.text}`);
    const refused = !!r.reply && 'error' in r.reply;
    if (refused) r.console = [];
    const s0 = refused ? undefined : snapshots.get(r.index);
    if (s0) {
      // up to the device being usable (or removed / deleted), else up to the next event or the end
      const bdf = `0000:${r.device?.bdf ?? ''}`;
      const endKinds = r.kind === 'device_add' ? ['added'] : r.kind === 'device_del' ? ['deleted', 'removed'] : [];
      let endMark = marks.find((m) => m.t >= r.at && endKinds.includes(m.kind) && (m.bdf === bdf || m.id === r.device?.id));
      if (r.kind === 'device_del') endMark = marks.filter((m) => m.t >= r.at && endKinds.includes(m.kind) && (m.bdf === bdf || m.id === r.device?.id)).pop() ?? endMark;
      const nextSnap = reports.slice(n + 1).map((x) => snapshots.get(x.index)).find((x) => x !== undefined);
      r.cost = costBetween(s0, endMark?.s ?? nextSnap ?? snap(), live);
    }
  }
  const result: HotplugRunResult = {
    boot,
    events: reports,
    log: [...runtime.kernel.log],
    qmpEvents,
    guestUpNs,
    notes: qhp.notes.map((n) => `${(n.t / 1e6).toFixed(3)} ms: ${n.note}`),
    flavour,
  };
  return result;
}

/** the sleeps on an event's path: its controller's tasks and timers (and the init task at boot) */
function relevantSleep(r: HotplugEventReport, s: SleepRec): boolean {
  const text = `${s.task} ${s.why}`;
  if (s.task === 'init') return true;
  if (s.task === 'qemu') return s.from === r.at;
  if (r.kind === 'rescan') return text.includes('sysfs rescan');
  if (!r.controller) return false;
  if (r.handler === 'pcie-slot') return text.includes(`pciehp ${r.controller.bdf}`) || text.includes(`pciehp button_work ${r.controller.bdf}`);
  if (r.handler === 'shpc') return text.includes(`shpchp-${r.controller.slot} `);
  if (r.handler === 'acpi') return text.includes('kacpi');
  return false;
}

function bdfOf(bus: number, devfn: number): string {
  return `${bus.toString(16).padStart(2, '0')}:${(devfn >> 3).toString(16).padStart(2, '0')}.${devfn & 7}`;
}

function emptyCost(): WindowCost {
  return { configAccesses: { conf1: 0, mmcfg: 0, total: 0 }, exits: { KVM_EXIT_IO: 0, KVM_EXIT_MMIO: 0, inKernel: 0, noExit: 0 }, consolePio: 0, memslotUpdates: 0, exitTimeNs: 0 };
}

function costBetween(
  a: { stats: KvmStatsSnapshot; conf1: number; mmcfg: number; console: number },
  b: { stats: KvmStatsSnapshot; conf1: number; mmcfg: number; console: number },
  _live: BootLive,
): WindowCost {
  const d = diffStats(a.stats, b.stats);
  const t = d.timeNs;
  const m = d.memslotChanges;
  return {
    configAccesses: { conf1: b.conf1 - a.conf1, mmcfg: b.mmcfg - a.mmcfg, total: b.conf1 - a.conf1 + b.mmcfg - a.mmcfg },
    exits: { KVM_EXIT_IO: d.exits.KVM_EXIT_IO, KVM_EXIT_MMIO: d.exits.KVM_EXIT_MMIO, inKernel: d.exits.inKernel, noExit: d.exits.noExit },
    consolePio: b.console - a.console,
    memslotUpdates: Object.values(m).reduce((x: number, y: number) => x + y, 0),
    exitTimeNs: t.userspaceExitIo + t.userspaceExitMmio + t.inKernelMmio + t.inKernelPio + t.noExitAccess + t.eptViolationMap,
  };
}

/** the sleeps overlapping [from, to], merged per reason (overlaps between tasks counted once) */
function waitsIn(sleeps: SleepRec[], from: number, to: number): WaitSlice[] {
  const per = new Map<string, number>();
  const clipped = sleeps
    .map((s) => ({ why: s.why, from: Math.max(s.from, from), to: Math.min(s.to, to) }))
    .filter((s, i) => s.to > s.from && sleeps[i]!.to <= to)
    .sort((a, b) => a.from - b.from);
  let cursor = from;
  for (const s of clipped) {
    const start = Math.max(s.from, cursor);
    if (s.to <= start) continue;
    per.set(s.why, (per.get(s.why) ?? 0) + (s.to - start));
    cursor = s.to;
  }
  return [...per.entries()].map(([what, ns]) => ({ what, ns })).sort((a, b) => b.ns - a.ns);
}

function describeOutcome(
  ms: readonly PciMilestone[],
  r: HotplugEventReport,
  log: readonly KernelLogLine[],
  next: number,
  deletedWithoutDel: (r: HotplugEventReport) => boolean,
): string {
  const bdf = `0000:${r.device?.bdf ?? ''}`;
  const window = log.filter((l) => l.t >= r.at && l.t < next);
  const cancel = window.find((l) => /Button cancel/.test(l.text));
  const removedAfterAdd = r.kind === 'device_add' && ms.some((m) => m.what === 'removed' && m.bdf === bdf && m.t >= r.at && m.t < next);
  const parts: string[] = [];
  if (r.kind === 'device_add') {
    const atBoot = ms.find((m) => m.what === 'found' && m.bdf === bdf && m.t >= r.at && m.detail === 'boot scan');
    if (atBoot) parts.push('found by the boot scan');
    if (r.toUsableNs !== undefined) parts.push('device found and added');
    else if (r.toFoundNs !== undefined) parts.push('device found, not added');
    else parts.push('the guest never saw the device');
  } else if (r.kind === 'device_del') {
    if (r.toDeletedNs !== undefined) parts.push('device removed by the guest, DEVICE_DELETED');
    else if (r.toRemovedNs !== undefined) parts.push('the guest removed the device, QEMU kept it');
    else parts.push('no DEVICE_DELETED: QEMU still has the device');
  }
  if (cancel) parts.push(`"${cancel.text.replace(/^\S+ \S+ /, '')}"`);
  if (r.kind === 'device_add' && deletedWithoutDel(r)) parts.push('later QEMU deleted it (the guest disabled the slot) while the guest still had it');
  if (removedAfterAdd) parts.push('the guest removed it again (misread as an unplug)');
  return parts.join('; ');
}

/** The earliest time after which a device_add is seen and kept by the guest, found by trying. */
export interface SafeTimeResult {
  /** virtual time (ns) from which every tried time worked */
  earliestSafeNs: number | null;
  guestUpNs: number;
  tried: { at: number; ok: boolean; outcome: string; toFoundNs?: number }[];
}

/**
 * Try a device_add at times from the start of the Linux phase to `horizonNs` after the guest is up and
 * report from when on it works: found, added, and not removed again.
 */
export function earliestSafeHotplug(scenario: Scenario, deviceAdd: string, opts: HotplugOptions & { points?: number; horizonNs?: number } = {}): SafeTimeResult {
  const probe = runHotplugScenario(scenario, [], { ...opts, settleNs: 0 });
  const linuxStart = 0;
  const up = probe.guestUpNs;
  const horizon = opts.horizonNs ?? 6e9;
  const points = opts.points ?? 12;
  // the boot densely (where the races are), then a few times after the guest is up
  const times: number[] = [];
  for (let i = 0; i < points; i++) times.push(Math.round(linuxStart + ((up - linuxStart) * i) / points));
  times.push(up + 1e6, up + horizon / 2, up + horizon);
  const tried = times.map((at) => {
    const r = runHotplugScenario(scenario, [{ at, qmp: deviceAdd }], { ...opts, settleNs: 12e9 });
    const ev = r.events[0];
    const ok = !!ev && ev.toUsableNs !== undefined && !/removed it again|never saw/.test(ev.outcome);
    return { at, ok, outcome: ev?.outcome ?? 'no event', ...(ev?.toFoundNs !== undefined ? { toFoundNs: ev.toFoundNs } : {}) };
  });
  let earliest: number | null = null;
  for (let i = tried.length - 1; i >= 0; i--) {
    if (!tried[i]!.ok) break;
    earliest = tried[i]!.at;
  }
  return { earliestSafeNs: earliest, guestUpNs: up, tried };
}
