/**
 * @module
 * qdev property types and how a command-line string becomes a value: the keyval input visitor
 * (qapi/qobject-input-visitor.c `*_keyval`), `visit_type_uintN`/`intN` range checks (qapi/qapi-visit-core.c)
 * and the qdev setters of hw/core/qdev-properties*.c, each failing with QEMU's own words.
 */
import { QemuError } from '../../errors.js';
import { qemuStrtoi64, qemuStrtosz, qemuStrtou64, scanHex } from '../../util/cutils.js';

/** The kinds of qdev property pcisim models. */
export type PropKind =
  | 'bool'
  | 'uint8'
  | 'uint16'
  | 'uint32'
  | 'uint64'
  | 'int32'
  | 'int64'
  | 'size'
  | 'size32'
  | 'string'
  | 'onoffauto'
  | 'devfn'
  | 'mac'
  | 'netdev'
  | 'drive'
  | 'chardev'
  | 'audiodev'
  | 'link'
  | 'enum';

/** One property of a device type. */
export interface PropDef {
  name: string;
  kind: PropKind;
  /** the QOM type that owns it: aliased virtio properties report the virtio device's type */
  owner: string;
  /** `link` properties: the target QOM type; `enum` properties: the accepted strings */
  target?: string;
  values?: readonly string[];
}

/** A parsed property value. */
export type PropValue = boolean | number | bigint | string | { mac: number[] } | 'on' | 'off' | 'auto';

/** QERR_INVALID_PARAMETER_VALUE */
export function invalidParameterValue(name: string, expects: string): QemuError {
  return new QemuError('BAD_PROPERTY_VALUE', `Parameter '${name}' expects ${expects}`);
}

/** QERR_PROPERTY_VALUE_BAD, via error_set_from_qdev_prop_error(EINVAL) */
export function propertyValueBad(owner: string, name: string, value: string): QemuError {
  return new QemuError('BAD_PROPERTY_VALUE', `Property '${owner}.${name}' doesn't take value '${value}'`);
}

/** error_set_from_qdev_prop_error(ENOENT) and friends: the backend named does not exist */
export function propertyCantFind(owner: string, name: string, value: string): QemuError {
  return new QemuError('MISSING_BACKEND', `Property '${owner}.${name}' can't find value '${value}'`);
}

const UINT_MAX: Record<string, [bigint, string]> = {
  uint8: [0xffn, 'uint8_t'],
  uint16: [0xffffn, 'uint16_t'],
  uint32: [0xffffffffn, 'uint32_t'],
  uint64: [(1n << 64n) - 1n, 'uint64_t'],
};

/**
 * visit_type_uint8/16() on a value handed over as a number (a device built through the library rather than
 * `-device`): the same refusal as the command line gives, instead of a config byte that silently wraps.
 */
export function checkUintProp(name: string, kind: 'uint8' | 'uint16', value: number): void {
  const [max, cType] = UINT_MAX[kind]!;
  if (!Number.isInteger(value) || value < 0 || value > Number(max)) throw invalidParameterValue(name, cType);
}

/** qapi_bool_parse() */
export function parseBool(name: string, value: string): boolean {
  if (value === 'on' || value === 'yes' || value === 'true' || value === 'y') return true;
  if (value === 'off' || value === 'no' || value === 'false' || value === 'n') return false;
  throw invalidParameterValue(name, "'on' or 'off'");
}

/** visit_type_uintN() through the keyval visitor */
export function parseUint(name: string, kind: 'uint8' | 'uint16' | 'uint32' | 'uint64', value: string): bigint {
  const r = qemuStrtou64(value);
  if (r.status !== 'ok') throw invalidParameterValue(name, 'integer');
  const [max, type] = UINT_MAX[kind]!;
  if (r.value > max) throw invalidParameterValue(name, type);
  return r.value;
}

/** visit_type_intN() through the keyval visitor */
export function parseInt(name: string, kind: 'int32' | 'int64', value: string): bigint {
  const r = qemuStrtoi64(value);
  if (r.status !== 'ok') throw invalidParameterValue(name, 'integer');
  if (kind === 'int32' && (r.value > 0x7fffffffn || r.value < -0x80000000n)) throw invalidParameterValue(name, 'int32_t');
  return r.value;
}

/** visit_type_size() through the keyval visitor */
export function parseSize(name: string, value: string): bigint {
  const v = qemuStrtosz(value);
  if (v === null) throw invalidParameterValue(name, 'size');
  return v;
}

