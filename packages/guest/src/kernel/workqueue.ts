/**
 * @module
 * kernel/workqueue.c: queue_work(), struct delayed_work with queue_delayed_work() and cancel_delayed_work()
 * (a worker is a task of the scheduler, src/kernel/sched/core.ts).
 */
import { type KGen, type KernelRuntime, type Timer, note } from '../include/linux/sched.js';
import { addTimer } from './time/timer.js';

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

/** queue_work(): a worker runs `fn` (a concurrency-managed pool on one CPU: another worker runs when one sleeps) */
export function queueWork(k: KernelRuntime, name: string, fn: () => KGen): void {
  k.spawn(name, 'worker', fn);
}

/** queue_delayed_work()/schedule_delayed_work(): false if it was already pending */
export function queueDelayedWork(k: KernelRuntime, dw: DelayedWork, delayJiffies: number): boolean {
  if (dw.pending) return false;
  if (delayJiffies === 0) {
    dw.queued = true;
    queueWork(k, dw.name, () => runDelayed(k, dw));
    return true;
  }
  const armedAt = k.now();
  dw.timer = addTimer(k, k.jiffies() + delayJiffies, () => {
    note(k, 'slept', `timer\u0000delayed work ${dw.name} (${delayJiffies} jiffies)\u0000${armedAt}\u0000${k.now()}`);
    dw.timer = null;
    dw.queued = true;
    queueWork(k, dw.name, () => runDelayed(k, dw));
  });
  note(k, 'delayed work armed', `${dw.name} fires at ${(dw.timer.fireAt / 1e6).toFixed(3)} ms`);
  return true;
}

/** delayed_work_timer_fn() then the work: nothing if cancelled after it was queued */
export function* runDelayed(k: KernelRuntime, dw: DelayedWork): KGen {
  if (!dw.queued) return; // cancelled after it was queued
  dw.queued = false;
  yield* dw.fn();
}

/** cancel_delayed_work(): true if it was pending */
export function cancelDelayedWork(k: KernelRuntime, dw: DelayedWork): boolean {
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
  if (was) note(k, 'delayed work cancelled', dw.name);
  return was;
}
