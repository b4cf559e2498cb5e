/**
 * @module
 * The parts of a running Linux 6.1 kernel the hot-plug drivers need, on the virtual clock: jiffies at
 * HZ=250 (Debian's CONFIG_HZ_250) and the timer wheel's rounding (kernel/time/timer.c: calc_wheel_index()
 * puts a timer in the bucket `((expires >> LVL_SHIFT(lvl)) + 1) << LVL_SHIFT(lvl)`, so it fires one
 * level-granule after its expiry at the latest), msleep() (msecs_to_jiffies(ms) + 1 jiffies,
 * kernel/time/timer.c), delayed work, workqueues, threaded interrupts and printk to a serial console.
 *
 * Kernel code is written as generators: a `yield` is where the real code sleeps (msleep, wait_event,
 * mutex_lock, a worker finishing), so other tasks, interrupts and the host (QEMU's device_add) interleave
 * exactly where they can on one CPU. Everything that is not a sleep advances the clock only through the
 * guest's accesses (exits under the cost profile) and the optional per-event CPU costs of
 * {@link GuestCpuCosts}.
 */
import type { Cpu, CpuidResult } from '../cpu.js';

export const HZ = 250;
export const TICK_NSEC = 1_000_000_000 / HZ;
/** include/linux/jiffies.h: INITIAL_JIFFIES = (unsigned long)(unsigned int)(-300 * HZ) */
export const INITIAL_JIFFIES = 2 ** 32 - 300 * HZ;

// kernel/time/timer.c
const LVL_CLK_SHIFT = 3;
const LVL_BITS = 6;
const LVL_SIZE = 1 << LVL_BITS;
/** LVL_DEPTH is 9 for HZ > 100 */
const LVL_DEPTH = 9;
const lvlShift = (n: number) => n * LVL_CLK_SHIFT;
const lvlStart = (n: number) => (LVL_SIZE - 1) * 2 ** ((n - 1) * LVL_CLK_SHIFT);

/** msecs_to_jiffies() for HZ=250 (HZ divides 1000: round up) */
export function msecsToJiffies(ms: number): number {
  return Math.ceil(ms / (1000 / HZ));
}

/**
 * calc_wheel_index() + calc_index(): the jiffy at which the wheel runs a timer that expires at `expires`,
 * armed when the base clock is `clk`. Level 0 (deltas below 63 jiffies) fires at expires + 1; level n
 * rounds up to the next multiple of 8^n.
 */
export function timerBucketExpiry(expires: number, clk: number): number {
  const delta = expires - clk;
  let lvl = 0;
  while (lvl < LVL_DEPTH - 1 && delta >= lvlStart(lvl + 1)) lvl++;
  const g = 2 ** lvlShift(lvl);
  return (Math.floor(expires / g) + 1) * g;
}

/** Guest CPU time the model charges besides exits (ns). All default to 0: only exits and sleeps cost. */
export interface GuestCpuCosts {
  /** entering an interrupt handler (IDT entry, irq_enter, the flow handler) */
  readonly irqEntry: number;
  /** a task that was woken starts running (the scheduler's switch) */
  readonly wakeup: number;
  /** printk() formatting and storing one record, before any console output */
  readonly printk: number;
  /**
   * ACPI GPE path: from the SCI to the first register access of the `_Exx` method (acpi_irq(),
   * acpi_ev_gpe_detect(), the dispatch, kacpid picking the work up, ACPICA entering the method and
   * Acquire(BLCK)), besides the GPE register exits, which are charged as accesses.
   */
  readonly acpiSciToMethod?: number;
  /** AML: one call of QEMU's DVNT(PCIU/PCID) method, besides its per-slot tests */
  readonly amlDvntCall?: number;
  /** AML: one `If (And (Arg0, 1 << slot))` of DVNT, per slot the DSDT describes on the bus */
  readonly amlDvntSlot?: number;
  /** AML: a Notify() queued by DVNT (acpi_ev_queue_notify_request()) */
  readonly amlNotify?: number;
  /**
   * From `_E01`'s return to the first config access of acpiphp's slot scan: the kacpi_notify and
   * kacpi_hotplug hand-offs, acpi_bus_scan() of the slot's namespace object, hotplug_event()
   */
  readonly acpiNotifyToScan?: number;
  /**
   * Once per boot, the first ACPI hot-plug event: guest code that runs for the first time since boot
   * (TCG translates it into its code cache) — 0 under KVM
   */
  readonly firstAcpiHotplugEvent?: number;
}

