/**
 * @module
 * kernel/sched/wait.c: wait queues (wait_queue_head_t).
 */
/** wait_queue_head_t */
export class WaitQueue {
  constructor(readonly name: string) {}
}

