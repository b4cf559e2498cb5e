/**
 * @module
 * `isa-serial`: a 16550A UART on the ISA bus (hw/char/serial-isa.c `serial_isa_realizefn`). No PCI function:
 * what it changes for PCI is the I/O port it takes, which PIIX4 PM's machine-ready notifier reports in its
 * config space on `pc` (0x3f8 and 0x2f8: byte 0x67). The index comes from a counter of every ISA serial port
 * realized so far, the board's `-serial` ports first.
 */
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** MAX_ISA_SERIAL_PORTS */
export const MAX_ISA_SERIAL_PORTS = 4;
/** isa_serial_io[], isa_serial_irq[] */
export const ISA_SERIAL_IO = [0x3f8, 0x2f8, 0x3e8, 0x2e8] as const;
export const ISA_SERIAL_IRQ = [4, 3, 4, 3] as const;

const t = 'isa-serial';

/** serial_isa_properties[] and the aliased TYPE_SERIAL properties (serial_properties[]) */
export const ISA_SERIAL_TYPE: QdevTypeInfo = {
  name: t,
  ancestors: [t, 'isa-device', 'device'],
  innerAncestors: ['serial', 'device'],
  busType: 'ISA',
  kind: 'isa-serial',
  props: [
    defineProp(t, 'index', 'uint32', 0xffffffff),
    defineProp(t, 'iobase', 'uint32', 0xffffffff),
    defineProp(t, 'irq', 'uint32', 0xffffffff),
    defineProp('serial', 'chardev', 'chardev'),
    defineProp('serial', 'baudbase', 'uint32', 115200),
    defineProp('serial', 'wakeup', 'uint32', 0),
  ],
};