export const ZERO_GUEST_CPU_COSTS: GuestCpuCosts = Object.freeze({ irqEntry: 0, wakeup: 0, printk: 0 });

/**
 * Linux 6.1 (Debian generic) under QEMU 7.2 TCG: the guest CPU time of the ACPI hot-plug path, measured with
 * `scripts/record-acpi-hotplug.mjs` on this project's machines (QEMU's trace points, host timestamps; the
 * recording is reference/hotplug/acpi-timing.json, 24 boots, 48 device_adds, and
 * apps/boot/src/record/acpi-hotplug-costs.ts derives each number from it: the median of one span, the
 * accesses the model charges itself taken out). irqEntry, wakeup and printk are not measured (0).
 */
export const TCG_REFERENCE_GUEST_CPU_COSTS: GuestCpuCosts = Object.freeze({
  irqEntry: 0,
  wakeup: 0,
  printk: 0,
  acpiSciToMethod: 1_096_000,
  amlDvntCall: 32_710,
  amlDvntSlot: 18_790,
  amlNotify: 17_000,
  acpiNotifyToScan: 538_500,
  firstAcpiHotplugEvent: 1_665_000,
});

/** What a piece of kernel code yields when it gives the CPU away. */
export type KOp =
  | { readonly op: 'sleep'; readonly until: number; readonly why: string }
  | { readonly op: 'wait'; readonly queue: WaitQueue; readonly until: number; readonly why: string };

/** A kernel code path that can sleep. */
export type KGen<T = void> = Generator<KOp, T, void>;

/** wait_queue_head_t */
export class WaitQueue {
  constructor(readonly name: string) {}
}

/** struct mutex, for tasks (single CPU: contention only across sleeps) */
export class KMutex {
  owner: Task | null = null;
  readonly queue: WaitQueue;
  constructor(readonly name: string) {
    this.queue = new WaitQueue(`mutex ${name}`);
  }
}

export interface Task {
  readonly id: number;
  readonly name: string;
  readonly kind: 'irq-thread' | 'worker' | 'kthread';
  gen: KGen | null;
  /** runnable from this time */
  wake: number;
  /** blocked on a queue (until `wake` as a timeout, Infinity for none) */
  waiting: WaitQueue | null;
  /** why it last slept, for the trace */
  why: string;
  /** set by wake_up() on the queue it waited on */
  woken: boolean;
  /** when it last gave the CPU away (for the 'slept' trace) */
  sleptAt: number;
}

/** A kernel timer (struct timer_list): fires in softirq context at `fireAt`. */
interface Timer {
  readonly id: number;
  readonly expires: number;
  readonly fireAt: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** struct delayed_work */
export class DelayedWork {
  timer: Timer | null = null;
  /** queued (timer expired or delay 0) but not yet running */
  queued = false;
  constructor(
    readonly name: string,
    readonly fn: () => KGen,
  ) {}
  get pending(): boolean {
    return (this.timer !== null && !this.timer.cancelled) || this.queued;
  }
}

export type IrqReturn = 'NONE' | 'HANDLED' | 'WAKE_THREAD';

/** One registered handler (request_threaded_irq). */
interface IrqAction {
  readonly name: string;
  readonly handler: () => IrqReturn;
  readonly thread: (() => KGen) | null;
  threadTask: Task | null;
  /** IRQTF_RUNTHREAD while the thread is running */
  rerun: boolean;
}

/** A line of the kernel log with the virtual time printk() took it at. */
export interface KernelLogLine {
  /** ns since the VM started */
  t: number;
  text: string;
}

/** A hook the kernel calls at interesting points (the hot-plug report follows them). */
export type KernelTraceHook = (t: number, what: string, detail?: string) => void;

export interface KernelOptions {
  /** `console=ttyS0` on the command line: printk writes each line to the 8250 UART at 0x3f8 */
  serialConsole?: boolean;
  costs?: GuestCpuCosts;
  onTrace?: KernelTraceHook;
}

/** An event the host (QEMU's main loop, the QMP monitor) runs at a virtual time. */
interface HostEvent {
  readonly t: number;
  readonly seq: number;
  readonly fn: () => void;
}

const COM1 = 0x3f8;
const UART_IER = 1;
const UART_LSR = 5;

/**
 * The kernel's runtime. The guest's accesses go through {@link Kernel.cpu}, which fires host events that
 * are due before each access and runs pending hard interrupts after it (an interrupt is taken at the next
 * instruction boundary, as on real hardware when interrupts are enabled).
 */
export class Kernel {
  /** the CPU the kernel's code runs on: every access fires due host events before and interrupts after */
  readonly cpu: Cpu;
  readonly log: KernelLogLine[] = [];
  readonly costs: GuestCpuCosts;
  private readonly serialConsole: boolean;
  private readonly trace: KernelTraceHook | null;
  private readonly tasks: Task[] = [];
  private readonly timers: Timer[] = [];
  private readonly hostEvents: HostEvent[] = [];
  private readonly irqs = new Map<string, IrqAction[]>();
  private readonly pendingIrqs: string[] = [];
  private nextId = 1;
  private hostSeq = 0;
  private inHardirq = false;
  private inHost = false;
  /** interrupts are taken (false during early boot: drivers have not registered yet, events stay latched) */
  irqsEnabled = false;
  private current: Task | null = null;
  /** console output in progress (printk from a printk is not written twice) */
  private inConsole = false;
  /** exits made for console output (PIO to the UART), counted apart from config accesses */
  consolePio = 0;

