/**
 * @module
 * kernel/workqueue.c: struct delayed_work (queue_delayed_work() and cancel_delayed_work() are the
 * scheduler's, kernel/sched/core.ts, which runs the workers).
 */
import type { KGen } from './sched/core.js';
import type { Timer } from './time/timer.js';

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

