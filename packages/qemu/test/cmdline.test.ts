/**
 * QEMU's command-line syntax as pcisim reads it: QemuOpts (util/qemu-option.c), keyval (util/keyval.c),
 * qdev property parsing (qapi keyval input visitor, hw/core/qdev-properties*.c), QDict order (qobject/qdict.c).
 */
import { describe, expect, it } from 'vitest';
import { parseKeyval, parseQemuCommandLine, parseQemuOpts, parseGlobal, Q35Machine, realizeCommandLine } from '../src/index.js';
import { QDict, tdbHash } from '../src/qobject/qdict.js';
import { qemuStrtosz, qemuStrtou64, qemuStrtoi64 } from '../src/util/cutils.js';
import { parseDevfn, parseBool, parseUint } from '../src/hw/core/qdev-properties.js';

describe('QemuOpts', () => {
  it('implied first name, name=value pairs in order, id kept apart', () => {
    expect(parseQemuOpts('virtio-net-pci,netdev=n0,id=net0,mac=52:54:00:12:34:56', 'driver')).toEqual({
      id: 'net0',
      opts: [
        { name: 'driver', value: 'virtio-net-pci' },
        { name: 'netdev', value: 'n0' },
        { name: 'mac', value: '52:54:00:12:34:56' },
      ],
      warnings: [],
    });
  });

  it('"driver=" spelled out, as Kata writes its virtio-net line', () => {
    expect(parseQemuOpts('driver=virtio-net-pci,romfile=', 'driver').opts).toEqual([
      { name: 'driver', value: 'virtio-net-pci' },
      { name: 'romfile', value: '' },
    ]);
  });

  it('",," is a literal comma in values (and in the implied first value)', () => {
    expect(parseQemuOpts('file,path=/a,,b,id=c', 'backend').opts).toEqual([
      { name: 'backend', value: 'file' },
      { name: 'path', value: '/a,b' },
    ]);
    expect(parseQemuOpts('x,,y,a=1', 'driver').opts[0]).toEqual({ name: 'driver', value: 'x,y' });
  });

  it('bare flags are on, "no" flags off, with QEMU\'s deprecation warning', () => {
    const o = parseQemuOpts('virtio-net-pci,multifunction,nomq', 'driver');
    expect(o.opts).toEqual([
      { name: 'driver', value: 'virtio-net-pci' },
      { name: 'multifunction', value: 'on' },
      { name: 'mq', value: 'off' },
    ]);
    expect(o.warnings).toEqual([
      "short-form boolean option 'multifunction' deprecated",
      "short-form boolean option 'nomq' deprecated",
    ]);
  });

  it('the first id= wins', () => {
    expect(parseQemuOpts('e1000,id=a,id=b', 'driver').id).toBe('a');
  });

  it('-global in both forms', () => {
    expect(parseGlobal('ICH9-LPC.acpi-pci-hotplug-with-bridge-support=off')).toMatchObject({
      driver: 'ICH9-LPC',
      property: 'acpi-pci-hotplug-with-bridge-support',
      value: 'off',
    });
    expect(parseGlobal('driver=pcie-root-port,property=io-reserve,value=0')).toMatchObject({
      driver: 'pcie-root-port',
      property: 'io-reserve',
      value: '0',
    });
  });
});

describe('keyval (-blockdev)', () => {
  it('implied driver, dotted keys nest, ",," escapes', () => {
    expect(parseKeyval('qcow2,node-name=d0,file.driver=file,file.filename=/a,,b', 'driver')).toEqual({
      driver: 'qcow2',
      'node-name': 'd0',
      file: { driver: 'file', filename: '/a,b' },
    });
  });
  it('JSON form', () => {
    expect(parseKeyval('{"driver":"null-co","node-name":"n0","size":67108864}', 'driver')).toEqual({
      driver: 'null-co',
      'node-name': 'n0',
      size: '67108864',
    });
  });
});

describe('numbers and property values', () => {
  it('integers in any C base: 0x hex, 0 octal, decimal; negatives wrap for unsigned', () => {
    expect(qemuStrtou64('0x10').value).toBe(16n);
    expect(qemuStrtou64('010').value).toBe(8n);
    expect(qemuStrtou64('10').value).toBe(10n);
    expect(qemuStrtou64('08').status).toBe('EINVAL');
    expect(qemuStrtou64('-1').value).toBe((1n << 64n) - 1n);
    expect(qemuStrtoi64(' -5').value).toBe(-5n);
    expect(qemuStrtou64('').status).toBe('EINVAL');
    expect(parseUint('port', 'uint8', '0x10')).toBe(16n);
  });

  it('sizes with suffixes', () => {
    expect(qemuStrtosz('4k')).toBe(4096n);
    expect(qemuStrtosz('64M')).toBe(64n << 20n);
    expect(qemuStrtosz('1.5G')).toBe(3n << 29n);
    expect(qemuStrtosz('0x1000')).toBe(4096n);
    expect(qemuStrtosz('12x')).toBe(null);
  });

  it('booleans: on/yes/true/y and off/no/false/n', () => {
    for (const v of ['on', 'yes', 'true', 'y']) expect(parseBool('x', v)).toBe(true);
    for (const v of ['off', 'no', 'false', 'n']) expect(parseBool('x', v)).toBe(false);
  });

  it('PCI addresses: "slot", "slot.fn", hex with or without 0x', () => {
    expect(parseDevfn('t', 'addr', '2')).toBe(0x10);
    expect(parseDevfn('t', 'addr', '0x2.0x1')).toBe(0x11);
    expect(parseDevfn('t', 'addr', '1f.7')).toBe(0xff);
    expect(parseDevfn('t', 'addr', '0x10')).toBe(0x80);
  });
});