  constructor(
    private readonly raw: Cpu,
    opts: KernelOptions = {},
  ) {
    this.costs = opts.costs ?? ZERO_GUEST_CPU_COSTS;
    this.serialConsole = opts.serialConsole ?? false;
    this.trace = opts.onTrace ?? null;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const k = this;
    const before = (): void => k.hostDue();
    const after = (): void => k.afterAccess();
    this.cpu = {
      inb: (p) => (before(), k.ret(raw.inb(p), after)),
      inw: (p) => (before(), k.ret(raw.inw(p), after)),
      inl: (p) => (before(), k.ret(raw.inl(p), after)),
      outb: (p, v) => (before(), raw.outb(p, v), after()),
      outw: (p, v) => (before(), raw.outw(p, v), after()),
      outl: (p, v) => (before(), raw.outl(p, v), after()),
      readb: (a) => (before(), k.ret(raw.readb(a), after)),
      readw: (a) => (before(), k.ret(raw.readw(a), after)),
      readl: (a) => (before(), k.ret(raw.readl(a), after)),
      writeb: (a, v) => (before(), raw.writeb(a, v), after()),
      writew: (a, v) => (before(), raw.writew(a, v), after()),
      writel: (a, v) => (before(), raw.writel(a, v), after()),
      cpuid: (leaf: number, sub?: number): CpuidResult => raw.cpuid(leaf, sub),
      now: () => raw.now(),
      sleepNs: (ns) => k.idle(ns),
    };
  }

  private ret(v: number, after: () => void): number {
    after();
    return v;
  }

  now(): number {
    return this.raw.now();
  }

  /** jiffies at a virtual time: INITIAL_JIFFIES plus the ticks since the VM started */
  jiffies(t = this.now()): number {
    return INITIAL_JIFFIES + Math.floor(t / TICK_NSEC);
  }

  /** the virtual time of the tick that makes jiffies equal `j` */
  timeOfJiffy(j: number): number {
    return (j - INITIAL_JIFFIES) * TICK_NSEC;
  }

  private note(what: string, detail?: string): void {
    this.trace?.(this.now(), what, detail);
  }

  /** idle time (no exit): host events and timers due inside it still happen at their time */
  private idle(ns: number): void {
    const end = this.now() + ns;
    for (;;) {
      const next = Math.min(this.nextHostTime(), end);
      if (next > this.now()) this.raw.sleepNs(next - this.now());
      if (this.now() >= end) break;
      this.hostDue();
    }
  }

  /**
   * Charge guest CPU time (no exit). With `why`, the span is reported like a sleep of the running task
   * (`what` of the trace hook 'slept'), so that an event's breakdown names it.
   */
  cpuTime(ns: number, why?: string): void {
    if (!(ns > 0)) return;
    const from = this.now();
    this.raw.sleepNs(ns);
    if (why !== undefined) this.note('slept', `${this.current?.name ?? 'kernel'}\u0000${why}\u0000${from}\u0000${this.now()}`);
  }

  // ------------------------------------------------------------------
  // host events (QEMU's side)

  /** Run `fn` on the host at virtual time `t` (QMP commands, QEMU timers). */
  atHost(t: number, fn: () => void): void {
    const e: HostEvent = { t, seq: this.hostSeq++, fn };
    let i = this.hostEvents.length;
    while (i > 0 && (this.hostEvents[i - 1]!.t > t || (this.hostEvents[i - 1]!.t === t && this.hostEvents[i - 1]!.seq > e.seq))) i--;
    this.hostEvents.splice(i, 0, e);
  }

