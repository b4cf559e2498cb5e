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
import { type HostEvent, type IrqReturn, type KGen, type KOp, type KernelLogLine, type KernelRuntime, type KernelTraceHook, type RtState, type Task, type Timer, WaitQueue, note, registerRt } from '../../include/linux/sched.js';
import { type GuestCpuCosts, ZERO_GUEST_CPU_COSTS } from '../costs.js';
import { dispatchIrqs, freeIrq, irqWakeThread, raiseIrq, requestThreadedIrq } from '../irq.js';
import { KMutex, mutexLock, mutexUnlock } from '../locking/mutex.js';
import { printk } from '../printk.js';
import { waitEventTimeout, wakeUp } from './wait.js';
import { INITIAL_JIFFIES, TICK_NSEC, addTimer, msleep, sleepUntil } from '../time/timer.js';
import { DelayedWork, cancelDelayedWork, queueDelayedWork, queueWork } from '../workqueue.js';






export interface KernelOptions {
  /** `console=ttyS0` on the command line: printk writes each line to the 8250 UART at 0x3f8 */
  serialConsole?: boolean;
  costs?: GuestCpuCosts;
  onTrace?: KernelTraceHook;
}




/**
 * The kernel's runtime. The guest's accesses go through {@link Kernel.cpu}, which fires host events that
 * are due before each access and runs pending hard interrupts after it (an interrupt is taken at the next
 * instruction boundary, as on real hardware when interrupts are enabled).
 */
export class Kernel implements KernelRuntime {
  /** the CPU the kernel's code runs on: every access fires due host events before and interrupts after */
  readonly cpu: Cpu;

  readonly log: KernelLogLine[] = [];

  readonly costs: GuestCpuCosts;

  /** interrupts are taken (false during early boot: drivers have not registered yet, events stay latched) */
  irqsEnabled = false;

  /** exits made for console output (PIO to the UART), counted apart from config accesses */
  consolePio = 0;

  readonly #s: RtState;

  constructor(raw: Cpu, opts: KernelOptions = {}) {
    this.costs = opts.costs ?? ZERO_GUEST_CPU_COSTS;
    this.#s = {
      raw,
      serialConsole: opts.serialConsole ?? false,
      trace: opts.onTrace ?? null,
      tasks: [],
      timers: [],
      hostEvents: [],
      irqs: new Map(),
      pendingIrqs: [],
      nextId: 1,
      hostSeq: 0,
      inHardirq: false,
      inHost: false,
      inAccess: false,
      current: null,
      inConsole: false,
    };
    registerRt(this, this.#s);
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const k = this;
    const s = this.#s;
    // the access itself runs with inAccess set: an MSI its write raises (QEMU's msi_notify() inside the
    // config write, e.g. pcie_cap_slot_write_config()) is taken at the next instruction boundary, after it
    const before = (): void => {
      k.hostDue();
      s.inAccess = true;
    };
    const after = (): void => {
      s.inAccess = false;
      k.afterAccess();
    };
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
    return this.#s.raw.now();
  }

  /** jiffies at a virtual time: INITIAL_JIFFIES plus the ticks since the VM started */
  jiffies(t = this.now()): number {
    return INITIAL_JIFFIES + Math.floor(t / TICK_NSEC);
  }

  /** the virtual time of the tick that makes jiffies equal `j` */
  timeOfJiffy(j: number): number {
    return (j - INITIAL_JIFFIES) * TICK_NSEC;
  }

