/**
 * @module
 * kernel/printk/printk.c: printk(), the log record and its timestamp, and the console it writes to
 * (drivers/tty/serial/8250: serial8250_console_write(), each character a port write).
 */
import { type KernelRuntime, note, rt } from '../include/linux/sched.js';



/** printk's "[    3.113028]" */
export function fmtTime(ns: number): string {
  const us = Math.floor(ns / 1000);
  const s = Math.floor(us / 1e6);
  return `${String(s).padStart(5, ' ')}.${String(us % 1e6).padStart(6, '0')}`;
}

/** printk(KERN_INFO …): the record, then the console (serial8250_console_write at COM1) */
const COM1 = 0x3f8;
const UART_IER = 1;
const UART_LSR = 5;

export function printk(k: KernelRuntime, text: string): void {
  k.cpuTime(k.costs.printk);
  k.log.push({ t: k.now(), text });
  note(k, 'printk', text);
  if (!rt(k).serialConsole || rt(k).inConsole) return;
  rt(k).inConsole = true;
  try {
    consoleWrite(k, `[${fmtTime(k.log[k.log.length - 1]!.t)}] ${text}\n`);
  } finally {
    rt(k).inConsole = false;
  }
}

/** serial8250_console_write(): save and clear IER, uart_console_write() char by char, wait, restore */
export function consoleWrite(k: KernelRuntime, s: string): void {
  const c = k.cpu;
  const ier = c.inb(COM1 + UART_IER);
  c.outb(COM1 + UART_IER, 0);
  let n = 2;
  for (const ch of s) {
    if (ch === '\n') {
      // uart_console_write(): '\n' goes out as "\r\n"
      c.inb(COM1 + UART_LSR);
      c.outb(COM1, 0x0d);
      n += 2;
    }
    c.inb(COM1 + UART_LSR); // wait_for_xmitr(UART_LSR_THRE): QEMU's THR is always empty
    c.outb(COM1, ch.charCodeAt(0) & 0xff);
    n += 2;
  }
  c.inb(COM1 + UART_LSR); // wait_for_xmitr(BOTH_EMPTY)
  c.outb(COM1 + UART_IER, ier);
  k.consolePio += n + 2;
}
