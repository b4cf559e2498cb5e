/**
 * @module
 * kernel/irq/manage.c and kernel/irq/handle.c: request_threaded_irq(), free_irq(), irq_wake_thread(), the hard
 * handlers run in irq context when a line is raised, and the irq threads.
 */
import { type IrqAction, type IrqReturn, type KGen, type KernelRuntime, note, rt } from '../include/linux/sched.js';



/** request_threaded_irq(): `handler` runs in hard-irq context, `thread` in its irq thread */
export function requestThreadedIrq(k: KernelRuntime, line: string, name: string, handler: () => IrqReturn, thread: (() => KGen) | null = null): void {
  const list = rt(k).irqs.get(line) ?? [];
  list.push({ name, handler, thread, threadTask: null, rerun: false });
  rt(k).irqs.set(line, list);
  // a level that is still asserted (or an edge latched while nothing listened) is taken now
}

/** irq_wake_thread(): wake the thread of the action `name` on `line` without a hard interrupt */
export function irqWakeThread(k: KernelRuntime, line: string, name: string): void {
  const a = rt(k).irqs.get(line)?.find((x) => x.name === name);
  if (a && a.thread) wakeIrqThread(k, a);
}

/** free_irq() */
export function freeIrq(k: KernelRuntime, line: string, name: string): void {
  const list = rt(k).irqs.get(line);
  if (!list) return;
  const i = list.findIndex((a) => a.name === name);
  if (i >= 0) list.splice(i, 1);
}

/** The interrupt controller's input: an MSI message or an asserted line for `line`. */
export function raiseIrq(k: KernelRuntime, line: string): void {
  rt(k).pendingIrqs.push(line);
  note(k, 'irq raised', line);
  if (!rt(k).inHost && !rt(k).inAccess && !rt(k).inHardirq && rt(k).current === null && k.irqsEnabled) {
    // raised while the CPU idles: taken now (one raised by a guest access is taken after it: afterAccess())
    dispatchIrqs(k);
  }
}

/** handle_irq(): the pending lines' hard handlers, in irq context (irq_enter()); a thread woken where one asks */
export function dispatchIrqs(k: KernelRuntime): void {
  while (rt(k).pendingIrqs.length) {
    const line = rt(k).pendingIrqs.shift()!;
    const actions = rt(k).irqs.get(line);
    if (!actions || actions.length === 0) {
      note(k, 'spurious irq', line);
      continue;
    }
    rt(k).inHardirq = true;
    try {
      k.cpuTime(k.costs.irqEntry);
      for (const a of actions) {
        const r = a.handler();
        if (r === 'WAKE_THREAD' && a.thread) wakeIrqThread(k, a);
      }
    } finally {
      rt(k).inHardirq = false;
    }
  }
}

/** irq_wake_thread() of one action: its thread runs (again, if it is running: IRQTF_RUNTHREAD) */
export function wakeIrqThread(k: KernelRuntime, a: IrqAction): void {
  if (a.threadTask && a.threadTask.gen) {
    a.rerun = true;
    return;
  }
  const thread = a.thread!;
  const body = function* (): KGen {
    do {
      a.rerun = false;
      yield* thread();
    } while (a.rerun);
    a.threadTask = null;
  };
  a.threadTask = k.spawn(`irq/${a.name}`, 'irq-thread', body);
}
