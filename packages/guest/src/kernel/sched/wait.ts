/**
 * @module
 * kernel/sched/wait.c: wait queues, wait_event_timeout(), wake_up().
 */
import { type KGen, type KernelRuntime, WaitQueue, rt } from '../../include/linux/sched.js';
import { timerBucketExpiry } from '../time/timer.js';


/** wait_event_timeout(queue, cond, timeout): true if cond became true */
export function* waitEventTimeout(k: KernelRuntime, queue: WaitQueue, cond: () => boolean, timeoutJiffies: number, why: string): KGen<boolean> {
  if (cond()) return true;
  const now = k.jiffies();
  const until = k.timeOfJiffy(timerBucketExpiry(now + timeoutJiffies, now));
  while (!cond()) {
    if (k.now() >= until) return cond();
    yield { op: 'wait', queue, until, why };
  }
  return true;
}

/** wake_up(queue) */
export function wakeUp(k: KernelRuntime, queue: WaitQueue): void {
  for (const t of rt(k).tasks) {
    if (t.waiting === queue) {
      t.waiting = null;
      t.woken = true;
      t.wake = k.now();
    }
  }
}
