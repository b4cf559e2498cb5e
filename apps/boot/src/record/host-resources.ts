/**
 * @module
 * What a pasted production line needs from its host that a recording under TCG here does not have: KVM
 * (`-accel kvm`, `accel=kvm`, `-enable-kvm`, `-cpu host`), file descriptors libvirt and Kata pass in (`fd=`,
 * `fds=`, `vhostfd=`), sockets and files under /run or /var/lib/libvirt, disk images, a paused start (`-S`, which
 * libvirt ends over QMP). Each is replaced by the nearest thing that runs here and reaches no config register,
 * and named in a note; the devices and their addresses stay exactly as written.
 */
import { basename, dirname } from 'node:path';

/** A file the recorder creates in the output folder before the boot (a disk image, a memory backend's file). */
export interface StandInFile {
  /** relative to the output folder, where QEMU runs */
  path: string;
  format: 'qcow2' | 'raw';
  bytes: number;
}

export interface HostResourcePlan {
  qemuArgs: string[];
  notes: string[];
  files: StandInFile[];
}

/** The CPU models that stand in for `-cpu host` under TCG: the same vendor and family as pcisim's host CPU. */
export const TCG_HOST_CPU_MODEL: Readonly<Record<'intel' | 'amd', string>> = {
  intel: 'Cascadelake-Server',
  amd: 'EPYC-Milan',
};

/** the options whose argument a stand-in may rewrite (every other word is copied as it is) */
const REWRITTEN = new Set(['-kernel', '-initrd', '-device', '-accel', '-M', '-machine', '-cpu', '-chardev', '-qmp', '-monitor', '-pidfile', '-netdev', '-object', '-blockdev']);

/** QemuOpts `a=b,c=d` (`,,` is a comma in a value) as ordered pairs; the first bare word is `implied`'s value */
function optsPairs(text: string, implied: string | null): [string, string][] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    if (text[i] === ',' && text[i + 1] === ',') {
      cur += ',,';
      i++;
    } else if (text[i] === ',') {
      parts.push(cur);
      cur = '';
    } else cur += text[i];
  }
  parts.push(cur);
  return parts.map((p, i) => {
    const eq = p.indexOf('=');
    if (eq < 0) return i === 0 && implied !== null ? [implied, p] : [p, ''];
    return [p.slice(0, eq), p.slice(eq + 1)];
  });
}

function optsText(pairs: [string, string][], implied: string | null): string {
  return pairs.map(([k, v], i) => (i === 0 && k === implied ? v : v === '' && k !== implied ? k : `${k}=${v}`)).join(',');
}

