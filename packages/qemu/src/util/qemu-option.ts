/**
 * @module
 * QEMU's two option syntaxes. `QemuOpts` (util/qemu-option.c) reads `-device`, `-netdev`, `-chardev`,
 * `-drive`, `-object`, `-global`: `name=value` pairs split on commas, `,,` for a literal comma, an implied
 * first name (`driver`, `type`, `backend`, `qom-type`), bare `flag`/`noflag` as `flag=on`/`flag=off`, and
 * `id=` kept apart and checked. `keyval` (util/keyval.c) reads `-blockdev`: the same escapes, dotted keys
 * that nest, no bare flags.
 */
import { QemuError } from '../errors.js';

/** One parsed `name=value`, in command-line order. */
export interface QemuOpt {
  name: string;
  value: string;
}

/** A parsed QemuOpts group: the `id` apart, everything else in order. */
export interface QemuOpts {
  id: string | undefined;
  opts: QemuOpt[];
  /** short-form booleans QEMU warns about ("short-form boolean option 'x' deprecated") */
  warnings: string[];
}

/** id_wellformed(): a letter, then letters, digits, '-', '.', '_' */
export function idWellformed(id: string): boolean {
  return /^[A-Za-z][A-Za-z0-9._-]*$/.test(id);
}

/** get_opt_value(): up to the next single comma, with ",," unescaped to "," */
function getOptValue(p: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start;
  for (;;) {
    let comma = p.indexOf(',', i);
    if (comma < 0) comma = p.length;
    value += p.slice(i, comma);
    if (comma >= p.length) return { value, end: comma };
    if (p[comma + 1] === ',') {
      value += ',';
      i = comma + 2;
      continue;
    }
    return { value, end: comma };
  }
}

/** is_help_option() */
function isHelpOption(name: string): boolean {
  return name === '?' || name === 'help';
}

/** get_opt_name_value(): one element; returns where the next one starts */
function getOptNameValue(
  params: string,
  start: number,
  firstname: string | null,
  warnOnFlag: boolean,
  warnings: string[],
): { name: string; value: string; next: number; help: boolean } {
  const rest = params.slice(start);
  const m = /^[^=,]*/.exec(rest);
  const len = m ? m[0].length : 0;
  let name: string;
  let value: string;
  let end: number;
  let help = false;
  if (rest[len] !== '=') {
    if (firstname !== null) {
      name = firstname;
      const v = getOptValue(params, start);
      value = v.value;
      end = v.end;
    } else {
      // get_opt_name(): a flag stops at the first comma (no ",," escape in names)
      name = rest.slice(0, len);
      end = start + len;
      let prefix = '';
      if (name.startsWith('no')) {
        name = name.slice(2);
        value = 'off';
        prefix = 'no';
      } else {
        value = 'on';
        help = isHelpOption(name);
      }
      if (!help && warnOnFlag) warnings.push(`short-form boolean option '${prefix}${name}' deprecated`);
    }
  } else {
    name = rest.slice(0, len);
    const v = getOptValue(params, start + len + 1);
    value = v.value;
    end = v.end;
  }
  const next = params[end] === ',' ? end + 1 : end;
  return { name, value, next, help };
}

/**
 * opts_parse(): a QemuOpts string into its `id` and its other options. `implied` is the list's
 * `implied_opt_name` when the caller permits abbreviation (`-device`: "driver").
 */
export function parseQemuOpts(params: string, implied: string | null, warnOnFlag = true): QemuOpts {
  // opts_parse_id(): the first "id=" wins, found without the implied name
  let id: string | undefined;
  const scratch: string[] = [];
  for (let p = 0; p < params.length; ) {
    const r = getOptNameValue(params, p, null, false, scratch);
    if (r.name === 'id') {
      id = r.value;
      break;
    }
    p = r.next;
  }
  const opts: QemuOpt[] = [];
  const warnings: string[] = [];
  let firstname = implied;
  for (let p = 0; p < params.length; ) {
    const r = getOptNameValue(params, p, firstname, warnOnFlag, warnings);
    if (r.help) throw new QemuError('UNSUPPORTED', 'pcisim: help options are not supported');
    firstname = null;
    p = r.next;
    if (r.name === 'id') continue;
    opts.push({ name: r.name, value: r.value });
  }
  return { id, opts, warnings };
}

