/**
 * @module
 * The C number parsers QEMU's option code sits on, with glibc's rules: `strtoull`/`strtoll` (leading blanks,
 * a sign, base 0 meaning `0x` hex / `0` octal / decimal, wrap-around of negative unsigned values),
 * `qemu_strtou64`/`qemu_strtoi64` (util/cutils.c: the whole string must be consumed), `qemu_strtosz`
 * (size suffixes) and `sscanf("%x")` (hw/core/qdev-properties-system.c's PCI address parser).
 * 64-bit values are bigint here; callers narrow them.
 */

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;
const I64_MIN = -(1n << 63n);

interface StrtoxResult {
  /** magnitude as parsed, before sign and clamping */
  value: bigint;
  negative: boolean;
  /** index just past the last character consumed; equals `start` when nothing was converted */
  end: number;
  overflow: boolean;
}

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

function digitValue(c: string | undefined): number {
  if (c === undefined) return 99;
  const code = c.charCodeAt(0);
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 122) return code - 87;
  if (code >= 65 && code <= 90) return code - 55;
  return 99;
}

/** the common scanner of glibc's strtol family; `limit` is the largest magnitude before overflow */
function scan(s: string, start: number, base: number, limit: bigint): StrtoxResult {
  let i = start;
  while (isSpace(s[i])) i++;
  let negative = false;
  if (s[i] === '+' || s[i] === '-') {
    negative = s[i] === '-';
    i++;
  }
  if ((base === 0 || base === 16) && s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && digitValue(s[i + 2]) < 16) {
    i += 2;
    base = 16;
  } else if (base === 0) {
    base = s[i] === '0' ? 8 : 10;
  }
  const digitsStart = i;
  let value = 0n;
  let overflow = false;
  const b = BigInt(base);
  while (digitValue(s[i]) < base) {
    value = value * b + BigInt(digitValue(s[i]));
    if (value > limit) overflow = true;
    i++;
  }
  if (i === digitsStart) return { value: 0n, negative: false, end: start, overflow: false };
  return { value, negative, end: i, overflow };
}

/** strtoull(): returns the value and where parsing stopped; `erange` as errno would say */
export function strtoull(s: string, start: number, base: number): { value: bigint; end: number; erange: boolean } {
  const r = scan(s, start, base, U64_MAX);
  if (r.overflow) return { value: U64_MAX, end: r.end, erange: true };
  const v = r.negative ? (-r.value) & U64_MAX : r.value;
  return { value: v, end: r.end, erange: false };
}

/** strtoll() */
export function strtoll(s: string, start: number, base: number): { value: bigint; end: number; erange: boolean } {
  const r = scan(s, start, base, 1n << 63n);
  let v = r.negative ? -r.value : r.value;
  let erange = r.overflow;
  if (v > I64_MAX) {
    v = I64_MAX;
    erange = true;
  } else if (v < I64_MIN) {
    v = I64_MIN;
    erange = true;
  }
  if (r.overflow) v = r.negative ? I64_MIN : I64_MAX;
  return { value: v, end: r.end, erange };
}

/** the outcome of qemu_strto*(): 0, -EINVAL or -ERANGE as QEMU returns them */
export type StrtoxStatus = 'ok' | 'EINVAL' | 'ERANGE';

/** check_strtox_error() with a NULL endptr: no conversion or trailing characters are EINVAL */
function check(s: string, end: number, erange: boolean): StrtoxStatus {
  if (!erange && end === 0) return 'EINVAL';
  if (end < s.length) return 'EINVAL';
  return erange ? 'ERANGE' : 'ok';
}

/** qemu_strtou64(str, NULL, base, &result) */
export function qemuStrtou64(s: string, base = 0): { status: StrtoxStatus; value: bigint } {
  const r = strtoull(s, 0, base);
  return { status: check(s, r.end, r.erange), value: r.erange ? U64_MAX : r.value };
}

/** qemu_strtoi64(str, NULL, base, &result) */
export function qemuStrtoi64(s: string, base = 0): { status: StrtoxStatus; value: bigint } {
  const r = strtoll(s, 0, base);
  return { status: check(s, r.end, r.erange), value: r.value };
}

/** suffix_mul() */
function suffixMul(c: string | undefined, unit: bigint): bigint {
  switch ((c ?? '').toUpperCase()) {
    case 'B':
      return 1n;
    case 'K':
      return unit;
    case 'M':
      return unit ** 2n;
    case 'G':
      return unit ** 3n;
    case 'T':
      return unit ** 4n;
    case 'P':
      return unit ** 5n;
    case 'E':
      return unit ** 6n;
    default:
      return -1n;
  }
}

/**
 * qemu_strtosz() (do_strtosz with default suffix 'B', unit 1024): "64M", "0x1000", "1.5G".
 * Returns null where QEMU returns an error.
 */
export function qemuStrtosz(s: string): bigint | null {
  const first = strtoull(s, 0, 10);
  if (first.erange) return null;
  if (first.end === 0) return null;
  if (s.slice(0, first.end).includes('-')) return null;
  let val = first.value;
  let end = first.end;
  let hex = false;
  let fraction = 0;
  if (val === 0n && (s[end] === 'x' || s[end] === 'X')) {
    const h = strtoull(s, 0, 16);
    if (h.erange) return null;
    val = h.value;
    end = h.end;
    if (s[end] === '.') return null;
    hex = true;
  } else if (s[end] === '.') {
    const m = /^\.[0-9]*(?:[eE][+-]?[0-9]+)?/.exec(s.slice(end));
    const text = m?.[0] ?? '.';
    if (/[eE]/.test(text)) return null;
    fraction = Number(`0${text}`);
    end += text.length;
  }
  let mul = suffixMul(s[end], 1024n);
  if (mul > 0n) {
    end++;
  } else {
    mul = 1n;
  }
  void hex; // QEMU only warns about a suffix on a hex number
  let result: bigint;
  if (mul === 1n) {
    if (fraction !== 0) return null;
    result = val;
  } else {
    // 64.64 fixed point, as QEMU computes it
    const valf = BigInt(Math.floor(fraction * 2 ** 53)) << 11n;
    const exact = val * mul + ((valf * mul) >> 64n);
    const frac = (valf * mul) & U64_MAX;
    result = exact + (frac >= 1n << 63n ? 1n : 0n);
    if (result > U64_MAX) return null;
  }
  if (end < s.length) return null;
  return result;
}

/** sscanf(str, "%x%n"): a strtoul-style conversion to `unsigned int`; null when nothing matched */
export function scanHex(s: string, start: number): { value: number; end: number } | null {
  let i = start;
  while (isSpace(s[i])) i++;
  const r = strtoull(s, i, 16);
  if (r.end === i) return null;
  return { value: Number(r.value & 0xffffffffn), end: r.end };
}
