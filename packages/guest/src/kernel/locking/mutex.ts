/**
 * @module
 * kernel/locking/mutex.c: struct mutex for tasks (one CPU: contention only across sleeps).
 */
import type { Task } from '../sched/core.js';
import { WaitQueue } from '../sched/wait.js';

/** struct mutex, for tasks (single CPU: contention only across sleeps) */
export class KMutex {
  owner: Task | null = null;
  readonly queue: WaitQueue;
  constructor(readonly name: string) {
    this.queue = new WaitQueue(`mutex ${name}`);
  }
}