/**
 * A QemuOptsList's set of ids (`qemu_opts_create(list, id, fail_if_exists=1)`): malformed and duplicate
 * ids are refused with QEMU's words.
 */
export class QemuOptsIds {
  private readonly ids = new Set<string>();
  constructor(readonly listName: string) {}

  claim(id: string | undefined): void {
    if (id === undefined) return;
    if (!idWellformed(id)) throw new QemuError('BAD_OPTION', "Parameter 'id' expects an identifier");
    if (this.ids.has(id)) throw new QemuError('DUPLICATE_ID', `Duplicate ID '${id}' for ${this.listName}`);
    this.ids.add(id);
  }
}

/** A keyval tree: strings at the leaves. */
export interface KeyvalDict {
  [key: string]: string | KeyvalDict;
}

/** parse_qapi_name(): a QAPI name fragment */
function qapiNameLength(s: string, start: number): number {
  const m = /^[A-Za-z][A-Za-z0-9_-]*/.exec(s.slice(start));
  return m ? m[0].length : 0;
}

/** keyval_parse(): `-blockdev`'s syntax (JSON when it starts with '{') */
export function parseKeyval(params: string, implied: string | null): KeyvalDict {
  if (params.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(params);
    } catch {
      throw new QemuError('BAD_OPTION', 'JSON parse error');
    }
    return jsonToKeyval(obj);
  }
  const root: KeyvalDict = {};
  let s = 0;
  let impliedKey = implied;
  while (s < params.length) {
    let key: string;
    let value: string;
    const len = /^[^=,]*/.exec(params.slice(s))![0].length;
    if (len > 0 && params[s + len] !== '=' && impliedKey !== null) {
      key = impliedKey;
      value = params.slice(s, s + len);
      s += len;
      if (params[s] === ',') s++;
    } else {
      const keyEnd = s + len;
      key = params.slice(s, keyEnd);
      // every dotted fragment must be a QAPI name (or an index after the first)
      let f = s;
      for (;;) {
        const idx = f !== s ? /^[0-9]+/.exec(params.slice(f)) : null;
        const flen = idx ? idx[0].length : qapiNameLength(params, f);
        if (flen === 0 || (f + flen < keyEnd && params[f + flen] !== '.')) {
          throw new QemuError('BAD_OPTION', `Invalid parameter '${key}'`);
        }
        f += flen;
        if (f >= keyEnd) break;
        f++;
      }
      if (params[keyEnd] !== '=') throw new QemuError('BAD_OPTION', `Expected '=' after parameter '${key}'`);
      s = keyEnd + 1;
      value = '';
      for (;;) {
        if (s >= params.length) break;
        if (params[s] === ',') {
          s++;
          if (params[s] !== ',') break;
        }
        value += params[s]!;
        s++;
      }
    }
    impliedKey = null;
    keyvalPut(root, key, value);
  }
  return root;
}

function keyvalPut(root: KeyvalDict, key: string, value: string): void {
  const parts = key.split('.');
  let cur = root;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const next = cur[p];
    if (typeof next === 'string') {
      throw new QemuError('BAD_OPTION', `Parameters '${parts.slice(0, i + 1).join('.')}.*' used inconsistently`);
    }
    if (next === undefined) {
      const d: KeyvalDict = {};
      cur[p] = d;
      cur = d;
    } else {
      cur = next;
    }
  }
  const last = parts[parts.length - 1]!;
  if (typeof cur[last] === 'object') throw new QemuError('BAD_OPTION', `Parameter '${key}' used inconsistently`);
  cur[last] = value;
}

function jsonToKeyval(obj: unknown): KeyvalDict {
  const out: KeyvalDict = {};
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new QemuError('BAD_OPTION', 'JSON object expected');
  }
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out[k] = jsonToKeyval(v);
    else out[k] = String(v);
  }
  return out;
}
