/**
 * @module
 * The config-access tally of one boot phase, by the reference recorder's rules
 * (shared/reference/README.md, docs/recording.md). Shared with the simulator: feed it any stream of
 * accesses with `add()`, one builder per phase, then `result()`.
 *
 * Definitions, checked against all reference recordings:
 * - present = the BDF is in Linux's device list (the same list for both phases);
 * - absent_bus = absent access on a bus where Linux found no device at all (an empty bridge's
 *   secondary bus counts as absent: it has no device);
 * - absent_slot_on_present_bus = the bus has a device, but no function of this slot is present;
 * - absent_function_of_present_slot = some function of the slot is present, not this one.
 */

import type { AccessRecord, ConfigTally, DeviceEntry, Phase } from '../core/report-types.js';

/** The fields the tally reads; `AccessRecord` has them, and so can a simulator's own access record. */
export type TallyInput = Pick<AccessRecord, 'mech' | 'write' | 'bus' | 'devfn'>;

/** A device as the tally takes it: "BB:DD.F", "DDDD:BB:DD.F", or anything with such a `bdf`. */
export type DeviceRef = string | Pick<DeviceEntry, 'bdf'>;

const BDF_RE = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/** `{ domain, bus, devfn }` of "BB:DD.F" / "DDDD:BB:DD.F"; `undefined` if the text is not one. */
export function parseBdf(text: string): { domain: number; bus: number; devfn: number } | undefined {
  const m = BDF_RE.exec(text);
  if (!m) return undefined;
  const dev = Number.parseInt(m[3] ?? '', 16);
  if (dev > 31) return undefined;
  return {
    domain: m[1] === undefined ? 0 : Number.parseInt(m[1], 16),
    bus: Number.parseInt(m[2] ?? '', 16),
    devfn: (dev << 3) | Number.parseInt(m[4] ?? '', 10),
  };
}

/** "BB:DD.F", the key form of the reference JSON. */
export function formatBdf(bus: number, devfn: number): string {
  return `${hex2(bus)}:${hex2(devfn >> 3)}.${devfn & 7}`;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** "0,255,1-254": buses in order, runs of consecutive numbers joined. */
export function formatBusOrder(order: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < order.length) {
    const start = order[i] as number;
    let end = start;
    while (i + 1 < order.length && order[i + 1] === end + 1) end = order[++i] as number;
    parts.push(start === end ? `${start}` : `${start}-${end}`);
    i++;
  }
  return parts.join(',');
}

/**
 * One access as a number (bit 18 mechanism 0 conf1 / 1 mmcfg, bit 16 write, bits 8-15 bus, 0-7 devfn),
 * the form {@link ConfigTallyBuilder.addPacked} counts: a simulator logs accesses this way, no object each.
 */
export function packAccess(mech: number, write: number, bus: number, devfn: number): number {
  return ((mech & 1) << 18) | ((write & 1) << 16) | ((bus & 0xff) << 8) | (devfn & 0xff);
}

/**
 * Which buses, slots and functions exist, as flat bitmaps indexed by bus, bus<<5|dev and bus<<8|devfn
 * (`fn` holds the device's index in the set + 1, so a tally can count per device in a flat array).
 * Devices outside domain 0 are ignored: neither conf1 nor the recorded ECAM window reaches them.
 * `reset()` empties a set for reuse, clearing only what it had set (a boot builds one per run).
 */
export class PresentSet {
  readonly bus = new Uint8Array(256);
  readonly slot = new Uint8Array(256 * 32);
  readonly fn = new Uint16Array(256 * 256);
  /** bus << 8 | devfn of each device, in the order added */
  private readonly keys: number[] = [];

  constructor(devices: Iterable<DeviceRef> = []) {
    for (const d of devices) {
      const text = typeof d === 'string' ? d : d.bdf;
      const at = parseBdf(text);
      if (at === undefined) throw new RangeError(`not a bus:device.function: ${JSON.stringify(text)}`);
      if (at.domain === 0) this.addDevice(at.bus, at.devfn);
    }
  }

  /** how many distinct functions the set holds */
  get size(): number {
    return this.keys.length;
  }

  addDevice(bus: number, devfn: number): void {
    const key = (bus << 8) | devfn;
    if (this.fn[key] !== 0) return;
    this.keys.push(key);
    this.bus[bus] = 1;
    this.slot[(bus << 5) | (devfn >> 3)] = 1;
    this.fn[key] = this.keys.length;
  }

  has(bus: number, devfn: number): boolean {
    return this.fn[(bus << 8) | devfn] !== 0;
  }

  /** bus << 8 | devfn of the device `fn[key] - 1` names */
  keyAt(index: number): number {
    return this.keys[index]!;
  }

  reset(): void {
    for (const key of this.keys) {
      this.bus[key >> 8] = 0;
      this.slot[key >> 3] = 0;
      this.fn[key] = 0;
    }
    this.keys.length = 0;
  }
}

