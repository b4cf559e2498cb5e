/**
 * @module
 * kernel/irq/manage.c: what request_threaded_irq() registers (a hard handler and its thread).
 */
import type { KGen, Task } from './sched/core.js';

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

