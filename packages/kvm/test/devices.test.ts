import { describe, expect, it } from 'vitest';
import { Kvm, PioFastDevice, kvmRegisterCoalescedPio } from '../src/index.js';
import { FakeOps } from './helpers.js';

function setup() {
  const vm = new Kvm().createVm();
  const ops = new FakeOps();
  const cpu = vm.createVcpu(0, ops);
  return { vm, ops, cpu };
}

describe('coalesced PIO (virt/kvm/coalesced_mmio.c)', () => {
  it('a write to the zone reaches the VMM through the ring without an exit; a read exits', () => {
    const { vm, ops, cpu } = setup();
    kvmRegisterCoalescedPio(vm, { port: 0xcf8, size: 4 }, ops);
    cpu.outl(0xcf8, 0x80000000);
    expect(ops.calls).toEqual([{ kind: 'pioWrite', addr: 0xcf8, size: 4, value: 0x80000000 | 0 }]);
    expect(vm.stats.exits()).toMatchObject({ KVM_EXIT_IO: 0, inKernel: 1 });
    cpu.inl(0xcf8);
    expect(vm.stats.exits()).toMatchObject({ KVM_EXIT_IO: 1, inKernel: 1 });
    expect(vm.ioDevices('pio')).toEqual([{ addr: 0xcf8, len: 4, name: 'coalesced-pio' }]);
  });
});

describe('pio-fast (proposed)', () => {
  it('keeps the latch and answers absent functions in KVM; present ones exit', () => {
    const { vm, ops, cpu } = setup();
    let reg = 0;
    const latch = {
      get configReg() {
        return reg >>> 0;
      },
      set configReg(v: number) {
        reg = v | 0;
      },
      latchedTarget: () => ((reg & 0x80000000) === 0 ? -1 : (reg >>> 8) & 0xffff),
    };
    const dev = new PioFastDevice(latch);
    dev.setPresent([0x0000]); // 00:00.0 only
    vm.registerIoDevice('pio', 0xcf8, 8, dev);
    cpu.outl(0xcf8, 0x80000800); // 00:01.0, absent
    expect(cpu.inl(0xcfc)).toBe(-1); // a dword as its int32
    cpu.outl(0xcf8, 0x80000000); // 00:00.0, present
    cpu.inl(0xcfc);
    expect(ops.calls).toEqual([{ kind: 'pioRead', addr: 0xcfc, size: 4 }]);
    expect(vm.stats.exits()).toMatchObject({ KVM_EXIT_IO: 1, inKernel: 3 });
  });
});
