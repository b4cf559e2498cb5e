/**
 * @module
 * A device list from the trace alone, for `importTrace` without a console log: a BDF is present when a read
 * of its vendor ID returned something other than all-ones (nothing there) or zero. Vendor, device, class and
 * header type come from the reads of the header's first 16 bytes that the trace holds. On every reference
 * recording this gives Linux's own list, in Linux's order.
 */

import type { AccessRecord, DeviceEntry } from '../core/report-types.js';
import { formatBdf } from './tally.js';

const HEADER_BYTES = 16;

export function inferDevices(accesses: Iterable<AccessRecord>): DeviceEntry[] {
  // Per BDF: the header bytes read so far, and which of them are known (bit i = byte i).
  const shadows = new Map<number, { bytes: Uint8Array; known: number }>();
  for (const a of accesses) {
    if (a.write || a.reg >= HEADER_BYTES) continue;
    const key = (a.bus << 8) | a.devfn;
    let s = shadows.get(key);
    if (!s) {
      s = { bytes: new Uint8Array(HEADER_BYTES), known: 0 };
      shadows.set(key, s);
    }
    for (let i = 0; i < a.size && a.reg + i < HEADER_BYTES; i++) {
      // `value` may exceed 32 bits (it is unmasked), so no `>>>` here.
      s.bytes[a.reg + i] = Math.floor(a.value / 2 ** (8 * i)) % 256;
      s.known |= 1 << (a.reg + i);
    }
  }
  const hex = (s: { bytes: Uint8Array; known: number }, from: number, n: number): string => {
    let out = '';
    for (let i = from + n - 1; i >= from; i--) {
      if ((s.known & (1 << i)) === 0) return '';
      out += (s.bytes[i] ?? 0).toString(16).padStart(2, '0');
    }
    return out;
  };
  const devices: DeviceEntry[] = [];
  // Bus then devfn is Linux's print order: it lists a bus's devices before descending, and numbers buses
  // depth-first as it descends.
  for (const key of [...shadows.keys()].sort((x, y) => x - y)) {
    const s = shadows.get(key);
    if (!s) continue;
    const vendor = hex(s, 0, 2);
    if (vendor === '' || vendor === 'ffff' || vendor === '0000') continue;
    const header = hex(s, 14, 1);
    devices.push({
      bdf: formatBdf(key >> 8, key & 0xff),
      vendor,
      device: hex(s, 2, 2),
      // Linux prints the header type without the multi-function bit.
      ...(header !== '' ? { header_type: (Number.parseInt(header, 16) & 0x7f).toString(16).padStart(2, '0') } : {}),
      class: hex(s, 9, 3),
    });
  }
  return devices;
}
