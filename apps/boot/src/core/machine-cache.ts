/**
 * @module
 * Realized machines and powered-on VMs kept between boots, restored instead of built again.
 *
 * A sweep boots many scenarios that differ only on the guest's side (kernel command line, guest patch) or in
 * what KVM does (mitigations, cost profile) on the same QEMU command line. Building and realizing that machine
 * each time (`pc_q35_init()`, every `-device`, the first system reset) and running its firmware (SeaBIOS's
 * POST) is most of a cold sweep's work and JIT warm-up. A {@link MachineCache} keeps
 *
 * - per QEMU command line, the machine right after realize;
 * - per (command line, KVM mitigations, cost profile), the whole VM at the kernel's entry: KVM's VM and vCPU,
 *   the machine, the firmware run, the mitigations installed;
 *
 * each with an image of every field, array element, Map/Set entry and typed-array byte reachable from it.
 * Before a boot that needs one, it writes the image back, as `loadvm` restores a snapshot: the objects are
 * then the same graph in the same state as newly built ones, so the boot is the same, byte for byte
 * (apps/boot/test/machine-cache.test.ts holds it over every machine type, bridge kind and mitigation). If the
 * graph changed shape in a way a write-back cannot undo (a field added or deleted), every saved state is
 * dropped and the VM built again.
 *
 * Only state reachable from the saved objects is restored: a caller that keeps state elsewhere about a
 * machine (QEMU's realize state for a later `device_add`, a guest runtime) must not use a cache;
 * bootScenario() does not with run-time hooks, and restores no VM when it traces or keeps the access list.
 */
import type { Machine } from '@sim/qemu';
import type { Scenario } from './scenario.js';

/** One reachable object's contents as the image saved them. */
type Saved =
  | { kind: 'fields'; keys: string[]; values: unknown[] }
  | { kind: 'array'; values: unknown[] }
  | { kind: 'bytes'; bytes: Uint8Array }
  | { kind: 'map'; entries: [unknown, unknown][] }
  | { kind: 'set'; values: unknown[] };

/** Every object reachable from a root, and what each held, in walk order. */
interface MachineImage {
  objects: object[];
  saved: Saved[];
}

function bytesOf(o: ArrayBufferView | ArrayBuffer): Uint8Array {
  return o instanceof ArrayBuffer ? new Uint8Array(o) : new Uint8Array(o.buffer, o.byteOffset, o.byteLength);
}

/** Depth-first over own enumerable fields; functions (callbacks the machine set on its devices) are code, not state. */
function capture(root: object): MachineImage {
  const objects: object[] = [];
  const saved: Saved[] = [];
  const seen = new Set<object>();
  const stack: unknown[] = [root];
  const visit = (v: unknown): void => {
    if (typeof v === 'object' && v !== null && !seen.has(v)) stack.push(v);
  };
  while (stack.length > 0) {
    const o = stack.pop() as object;
    if (seen.has(o)) continue;
    seen.add(o);
    objects.push(o);
    if (ArrayBuffer.isView(o) || o instanceof ArrayBuffer) {
      saved.push({ kind: 'bytes', bytes: bytesOf(o).slice() });
    } else if (o instanceof Map) {
      const entries = [...(o as Map<unknown, unknown>)];
      for (const [k, v] of entries) (visit(k), visit(v));
      saved.push({ kind: 'map', entries });
    } else if (o instanceof Set) {
      const values = [...(o as Set<unknown>)];
      values.forEach(visit);
      saved.push({ kind: 'set', values });
    } else if (Array.isArray(o)) {
      const values = o.slice() as unknown[];
      values.forEach(visit);
      saved.push({ kind: 'array', values });
    } else {
      const keys = Object.keys(o);
      const values = keys.map((k) => (o as Record<string, unknown>)[k]);
      values.forEach(visit);
      saved.push({ kind: 'fields', keys, values });
    }
  }
  return { objects, saved };
}

/**
 * Writes the image back into the objects it saved (fields only where they differ: a frozen table reachable
 * from the machine never does). False if an object gained or lost a field, which a write-back would not undo.
 */
