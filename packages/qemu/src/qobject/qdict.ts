/**
 * @module
 * The iteration order of QEMU's `QDict` (qobject/qdict.c). `qdev_device_add_from_qdict()` sets a device's
 * properties by walking a QDict, so when two properties are both wrong, the one QEMU reports first is the
 * one that comes first in this order: 512 hash buckets in ascending order, each bucket newest-first.
 */

const QDICT_BUCKET_MAX = 512;

const utf8 = new TextEncoder();

/** tdb_hash(): the gdbm/tdb string hash qdict.c buckets keys with (32-bit unsigned arithmetic) */
export function tdbHash(name: string): number {
  // property names are ASCII, whose UTF-8 bytes are the UTF-16 code units: no encoding (it was about a fifth of
  // realizing a -device line); anything else is hashed over its UTF-8 bytes as before
  let ascii = true;
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  const bytes = ascii ? null : utf8.encode(name);
  const n = bytes === null ? name.length : bytes.length;
  let value = Math.imul(0x238f13af, n) >>> 0;
  for (let i = 0; i < n; i++) {
    const b = bytes === null ? name.charCodeAt(i) : bytes[i]!;
    value = (value + ((b << ((i * 5) % 24)) >>> 0)) >>> 0;
  }
  return (Math.imul(1103515243, value) + 12345) >>> 0;
}

/** A string-keyed QDict: `put` replaces in place or inserts at the head of the key's bucket. */
export class QDict<V> {
  private readonly buckets = new Map<number, { key: string; value: V }[]>();

  /** qdict_put_obj() */
  put(key: string, value: V): void {
    const b = tdbHash(key) % QDICT_BUCKET_MAX;
    let list = this.buckets.get(b);
    if (!list) {
      list = [];
      this.buckets.set(b, list);
    }
    const e = list.find((x) => x.key === key);
    if (e) e.value = value;
    else list.unshift({ key, value });
  }

  get(key: string): V | undefined {
    return this.buckets.get(tdbHash(key) % QDICT_BUCKET_MAX)?.find((x) => x.key === key)?.value;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** qdict_del() */
  delete(key: string): void {
    const b = tdbHash(key) % QDICT_BUCKET_MAX;
    const list = this.buckets.get(b);
    if (!list) return;
    const i = list.findIndex((x) => x.key === key);
    if (i >= 0) list.splice(i, 1);
  }

  /** qdict_first()/qdict_next() order */
  entries(): [string, V][] {
    const out: [string, V][] = [];
    const keys = [...this.buckets.keys()].sort((a, b) => a - b);
    for (const k of keys) for (const e of this.buckets.get(k)!) out.push([e.key, e.value]);
    return out;
  }

  /** qdict_clone_shallow(): re-inserts bucket by bucket, which reverses each bucket's order */
  cloneShallow(): QDict<V> {
    const c = new QDict<V>();
    for (const [k, v] of this.entries()) c.put(k, v);
    return c;
  }
}
