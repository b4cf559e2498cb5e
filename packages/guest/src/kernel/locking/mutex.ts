/**
 * @module
 * kernel/locking/mutex.c: struct mutex for tasks, mutex_lock() and mutex_unlock() (one CPU: contention only
 * across sleeps).
 */
import { type KGen, type KernelRuntime, type Task, WaitQueue, rt } from '../../include/linux/sched.js';
import { wakeUp } from '../sched/wait.js';

/** struct mutex, for tasks (single CPU: contention only across sleeps) */
export class KMutex {
  owner: Task | null = null;
  readonly queue: WaitQueue;
  constructor(readonly name: string) {
    this.queue = new WaitQueue(`mutex ${name}`);
  }
}

/** mutex_lock(): sleeps while another task holds it */
export function* mutexLock(k: KernelRuntime, m: KMutex): KGen {
  while (m.owner && m.owner !== rt(k).current) yield { op: 'wait', queue: m.queue, until: Infinity, why: `mutex ${m.name}` };
  m.owner = rt(k).current;
}

/** mutex_unlock(): the waiters wake */
export function mutexUnlock(k: KernelRuntime, m: KMutex): void {
  m.owner = null;
  wakeUp(k, m.queue);
}