function restore(image: MachineImage): boolean {
  const { objects, saved } = image;
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i]!;
    const s = saved[i]!;
    switch (s.kind) {
      case 'bytes':
        // a copy is cheaper than a comparison (a q35 machine has ~60 KiB of config space)
        bytesOf(o as ArrayBufferView | ArrayBuffer).set(s.bytes);
        break;
      case 'array': {
        const a = o as unknown[];
        if (a.length !== s.values.length) a.length = s.values.length;
        for (let j = 0; j < s.values.length; j++) if (a[j] !== s.values[j]) a[j] = s.values[j];
        break;
      }
      case 'fields': {
        const keys = Object.keys(o);
        if (keys.length !== s.keys.length) return false;
        const rec = o as Record<string, unknown>;
        for (let j = 0; j < keys.length; j++) {
          const k = s.keys[j]!;
          if (keys[j] !== k) return false;
          const v = s.values[j];
          if (rec[k] !== v && !(Number.isNaN(v) && Number.isNaN(rec[k]))) rec[k] = v;
        }
        break;
      }
      case 'map': {
        const m = o as Map<unknown, unknown>;
        let same = m.size === s.entries.length;
        if (same) {
          let j = 0;
          for (const [k, v] of m) {
            const e = s.entries[j++]!;
            if (k !== e[0] || v !== e[1]) {
              same = false;
              break;
            }
          }
        }
        if (!same) {
          m.clear();
          for (const [k, v] of s.entries) m.set(k, v);
        }
        break;
      }
      case 'set': {
        const st = o as Set<unknown>;
        let same = st.size === s.values.length;
        if (same) {
          let j = 0;
          for (const v of st) {
            if (v !== s.values[j++]) {
              same = false;
              break;
            }
          }
        }
        if (!same) {
          st.clear();
          for (const v of s.values) st.add(v);
        }
        break;
      }
    }
  }
  return true;
}

/** What a cache did, for reports and tests. */
export interface MachineCacheStats {
  /** machines built and realized */
  built: number;
  /** machines restored to their state after realize, for a VM to be powered on */
  reused: number;
  /** VMs powered on: firmware run and KVM mitigations installed on a new or restored machine */
  poweredOn: number;
  /** boots that began from a saved VM, at the kernel's entry (neither realize nor firmware ran) */
  restored: number;
  /** saved states dropped because an object graph changed shape (the whole cache is emptied then) */
  refused: number;
}

/** A saved state and the objects it brings back. */
interface Entry<T> {
  value: T;
  image: MachineImage;
}

/** Least recently used first; `get` moves an entry to the end. */
class Lru<T> {
  private readonly map = new Map<string, Entry<T>>();
  constructor(private readonly capacity: number) {}
  get(key: string): Entry<T> | undefined {
    const e = this.map.get(key);
    if (e !== undefined) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e;
  }
  set(key: string, e: Entry<T>): void {
    this.map.delete(key);
    if (this.map.size >= this.capacity) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, e);
  }
  clear(): void {
    this.map.clear();
  }
}

/**
 * Realized machines by QEMU command line, and VMs at the kernel's entry by QEMU command line, KVM mitigations and
 * cost profile: at most `capacity` machines and `8 × capacity` VMs (the least recently used go first). A VM's
 * saved state includes its machine's, so the VMs of one command line share that machine. One cache serves one
 * thread's boots, one at a time.
 */
export class MachineCache {
  readonly stats: MachineCacheStats = { built: 0, reused: 0, poweredOn: 0, restored: 0, refused: 0 };
  private readonly machines: Lru<Machine>;
  private readonly vms: Lru<unknown>;

  constructor(readonly capacity = 8) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`MachineCache capacity ${capacity}: must be an integer >= 1`);
    this.machines = new Lru(capacity);
    this.vms = new Lru(capacity * 8);
  }

  /** Everything of a scenario the machine depends on: all of it but the kernel command line. */
  static machineKey(s: Scenario): string {
    return JSON.stringify({ ...s, append: '' });
  }

  private restoreEntry<T>(lru: Lru<T>, key: string): T | null {
    const e = lru.get(key);
    if (e === undefined) return null;
    if (!restore(e.image)) {
      // an object the image saved gained or lost a field: every image that saved it is as stale
      this.stats.refused++;
      this.machines.clear();
      this.vms.clear();
      return null;
    }
    return e.value;
  }

  /** The machine for `s` in the state it had right after realize, or null (none kept, or refused). */
  restore(s: Scenario): Machine | null {
    const machine = this.restoreEntry(this.machines, MachineCache.machineKey(s));
    if (machine !== null) this.stats.reused++;
    return machine;
  }

  /** Keeps `machine`, just realized for `s` and not yet booted. */
  keep(s: Scenario, machine: Machine): void {
    this.stats.built++;
    this.machines.set(MachineCache.machineKey(s), { value: machine, image: capture(machine) });
  }

  /** A VM saved by {@link keepVm} under `key`, every object reachable from it as it was then; or null. */
  restoreVm<T extends object>(key: string): T | null {
    const vm = this.restoreEntry(this.vms, key) as T | null;
    if (vm !== null) this.stats.restored++;
    return vm;
  }

  /** Saves everything reachable from `vm` (just powered on) under `key`. */
  keepVm(key: string, vm: object): void {
    this.stats.poweredOn++;
    this.vms.set(key, { value: vm, image: capture(vm) });
  }
}
