import { Kvm, KvmError, KVM_CAP_NR_MEMSLOTS, KVM_MEM_READONLY, type VmOps } from '../src/index.js';

const kvm = new Kvm(); // cost profile 'lkml-2020': userspace exit 6 µs, in-kernel 1 µs
console.log('memslots per VM:', kvm.checkExtension(KVM_CAP_NR_MEMSLOTS)); // 32764
const vm = kvm.createVm();

// 128 MiB of RAM at 0, and a 256 KiB ROM (read-only slot) below 4 GiB
const ram = vm.mmap(128 << 20);
vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 128 << 20, userspaceAddr: ram });
const rom = vm.mmap(256 << 10, 0xff);
vm.setUserMemoryRegion({ slot: 1, flags: KVM_MEM_READONLY, guestPhysAddr: 0xfffc_0000, memorySize: 256 << 10, userspaceAddr: rom });

// a bad one: it overlaps slot 0
try {
  vm.setUserMemoryRegion({ slot: 2, flags: 0, guestPhysAddr: 0x10_0000, memorySize: 0x1000, userspaceAddr: ram });
} catch (e) {
  if (!(e instanceof KvmError)) throw e;
  console.log(e.code); // EEXIST
  console.log(e.message); // KVM_SET_USER_MEMORY_REGION: slot 2 [0x100000, 0x101000) overlaps slot 0 [0x0, 0x8000000): EEXIST
}

// the VMM's side of the exits: a conf1 host bridge with one device (00:00.0) and nothing else
let latch = 0;
const ops: VmOps = {
  pioRead(port) {
    if (port === 0xcf8) return latch;
    return latch === 0x8000_0000 ? 0x29c0_8086 : 0xffff_ffff; // vendor/device of 00:00.0, else all-ones
  },
  pioWrite(port, size, value) {
    if (port === 0xcf8 && size === 4) latch = value >>> 0; // a dword comes as the int32 of its bytes
  },
  mmioRead: () => 0xffff_ffff, // no device behind any MMIO exit
  mmioWrite: () => {},
};
const cpu = vm.createVcpu(0, ops);

cpu.outl(0xcf8, 0x8000_0000); // KVM_EXIT_IO
console.log(cpu.inl(0xcfc).toString(16)); // KVM_EXIT_IO → 29c08086
console.log(cpu.readl(0xb000_8000)); // no memslot: KVM_EXIT_MMIO, a dword as the int32 of its bytes → -1
console.log(cpu.readb(0xffff_fff0).toString(16)); // ROM: one EPT violation maps the page → ff
console.log(cpu.readb(0xffff_fff1).toString(16)); // mapped: no exit → ff

console.log(vm.stats.exits()); // { KVM_EXIT_IO: 2, KVM_EXIT_MMIO: 1, inKernel: 1, noExit: 1 }
console.log(vm.stats.eptFaults, vm.clock.now()); // 1 59000  (2 memslots × 20 µs + 3 exits × 6 µs + 1 fault × 1 µs)