/** Sets bit `key` (bus << 8 | devfn) of `seen`: 1 if it was clear (the BDF's first access), else 0. */
function firstSeen(seen: Uint32Array, key: number): number {
  const bit = 1 << (key & 31);
  const s = seen[key >>> 5]!;
  if ((s & bit) !== 0) return 0;
  seen[key >>> 5] = s | bit;
  return 1;
}

/**
 * Incremental `ConfigTally` of one phase. `add()` allocates nothing beyond the first access to a new bus
 * or present device (one array push each); the counters are typed arrays, the BDFs seen a 65,536-bit set
 * (8 KiB: a builder is made per phase of every boot, so it stays small; `reset()` makes it reusable).
 * Per access it counts only what the totals cannot be summed from at the end.
 */
export class ConfigTallyBuilder {
  private present: PresentSet;
  private n = 0;
  private writes = 0;
  private absentWrites = 0;
  private absentBus = 0;
  private absentSlot = 0;
  private absentFn = 0;
  private distinct = 0;
  /** bit (bus << 8 | devfn): accessed at least once */
  private readonly seen = new Uint32Array((256 * 256) / 32);
  /** accesses per bus << 1 | mechanism (0 conf1, 1 mmcfg) */
  private readonly busMech = new Uint32Array(512);
  private readonly busAbsent = new Uint32Array(256);
  /** first-access order, as the reference's byBus / perPresentDevice keys are */
  private readonly busOrder = new Uint8Array(256);
  private busCount = 0;
  /** accesses per present device (its PresentSet index), and the devices in first-access order */
  private perPresent = new Uint32Array(64);
  private readonly presentOrder: number[] = [];
  /** {@link addRaw}'s access, packed */
  private readonly one = new Uint32Array(1);

  constructor(devices: PresentSet | Iterable<DeviceRef>) {
    this.present = devices instanceof PresentSet ? devices : new PresentSet(devices);
    this.fitPresent();
  }

  get total(): number {
    return this.n;
  }

  /** empties the builder for another phase over `present` (the set it counts against may have changed) */
  reset(present: PresentSet = this.present): void {
    this.present = present;
    this.n = this.writes = this.absentWrites = this.absentBus = this.absentSlot = this.absentFn = this.distinct = 0;
    this.seen.fill(0);
    for (let i = 0; i < this.busCount; i++) {
      const bus = this.busOrder[i]!;
      this.busMech[bus << 1] = 0;
      this.busMech[(bus << 1) | 1] = 0;
      this.busAbsent[bus] = 0;
    }
    this.busCount = 0;
    for (const i of this.presentOrder) this.perPresent[i] = 0;
    this.presentOrder.length = 0;
    this.fitPresent();
  }

  /** room for every device of the set (it may grow while the builder counts) */
  private fitPresent(): void {
    if (this.perPresent.length >= this.present.size) return;
    const grown = new Uint32Array(this.present.size * 2);
    grown.set(this.perPresent);
    this.perPresent = grown;
  }

  add(a: TallyInput): void {
    this.addRaw(a.mech === 'conf1' ? 0 : 1, a.write ? 1 : 0, a.bus, a.devfn);
  }

  /** {@link add} with numbers only (mechanism 0 conf1 / 1 mmcfg, write 0/1): nothing allocated per access. */
  addRaw(mech: number, write: number, bus: number, devfn: number): void {
    // One unsigned compare catches negatives, fractions are the caller's bug but stay in range.
    if (bus >>> 0 > 255 || devfn >>> 0 > 255) throw new RangeError(`access to bus ${bus} devfn ${devfn}`);
    this.one[0] = packAccess(mech, write, bus, devfn);
    this.addPacked(this.one, 1);
  }

