/**
 * `-m` in QEMU 7.2's forms (softmmu/vl.c parse_memory_options(), hw/core/machine.c machine_set_mem()) and what
 * the RAM size moves (hw/i386/pc.c pc_memory_init(), pc_pci_hole64_start()). The layouts are the ones the
 * recordings print: reference/q35-mem-4g, q35-mem-hotplug and pc-mem-4g (BIOS-e820 and root bus resources).
 */
import { describe, expect, it } from 'vitest';
import { parseQemuArgs, qemuCreateMachine, qemuInitMachine, QemuError, x86BootInfo, x86RunFirmware } from '../src/index.js';
import { cpuOn } from './helpers.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;

function err(args: string[]): string {
  try {
    qemuCreateMachine(parseQemuArgs(args));
  } catch (e) {
    if (e instanceof QemuError) return e.message;
    throw e;
  }
  return '';
}

describe('-m', () => {
  it('a bare number is MiB; suffixes, size=, fractions and merged -m options', () => {
    expect(parseQemuArgs(['-m', '2048']).ramBytes).toBe(2 * GiB);
    expect(parseQemuArgs(['-m', '2G']).ramBytes).toBe(2 * GiB);
    expect(parseQemuArgs(['-m', 'size=2097152k']).ramBytes).toBe(2 * GiB);
    expect(parseQemuArgs(['-m', '1.5G']).ramBytes).toBe(1536 * MiB);
    expect(parseQemuArgs(['-m', '0']).ramBytes).toBe(128 * MiB); // a size of 0 is no size
    const c = parseQemuArgs(['-m', '2048M,slots=10,maxmem=8G']);
    expect([c.ramBytes, c.maxramBytes, c.ramSlots]).toEqual([2 * GiB, 8 * GiB, 10]);
    const merged = parseQemuArgs(['-m', '1G', '-m', 'maxmem=4G,slots=2']);
    expect([merged.ramBytes, merged.maxramBytes, merged.ramSlots]).toEqual([GiB, 4 * GiB, 2]);
  });

  it('-machine memory-backend= takes the backend size, which must match -m', () => {
    const be = ['-object', 'memory-backend-ram,id=pc.ram,size=1G'];
    expect(parseQemuArgs(['-M', 'pc,memory-backend=pc.ram', ...be]).ramBytes).toBe(GiB);
    expect(parseQemuArgs(['-M', 'q35,memory-backend=pc.ram', '-m', 'size=1048576k', ...be]).ramBytes).toBe(GiB);
    expect(err(['-M', 'pc,memory-backend=pc.ram', '-m', '2G', ...be])).toBe('Machine memory size does not match the size of the memory backend');
    expect(err(['-M', 'pc,memory-backend=nope', '-m', '1G'])).toBe("Memory backend 'nope' not found");
  });

  it('-numa node,memdev= (Kata): accepted and listed; the nodes must add up to the RAM (reference/q35-numa-node)', () => {
    const be = ['-object', 'memory-backend-file,id=dimm1,size=2048M,mem-path=/dev/shm,share=on'];
    const c = parseQemuArgs(['-M', 'q35', '-m', '2048M,slots=10,maxmem=8G', ...be, '-numa', 'node,memdev=dimm1']);
    expect(c.notModelled).toContain('-numa node,memdev=dimm1');
    expect(err(['-M', 'q35', '-m', '1G', ...be, '-numa', 'node,memdev=dimm1'])).toBe('total memory for NUMA nodes (0x80000000) should equal RAM size (0x40000000)');
  });

  it("QEMU's errors, word for word", () => {
    expect(err(['-m', 'foo'])).toBe(
      "-m foo: Parameter 'size' expects a non-negative number below 2^64\nOptional suffix k, M, G, T, P or E means kilo-, mega-, giga-, tera-, peta-\nand exabytes, respectively.",
    );
    expect(err(['-m', '2G,bogus=1'])).toBe("-m 2G,bogus=1: Invalid parameter 'bogus'");
    expect(err(['-m', 'size=2G,maxmem=1G'])).toBe(
      'invalid value of maxmem: maximum memory size (0x40000000) must be at least the initial memory size (0x80000000)',
    );
    expect(err(['-m', '2G,slots=4'])).toBe('slots specified but no max-size');
    expect(err(['-m', '2G,maxmem=2G,slots=2'])).toBe(
      'invalid value of maxmem: memory slots were specified but maximum memory size (0x80000000) is equal to the initial memory size (0x80000000)',
    );
    expect(err(['-M', 'q35', '-m', '2G,slots=300,maxmem=8G'])).toBe('unsupported amount of memory slots: 300');
  });
});

