/**
 * Every error pcisim gives for a command line, with the text qemu-system-x86_64 7.2 prints after its program
 * name: `<-option arg>: <message>` (error_report with the option as location), each message taken from the
 * QEMU function named beside the test.
 */
import { describe, expect, it } from 'vitest';
import { Q35Machine, QemuError, parseQemuCommandLine, plugDeviceOption, realizeCommandLine, type QemuErrorCode } from '../src/index.js';

/** parse and realize on a -nodefaults q35 (or the default one), returning what was thrown */
function fail(argv: string[], opts: { defaults?: boolean; acpi?: boolean } = {}): { code: QemuErrorCode; message: string } {
  try {
    const parsed = parseQemuCommandLine(argv);
    const m = new Q35Machine({
      nodefaults: !opts.defaults,
      ramBytes: 512 << 20,
      acpiPciHotplugWithBridgeSupport: opts.acpi ?? true,
    });
    realizeCommandLine(m, parsed);
  } catch (e) {
    if (e instanceof QemuError) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('no error');
}

const dev = (...args: string[]) => args.flatMap((a) => ['-device', a]);

describe('option loop (softmmu/vl.c)', () => {
  it('unknown option', () => {
    expect(fail(['-foo'])).toEqual({ code: 'UNKNOWN_OPTION', message: '-foo: invalid option' });
  });
  it('missing argument', () => {
    expect(fail(['-device'])).toEqual({ code: 'BAD_OPTION', message: '-device: requires an argument' });
  });
});

describe('QemuOpts ids (qemu_opts_create)', () => {
  it('malformed id', () => {
    expect(fail(dev('virtio-rng-pci,id=1rng'))).toEqual({
      code: 'BAD_OPTION',
      message: "-device virtio-rng-pci,id=1rng: Parameter 'id' expects an identifier",
    });
  });
  it('duplicate -device id', () => {
    expect(fail(dev('virtio-rng-pci,id=r', 'virtio-rng-pci,id=r'))).toEqual({
      code: 'DUPLICATE_ID',
      message: "-device virtio-rng-pci,id=r: Duplicate ID 'r' for device",
    });
  });
  it('duplicate -netdev id', () => {
    expect(fail(['-netdev', 'user,id=n', '-netdev', 'user,id=n'])).toEqual({
      code: 'DUPLICATE_ID',
      message: "-netdev user,id=n: Duplicate ID 'n' for netdev",
    });
  });
  it('duplicate -chardev id', () => {
    expect(fail(['-chardev', 'null,id=c', '-chardev', 'null,id=c']).message).toBe("-chardev null,id=c: Duplicate ID 'c' for chardev");
  });
  it('duplicate -object id', () => {
    expect(fail(['-object', 'rng-builtin,id=o', '-object', 'rng-builtin,id=o']).message).toBe(
      "-object rng-builtin,id=o: Duplicate ID 'o' for object",
    );
  });
  it('duplicate -drive id', () => {
    expect(fail(['-drive', 'if=none,id=d', '-drive', 'if=none,id=d']).message).toBe("-drive if=none,id=d: Duplicate ID 'd' for drive");
  });
});

describe('-device: driver and bus (qdev_device_add_from_qdict, qdev_get_device_class, qbus_find)', () => {
  it('unknown device type', () => {
    expect(fail(dev('foo'))).toEqual({ code: 'UNKNOWN_DEVICE', message: "-device foo: 'foo' is not a valid device model name" });
  });
  it('no driver', () => {
    expect(fail(dev('id=x'))).toEqual({ code: 'BAD_OPTION', message: "-device id=x: Parameter 'driver' is missing" });
  });
  it('abstract type', () => {
    expect(fail(dev('virtio-pci')).message).toBe("-device virtio-pci: Parameter 'driver' expects a non-abstract device type");
  });
  it('a real QEMU type pcisim does not model is pcisim\'s refusal, not QEMU\'s', () => {
    expect(fail(dev('megasas'))).toEqual({ code: 'UNSUPPORTED', message: "-device megasas: pcisim: device type 'megasas' is not modelled" });
  });
  it('bus not found', () => {
    expect(fail(dev('virtio-rng-pci,bus=pci.9'))).toEqual({
      code: 'BUS_NOT_FOUND',
      message: "-device virtio-rng-pci,bus=pci.9: Bus 'pci.9' not found",
    });
  });
  it('wrong bus type', () => {
    expect(fail(dev('virtconsole,bus=pcie.0')).message).toBe("-device virtconsole,bus=pcie.0: Device 'virtconsole' can't go on PCIE bus");
    expect(fail(dev('virtio-rng-pci,bus=isa.0')).message).toBe("-device virtio-rng-pci,bus=isa.0: Device 'virtio-rng-pci' can't go on ISA bus");
  });
  it('no bus of the needed type', () => {
    expect(fail(dev('virtconsole'))).toEqual({
      code: 'BUS_NOT_FOUND',
      message: "-device virtconsole: No 'virtio-serial-bus' bus found for device 'virtconsole'",
    });
  });
  it('aliases resolve (virtio-net → virtio-net-pci)', () => {
    expect(fail(dev('virtio-net,foo=1')).message).toBe("-device virtio-net,foo=1: Property 'virtio-net-pci.foo' not found");
  });
});

describe('-device: properties (object_set_properties_from_keyval and the qdev setters)', () => {
  it('unknown property', () => {
    expect(fail(dev('virtio-net-pci,foo=1'))).toEqual({
      code: 'UNKNOWN_PROPERTY',
      message: "-device virtio-net-pci,foo=1: Property 'virtio-net-pci.foo' not found",
    });
  });
  it('the non-generic virtio types have no disable-legacy/disable-modern', () => {
    expect(fail(dev('vhost-user-fs-pci,disable-legacy=off')).message).toBe(
      "-device vhost-user-fs-pci,disable-legacy=off: Property 'vhost-user-fs-pci.disable-legacy' not found",
    );
  });
  it('bad boolean', () => {
    expect(fail(dev('virtio-net-pci,mq=maybe'))).toEqual({
      code: 'BAD_PROPERTY_VALUE',
      message: "-device virtio-net-pci,mq=maybe: Parameter 'mq' expects 'on' or 'off'",
    });
  });
  it('bad integer, integer out of range', () => {
    expect(fail(dev('virtio-net-pci,vectors=four')).message).toBe("-device virtio-net-pci,vectors=four: Parameter 'vectors' expects integer");
    expect(fail(dev('pcie-root-port,chassis=256')).message).toBe("-device pcie-root-port,chassis=256: Parameter 'chassis' expects uint8_t");
    expect(fail(dev('pcie-root-port,slot=-1')).message).toBe("-device pcie-root-port,slot=-1: Parameter 'slot' expects uint16_t");
  });
  it('bad size', () => {
    expect(fail(dev('pcie-root-port,chassis=1,io-reserve=lots')).message).toBe(
      "-device pcie-root-port,chassis=1,io-reserve=lots: Parameter 'io-reserve' expects size",
    );
  });
  it('bad enum', () => {
    expect(fail(dev('virtio-net-pci,disable-legacy=maybe')).message).toBe(
      "-device virtio-net-pci,disable-legacy=maybe: Parameter 'disable-legacy' does not accept value 'maybe'",
    );
    expect(fail(dev('pcie-root-port,x-speed=3')).message).toBe("-device pcie-root-port,x-speed=3: Parameter 'x-speed' does not accept value '3'");
  });
  it('bad PCI address', () => {
    expect(fail(dev('virtio-rng-pci,addr=0x20'))).toEqual({
      code: 'BAD_PROPERTY_VALUE',
      message: "-device virtio-rng-pci,addr=0x20: Property 'virtio-rng-pci.addr' doesn't take value '0x20'",
    });
    expect(fail(dev('virtio-rng-pci,addr=2.8')).message).toBe("-device virtio-rng-pci,addr=2.8: Property 'virtio-rng-pci.addr' doesn't take value '2.8'");
  });
  it('bad MAC: the virtio device owns the property', () => {
    expect(fail(dev('virtio-net-pci,mac=52:54:00')).message).toBe(
      "-device virtio-net-pci,mac=52:54:00: Property 'virtio-net-device.mac' doesn't take value '52:54:00'",
    );
  });
  it('with two unknown properties, the one QDict visits first is reported, not the first typed', () => {
    // tdb_hash % 512: "aaa" → bucket 147, "zzz" → bucket 358
    expect(fail(dev('virtio-net-pci,zzz=1,aaa=1')).message).toBe("-device virtio-net-pci,zzz=1,aaa=1: Property 'virtio-net-pci.aaa' not found");
  });
});

describe('-device: backends', () => {
  it('missing -netdev', () => {
    expect(fail(dev('virtio-net-pci,netdev=nope'))).toEqual({
      code: 'MISSING_BACKEND',
      message: "-device virtio-net-pci,netdev=nope: Property 'virtio-net-device.netdev' can't find value 'nope'",
    });
  });
  it('-netdev already taken', () => {
    expect(fail(['-netdev', 'user,id=n', ...dev('virtio-net-pci,netdev=n', 'e1000,netdev=n')]).message).toBe(
      "-device e1000,netdev=n: Property 'e1000.netdev' can't take value 'n', it's in use",
    );
  });
  it('vhost-user netdev behind a NIC that is not virtio-net', () => {
    expect(fail(['-chardev', 'socket,id=c,path=/s', '-netdev', 'vhost-user,id=n,chardev=c', ...dev('e1000,netdev=n')]).message).toBe(
      '-device e1000,netdev=n: vhost-user requires frontend driver virtio-net-*',
    );
  });
  it('missing drive, drive not set, drive taken, drive auto-connected', () => {
    expect(fail(dev('virtio-blk-pci,drive=d')).message).toBe("-device virtio-blk-pci,drive=d: Property 'virtio-blk-device.drive' can't find value 'd'");
    expect(fail(dev('virtio-blk-pci'))).toEqual({ code: 'MISSING_BACKEND', message: '-device virtio-blk-pci: drive property not set' });
    expect(fail(['-blockdev', 'null-co,node-name=d', ...dev('virtio-blk-pci,drive=d', 'virtio-blk-pci,drive=d')]).message).toBe(
      "-device virtio-blk-pci,drive=d: Drive 'd' is already in use by another device",
    );
    expect(fail(['-drive', 'file=x.img,id=d', ...dev('virtio-blk-pci,drive=d')]).message).toBe(
      "-device virtio-blk-pci,drive=d: Drive 'd' is already in use because it has been automatically connected to another device (did you need 'if=none' in the drive options?)",
    );
  });
  it('missing chardev', () => {
    expect(fail(dev('vhost-user-fs-pci,chardev=c,tag=t')).message).toBe(
      "-device vhost-user-fs-pci,chardev=c,tag=t: Property 'vhost-user-fs-device.chardev' can't find value 'c'",
    );
  });
  it('chardev in use', () => {
    expect(fail(['-chardev', 'null,id=c', ...dev('virtio-serial-pci', 'virtconsole,chardev=c', 'virtserialport,chardev=c')]).message).toBe(
      "-device virtserialport,chardev=c: Property 'virtserialport.chardev' can't take value 'c': Device 'c' is in use",
    );
  });
  it('rng= names no object, or an object of another type', () => {
    expect(fail(dev('virtio-rng-pci,rng=r'))).toEqual({ code: 'MISSING_BACKEND', message: "-device virtio-rng-pci,rng=r: Device 'r' not found" });
    expect(fail(['-object', 'iothread,id=io', ...dev('virtio-rng-pci,rng=io')]).message).toBe(
      "-device virtio-rng-pci,rng=io: Invalid parameter type for 'rng', expected: rng-backend",
    );
  });
});

describe('-device: realize (pci_qdev_realize, do_pci_register_device, the models)', () => {
  it('slot in use (the occupant without id prints as glibc prints NULL)', () => {
    expect(fail(dev('pcie-root-port,id=pci.1,chassis=1,addr=2', 'virtio-rng-pci,addr=2'))).toEqual({
      code: 'SLOT_IN_USE',
      message: '-device virtio-rng-pci,addr=2: PCI: slot 2 function 0 not available for virtio-rng-pci, in use by pcie-root-port,id=pci.1',
    });
    expect(fail(dev('virtio-rng-pci,addr=2', 'e1000,addr=2')).message).toBe(
      '-device e1000,addr=2: PCI: slot 2 function 0 not available for e1000, in use by virtio-rng-pci,id=(null)',
    );
  });
  it('the default NIC holds 00:02.0 before any -device', () => {
    expect(fail(dev('virtio-rng-pci,addr=2'), { defaults: true }).message).toBe(
      '-device virtio-rng-pci,addr=2: PCI: slot 2 function 0 not available for virtio-rng-pci, in use by e1000e,id=(null)',
    );
  });
  it('function > 0 without multifunction on function 0, and the reverse', () => {
    expect(fail(dev('virtio-rng-pci,addr=3', 'virtio-rng-pci,addr=3.1'))).toEqual({
      code: 'NOT_MULTIFUNCTION',
      message: "-device virtio-rng-pci,addr=3.1: PCI: single function device can't be populated in function 3.1",
    });
    expect(fail(dev('virtio-rng-pci,addr=3.1', 'virtio-rng-pci,addr=3')).message).toBe(
      '-device virtio-rng-pci,addr=3: PCI: 3.0 indicates single function, but 3.1 is already populated.',
    );
  });
  it('two root ports on the same chassis and slot (both default to 0)', () => {
    expect(fail(dev('pcie-root-port', 'pcie-root-port'))).toEqual({
      code: 'DUPLICATE_CHASSIS_SLOT',
      message: "-device pcie-root-port: Can't add chassis slot, error -16",
    });
    expect(fail(dev('pcie-root-port,chassis=1,slot=2', 'pcie-root-port,chassis=1,slot=2')).code).toBe('DUPLICATE_CHASSIS_SLOT');
  });
  it('pci-bridge without chassis_nr', () => {
    expect(fail(dev('pci-bridge,id=b'))).toEqual({
      code: 'BAD_PROPERTY_VALUE',
      message: '-device pci-bridge,id=b: Bridge chassis not specified. Each bridge is required to be assigned a unique chassis id > 0.',
    });
  });
  it('resource reserve conflicts', () => {
    expect(fail(dev('pcie-root-port,chassis=1,pref32-reserve=1M,pref64-reserve=1M')).message).toBe(
      '-device pcie-root-port,chassis=1,pref32-reserve=1M,pref64-reserve=1M: PCI resource reserve cap: PREF32 and PREF64 conflict',
    );
    expect(fail(dev('pcie-root-port,chassis=1,mem-reserve=4G')).message).toBe(
      '-device pcie-root-port,chassis=1,mem-reserve=4G: PCI resource reserve cap: mem-reserve must be less than 4G',
    );
  });
  it('aer_log_max above 128', () => {
    expect(fail(dev('pcie-root-port,chassis=1,aer_log_max=200')).message).toBe(
      '-device pcie-root-port,chassis=1,aer_log_max=200: Invalid aer_log_max 200. The max number of aer log is 128',
    );
  });
  it('virtio with neither modern nor legacy (behind a root port legacy is off by default)', () => {
    expect(fail(dev('pcie-root-port,id=rp,chassis=1', 'virtio-net-pci,bus=rp,disable-modern=on')).message).toBe(
      '-device virtio-net-pci,bus=rp,disable-modern=on: device cannot work as neither modern nor legacy mode is enabled',
    );
  });
  it('iommu_platform on a transitional device', () => {
    expect(fail(dev('virtio-rng-pci,iommu_platform=on')).message).toBe(
      '-device virtio-rng-pci,iommu_platform=on: VIRTIO_F_IOMMU_PLATFORM was supported by neither legacy nor transitional device',
    );
  });
  it('vhost-vsock-pci guest-cid, vhost-user-fs-pci chardev and tag', () => {
    expect(fail(dev('vhost-vsock-pci,guest-cid=2')).message).toBe('-device vhost-vsock-pci,guest-cid=2: guest-cid property must be greater than 2');
    expect(fail(dev('vhost-vsock-pci,guest-cid=0x100000000')).message).toBe(
      '-device vhost-vsock-pci,guest-cid=0x100000000: guest-cid property must be a 32-bit number',
    );
    expect(fail(dev('vhost-user-fs-pci,tag=t'))).toEqual({ code: 'MISSING_BACKEND', message: '-device vhost-user-fs-pci,tag=t: missing chardev' });
    expect(fail(['-chardev', 'socket,id=c,path=/s', ...dev('vhost-user-fs-pci,chardev=c')]).message).toBe(
      '-device vhost-user-fs-pci,chardev=c: missing tag property',
    );
  });
  it('virtio-net duplex', () => {
    expect(fail(dev('virtio-net-pci,duplex=both')).message).toBe("-device virtio-net-pci,duplex=both: 'duplex' must be 'half' or 'full'");
  });
  it('ROM size and ROM file', () => {
    expect(fail(dev('virtio-net-pci,romsize=1000')).message).toBe('-device virtio-net-pci,romsize=1000: ROM size 1000 is not a power of two');
    expect(fail(dev('virtio-net-pci,romfile=pxe.rom'))).toEqual({
      code: 'BAD_PROPERTY_VALUE',
      message: '-device virtio-net-pci,romfile=pxe.rom: failed to find romfile "pxe.rom"',
    });
  });
  it('slot 0 of a bridge whose SHPC serves hot-plug (ACPI hot-plug off)', () => {
    expect(fail(dev('pci-bridge,id=b,chassis_nr=1', 'virtio-rng-pci,bus=b'), { acpi: false })).toEqual({
      code: 'UNSUPPORTED',
      message: '-device virtio-rng-pci,bus=b: Unsupported PCI slot 0 for standard hotplug controller. Valid slots are between 1 and 31.',
    });
  });
  it('acpi-index', () => {
    expect(fail(dev('virtio-rng-pci,acpi-index=1', 'e1000,acpi-index=1')).message).toBe(
      '-device e1000,acpi-index=1: a PCI device with acpi-index = 1 already exist',
    );
    expect(fail(dev('e1000,acpi-index=20000')).message).toBe('-device e1000,acpi-index=20000: acpi-index should be less or equal to 16383');
  });
  it('virtio-serial ports', () => {
    expect(fail(dev('virtio-serial-pci', 'virtserialport,nr=1', 'virtserialport,nr=1')).message).toBe(
      '-device virtserialport,nr=1: virtio-serial-bus: A port already exists at id 1',
    );
    expect(fail(dev('virtio-serial-pci,max_ports=2', 'virtserialport,nr=2')).message).toBe(
      '-device virtserialport,nr=2: virtio-serial-bus: Out-of-range port id specified, max. allowed: 1',
    );
    expect(fail(dev('virtio-serial-pci,max_ports=0')).message).toBe('-device virtio-serial-pci,max_ports=0: Maximum number of serial ports not specified');
  });
  it('-global applying to a property the type lacks', () => {
    expect(fail(['-global', 'virtio-net-pci.foo=1', ...dev('virtio-net-pci')])).toEqual({
      code: 'UNKNOWN_PROPERTY',
      message: "-device virtio-net-pci: can't apply global virtio-net-pci.foo=1: Property 'virtio-net-pci.foo' not found",
    });
  });
});

describe('backends', () => {
  it('-global syntax', () => {
    expect(fail(['-global', 'driver=x,property=y']).message).toBe("-global driver=x,property=y: options 'driver', 'property', and 'value' are required");
  });
  it('-object: type, id, members', () => {
    expect(fail(['-object', 'rng-fancy,id=r']).message).toBe("-object rng-fancy,id=r: Parameter 'qom-type' does not accept value 'rng-fancy'");
    expect(fail(['-object', 'rng-random,filename=/dev/urandom']).message).toBe("-object rng-random,filename=/dev/urandom: Parameter 'id' is missing");
    expect(fail(['-object', 'rng-random,id=r,file=/dev/urandom']).message).toBe("-object rng-random,id=r,file=/dev/urandom: Invalid parameter 'file'");
    expect(fail(['-object', 'rng-egd,id=r,chardev=nope']).message).toBe("-object rng-egd,id=r,chardev=nope: Device 'nope' not found");
  });
  it('-netdev: type, id, backends not built', () => {
    expect(fail(['-netdev', 'fancy,id=n']).message).toBe("-netdev fancy,id=n: Parameter 'type' does not accept value 'fancy'");
    expect(fail(['-netdev', 'user']).message).toBe("-netdev user: Parameter 'id' is missing");
    expect(fail(['-netdev', 'netmap,id=n']).message).toBe("-netdev netmap,id=n: network backend 'netmap' is not compiled into this binary");
    expect(fail(['-netdev', 'vhost-user,id=n,chardev=c']).message).toBe('-netdev vhost-user,id=n,chardev=c: chardev "c" not found');
  });
  it('-chardev: backend and id', () => {
    expect(fail(['-chardev', 'fancy,id=c']).message).toBe("-chardev fancy,id=c: 'fancy' is not a valid char driver name");
    expect(fail(['-chardev', 'null']).message).toBe('-chardev null: chardev: no id specified');
  });
  it('-blockdev: driver, node-name, duplicates', () => {
    expect(fail(['-blockdev', 'node-name=n']).message).toBe("-blockdev node-name=n: Parameter 'driver' is missing");
    expect(fail(['-blockdev', 'fancy,node-name=n']).message).toBe("-blockdev fancy,node-name=n: Parameter 'driver' does not accept value 'fancy'");
    expect(fail(['-blockdev', 'null-co']).message).toBe("-blockdev null-co: 'node-name' must be specified for the root node");
    expect(fail(['-blockdev', 'null-co,node-name=n', '-blockdev', 'null-co,node-name=n']).message).toBe(
      "-blockdev null-co,node-name=n: Duplicate nodes with node-name='n'",
    );
    expect(fail(['-blockdev', 'null-co,node-name=n=']).message).toBe("-blockdev null-co,node-name=n=: Invalid node-name: 'n='");
  });
  it('-drive bus type', () => {
    expect(fail(['-drive', 'if=ethernet,id=d']).message).toBe("-drive if=ethernet,id=d: unsupported bus type 'ethernet'");
  });
});

describe('plugDeviceOption after the command line', () => {
  const machine = () => {
    const m = new Q35Machine({ nodefaults: true, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
    realizeCommandLine(m, parseQemuCommandLine(['-device', 'pcie-root-port,id=rp,chassis=1', '-device', 'virtio-rng-pci,id=r']));
    return m;
  };
  it('a taken id is qdev_set_id()\'s error once the first device exists', () => {
    expect(() => plugDeviceOption(machine(), 'e1000,id=r')).toThrow(new QemuError('DUPLICATE_ID', "-device e1000,id=r: Duplicate device ID 'r'"));
  });
  it('device_add errors come bare, as QMP returns them', () => {
    expect(() => plugDeviceOption(machine(), 'virtio-rng-pci,bus=nope', { hotplugged: true })).toThrow(
      new QemuError('BUS_NOT_FOUND', "Bus 'nope' not found"),
    );
  });
});

describe('JSON -device (qobject input visitor: strict JSON types)', () => {
  it('a string where an integer belongs', () => {
    expect(fail(['-device', '{"driver":"pcie-root-port","port":"16"}']).message).toBe(
      '-device {"driver":"pcie-root-port","port":"16"}: Parameter \'port\' expects uint64',
    );
  });
  it('a string where a boolean belongs', () => {
    expect(fail(['-device', '{"driver":"virtio-rng-pci","multifunction":"on"}']).message).toBe(
      '-device {"driver":"virtio-rng-pci","multifunction":"on"}: Invalid parameter type for \'multifunction\', expected: boolean',
    );
  });
  it('a numeric addr out of range', () => {
    expect(fail(['-device', '{"driver":"virtio-rng-pci","addr":300}']).message).toBe(
      '-device {"driver":"virtio-rng-pci","addr":300}: Parameter \'addr\' expects a value between -1 and 255',
    );
  });
  it('duplicate ids are qdev_set_id()\'s (no QemuOpts for JSON)', () => {
    expect(fail(['-device', '{"driver":"virtio-rng-pci","id":"r"}', '-device', '{"driver":"virtio-rng-pci","id":"r"}'])).toEqual({
      code: 'DUPLICATE_ID',
      message: '-device {"driver":"virtio-rng-pci","id":"r"}: Duplicate device ID \'r\'',
    });
  });
  it('not JSON', () => {
    expect(fail(['-device', '{driver}']).code).toBe('BAD_OPTION');
  });
});
