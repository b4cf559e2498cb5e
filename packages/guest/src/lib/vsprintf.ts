/**
 * @module
 * lib/vsprintf.c: the zero-padded hex the kernel's messages print (%02x, %04x).
 */
export const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
export const hex4 = (n: number): string => n.toString(16).padStart(4, '0');

/** `%pR` of a bus-number resource (resource_string(): "[bus 01]", or "[bus 01-ff]" when start and end differ) */
export const busResource = (start: number, end: number): string => `[bus ${hex2(start)}${start !== end ? `-${hex2(end)}` : ''}]`;
