/**
 * @module
 * The guest's own timing of its initcalls: with `initcall_debug` (and a console log level that shows
 * KERN_DEBUG), Linux 6.1's do_one_initcall() prints, around each initcall (init/main.c,
 * trace_initcall_start_cb / trace_initcall_finish_cb):
 *
 *   [    0.412345] calling  pci_arch_init+0x0/0x6c @ 1
 *   [    0.413579] initcall pci_arch_init+0x0/0x6c returned 0 after 1234 usecs
 *
 * The duration is local_clock() (the guest's sched clock: the TSC under KVM and TCG alike) from just before
 * the call to just after it, so it includes everything the initcall did: its config accesses and their
 * exits, and every other instruction, printk and wait.
 */
import { stripAnsi } from './console.js';

/** One initcall as the guest timed it. */
export interface InitcallTime {
  /** the function, as %pS prints it without the offset (`pci_arch_init`) */
  fn: string;
  /** its return value */
  ret: number;
  /** its duration, µs (the kernel's integer) */
  usecs: number;
  /** the printk timestamp of the `initcall … returned` line, s; absent when the console has none */
  at?: number;
}

const RETURNED = /(?:\[\s*(\d+\.\d+)\]\s*)?initcall ([A-Za-z_][\w.$]*)\+0x[0-9a-f]+\/0x[0-9a-f]+(?: \[[\w-]+\])? returned (-?\d+) after (\d+) usecs/;

/** Every `initcall … returned … after N usecs` line of a console log, in order. */
export function parseInitcalls(consoleText: string): InitcallTime[] {
  const out: InitcallTime[] = [];
  for (const raw of consoleText.split('\n')) {
    const m = RETURNED.exec(stripAnsi(raw));
    if (!m) continue;
    out.push({ fn: m[2]!, ret: Number(m[3]), usecs: Number(m[4]), ...(m[1] !== undefined ? { at: Number(m[1]) } : {}) });
  }
  return out;
}