  private nextHostTime(): number {
    return this.hostEvents[0]?.t ?? Infinity;
  }

  /** host events whose time has come run between two guest instructions */
  private hostDue(): void {
    if (this.inHost) return;
    while (this.hostEvents.length && this.hostEvents[0]!.t <= this.now()) {
      const e = this.hostEvents.shift()!;
      this.inHost = true;
      try {
        e.fn();
      } finally {
        this.inHost = false;
      }
    }
  }

  get hostEventsPending(): number {
    return this.hostEvents.length;
  }

  // ------------------------------------------------------------------
  // interrupts

  /** request_threaded_irq(): `handler` runs in hard-irq context, `thread` in its irq thread */
  requestThreadedIrq(line: string, name: string, handler: () => IrqReturn, thread: (() => KGen) | null = null): void {
    const list = this.irqs.get(line) ?? [];
    list.push({ name, handler, thread, threadTask: null, rerun: false });
    this.irqs.set(line, list);
    // a level that is still asserted (or an edge latched while nothing listened) is taken now
  }

  /** irq_wake_thread(): wake the thread of the action `name` on `line` without a hard interrupt */
  irqWakeThread(line: string, name: string): void {
    const a = this.irqs.get(line)?.find((x) => x.name === name);
    if (a && a.thread) this.wakeIrqThread(a);
  }

  /**
   * Run kernel code to its end in the calling context (the init task at boot): its sleeps pass on the
   * clock in place, with host events due meanwhile; other tasks wait until {@link run}.
   */
  runSync<T>(gen: KGen<T>): T {
    for (;;) {
      const r = gen.next();
      if (r.done) return r.value;
      const op = r.value;
      const until = op.until === Infinity ? this.now() : op.until;
      const from = this.now();
      if (until > from) {
        this.idle(until - from);
        this.note('slept', `init\u0000${op.why}\u0000${from}\u0000${this.now()}`);
      }
    }
  }

  freeIrq(line: string, name: string): void {
    const list = this.irqs.get(line);
    if (!list) return;
    const i = list.findIndex((a) => a.name === name);
    if (i >= 0) list.splice(i, 1);
  }

  /** The interrupt controller's input: an MSI message or an asserted line for `line`. */
  raiseIrq(line: string): void {
    this.pendingIrqs.push(line);
    this.note('irq raised', line);
    if (!this.inHost && !this.inHardirq && this.current === null && this.irqsEnabled) {
      // raised while the CPU idles: taken now
      this.dispatchIrqs();
    }
  }

  private afterAccess(): void {
    this.hostDue();
    if (this.pendingIrqs.length && !this.inHardirq && this.irqsEnabled && !this.inHost) this.dispatchIrqs();
  }

  private dispatchIrqs(): void {
    while (this.pendingIrqs.length) {
      const line = this.pendingIrqs.shift()!;
      const actions = this.irqs.get(line);
      if (!actions || actions.length === 0) {
        this.note('spurious irq', line);
        continue;
      }
      this.inHardirq = true;
      try {
        this.cpuTime(this.costs.irqEntry);
        for (const a of actions) {
          const r = a.handler();
          if (r === 'WAKE_THREAD' && a.thread) this.wakeIrqThread(a);
        }
      } finally {
        this.inHardirq = false;
      }
    }
  }

  private wakeIrqThread(a: IrqAction): void {
    if (a.threadTask && a.threadTask.gen) {
      a.rerun = true;
      return;
    }
    const thread = a.thread!;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const k = this;
    const body = function* (): KGen {
      do {
        a.rerun = false;
        yield* thread();
      } while (a.rerun);
      a.threadTask = null;
      void k;
    };
    a.threadTask = this.spawn(`irq/${a.name}`, 'irq-thread', body);
  }

  // ------------------------------------------------------------------
  // tasks

  spawn(name: string, kind: Task['kind'], fn: () => KGen, at = this.now()): Task {
    const t: Task = { id: this.nextId++, name, kind, gen: fn(), wake: at, waiting: null, why: 'new', woken: false, sleptAt: -1 };
    this.tasks.push(t);
    return t;
  }

  /** msleep(): schedule_timeout_uninterruptible(msecs_to_jiffies(ms) + 1) */
  *msleep(ms: number, why = `msleep(${ms})`): KGen {
    const timeout = msecsToJiffies(ms) + 1;
    const now = this.jiffies();
    const bucket = timerBucketExpiry(now + timeout, now);
    yield { op: 'sleep', until: this.timeOfJiffy(bucket), why };
  }