describe('what the RAM size moves (pc_memory_init)', () => {
  it('q35 -m 4G: 2 GiB below 4G, 2 GiB above, the 64-bit hole after it (reference/q35-mem-4g)', () => {
    const m = qemuCreateMachine(parseQemuArgs(['-M', 'q35', '-m', '4G']));
    const info = m.bootInfo('');
    // BIOS-e820: [mem 0x0000000100000000-0x000000017fffffff] usable; low RAM ends at 2 GiB
    expect(info.e820.filter((e) => e.type === 1 && e.addr >= 0x100000000).map((e) => [e.addr, e.size])).toEqual([[0x100000000, 0x80000000]]);
    expect(Math.max(...info.e820.filter((e) => e.addr < 0x100000000 && e.addr + e.size <= 0x80000000).map((e) => e.addr + e.size))).toBe(0x80000000);
    const w = info.acpi!.hostBridges[0]!.windows!;
    expect(w.find((x) => x.kind === 'mem' && x.min >= 0x80000000)).toEqual({ kind: 'mem', min: 0x80000000, max: 0xafffffff });
    expect(w.find((x) => x.kind === 'mem64')).toEqual({ kind: 'mem64', min: 0x180000000, max: 0x97fffffff });
  });

  it('q35 -m 2048M,slots=4,maxmem=8G: device memory from 4 GiB, 6 GiB + 1 GiB a slot; hole and reserved-memory-end after it', () => {
    const m = qemuCreateMachine(parseQemuArgs(['-M', 'q35', '-m', '2048M,slots=4,maxmem=8G']));
    expect(m.memoryLayout!.deviceMemory).toEqual({ base: 4 * GiB, size: 10 * GiB });
    expect(m.memoryLayout!.reservedMemoryEnd).toBe(14 * GiB);
    const w = m.bootInfo('').acpi!.hostBridges[0]!.windows!;
    expect(w.find((x) => x.kind === 'mem64')).toEqual({ kind: 'mem64', min: 0x380000000, max: 0xb7fffffff });
  });

  it('pc -m 4G: gigabyte_align splits at 3 GiB; the 2 GiB 64-bit hole follows RAM (reference/pc-mem-4g)', () => {
    const m = qemuCreateMachine(parseQemuArgs(['-M', 'pc', '-m', '4G']));
    expect([m.memoryLayout!.below4g, m.memoryLayout!.above4g]).toEqual([3 * GiB, GiB]);
    const w = m.bootInfo('').acpi!.hostBridges[0]!.windows!;
    expect(w.find((x) => x.kind === 'mem64')).toEqual({ kind: 'mem64', min: 0x140000000, max: 0x1bfffffff });
    expect(w.find((x) => x.kind === 'mem' && x.min > 0xfffff)).toEqual({ kind: 'mem', min: 0xc0000000, max: 0xfebfffff });
  });

  it('a 64-bit BAR SeaBIOS maps above 4 GiB goes after reserved-memory-end, and the _CRS window follows it (reference/q35-mem-hotplug-bar64)', () => {
    const m = qemuInitMachine(
      parseQemuArgs(['-M', 'q35', '-m', '2048M,slots=4,maxmem=8G', '-object', 'memory-backend-ram,id=shm,size=4G,share=on', '-device', 'ivshmem-plain,memdev=shm']),
    );
    const fw = x86RunFirmware(cpuOn(m), m, 'seabios');
    // r64_mem.base = reserved-memory-end (14 GiB), aligned to the 4 GiB BAR: 16 GiB ("BAR 2 [mem 0x400000000-0x4ffffffff 64bit pref]")
    const ivshmem = m.rootBus!.devices[3 << 3]!;
    expect([ivshmem.configRead(0x18, 4), ivshmem.configRead(0x1c, 4)]).toEqual([0x0000000c, 0x4]);
    const w = x86BootInfo(m, '', fw).acpi!.hostBridges[0]!.windows!;
    expect(w.find((x) => x.kind === 'mem64')).toEqual({ kind: 'mem64', min: 0x400000000, max: 0xbffffffff });
  });
});