  /** {@link addRaw} for each of `words[0..n)`, accesses packed by {@link packAccess} (always in range) */
  addPacked(words: Uint32Array, n: number): void {
    const fn = this.present.fn;
    const presentBus = this.present.bus;
    const presentSlot = this.present.slot;
    const busMech = this.busMech;
    const busAbsent = this.busAbsent;
    const seen = this.seen;
    // Counters in locals, written back once; the per-bus ones once per run of accesses to one bus (a scan
    // makes 32 in a row), so that consecutive accesses do not wait on each other's increment in memory.
    let writes = 0;
    let absentWrites = 0;
    let distinct = 0;
    let absentBus = 0;
    let absentSlot = 0;
    let absentFn = 0;
    let i = 0;
    while (i < n) {
      const bus = (words[i]! >>> 8) & 0xff;
      // the reference orders buses by first access
      if (busMech[bus << 1] === 0 && busMech[(bus << 1) | 1] === 0) this.busOrder[this.busCount++] = bus;
      let mmcfg = 0;
      let runWrites = 0;
      let runAbsent = 0;
      let runAbsentWrites = 0;
      const first = i;
      if (presentBus[bus] !== 1) {
        // a bus with no device (the peer-bus scan: ~8,000 of a q35 boot's accesses): every access is absent
        for (; i < n; i++) {
          const w = words[i]!;
          if (((w >>> 8) & 0xff) !== bus) break;
          mmcfg += w >>> 18;
          runWrites += (w >>> 16) & 1;
          distinct += firstSeen(seen, w & 0xffff);
        }
        runAbsent = i - first;
        runAbsentWrites = runWrites;
        absentBus += runAbsent;
      } else {
        for (; i < n; i++) {
          const w = words[i]!;
          if (((w >>> 8) & 0xff) !== bus) break;
          const write = (w >>> 16) & 1;
          mmcfg += w >>> 18;
          runWrites += write;
          const key = w & 0xffff;
          distinct += firstSeen(seen, key);
          const index = fn[key]!;
          if (index !== 0) {
            if (index > this.perPresent.length) this.fitPresent();
            if (this.perPresent[index - 1]!++ === 0) this.presentOrder.push(index - 1);
            continue;
          }
          runAbsent++;
          runAbsentWrites += write;
          if (presentSlot[key >>> 3] !== 1) absentSlot++;
          else absentFn++;
        }
      }
      busMech[bus << 1]! += i - first - mmcfg;
      busMech[(bus << 1) | 1]! += mmcfg;
      busAbsent[bus]! += runAbsent;
      writes += runWrites;
      absentWrites += runAbsentWrites;
    }
    this.n += n;
    this.writes += writes;
    this.absentWrites += absentWrites;
    this.distinct += distinct;
    this.absentBus += absentBus;
    this.absentSlot += absentSlot;
    this.absentFn += absentFn;
  }

  /** A fresh object each call, with the reference's `busOrder`; the builder can keep counting afterwards. */
  result(): ConfigTally & { busOrder: string } {
    return { ...this.counts(), busOrder: formatBusOrder([...this.busOrder.subarray(0, this.busCount)]) };
  }

  /** {@link result} without `busOrder` (the simulator's report has no use for it) */
  counts(): ConfigTally {
    const byBus: Record<string, number> = {};
    const byBusMechanism: ConfigTally['byBusMechanism'] = {};
    let conf1 = 0;
    let absent = 0;
    for (let i = 0; i < this.busCount; i++) {
      const bus = this.busOrder[i]!;
      const c = this.busMech[bus << 1]!;
      const m = this.busMech[(bus << 1) | 1]!;
      const a = this.busAbsent[bus]!;
      conf1 += c;
      absent += a;
      byBus[bus] = c + m;
      byBusMechanism[bus] = { conf1: c, mmcfg: m, absent: a };
    }
    const perPresentDevice: Record<string, number> = {};
    for (const i of this.presentOrder) {
      const key = this.present.keyAt(i);
      perPresentDevice[formatBdf(key >> 8, key & 0xff)] = this.perPresent[i]!;
    }
    return {
      accesses: { conf1, mmcfg: this.n - conf1, total: this.n },
      reads: this.n - this.writes,
      writes: this.writes,
      absent,
      absentBreakdown: {
        absent_reads: absent - this.absentWrites,
        absent_writes: this.absentWrites,
        absent_bus: this.absentBus,
        absent_slot_on_present_bus: this.absentSlot,
        absent_function_of_present_slot: this.absentFn,
      },
      distinctBdfProbed: this.distinct,
      byBus,
      byBusMechanism,
      perPresentDevice,
    };
  }
}

/** Both phases' tallies of a recorded access stream (`phase` 'F' / 'L'). */
export class PhaseTallyBuilder {
  readonly firmware: ConfigTallyBuilder;
  readonly linux: ConfigTallyBuilder;

  constructor(devices: PresentSet | Iterable<DeviceRef>) {
    const present = devices instanceof PresentSet ? devices : new PresentSet(devices);
    this.firmware = new ConfigTallyBuilder(present);
    this.linux = new ConfigTallyBuilder(present);
  }

  add(a: TallyInput & Pick<AccessRecord, 'phase'>): void {
    (a.phase === 'F' ? this.firmware : this.linux).add(a);
  }

  result(): Record<Phase, ConfigTally & { busOrder: string }> {
    return { firmware: this.firmware.result(), linux: this.linux.result() };
  }
}

/** Tallies of a whole access list or stream, per phase. */
export function tallyPhases(
  accesses: Iterable<TallyInput & Pick<AccessRecord, 'phase'>>,
  devices: PresentSet | Iterable<DeviceRef>,
): Record<Phase, ConfigTally & { busOrder: string }> {
  const b = new PhaseTallyBuilder(devices);
  for (const a of accesses) b.add(a);
  return b.result();
}