/** set_pci_devfn(): "slot", "slot.fn", both parsed with sscanf("%x") */
export function parseDevfn(owner: string, name: string, value: string): number {
  let slot: number;
  let fn = 0;
  let n: number;
  const a = scanHex(value, 0);
  const b = a !== null && value[a.end] === '.' ? scanHex(value, a.end + 1) : null;
  if (a !== null && b !== null) {
    slot = a.value;
    fn = b.value;
    n = b.end;
  } else if (a !== null) {
    slot = a.value;
    n = a.end;
  } else {
    throw propertyValueBad(owner, name, value);
  }
  if (n !== value.length || fn > 7 || slot > 31) throw propertyValueBad(owner, name, value);
  return (slot << 3) | fn;
}

/** set_mac() */
export function parseMac(owner: string, name: string, value: string): number[] {
  const out: number[] = [];
  const hex = (c: string | undefined) => c !== undefined && /^[0-9a-fA-F]$/.test(c);
  for (let i = 0, pos = 0; i < 6; i++, pos += 3) {
    if (!hex(value[pos]) || !hex(value[pos + 1])) throw propertyValueBad(owner, name, value);
    if (i === 5) {
      if (pos + 2 !== value.length) throw propertyValueBad(owner, name, value);
    } else if (value[pos + 2] !== ':' && value[pos + 2] !== '-') {
      throw propertyValueBad(owner, name, value);
    }
    out.push(parseInt16(value.slice(pos, pos + 2)));
  }
  return out;
}

function parseInt16(s: string): number {
  return Number.parseInt(s, 16);
}

/** visit_type_enum() → input_type_enum() */
export function parseEnum(name: string, values: readonly string[], value: string): string {
  if (!values.includes(value)) {
    throw new QemuError('BAD_PROPERTY_VALUE', `Parameter '${name}' does not accept value '${value}'`);
  }
  return value;
}

/** The scalar part of a property set: everything that needs no backend lookup. */
export function parseScalar(def: PropDef, value: string): PropValue {
  switch (def.kind) {
    case 'bool':
      return parseBool(def.name, value);
    case 'uint8':
    case 'uint16':
    case 'uint32':
      return Number(parseUint(def.name, def.kind, value));
    case 'uint64':
      return parseUint(def.name, def.kind, value);
    case 'int32':
      return Number(parseInt(def.name, def.kind, value));
    case 'int64':
      return parseInt(def.name, def.kind, value);
    case 'size':
      return parseSize(def.name, value);
    case 'size32': {
      const v = parseSize(def.name, value);
      // set_size32(): "Property %s.%s doesn't take value %" PRIu64 " (maximum: %u)"
      if (v > 0xffffffffn) {
        throw new QemuError(
          'BAD_PROPERTY_VALUE',
          `Property ${def.owner}.${def.name} doesn't take value ${v} (maximum: 4294967295)`,
        );
      }
      return Number(v);
    }
    case 'onoffauto':
      return parseEnum(def.name, ['on', 'off', 'auto'], value) as 'on' | 'off' | 'auto';
    case 'enum':
      return parseEnum(def.name, def.values ?? [], value);
    case 'devfn':
      return parseDevfn(def.owner, def.name, value);
    case 'mac':
      return { mac: parseMac(def.owner, def.name, value) };
    case 'string':
    case 'netdev':
    case 'drive':
    case 'chardev':
    case 'audiodev':
    case 'link':
      return value;
  }
}

/** A property definition with its default (undefined: not set, like a NULL string or link). */
export interface QdevPropDef extends PropDef {
  def?: PropValue;
}

/** Property values after defaults, globals and the command line. */
export class PropBag {
  constructor(
    readonly values: Map<string, PropValue>,
    /** the names the command line (or a global) set explicitly */
    readonly explicit: Set<string>,
  ) {}
  bool(name: string): boolean {
    return this.values.get(name) === true;
  }
  num(name: string): number {
    const v = this.values.get(name);
    return typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0;
  }
  big(name: string): bigint | null {
    const v = this.values.get(name);
    return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : null;
  }
  str(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === 'string' ? v : undefined;
  }
  mac(name: string): number[] | undefined {
    const v = this.values.get(name);
    return typeof v === 'object' && v !== null && 'mac' in v ? v.mac : undefined;
  }
  has(name: string): boolean {
    return this.explicit.has(name);
  }
}

/** DEFINE_PROP_*(): one property of `owner` with its default (none: not set) */
export function defineProp(owner: string, name: string, kind: PropKind, def?: PropValue, extra?: Partial<PropDef>): QdevPropDef {
  const d: QdevPropDef = { name, kind, owner, ...extra };
  if (def !== undefined) d.def = def;
  return d;
}

/** DEFINE_NIC_PROPERTIES(): `mac` and `netdev` */
export function nicProperties(owner: string): QdevPropDef[] {
  return [defineProp(owner, 'mac', 'mac'), defineProp(owner, 'netdev', 'netdev')];
}
