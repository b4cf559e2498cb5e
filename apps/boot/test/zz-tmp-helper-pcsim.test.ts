import { readFileSync } from 'node:fs';
import * as require_fs from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { it } from 'vitest';
import { Kvm, KVM_MEM_READONLY } from '@sim/kvm';
import { PcMachine, MicrovmMachine, PciDevice, Seabios, parseCpu, cpuidEntries, formatBdf } from '@sim/qemu';
import { Linux61 } from '@sim/guest';

function run(name: string, mk: () => { m: PcMachine | MicrovmMachine; fw: boolean }) {
  const kvm = new Kvm({});
  const vm = kvm.createVm();
  const { m, fw } = mk();
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0xa0000, userspaceAddr: vm.mmap(0xa0000) });
  vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x100000, memorySize: (512 << 20) - 0x100000, userspaceAddr: vm.mmap((512 << 20) - 0x100000) });
  vm.setUserMemoryRegion({ slot: 2, flags: KVM_MEM_READONLY, guestPhysAddr: 0xfffc0000, memorySize: 0x40000, userspaceAddr: vm.mmap(0x40000) });
  const cpu = parseCpu('qemu64');
  vm.setCpuid(cpuidEntries(cpu));
  const vcpu = vm.createVcpu(0, m);
  const got: string[] = [];
  let phase = 'F';
  if (m.host) m.host.observer = (mech, w, bus, devfn, reg, size, value) =>
    got.push(`${phase} ${mech ? 'mmcfg' : 'conf1'} ${w ? 'w' : 'r'} ${formatBdf(bus, devfn)} 0x${reg.toString(16).padStart(3, '0')}/${size} 0x${(value >>> 0).toString(16)}`);
  if (fw) new Seabios(vcpu, { machine: 'pc', ramBytes: 512 << 20 }).run();
  phase = 'L';
  let err = '';
  try { new Linux61(vcpu, m.bootInfo('console=ttyS0 earlyprintk=ttyS0 panic=0'), {}).boot(); } catch (e) { err = String(e); }
  const want = gunzipSync(readFileSync(new URL(`./fixtures/${name}.accesses.txt.gz`, import.meta.url))).toString().split('\n').filter((l) => l && !l.startsWith('#'));
  const norm = (l: string) => l.replace(/0xffffffffffffffff$/, '0xffffffff');
  let i = 0;
  while (i < Math.min(want.length, got.length) && norm(want[i]!) === got[i]) i++;
  require_fs.writeFileSync(`/tmp/pcsim/${name}.sim`, got.join('\n') + '\n');
  console.log(`${name}: ref ${want.length} sim ${got.length} first divergence at ${i} ${err}`);
  console.log('  ref:', want.slice(i, i + 4).join(' | '));
  console.log('  sim:', got.slice(i, i + 4).join(' | '));
}

it('tmp', () => {
  run('pc-default', () => { const m = new PcMachine({ nodefaults: false, ramBytes: 512 << 20 }); m.addDefaultNic(); return { m, fw: true }; });
  run('pc-nodefaults', () => ({ m: new PcMachine({ nodefaults: true, ramBytes: 512 << 20, serialPorts: 1 }), fw: true }));
  run('microvm-pcie', () => { const m = new MicrovmMachine({ ramBytes: 512 << 20, pcie: 'on' }); m.plug(new PciDevice({ typeName: 'virtio-rng-pci', vendorId: 0x1af4, deviceId: 0x1005, classId: 0x00ff }), -1); return { m, fw: false }; });
});
