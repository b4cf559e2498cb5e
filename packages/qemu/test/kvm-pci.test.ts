import { describe, expect, it } from 'vitest';
import { Kvm } from '@sim/kvm';
import { KvmPciAccel, Q35Machine, absentEcamRanges, kvmOptionsFor, parseKvmMitigations, PciDevice, QemuError } from '../src/index.js';

function q35WithEcam(nodefaults = false) {
  const m = new Q35Machine({ nodefaults, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true });
  m.addDefaultNic();
  // what SeaBIOS's mch_mmconfig_setup() does: PCIEXBAR = 0xb0000000 | enable
  m.pioWrite(0xcf8, 4, 0x80000060);
  m.pioWrite(0xcfc, 4, 0xb0000001);
  return m;
}

describe('absent ECAM ranges', () => {
  it('q35 default: five runs around 00:00.0, 00:01.0, 00:02.0 and 00:1f.{0,2,3}, the last one reaching bus 255', () => {
    const r = absentEcamRanges(q35WithEcam());
    expect(r.map((x) => [x.gpa.toString(16), x.size.toString(16)])).toEqual([
      ['b0001000', '7000'], // 00:00.1-00:00.7
      ['b0009000', '7000'], // 00:01.1-7
      ['b0011000', 'e7000'], // 00:02.1 .. 00:1e.7
      ['b00f9000', '1000'], // 00:1f.1
      ['b00fc000', 'ff04000'], // 00:1f.4 .. bus ff
    ]);
  });
});

describe('KvmPciAccel', () => {
  it('pci-hole: one KVM_MEM_PCI_HOLE slot per run, re-punched when a device arrives', () => {
    const m = q35WithEcam();
    const opts = kvmOptionsFor(['pci-hole']);
    const kvm = new Kvm(opts.kvm);
    const vm = kvm.createVm(opts.vm);
    const accel = new KvmPciAccel(kvm, vm, m, ['pci-hole'], 3);
    accel.apply();
    expect(accel.memslotsUsed).toBe(5);
    const before = vm.stats.snapshot().memslotUpdates;
    // hot-add a function at 00:05.0: the run 00:02.1..00:1e.7 splits in two
    m.rootBus.plug(new PciDevice({ typeName: 'test', vendorId: 0x1af4, deviceId: 0x1000, classId: 0x0200 }), 5 << 3);
    accel.update();
    expect(accel.memslotsUsed).toBe(6);
    // one slot deleted, two created
    expect(vm.stats.snapshot().memslotUpdates - before).toBe(3);
  });

  it('a read of an absent function through a PCI_HOLE slot is answered in KVM, a present one exits', () => {
    const m = q35WithEcam();
    const opts = kvmOptionsFor(['pci-hole']);
    const kvm = new Kvm(opts.kvm);
    const vm = kvm.createVm(opts.vm);
    new KvmPciAccel(kvm, vm, m, ['pci-hole'], 3).apply();
    const cpu = vm.createVcpu(0, m);
    expect(cpu.readw(0xb0000000 + (1 << 20))).toBe(0xffff); // bus 1: nothing
    expect(cpu.readw(0xb0000000)).toBe(0x8086); // 00:00.0
    expect(vm.stats.exits()).toMatchObject({ inKernel: 1, KVM_EXIT_MMIO: 1 });
  });

  it('pio-fast answers the latch and absent functions in KVM', () => {
    const m = q35WithEcam();
    const kvm = new Kvm();
    const vm = kvm.createVm();
    new KvmPciAccel(kvm, vm, m, ['pio-fast'], 3).apply();
    const cpu = vm.createVcpu(0, m);
    cpu.outl(0xcf8, 0x80010000); // 01:00.0
    expect(cpu.inw(0xcfc)).toBe(0xffff);
    cpu.outl(0xcf8, 0x80000000); // 00:00.0
    expect(cpu.inw(0xcfc)).toBe(0x8086);
    expect(vm.stats.exits()).toMatchObject({ inKernel: 3, KVM_EXIT_IO: 1 });
  });

  it('unknown and conflicting mitigations are refused', () => {
    expect(() => parseKvmMitigations('pci-hole,nope')).toThrow(QemuError);
    expect(() => parseKvmMitigations('pci-hole,ro-page')).toThrow(/both claim/);
  });
});
