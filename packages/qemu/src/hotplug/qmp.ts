/**
 * @module
 * The two commands of QEMU's monitor that hot-plug: `device_add` and `device_del`, in QMP's JSON
 * (`{"execute": "device_add", "arguments": {"driver": "virtio-net-pci", "id": "net1", "bus": "rp1"}}`)
 * or the HMP form (`device_add virtio-net-pci,id=net1,bus=rp1`, `device_del net1`). Replies are QMP's:
 * `{"return": {}}` or `{"error": {"class": …, "desc": <QEMU's message>}}`.
 */
import { QemuError } from '../errors.js';
import type { QemuHotplug, DeviceAddResult } from './controllers.js';

/**
 * QEMU 7.2 under TCG on this project's machines: from a QMP `device_add virtio-rng-pci` to the SCI its ACPI
 * plug callback raises (qmp_device_add() -> qdev_device_add(): realize, hotplug handler, acpi_send_event()),
 * ns. The median over 48 device_adds of scripts/record-acpi-hotplug.mjs (trace point `ioapic_set_irq` for GSI
 * 9; reference/hotplug/acpi-timing.json). The main loop holds the BQL throughout, so the
 * device's controller sees the plug only then. Under KVM this is host CPU time of the same size, not measured.
 */
export const TCG_DEVICE_ADD_TO_PLUG_NS = 2_074_000;

export type QmpCommand =
  | { execute: 'device_add'; arguments: Record<string, string | number | boolean>; text: string }
  | { execute: 'device_del'; arguments: { id: string }; text: string };

export type QmpReply = { return: Record<string, never> } | { error: { class: 'GenericError' | 'DeviceNotFound' | 'CommandNotFound'; desc: string } };

/** Parses one monitor command, JSON or HMP. Throws QemuError BAD_OPTION for what QEMU would reject. */
export function parseQmpCommand(text: string): QmpCommand {
  const s = text.trim();
  if (s.startsWith('{')) {
    let j: unknown;
    try {
      j = JSON.parse(s);
    } catch (e) {
      throw new QemuError('BAD_OPTION', `JSON parse error, ${(e as Error).message}`);
    }
    if (typeof j !== 'object' || j === null || Array.isArray(j)) throw new QemuError('BAD_OPTION', 'QMP input must be a JSON object');
    const o = j as Record<string, unknown>;
    const exec = o['execute'];
    if (typeof exec !== 'string') throw new QemuError('BAD_OPTION', "QMP input lacks member 'execute'");
    const args = o['arguments'] ?? {};
    if (typeof args !== 'object' || args === null || Array.isArray(args)) throw new QemuError('BAD_OPTION', "QMP input member 'arguments' must be an object");
    const a = args as Record<string, unknown>;
    if (exec === 'device_add') {
      const out: Record<string, string | number | boolean> = {};
      for (const [k, v] of Object.entries(a)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          throw new QemuError('BAD_PROPERTY_VALUE', `Invalid parameter type for '${k}', expected: a scalar`);
        }
        out[k] = v;
      }
      if (typeof out['driver'] !== 'string') throw new QemuError('BAD_OPTION', "Parameter 'driver' is missing");
      return { execute: 'device_add', arguments: out, text: s };
    }
    if (exec === 'device_del') {
      const id = a['id'];
      if (typeof id !== 'string') throw new QemuError('BAD_OPTION', "Parameter 'id' is missing");
      return { execute: 'device_del', arguments: { id }, text: s };
    }
    throw new QemuError('UNSUPPORTED', `The command ${exec} has not been found`);
  }
  const m = /^(\S+)\s*(.*)$/.exec(s);
  if (!m) throw new QemuError('BAD_OPTION', 'empty monitor command');
  const cmd = m[1]!;
  const rest = (m[2] ?? '').trim();
  if (cmd === 'device_add') {
    if (!rest) throw new QemuError('BAD_OPTION', "Parameter 'driver' is missing");
    const args: Record<string, string> = {};
    const parts = splitOpts(rest);
    parts.forEach((p, i) => {
      const eq = p.indexOf('=');
      if (eq < 0 && i === 0) args['driver'] = p;
      else if (eq < 0) args[p] = 'on';
      else args[p.slice(0, eq)] = p.slice(eq + 1);
    });
    return { execute: 'device_add', arguments: args, text: s };
  }
  if (cmd === 'device_del') {
    if (!rest) throw new QemuError('BAD_OPTION', "Parameter 'id' is missing");
    return { execute: 'device_del', arguments: { id: rest }, text: s };
  }
  throw new QemuError('UNSUPPORTED', `unknown command: '${cmd}'`);
}

/** QemuOpts splitting: ',' separates, ',,' is a literal comma */
function splitOpts(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === ',' && s[i + 1] === ',') {
      cur += ',';
      i++;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** the device_add arguments as a -device option string (driver first, commas doubled) */
export function deviceAddArg(args: Record<string, string | number | boolean>): string {
  const esc = (v: string) => v.replace(/,/g, ',,');
  const driver = String(args['driver'] ?? '');
  const rest = Object.entries(args)
    .filter(([k]) => k !== 'driver')
    .map(([k, v]) => `${k}=${esc(typeof v === 'boolean' ? (v ? 'on' : 'off') : String(v))}`);
  return [esc(driver), ...rest].join(',');
}

/** What one command did. */
export interface QmpOutcome {
  reply: QmpReply;
  added?: DeviceAddResult;
}

/** Runs a parsed command on the hot-plug controllers. */
export function executeQmp(hp: QemuHotplug, cmd: QmpCommand): QmpOutcome {
  try {
    if (cmd.execute === 'device_add') {
      const added = hp.deviceAdd(deviceAddArg(cmd.arguments));
      return { reply: { return: {} }, added };
    }
    hp.deviceDel(cmd.arguments.id);
    return { reply: { return: {} } };
  } catch (e) {
    if (e instanceof QemuError) {
      const cls = e.code === 'DEVICE_NOT_FOUND' ? 'DeviceNotFound' : 'GenericError';
      return { reply: { error: { class: cls, desc: e.message } } };
    }
    throw e;
  }
}
