import { bench, describe } from 'vitest';
import { KVM_MEM_READONLY, Kvm, PAGE_SIZE, allOnesDevice, type AccessSize, type VmOps } from '../src/index.js';

/** QEMU's side reduced to nothing: the cost measured is KVM's model only. */
const ops: VmOps = {
  pioRead: (_p: number, _s: AccessSize) => 0xffff_ffff,
  pioWrite: () => {},
  mmioRead: () => 0xffff_ffff,
  mmioWrite: () => {},
};

const vm = new Kvm().createVm();
const cpu = vm.createVcpu(0, ops);
vm.registerIoDevice('pio', 0x20, 2, allOnesDevice('pic'));
const ro = vm.mmap(PAGE_SIZE * 64, 0xff);
vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0xb000_0000, memorySize: 64 * PAGE_SIZE, userspaceAddr: ro });

describe('port I/O path', () => {
  bench('conf1 config read: outl 0xcf8 + inl 0xcfc (2 KVM_EXIT_IO)', () => {
    for (let dev = 0; dev < 32; dev++) {
      cpu.outl(0xcf8, 0x8000_0000 | (dev << 11));
      cpu.inl(0xcfc);
    }
  });

  bench('inb from an in-kernel KVM_PIO_BUS device', () => {
    for (let i = 0; i < 64; i++) cpu.inb(0x21);
  });
});

describe('MMIO path', () => {
  bench('ECAM read with no slot (KVM_EXIT_MMIO, MMIO SPTE cached)', () => {
    for (let dev = 0; dev < 64; dev++) cpu.readw(0xc000_0000 + (dev << 15));
  });

  bench('mapped READONLY page read (no exit)', () => {
    for (let p = 0; p < 64; p++) cpu.readw(0xb000_0000 + p * PAGE_SIZE);
  });
});