  /** schedule_timeout() in ns resolution for code that sleeps on its own clock (e.g. usleep_range) */
  *sleepUntil(t: number, why: string): KGen {
    yield { op: 'sleep', until: t, why };
  }

  /** wait_event_timeout(queue, cond, timeout): true if cond became true */
  *waitEventTimeout(queue: WaitQueue, cond: () => boolean, timeoutJiffies: number, why: string): KGen<boolean> {
    if (cond()) return true;
    const now = this.jiffies();
    const until = this.timeOfJiffy(timerBucketExpiry(now + timeoutJiffies, now));
    while (!cond()) {
      if (this.now() >= until) return cond();
      yield { op: 'wait', queue, until, why };
    }
    return true;
  }

  /** wake_up(queue) */
  wakeUp(queue: WaitQueue): void {
    for (const t of this.tasks) {
      if (t.waiting === queue) {
        t.waiting = null;
        t.woken = true;
        t.wake = this.now();
      }
    }
  }

  *mutexLock(m: KMutex): KGen {
    while (m.owner && m.owner !== this.current) yield { op: 'wait', queue: m.queue, until: Infinity, why: `mutex ${m.name}` };
    m.owner = this.current;
  }

  mutexUnlock(m: KMutex): void {
    m.owner = null;
    this.wakeUp(m.queue);
  }

  // ------------------------------------------------------------------
  // timers and work

  /** add_timer() with timer->expires = `expires` (jiffies) */
  addTimer(expires: number, fn: () => void): Timer {
    const clk = this.jiffies();
    const t: Timer = { id: this.nextId++, expires, fireAt: this.timeOfJiffy(timerBucketExpiry(expires, clk)), fn, cancelled: false };
    this.timers.push(t);
    return t;
  }

  /** queue_work(): a worker runs `fn` (a concurrency-managed pool on one CPU: another worker runs when one sleeps) */
  queueWork(name: string, fn: () => KGen): void {
    this.spawn(name, 'worker', fn);
  }

  /** queue_delayed_work()/schedule_delayed_work(): false if it was already pending */
  queueDelayedWork(dw: DelayedWork, delayJiffies: number): boolean {
    if (dw.pending) return false;
    if (delayJiffies === 0) {
      dw.queued = true;
      this.queueWork(dw.name, () => this.runDelayed(dw));
      return true;
    }
    const armedAt = this.now();
    dw.timer = this.addTimer(this.jiffies() + delayJiffies, () => {
      this.note('slept', `timer\u0000delayed work ${dw.name} (${delayJiffies} jiffies)\u0000${armedAt}\u0000${this.now()}`);
      dw.timer = null;
      dw.queued = true;
      this.queueWork(dw.name, () => this.runDelayed(dw));
    });
    this.note('delayed work armed', `${dw.name} fires at ${(dw.timer.fireAt / 1e6).toFixed(3)} ms`);
    return true;
  }

  private *runDelayed(dw: DelayedWork): KGen {
    if (!dw.queued) return; // cancelled after it was queued
    dw.queued = false;
    yield* dw.fn();
  }

  /** cancel_delayed_work(): true if it was pending */
  cancelDelayedWork(dw: DelayedWork): boolean {
    let was = false;
    if (dw.timer && !dw.timer.cancelled) {
      dw.timer.cancelled = true;
      dw.timer = null;
      was = true;
    }
    if (dw.queued) {
      dw.queued = false;
      was = true;
    }
    if (was) this.note('delayed work cancelled', dw.name);
    return was;
  }

  // ------------------------------------------------------------------
  // printk

  /** printk(KERN_INFO …): the record, then the console (serial8250_console_write at COM1) */
  printk(text: string): void {
    this.cpuTime(this.costs.printk);
    this.log.push({ t: this.now(), text });
    this.note('printk', text);
    if (!this.serialConsole || this.inConsole) return;
    this.inConsole = true;
    try {
      this.consoleWrite(`[${fmtTime(this.log[this.log.length - 1]!.t)}] ${text}\n`);
    } finally {
      this.inConsole = false;
    }
  }

