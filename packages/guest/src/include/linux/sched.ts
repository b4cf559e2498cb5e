/**
 * @module
 * include/linux/sched.h and the run-time's other shared declarations: tasks (struct task_struct) as generators,
 * wait queues, timers, interrupt actions, the log record, and the state the run-time's files share
 * (src/kernel/sched/core.ts owns it; src/kernel/time/timer.ts, workqueue.ts, irq.ts, printk.ts, sched/wait.ts
 * and locking/mutex.ts reach it through {@link rt}). A leaf: it imports none of them, so none imports another in a cycle.
 */
import type { Cpu } from '../../cpu.js';
import type { GuestCpuCosts } from '../../kernel/costs.js';

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

/** struct task_struct: a kernel thread, an irq thread or a worker */
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
export interface Timer {
  readonly id: number;
  readonly expires: number;
  readonly fireAt: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export type IrqReturn = 'NONE' | 'HANDLED' | 'WAKE_THREAD';

/** One registered handler (request_threaded_irq). */
export interface IrqAction {
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

/** An event the host (QEMU's main loop, the QMP monitor) runs at a virtual time. */
export interface HostEvent {
  readonly t: number;
  readonly seq: number;
  readonly fn: () => void;
}

/** What the run-time's functions use of the Kernel (src/kernel/sched/core.ts implements it). */
export interface KernelRuntime {
  readonly cpu: Cpu;
  readonly costs: GuestCpuCosts;
  readonly log: KernelLogLine[];
  consolePio: number;
  irqsEnabled: boolean;
  now(): number;
  jiffies(t?: number): number;
  timeOfJiffy(j: number): number;
  spawn(name: string, kind: Task['kind'], fn: () => KGen, at?: number): Task;
  cpuTime(ns: number, why?: string): void;
}

/**
 * What the run-time's parts share (kernel/time/timer.ts, workqueue.ts, irq.ts, printk.ts, sched/wait.ts,
 * locking/mutex.ts reach it through {@link rt}); not part of the package's API.
 */
export interface RtState {
  /** the CPU under the run-time (each access of Kernel.cpu goes to it) */
  readonly raw: Cpu;
  readonly serialConsole: boolean;
  readonly trace: KernelTraceHook | null;
  readonly tasks: Task[];
  readonly timers: Timer[];
  readonly hostEvents: HostEvent[];
  readonly irqs: Map<string, IrqAction[]>;
  readonly pendingIrqs: string[];
  nextId: number;
  hostSeq: number;
  inHardirq: boolean;
  inHost: boolean;
  /** a guest access (port or MMIO) is in the device model: an interrupt it raises is taken after it */
  inAccess: boolean;
  /** the task running now (null: the init task, or idle) */
  current: Task | null;
  /** console output in progress (printk from a printk is not written twice) */
  inConsole: boolean;
}

const states = new WeakMap<KernelRuntime, RtState>();

/** the run-time's shared state (the Kernel registers it at construction) */
export function rt(k: KernelRuntime): RtState {
  return states.get(k)!;
}

export function registerRt(k: KernelRuntime, s: RtState): void {
  states.set(k, s);
}

/** the trace hook at an interesting point */
export function note(k: KernelRuntime, what: string, detail?: string): void {
  rt(k).trace?.(k.now(), what, detail);
}
