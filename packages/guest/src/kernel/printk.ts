/**
 * @module
 * kernel/printk/printk.c: the log record and its timestamp as the console prints it.
 */
/** A line of the kernel log with the virtual time printk() took it at. */
export interface KernelLogLine {
  /** ns since the VM started */
  t: number;
  text: string;
}


/** printk's "[    3.113028]" */
export function fmtTime(ns: number): string {
  const us = Math.floor(ns / 1000);
  const s = Math.floor(us / 1e6);
  return `${String(s).padStart(5, ' ')}.${String(us % 1e6).padStart(6, '0')}`;
}

