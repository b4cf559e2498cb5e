/**
 * @module
 * The kernel's run-time on the virtual clock, below the PCI core and its drivers: tasks and the scheduler
 * (kernel/sched/core.c), msleep() (msecs_to_jiffies(ms) + 1 jiffies), timers and delayed work on the wheel
 * (src/kernel/time/timer.ts), workqueues, threaded interrupts (kernel/irq/manage.c) and printk to a serial
 * console (kernel/printk/printk.c, drivers/tty/serial/8250: each character a port write).
 * 
 * Kernel code is written as generators: a `yield` is where the real code sleeps (msleep, wait_event,
 * mutex_lock, a worker finishing), so other tasks, interrupts and the host (QEMU's device_add) interleave
 * exactly where they can on one CPU. Everything that is not a sleep advances the clock only through the
 * guest's accesses (exits under the cost profile) and the optional per-event CPU costs of
 * {@link GuestCpuCosts}.
 */
import type { Cpu, CpuidResult } from '../../cpu.js';
import { type GuestCpuCosts, ZERO_GUEST_CPU_COSTS } from '../costs.js';
import type { IrqAction, IrqReturn } from '../irq.js';
import { KMutex } from '../locking/mutex.js';
import { type KernelLogLine, fmtTime } from '../printk.js';
import { WaitQueue } from './wait.js';
import { INITIAL_JIFFIES, TICK_NSEC, type Timer, msecsToJiffies, timerBucketExpiry } from '../time/timer.js';
import { DelayedWork } from '../workqueue.js';

/** What a piece of kernel code yields when it gives the CPU away. */
export type KOp =
  | { readonly op: 'sleep'; readonly until: number; readonly why: string }
  | { readonly op: 'wait'; readonly queue: WaitQueue; readonly until: number; readonly why: string };

/** A kernel code path that can sleep. */
export type KGen<T = void> = Generator<KOp, T, void>;


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