describe('QDict order', () => {
  it('tdb_hash as qdict.c computes it', () => {
    // values from QEMU's algorithm: 0x238F13AF * strlen, shifted byte sums, 1103515243 * v + 12345 (mod 2^32)
    expect(tdbHash('')).toBe(12345);
    expect(tdbHash('a')).toBe((Math.imul(1103515243, (0x238f13af + 97) >>> 0) + 12345) >>> 0);
  });
  it('iterates buckets in ascending order, a bucket newest first; clone reverses a bucket', () => {
    const d = new QDict<number>();
    for (const k of ['netdev', 'bus', 'addr', 'mac', 'id']) d.put(k, 1);
    const order = d.entries().map(([k]) => k);
    expect([...order].sort()).toEqual(['addr', 'bus', 'id', 'mac', 'netdev']);
    const buckets = order.map((k) => tdbHash(k) % 512);
    expect([...buckets].sort((a, b) => a - b)).toEqual(buckets);
  });
});

describe('parseQemuCommandLine', () => {
  it('splits a pasted command line by option, program name and all', () => {
    const p = parseQemuCommandLine([
      'qemu-system-x86_64', '-M', 'q35', '-m', '512', '-smp', '4', '-nodefaults',
      '-netdev', 'user,id=n0', '-device', 'virtio-net-pci,netdev=n0',
      '-object', 'rng-random,id=r,filename=/dev/urandom', '-chardev', 'socket,id=c,path=/s,server=on,wait=off',
      '-blockdev', 'driver=null-co,node-name=b', '-drive', 'if=none,id=d,file=x.img',
      '-global', 'pcie-root-port.x-speed=8', '-kernel', 'vmlinuz', '-append', 'console=ttyS0',
    ]);
    expect(p.machine).toBe('q35');
    expect(p.nodefaults).toBe(true);
    expect(p.smpCpus).toBe(4);
    expect(p.devices.map((d) => d.arg)).toEqual(['virtio-net-pci,netdev=n0']);
    expect(p.netdevs[0]).toMatchObject({ id: 'n0', type: 'user' });
    expect(p.objects[0]).toMatchObject({ id: 'r', qomType: 'rng-random' });
    expect(p.chardevs[0]).toMatchObject({ id: 'c', backend: 'socket' });
    expect(p.blockdevs[0]!.tree).toEqual({ driver: 'null-co', 'node-name': 'b' });
    expect(p.drives[0]).toMatchObject({ id: 'd' });
    expect(p.globals[0]).toMatchObject({ driver: 'pcie-root-port', property: 'x-speed', value: '8' });
    expect(p.rest.map((o) => o.option)).toEqual(['-M', '-m', '-smp', '-kernel', '-append']);
    expect(p.defaultNic).toBe(false);
  });

  it('-smp forms', () => {
    expect(parseQemuCommandLine(['-smp', 'cpus=2,sockets=2']).smpCpus).toBe(2);
    expect(parseQemuCommandLine(['-smp', 'sockets=2,cores=4']).smpCpus).toBe(8);
  });

  it('-global reaches the device: pcie-root-port.x-speed=8 sets LNKCAP to 8 GT/s', () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    const r = realizeCommandLine(
      m,
      parseQemuCommandLine(['-global', 'pcie-root-port.x-speed=8', '-device', 'pcie-root-port,chassis=1']),
    );
    expect(r.devices[0]!.pci!.configRead(0x60, 4) & 0xf).toBe(3);
  });

  it('an anonymous bridge gets QEMU\'s automatic bus name (lower-cased bus type + counter)', () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    realizeCommandLine(
      m,
      parseQemuCommandLine([
        '-device', 'pci-bridge,chassis_nr=1',
        '-device', 'virtio-rng-pci,bus=pci.0,addr=1',
      ]),
    );
    expect(m.rootBus.children[0]!.name).toBe('pci.0');
    expect(m.rootBus.children[0]!.devices[8]!.typeName).toBe('virtio-rng-pci');
  });
});

describe('JSON options (libvirt ≥ 7.9 writes -device, -netdev and -object as JSON)', () => {
  it('builds the same root port + virtio-net as the QemuOpts form', () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    const r = realizeCommandLine(
      m,
      parseQemuCommandLine([
        '-netdev', '{"type":"tap","fd":"30","id":"hostnet0"}',
        '-object', '{"qom-type":"rng-random","id":"objrng0","filename":"/dev/urandom"}',
        '-device', '{"driver":"pcie-root-port","port":16,"chassis":1,"id":"pci.1","bus":"pcie.0","multifunction":true,"addr":"0x2"}',
        '-device', '{"driver":"virtio-net-pci","netdev":"hostnet0","id":"net0","mac":"52:54:00:cd:ed:dd","bus":"pci.1","addr":"0x0"}',
        '-device', '{"driver":"virtio-rng-pci","rng":"objrng0","id":"rng0","bus":"pcie.0","addr":24}',
      ]),
    );
    const [rp, net, rng] = r.devices.map((d) => d.pci!);
    expect(rp!.configRead(0x0c, 4)).toBe(0x00810000);
    expect(rp!.configRead(0x60, 4)).toBe(0x10300604);
    expect(net!.configRead(0x00, 4)).toBe(0x10411af4);
    expect(r.devices[1]!.bus).toBe('pci.1');
    expect(rng!.devfn).toBe(0x18); // a JSON number is a devfn, not a slot
  });
});