/** a JSON object argument, or undefined when it is not one (QEMU then refuses it in its own words) */
function jsonObject(v: string): Record<string, unknown> | undefined {
  try {
    const o: unknown = JSON.parse(v);
    return o !== null && typeof o === 'object' && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** a size as qemu_strtosz() reads it, bytes by default (memory backends) */
function strtosz(text: string): number {
  const m = /^(\d+)([bkmgt]?)$/i.exec(text.trim());
  if (!m) return 64 << 20;
  const mul = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 }[m[2]!.toLowerCase()] ?? 1;
  return Number(m[1]) * mul;
}

/**
 * The line with its host resources replaced, for a recording under TCG in an output folder. `exists` says
 * whether a host path is there (a disk image, the folder of a socket).
 */
export function standInHostResources(qemuArgs: readonly string[], opts: { hostCpu: 'intel' | 'amd'; exists: (path: string) => boolean }): HostResourcePlan {
  const notes: string[] = [];
  const files: StandInFile[] = [];
  const out: string[] = [];
  const note = (n: string) => {
    if (!notes.includes(n)) notes.push(n);
  };
  /** a host path QEMU would create (socket, pid file) in a folder that is not here: its name, in the output folder */
  const localPath = (p: string): string => {
    if (!p.startsWith('/') || opts.exists(dirname(p))) return p;
    note(`${dirname(p)} is not here: sockets and files under it are created in the output folder`);
    return basename(p);
  };
  // the format nodes over file nodes, to know which images are qcow2
  const qcow2Files = new Set<string>();
  for (let i = 0; i < qemuArgs.length - 1; i++) {
    if (qemuArgs[i] !== '-blockdev') continue;
    const v = qemuArgs[i + 1]!;
    const o = v.startsWith('{') ? jsonObject(v) ?? {} : Object.fromEntries(optsPairs(v, 'driver'));
    if (o['driver'] === 'qcow2' && typeof o['file'] === 'string') qcow2Files.add(o['file']);
  }
  for (let i = 0; i < qemuArgs.length; i++) {
    const a = qemuArgs[i]!;
    const opt = a.startsWith('--') ? a.slice(1) : a;
    const v = qemuArgs[i + 1];
    if (opt === '-S') {
      note('-S dropped: libvirt starts the paused CPUs over QMP ("cont"), the recorder has no QMP client; no config access happens before');
      continue;
    }
    if (opt === '-enable-kvm') {
      note('-enable-kvm dropped: the recording runs under TCG (-accel tcg); the config accesses are the same');
      continue;
    }
    if (v === undefined || !REWRITTEN.has(opt)) {
      out.push(a);
      continue;
    }
    i++;
    switch (opt) {
      case '-kernel':
      case '-initrd':
        note(`${opt} ${v} dropped: the recording boots the reference kernel (Linux 6.1, no initrd), which pcisim models`);
        continue;
      case '-device': {
        // vhost-vsock-pci opens /dev/vhost-vsock (vhost_vsock_device_realize()), a host module a container rarely has
        const driver = v.startsWith('{') ? jsonObject(v)?.['driver'] : optsPairs(v, 'driver').find(([k]) => k === 'driver')?.[1];
        if (driver === 'vhost-vsock-pci' && !opts.exists('/dev/vhost-vsock')) {
          note(`-device ${v} dropped: QEMU opens /dev/vhost-vsock for it, and this host has none; the recording lacks that function`);
          continue;
        }
        break;
      }
      case '-accel': {
        if (optsPairs(v, 'accel')[0]?.[1] === 'kvm') {
          note(`-accel ${v} dropped: the recording runs under TCG (-accel tcg); the config accesses are the same`);
          continue;
        }
        break;
      }
      case '-M':
      case '-machine': {
        const pairs = optsPairs(v, 'type');
        const kept = pairs.filter(([k]) => k !== 'accel');
        if (kept.length !== pairs.length) {
          note(`accel= dropped from ${opt}: the recording runs under TCG (-accel tcg, which QEMU refuses alongside -machine accel=)`);
          out.push(a, optsText(kept, 'type'));
          continue;
        }
        break;
      }
      case '-cpu': {
        const pairs = optsPairs(v, 'model');
        const model = pairs[0]?.[1];
        if (model === 'host') {
          // migratable= is a property of host and max alone
          const props = pairs.slice(1).filter(([k]) => k !== 'migratable');
          const sub = optsText([['model', TCG_HOST_CPU_MODEL[opts.hostCpu]], ...props], 'model');
          note(`-cpu ${v} is KVM's: under TCG ${sub} stands in for it (the same vendor and family as --host-cpu ${opts.hostCpu})`);
          out.push(a, sub);
          continue;
        }
        break;
      }
      case '-chardev': {
        const pairs = optsPairs(v, 'backend');
        let changed = false;
        const next = pairs.map(([k, val]): [string, string] => {
          if (k === 'fd') {
            changed = true;
            const id = pairs.find(([n]) => n === 'id')?.[1] ?? 'chardev';
            note(`-chardev …,fd=N: the file descriptors libvirt passes are not open here; the socket is <id>.sock in the output folder`);
            return ['path', `${id}.sock`];
          }
          if (k === 'path' && pairs[0]?.[1] === 'socket') {
            const p = localPath(val);
            changed ||= p !== val;
            return [k, p];
          }
          return [k, val];
        });
        if (changed) {
          out.push(a, optsText(next, 'backend'));
          continue;
        }
        break;
      }
      case '-qmp':
      case '-monitor': {
        const m = /^unix:fd=\d+(,.*)?$/.exec(v);
        if (m) {
          note(`${opt} unix:fd=N: the file descriptor is not open here; the socket is qmp.sock in the output folder`);
          out.push(a, `unix:qmp.sock${m[1] ?? ''}`);
          continue;
        }
        const u = /^unix:([^,]+)(,.*)?$/.exec(v);
        if (u) {
          out.push(a, `unix:${localPath(u[1]!)}${u[2] ?? ''}`);
          continue;
        }
        break;
      }
      case '-pidfile':
        out.push(a, localPath(v));
        continue;
      case '-netdev': {
        const json = v.startsWith('{');
        const o = json ? jsonObject(v) ?? {} : Object.fromEntries(optsPairs(v, 'type'));
        if (o['type'] === 'tap' || o['type'] === 'vhost-user' || o['type'] === 'bridge') {
          const id = String(o['id']);
          note(`-netdev ${String(o['type'])} needs the host's tap device or the file descriptors libvirt/Kata pass: -netdev user stands in (the NIC's config space does not depend on its backend)`);
          out.push(a, json ? JSON.stringify({ type: 'user', id }) : `user,id=${id}`);
          continue;
        }
        break;
      }
      case '-object': {
        if (!v.startsWith('{')) {
          const pairs = optsPairs(v, 'qom-type');
          const type = pairs[0]?.[1] ?? '';
          if (type === 'memory-backend-file') {
            const next = pairs.map(([k, val]): [string, string] => {
              if (k !== 'mem-path' || opts.exists(val)) return [k, val];
              const size = strtosz(pairs.find(([n]) => n === 'size')?.[1] ?? '0');
              const name = basename(val);
              files.push({ path: name, format: 'raw', bytes: size });
              note(`memory-backend-file ${val} is not here: an empty file of its size stands in, in the output folder`);
              return [k, name];
            });
            out.push(a, optsText(next, 'qom-type'));
            continue;
          }
          break;
        }
        const o = jsonObject(v) ?? {};
        if (o['qom-type'] === 'secret' && typeof o['file'] === 'string' && !opts.exists(o['file'])) {
          // libvirt's master key: the same object with its bytes given inline
          const { file: _file, ...rest } = o;
          note(`the secret ${String(o['id'])}'s key file is not here: its data is given inline`);
          out.push(a, JSON.stringify({ ...rest, data: 'cGNpc2lt', format: 'base64' }));
          continue;
        }
        if (o['qom-type'] === 'memory-backend-file' && typeof o['mem-path'] === 'string' && !opts.exists(o['mem-path'])) {
          const name = basename(o['mem-path']);
          files.push({ path: name, format: 'raw', bytes: typeof o['size'] === 'number' ? o['size'] : strtosz(String(o['size'])) });
          note(`memory-backend-file ${o['mem-path']} is not here: an empty file of its size stands in, in the output folder`);
          out.push(a, JSON.stringify({ ...o, 'mem-path': name }));
          continue;
        }
        break;
      }
      case '-blockdev': {
        if (!v.startsWith('{')) break;
        const o = jsonObject(v) ?? {};
        if (o['driver'] === 'file' && typeof o['filename'] === 'string' && !opts.exists(o['filename'])) {
          const name = basename(o['filename']);
          const qcow2 = qcow2Files.has(String(o['node-name']));
          files.push({ path: name, format: qcow2 ? 'qcow2' : 'raw', bytes: 64 << 20 });
          note(`the disk image ${o['filename']} is not here: an empty ${qcow2 ? 'qcow2' : 'raw'} image of 64 MiB stands in, in the output folder (SeaBIOS and Linux read its sectors through virtio, not config space)`);
          out.push(a, JSON.stringify({ ...o, filename: name }));
          continue;
        }
        break;
      }
      default:
        break;
    }
    out.push(a, v);
  }
  return { qemuArgs: out, notes, files };
}