  /** idle time (no exit): host events and timers due inside it still happen at their time */
  private idle(ns: number): void {
    const end = this.now() + ns;
    for (;;) {
      const next = Math.min(this.nextHostTime(), end);
      if (next > this.now()) this.#s.raw.sleepNs(next - this.now());
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
    this.#s.raw.sleepNs(ns);
    if (why !== undefined) note(this, 'slept', `${this.#s.current?.name ?? 'kernel'}\u0000${why}\u0000${from}\u0000${this.now()}`);
  }

  // ------------------------------------------------------------------
  // host events (QEMU's side)

  /** Run `fn` on the host at virtual time `t` (QMP commands, QEMU timers). */
  atHost(t: number, fn: () => void): void {
    const e: HostEvent = { t, seq: this.#s.hostSeq++, fn };
    let i = this.#s.hostEvents.length;
    while (i > 0 && (this.#s.hostEvents[i - 1]!.t > t || (this.#s.hostEvents[i - 1]!.t === t && this.#s.hostEvents[i - 1]!.seq > e.seq))) i--;
    this.#s.hostEvents.splice(i, 0, e);
  }

  private nextHostTime(): number {
    return this.#s.hostEvents[0]?.t ?? Infinity;
  }

  /** host events whose time has come run between two guest instructions */
  private hostDue(): void {
    if (this.#s.inHost) return;
    while (this.#s.hostEvents.length && this.#s.hostEvents[0]!.t <= this.now()) {
      const e = this.#s.hostEvents.shift()!;
      this.#s.inHost = true;
      try {
        e.fn();
      } finally {
        this.#s.inHost = false;
      }
    }
  }

  get hostEventsPending(): number {
    return this.#s.hostEvents.length;
  }

  // ------------------------------------------------------------------
  // interrupts

  /** request_threaded_irq(): src/kernel/irq.ts */
  requestThreadedIrq(line: string, name: string, handler: () => IrqReturn, thread: (() => KGen) | null = null): void {
    requestThreadedIrq(this, line, name, handler, thread);
  }

  /** irq_wake_thread(): src/kernel/irq.ts */
  irqWakeThread(line: string, name: string): void {
    irqWakeThread(this, line, name);
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
        note(this, 'slept', `init\u0000${op.why}\u0000${from}\u0000${this.now()}`);
      }
    }
  }

  /**
   * cond_resched() of the init task: with CONFIG_PREEMPT_VOLUNTARY a woken SCHED_FIFO irq thread takes the
   * CPU at the next might_sleep() (the driver core's next mutex_lock()); each runs until it ends or sleeps
   */
  condResched(): void {
    if (this.#s.current !== null) return;
    for (;;) {
      const t = this.pickRunnable();
      if (!t || t.kind !== 'irq-thread') return;
      this.step(t);
    }
  }

  /** free_irq(): src/kernel/irq.ts */
  freeIrq(line: string, name: string): void {
    freeIrq(this, line, name);
  }

  /** the interrupt controller's input: src/kernel/irq.ts */
  raiseIrq(line: string): void {
    raiseIrq(this, line);
  }

  private afterAccess(): void {
    this.hostDue();
    if (this.#s.pendingIrqs.length && !this.#s.inHardirq && this.irqsEnabled && !this.#s.inHost) dispatchIrqs(this);
  }

  // ------------------------------------------------------------------
  // tasks

  spawn(name: string, kind: Task['kind'], fn: () => KGen, at = this.now()): Task {
    const t: Task = { id: this.#s.nextId++, name, kind, gen: fn(), wake: at, waiting: null, why: 'new', woken: false, sleptAt: -1 };
    this.#s.tasks.push(t);
    return t;
  }

  /** msleep(): src/kernel/time/timer.ts */
  msleep(ms: number, why?: string): KGen {
    return msleep(this, ms, why);
  }

  /** schedule_timeout(): src/kernel/time/timer.ts */
  sleepUntil(t: number, why: string): KGen {
    return sleepUntil(this, t, why);
  }

  /** wait_event_timeout(): src/kernel/sched/wait.ts */
  waitEventTimeout(queue: WaitQueue, cond: () => boolean, timeoutJiffies: number, why: string): KGen<boolean> {
    return waitEventTimeout(this, queue, cond, timeoutJiffies, why);
  }

  /** wake_up(): src/kernel/sched/wait.ts */
  wakeUp(queue: WaitQueue): void {
    wakeUp(this, queue);
  }

  /** mutex_lock(): src/kernel/locking/mutex.ts */
  mutexLock(m: KMutex): KGen {
    return mutexLock(this, m);
  }

  /** mutex_unlock(): src/kernel/locking/mutex.ts */
  mutexUnlock(m: KMutex): void {
    mutexUnlock(this, m);
  }

  // ------------------------------------------------------------------
  // timers and work

  /** add_timer(): src/kernel/time/timer.ts */
  addTimer(expires: number, fn: () => void): Timer {
    return addTimer(this, expires, fn);
  }

  /** queue_work(): src/kernel/workqueue.ts */
  queueWork(name: string, fn: () => KGen): void {
    queueWork(this, name, fn);
  }

  /** queue_delayed_work(): src/kernel/workqueue.ts */
  queueDelayedWork(dw: DelayedWork, delayJiffies: number): boolean {
    return queueDelayedWork(this, dw, delayJiffies);
  }

  /** cancel_delayed_work(): src/kernel/workqueue.ts */
  cancelDelayedWork(dw: DelayedWork): boolean {
    return cancelDelayedWork(this, dw);
  }

  // ------------------------------------------------------------------
  // printk

  /** printk(): src/kernel/printk.ts */
  printk(text: string): void {
    printk(this, text);
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
      if (this.#s.pendingIrqs.length && this.irqsEnabled) dispatchIrqs(this);
      // timers whose bucket came (softirq)
      this.#s.timers.sort((a, b) => a.fireAt - b.fireAt || a.id - b.id);
      while (this.#s.timers.length && this.#s.timers[0]!.fireAt <= this.now()) {
        const t = this.#s.timers.shift()!;
        if (!t.cancelled) t.fn();
      }
      const runnable = this.pickRunnable();
      if (runnable) {
        this.step(runnable);
        continue;
      }
      const next = Math.min(
        this.nextHostTime(),
        this.#s.timers.find((t) => !t.cancelled)?.fireAt ?? Infinity,
        ...this.#s.tasks.filter((t) => t.gen).map((t) => t.wake),
      );
      if (next === Infinity || next > until) {
        if (until !== Infinity && until > this.now()) this.#s.raw.sleepNs(until - this.now());
        return;
      }
      if (next > this.now()) this.#s.raw.sleepNs(next - this.now());
      // drop cancelled timers that were the next event
      for (let i = this.#s.timers.length - 1; i >= 0; i--) if (this.#s.timers[i]!.cancelled) this.#s.timers.splice(i, 1);
    }
  }

  /** irq threads (SCHED_FIFO) before workers and kthreads (CFS); oldest wake first */
  private pickRunnable(): Task | null {
    let best: Task | null = null;
    for (const t of this.#s.tasks) {
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
    if (t.sleptAt >= 0 && this.now() > t.sleptAt) note(this, 'slept', `${t.name}\u0000${t.why}\u0000${t.sleptAt}\u0000${this.now()}`);
    t.sleptAt = -1;
    this.#s.current = t;
    this.cpuTime(this.costs.wakeup);
    t.woken = false;
    t.waiting = null;
    let r: IteratorResult<KOp, void>;
    try {
      r = t.gen!.next();
    } finally {
      this.#s.current = null;
    }
    if (r.done) {
      t.gen = null;
      const i = this.#s.tasks.indexOf(t);
      if (i >= 0) this.#s.tasks.splice(i, 1);
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
    return this.#s.tasks.every((t) => !t.gen) && this.#s.timers.every((t) => t.cancelled) && this.#s.hostEvents.length === 0;
  }

  /** what is still pending (for the race report) */
  pendingWork(): string[] {
    const out: string[] = [];
    for (const t of this.#s.timers) if (!t.cancelled) out.push(`timer at ${(t.fireAt / 1e6).toFixed(3)} ms`);
    for (const t of this.#s.tasks) if (t.gen) out.push(`${t.name} (${t.why})`);
    return out;
  }
}