  /** serial8250_console_write(): save and clear IER, uart_console_write() char by char, wait, restore */
  private consoleWrite(s: string): void {
    const c = this.cpu;
    const ier = c.inb(COM1 + UART_IER);
    c.outb(COM1 + UART_IER, 0);
    let n = 2;
    for (const ch of s) {
      if (ch === '\n') {
        // uart_console_write(): '\n' goes out as "\r\n"
        c.inb(COM1 + UART_LSR);
        c.outb(COM1, 0x0d);
        n += 2;
      }
      c.inb(COM1 + UART_LSR); // wait_for_xmitr(UART_LSR_THRE): QEMU's THR is always empty
      c.outb(COM1, ch.charCodeAt(0) & 0xff);
      n += 2;
    }
    c.inb(COM1 + UART_LSR); // wait_for_xmitr(BOTH_EMPTY)
    c.outb(COM1 + UART_IER, ier);
    this.consolePio += n + 2;
  }

  // ------------------------------------------------------------------
  // the scheduler

  /**
   * Run tasks, timers and host events until nothing is left to do before `until` (or at all). The clock
   * moves to the next event when every task sleeps.
   */
  run(until = Infinity): void {
    for (;;) {
      this.hostDue();
      if (this.pendingIrqs.length && this.irqsEnabled) this.dispatchIrqs();
      // timers whose bucket came (softirq)
      this.timers.sort((a, b) => a.fireAt - b.fireAt || a.id - b.id);
      while (this.timers.length && this.timers[0]!.fireAt <= this.now()) {
        const t = this.timers.shift()!;
        if (!t.cancelled) t.fn();
      }
      const runnable = this.pickRunnable();
      if (runnable) {
        this.step(runnable);
        continue;
      }
      const next = Math.min(
        this.nextHostTime(),
        this.timers.find((t) => !t.cancelled)?.fireAt ?? Infinity,
        ...this.tasks.filter((t) => t.gen).map((t) => t.wake),
      );
      if (next === Infinity || next > until) {
        if (until !== Infinity && until > this.now()) this.raw.sleepNs(until - this.now());
        return;
      }
      if (next > this.now()) this.raw.sleepNs(next - this.now());
      // drop cancelled timers that were the next event
      for (let i = this.timers.length - 1; i >= 0; i--) if (this.timers[i]!.cancelled) this.timers.splice(i, 1);
    }
  }

  /** irq threads (SCHED_FIFO) before workers and kthreads (CFS); oldest wake first */
  private pickRunnable(): Task | null {
    let best: Task | null = null;
    for (const t of this.tasks) {
      if (!t.gen || t.wake > this.now()) continue;
      if (t.waiting && !t.woken && t.wake > this.now()) continue;
      if (!best) best = t;
      else {
        const pa = t.kind === 'irq-thread' ? 0 : 1;
        const pb = best.kind === 'irq-thread' ? 0 : 1;
        if (pa < pb || (pa === pb && (t.wake < best.wake || (t.wake === best.wake && t.id < best.id)))) best = t;
      }
    }
    return best;
  }

  private step(t: Task): void {
    if (t.sleptAt >= 0 && this.now() > t.sleptAt) this.note('slept', `${t.name}\u0000${t.why}\u0000${t.sleptAt}\u0000${this.now()}`);
    t.sleptAt = -1;
    this.current = t;
    this.cpuTime(this.costs.wakeup);
    t.woken = false;
    t.waiting = null;
    let r: IteratorResult<KOp, void>;
    try {
      r = t.gen!.next();
    } finally {
      this.current = null;
    }
    if (r.done) {
      t.gen = null;
      const i = this.tasks.indexOf(t);
      if (i >= 0) this.tasks.splice(i, 1);
      return;
    }
    const op = r.value;
    t.why = op.why;
    t.sleptAt = this.now();
    if (op.op === 'sleep') {
      t.wake = Math.max(op.until, this.now());
    } else {
      t.waiting = op.queue;
      t.wake = op.until;
    }
  }

  /** no task, timer or host event left */
  get idleForever(): boolean {
    return this.tasks.every((t) => !t.gen) && this.timers.every((t) => t.cancelled) && this.hostEvents.length === 0;
  }

  /** what is still pending (for the race report) */
  pendingWork(): string[] {
    const out: string[] = [];
    for (const t of this.timers) if (!t.cancelled) out.push(`timer at ${(t.fireAt / 1e6).toFixed(3)} ms`);
    for (const t of this.tasks) if (t.gen) out.push(`${t.name} (${t.why})`);
    return out;
  }
}

/** printk's "[    3.113028]" */
export function fmtTime(ns: number): string {
  const us = Math.floor(ns / 1000);
  const s = Math.floor(us / 1e6);
  return `${String(s).padStart(5, ' ')}.${String(us % 1e6).padStart(6, '0')}`;
}
