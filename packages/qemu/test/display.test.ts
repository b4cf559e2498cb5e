/**
 * The display devices and ivshmem as QEMU 7.2 builds them (hw/display/{virtio-vga,virtio-gpu-pci,qxl,
 * cirrus_vga,bochs-display,vga-pci}.c, hw/misc/ivshmem.c): IDs, class, BAR sizes and types, option ROMs and
 * capabilities from the model, each checked against what QEMU returned to Linux in the recording named
 * (reference/<scenario>.accesses.txt.gz: the first read of the register in the Linux phase).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseQemuArgs, plugDeviceOption, qemuInitMachine, QemuError, PciDevice, Seabios, PcMachine, Q35Machine } from '../src/index.js';
import * as R from '../src/hw/pci/regs.js';
import { FIXTURES, cpuOn, firmwareAccessLine, referenceFirmware } from './helpers.js';

/** the function at bus 0 / slot.fn of the machine the command line builds */
function fn(argv: string[], slot: number, func = 0): PciDevice {
  const m = qemuInitMachine(parseQemuArgs(argv));
  for (const { bus, dev } of m.functions()) if (bus === 0 && dev.devfn === R.PCI_DEVFN(slot, func)) return dev;
  throw new Error(`nothing at 00:${slot}.${func}`);
}

/** "size type" of each BAR the model registered (index 6: the ROM) */
function bars(d: PciDevice): Record<number, string> {
  const out: Record<number, string> = {};
  d.regions.forEach((r, i) => {
    if (!r) return;
    const kind = i === R.PCI_ROM_SLOT ? 'rom' : r.type & R.PCI_BASE_ADDRESS_SPACE_IO ? 'io' : `mem${r.type & R.PCI_BASE_ADDRESS_MEM_TYPE_64 ? '64' : '32'}${r.type & R.PCI_BASE_ADDRESS_MEM_PREFETCH ? ' pref' : ''}`;
    out[i] = `0x${r.size.toString(16)} ${kind}`;
  });
  return out;
}

/** the capability list: "offset:id" from the head */
function caps(d: PciDevice): string[] {
  const out: string[] = [];
  for (let p = d.getByte(R.PCI_CAPABILITY_LIST); p; p = d.getByte(p + 1)) out.push(`0x${p.toString(16)}:0x${d.getByte(p).toString(16)}`);
  return out;
}

const logs = new Map<string, string[]>();
/** the value of the first Linux-phase read of `reg/size` at `bdf` in a recording */
function recordedRead(scenario: string, bdf: string, reg: number, size: number, nth = 0): number {
  let lines = logs.get(scenario);
  if (!lines) {
    lines = gunzipSync(readFileSync(new URL(`${scenario}.accesses.txt.gz`, FIXTURES))).toString().split('\n');
    logs.set(scenario, lines);
  }
  const key = ` r ${bdf} 0x${reg.toString(16).padStart(3, '0')}/${size} `;
  const line = lines.filter((l) => l.startsWith('L ') && l.includes(key))[nth];
  if (!line) throw new Error(`${scenario}: no read of ${key}`);
  const v = BigInt(line.trim().split(/\s+/).pop()!);
  return Number(v & (size === 4 ? 0xffffffffn : size === 2 ? 0xffffn : 0xffn));
}

/**
 * Each BAR's size as Linux's __pci_read_base() found it in the recording (the read after writing all ones,
 * the second read of the register), against the model's: the low dword of every BAR, and the ROM.
 */
function expectBarSizesAsRecorded(d: PciDevice, scenario: string, bdf: string): void {
  d.regions.forEach((r, i) => {
    if (!r) return;
    const reg = i === R.PCI_ROM_SLOT ? R.PCI_ROM_ADDRESS : R.PCI_BASE_ADDRESS_0 + 4 * i;
    const low = i === R.PCI_ROM_SLOT ? 0xfffff800 : r.type & R.PCI_BASE_ADDRESS_SPACE_IO ? 0xfffffffc : 0xfffffff0;
    const sizeMask = r.size >= 2 ** 32 ? 0 : (~(r.size - 1) & low) >>> 0;
    expect({ bar: i, mask: (recordedRead(scenario, bdf, reg, 4, 1) & low) >>> 0 }).toEqual({ bar: i, mask: sizeMask });
  });
}

/**
 * The model's header registers against the recording's: IDs, revision and class, subsystem, interrupt pin,
 * capability head; then the BAR sizes.
 */
function expectHeaderAsRecorded(d: PciDevice, scenario: string, bdf: string): void {
  const regs = [[R.PCI_VENDOR_ID, 4], [R.PCI_REVISION_ID, 4], [R.PCI_SUBSYSTEM_VENDOR_ID, 2], [R.PCI_SUBSYSTEM_VENDOR_ID + 2, 2], [R.PCI_INTERRUPT_PIN, 1]] as const;
  for (const [reg, size] of regs) {
    const model = size === 4 ? d.getLong(reg) : size === 2 ? d.getWord(reg) : d.getByte(reg);
    expect({ reg, value: model }).toEqual({ reg, value: recordedRead(scenario, bdf, reg, size) });
  }
  if (d.getWord(R.PCI_STATUS) & R.PCI_STATUS_CAP_LIST) {
    expect(d.getByte(R.PCI_CAPABILITY_LIST)).toBe(recordedRead(scenario, bdf, R.PCI_CAPABILITY_LIST, 1));
  }
  expectBarSizesAsRecorded(d, scenario, bdf);
}

const hex = (v: number) => `0x${v.toString(16)}`;

describe('virtio-vga and virtio-gpu-pci (hw/display/virtio-vga.c, virtio-gpu-pci.c)', () => {
  it('-vga virtio: 1af4:1050 rev 1, VGA class, 8 MiB framebuffer in BAR 0, the modern BAR moved to 2, MSI-X in 4', () => {
    const d = fn(['-M', 'q35', '-vga', 'virtio'], 1);
    expect([hex(d.getWord(R.PCI_VENDOR_ID)), hex(d.getWord(R.PCI_DEVICE_ID)), d.getByte(R.PCI_REVISION_ID), hex(d.getWord(R.PCI_CLASS_DEVICE))]).toEqual(['0x1af4', '0x1050', 1, '0x300']);
    // vga->vram_size_mb = 8; modern BAR pow2ceil(0x3000 + 4 * 1024); 3 vectors: a 4 KiB MSI-X BAR; vgabios-virtio.bin
    expect(bars(d)).toEqual({ 0: '0x800000 mem32 pref', 2: '0x4000 mem64 pref', 4: '0x1000 mem32', 6: '0x10000 rom' });
    // five vendor capabilities (common, isr, device, notify, pci-cfg), then MSI-X at the head; pcie.0: no PCIe cap
    expect(caps(d)).toEqual(['0x98:0x11', '0x84:0x9', '0x70:0x9', '0x60:0x9', '0x50:0x9', '0x40:0x9']);
    expectHeaderAsRecorded(d, 'q35-vga-virtio', '00:01.0');
  });

  it('virtio-vga halves the common and ISR regions and puts them at the end of BAR 2, after the stdvga registers', () => {
    const d = fn(['-M', 'q35', '-vga', 'virtio'], 1);
    // virtio_pci_cap: cfg_type at +3, bar at +4, offset at +8, length at +12
    const cap = (p: number) => [d.getByte(p + 3), d.getByte(p + 4), hex(d.getLong(p + 8)), hex(d.getLong(p + 12))];
    expect([0x40, 0x50, 0x60, 0x70].map(cap)).toEqual([
      [1, 2, '0x1000', '0x800'],
      [3, 2, '0x1800', '0x800'],
      [4, 2, '0x2000', '0x1000'],
      [2, 2, '0x3000', '0x1000'],
    ]);
    const pagePerVq = fn(['-M', 'q35', '-vga', 'none', '-device', 'virtio-vga,page-per-vq=on'], 2);
    expect(bars(pagePerVq)[2]).toBe('0x800000 mem64 pref'); // pow2ceil(0x3000 + 0x1000 * 1024)
  });

  it('-device virtio-vga replaces the default VGA; the default NIC keeps 00:01.0 (reference/q35-virtio-vga)', () => {
    const d = fn(['-M', 'q35', '-device', 'virtio-vga'], 2);
    expect(d.typeName).toBe('virtio-vga');
    expectHeaderAsRecorded(d, 'q35-virtio-vga', '00:02.0');
    expectHeaderAsRecorded(fn(['-M', 'pc', '-device', 'virtio-vga'], 3), 'pc-virtio-vga', '00:03.0');
  });

  it('virtio-gpu-pci: display class 0x0380, no option ROM, modern BAR 4 and MSI-X BAR 1 as any virtio-pci', () => {
    const d = fn(['-M', 'q35', '-vga', 'none', '-device', 'virtio-gpu-pci'], 2);
    expect([hex(d.getWord(R.PCI_DEVICE_ID)), hex(d.getWord(R.PCI_CLASS_DEVICE))]).toEqual(['0x1050', '0x380']);
    expect(bars(d)).toEqual({ 1: '0x1000 mem32', 4: '0x4000 mem64 pref' });
    expectHeaderAsRecorded(d, 'q35-virtio-gpu-pci', '00:02.0');
    expect(() => fn(['-M', 'q35', '-device', 'virtio-gpu-pci,max_outputs=17'], 3)).toThrow(new QemuError('BAD_PROPERTY_VALUE', '-device virtio-gpu-pci,max_outputs=17: invalid max_outputs > 16'));
    // dc->hotpluggable = false: device_add is refused, and the DSDT gives the slot no _EJ0
    const m = qemuInitMachine(parseQemuArgs(['-M', 'q35']));
    expect(() => plugDeviceOption(m, 'virtio-gpu-pci', { hotplugged: true })).toThrow(new QemuError('UNSUPPORTED', "Device 'virtio-gpu-pci' does not support hotplugging"));
    expect(plugDeviceOption(m, 'bochs-display', { hotplugged: true }).pci?.hotplugged).toBe(true);
  });

  it('virtio-gpu-pci behind a root port: PCIe endpoint and PM capabilities, 4 KiB config space', () => {
    const m = qemuInitMachine(parseQemuArgs(['-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1', '-device', 'virtio-gpu-pci,bus=rp1']));
    const d = [...m.functions()].find((f) => f.dev.typeName === 'virtio-gpu-pci')!.dev;
    expect(d.configSize).toBe(4096);
    expect(caps(d).map((c) => c.split(':')[1])).toEqual(['0x11', '0x9', '0x9', '0x9', '0x9', '0x9', '0x1', '0x10']);
  });
});

describe('qxl-vga and qxl (hw/display/qxl.c)', () => {
  const LIBVIRT = [
    '-M', 'q35', '-nodefaults',
    '-device', '{"driver":"qxl-vga","id":"video0","max_outputs":1,"ram_size":67108864,"vram_size":67108864,"vram64_size_mb":0,"vgamem_mb":16,"bus":"pcie.0","addr":"0x1"}',
    '-device', '{"driver":"qxl","id":"video1","max_outputs":1,"ram_size":67108864,"vram_size":67108864,"vram64_size_mb":0,"vgamem_mb":16,"bus":"pcie.0","addr":"0x4"}',
  ];

  it("libvirt's pair: 1b36:0100 rev 5, primary VGA with vgabios-qxl.bin, secondary 0x0380 without ROM", () => {
    const vga = fn(LIBVIRT, 1);
    const sec = fn(LIBVIRT, 4);
    expect([hex(vga.getWord(R.PCI_DEVICE_ID)), vga.getByte(R.PCI_REVISION_ID), hex(vga.getWord(R.PCI_CLASS_DEVICE))]).toEqual(['0x100', 5, '0x300']);
    expect(hex(sec.getWord(R.PCI_CLASS_DEVICE))).toBe('0x380');
    // RAM (BAR 0) and VRAM32 (BAR 1) 64 MiB, the 8 KiB QXL ROM, 32 I/O ports (pow2ceil(QXL_IO_RANGE_SIZE)); no VRAM64
    expect(bars(vga)).toEqual({ 0: '0x4000000 mem32', 1: '0x4000000 mem32', 2: '0x2000 mem32', 3: '0x20 io', 6: '0x10000 rom' });
    expect(bars(sec)).toEqual({ 0: '0x4000000 mem32', 1: '0x4000000 mem32', 2: '0x2000 mem32', 3: '0x20 io' });
    expectHeaderAsRecorded(vga, 'q35-qxl', '00:01.0');
    expectHeaderAsRecorded(sec, 'q35-qxl', '00:04.0');
    expectHeaderAsRecorded(fn(['-M', 'pc', '-vga', 'qxl'], 2), 'pc-vga-qxl', '00:02.0');
  });

  it('qxl_init_ramsize(): RAM at least twice vgamem, a 64-bit BAR 4 only when vram64 exceeds vram32, revision checks', () => {
    const d = fn(['-M', 'q35', '-vga', 'none', '-device', 'qxl-vga,ram_size_mb=8,vgamem_mb=32,vram_size_mb=16,vram64_size_mb=100'], 2);
    expect(bars(d)).toMatchObject({ 0: '0x4000000 mem32', 1: '0x1000000 mem32', 4: '0x8000000 mem64 pref' });
    const v1 = fn(['-M', 'q35', '-vga', 'none', '-device', 'qxl,revision=1'], 2);
    expect([v1.getByte(R.PCI_REVISION_ID), bars(v1)[1], bars(v1)[3]]).toEqual([1, '0x1000 mem32', '0x8 io']);
    expect(() => fn(['-M', 'q35', '-device', 'qxl,revision=6'], 3)).toThrow(new QemuError('BAD_PROPERTY_VALUE', '-device qxl,revision=6: Invalid revision 6 for qxl device (max 5)'));
  });

  it('qxl-vga must own graphic console 0: after another display it is refused, before one it is not', () => {
    const msg = 'primary qxl-vga device must be console 0 (first display device on the command line)';
    expect(() => fn(['-M', 'q35', '-vga', 'std', '-device', 'qxl-vga'], 3)).toThrow(new QemuError('BAD_OPTION', `-device qxl-vga: ${msg}`));
    expect(() => fn(['-M', 'q35', '-vga', 'none', '-device', 'bochs-display', '-device', 'qxl-vga'], 3)).toThrow(new QemuError('BAD_OPTION', `-device qxl-vga: ${msg}`));
    expect(fn(['-M', 'q35', '-vga', 'none', '-device', 'qxl-vga', '-device', 'qxl'], 3).typeName).toBe('qxl');
  });
});

describe('cirrus-vga, bochs-display, secondary-vga', () => {
  it('-vga cirrus: 1013:00b8 rev 0, 32 MiB prefetchable BAR 0, 4 KiB MMIO BAR 1, vgabios-cirrus.bin (reference/pc-vga-cirrus)', () => {
    const d = fn(['-M', 'pc', '-vga', 'cirrus'], 2);
    expect(bars(d)).toEqual({ 0: '0x2000000 mem32 pref', 1: '0x1000 mem32', 6: '0x10000 rom' });
    expectHeaderAsRecorded(d, 'pc-vga-cirrus', '00:02.0');
    expect(() => fn(['-M', 'pc', '-device', 'cirrus-vga,vgamem_mb=2'], 4)).toThrow(new QemuError('BAD_PROPERTY_VALUE', "-device cirrus-vga,vgamem_mb=2: Invalid cirrus_vga ram size '2'"));
  });

  it('bochs-display: 1234:1111 rev 2, class 0x0380, a Root Complex Integrated Endpoint on pcie.0, conventional on pc', () => {
    const d = fn(['-M', 'q35', '-vga', 'none', '-device', 'bochs-display'], 2);
    expect(bars(d)).toEqual({ 0: '0x1000000 mem32 pref', 2: '0x1000 mem32', 6: '0x8000 rom' });
    expect(caps(d)).toEqual(['0x80:0x10']);
    expect((d.getWord(0x80 + R.PCI_EXP_FLAGS) >> 4) & 0xf).toBe(R.PCI_EXP_TYPE_RC_END);
    expect(d.configSize).toBe(4096);
    expectHeaderAsRecorded(d, 'q35-bochs-display', '00:02.0');
    const pc = fn(['-M', 'pc', '-device', 'bochs-display,vgamem=5M'], 4);
    expect([caps(pc), pc.configSize, bars(pc)[0]]).toEqual([[], 256, '0x800000 mem32 pref']);
    expect(() => fn(['-M', 'pc', '-device', 'bochs-display,vgamem=1M'], 4)).toThrow(new QemuError('BAD_PROPERTY_VALUE', '-device bochs-display,vgamem=1M: bochs-display: video memory too small'));
  });

  it('secondary-vga: the std VGA without legacy decoding: class 0x0380, framebuffer and MMIO BARs, no ROM', () => {
    const d = fn(['-M', 'q35', '-device', 'secondary-vga'], 3);
    expect([d.getByte(R.PCI_REVISION_ID), hex(d.getWord(R.PCI_CLASS_DEVICE))]).toEqual([2, '0x380']);
    expect(bars(d)).toEqual({ 0: '0x1000000 mem32 pref', 2: '0x1000 mem32' });
    expectHeaderAsRecorded(d, 'q35-secondary-vga', '00:03.0');
  });
});

describe('ivshmem-plain and ivshmem-doorbell (hw/misc/ivshmem.c)', () => {
  const ARGV = [
    '-M', 'q35',
    '-object', 'memory-backend-file,id=shmmem-shmem0,mem-path=/dev/shm/pcisim-ivshmem0,size=4194304,share=yes',
    '-device', 'ivshmem-plain,id=shmem0,memdev=shmmem-shmem0',
    '-chardev', 'socket,id=charshmem1,path=/tmp/pcisim-ivshmem.sock',
    '-device', 'ivshmem-doorbell,id=shmem1,chardev=charshmem1,vectors=1',
  ];

  it('1af4:1110 rev 1, class 0x0500: 256-byte register BAR 0, the memory in a 64-bit prefetchable BAR 2', () => {
    const plain = fn(ARGV, 3);
    const bell = fn(ARGV, 4);
    expect([hex(plain.getWord(R.PCI_DEVICE_ID)), plain.getByte(R.PCI_REVISION_ID), hex(plain.getWord(R.PCI_CLASS_DEVICE))]).toEqual(['0x1110', 1, '0x500']);
    expect(bars(plain)).toEqual({ 0: '0x100 mem32', 2: '0x400000 mem64 pref' });
    // the doorbell's memory is the server's (4 MiB: ivshmem-server's default), its one vector in BAR 1
    expect(bars(bell)).toEqual({ 0: '0x100 mem32', 1: '0x1000 mem32', 2: '0x400000 mem64 pref' });
    expect(caps(plain)).toEqual([]);
    expect(caps(bell)).toEqual(['0x40:0x11']);
    // realize sets COMMAND = IO | MEMORY; the system reset clears both again
    expect(plain.getWord(R.PCI_COMMAND)).toBe(0);
    expectHeaderAsRecorded(plain, 'q35-ivshmem', '00:03.0');
    expectHeaderAsRecorded(bell, 'q35-ivshmem', '00:04.0');
    // the size pcisim assumes for the doorbell's memory is said, not silent
    expect(parseQemuArgs(ARGV).notModelled).toEqual([
      "-device ivshmem-doorbell,id=shmem1,chardev=charshmem1,vectors=1 (shared memory size: the server's; pcisim takes ivshmem-server's default, 4 MiB)",
    ]);
  });

  it("QEMU's errors: no memdev, no chardev, a memdev that is not a memory backend, MSI-X vector count", () => {
    expect(() => fn(['-M', 'q35', '-device', 'ivshmem-plain'], 3)).toThrow(new QemuError('BAD_PROPERTY_VALUE', "-device ivshmem-plain: You must specify a 'memdev'"));
    expect(() => fn(['-M', 'q35', '-device', 'ivshmem-doorbell'], 3)).toThrow(new QemuError('BAD_PROPERTY_VALUE', "-device ivshmem-doorbell: You must specify a 'chardev'"));
    expect(() => fn(['-M', 'q35', '-object', 'rng-random,id=r0,filename=/dev/urandom', '-device', 'ivshmem-plain,memdev=r0'], 3)).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "-device ivshmem-plain,memdev=r0: Invalid parameter type for 'memdev', expected: memory-backend"),
    );
    // host_memory_backend_is_mapped(): one device per backend, and not the machine's RAM
    const shm = ['-object', 'memory-backend-ram,id=shm,size=1M'];
    expect(() => fn(['-M', 'q35', ...shm, '-device', 'ivshmem-plain,memdev=shm', '-device', 'ivshmem-plain,memdev=shm'], 3)).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "-device ivshmem-plain,memdev=shm: can't use already busy memdev: shm"),
    );
    expect(() => fn(['-M', 'q35,memory-backend=shm', '-m', '1M', ...shm, '-device', 'ivshmem-plain,memdev=shm'], 3)).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', "-device ivshmem-plain,memdev=shm: can't use already busy memdev: shm"),
    );
    expect(() => fn(['-M', 'q35', '-chardev', 'socket,id=c,path=/tmp/s', '-device', 'ivshmem-doorbell,chardev=c,vectors=0'], 3)).toThrow(
      new QemuError('BAD_PROPERTY_VALUE', '-device ivshmem-doorbell,chardev=c,vectors=0: Failed to initialize interrupts: The number of MSI-X vectors is invalid'),
    );
  });
});

describe('ramfb (hw/display/ramfb-standalone.c)', () => {
  it('a sysbus device: accepted with no PCI function (reference/q35-ramfb); its properties checked', () => {
    const m = qemuInitMachine(parseQemuArgs(['-M', 'q35', '-vga', 'none', '-device', 'ramfb,id=fb0']));
    const none = qemuInitMachine(parseQemuArgs(['-M', 'q35', '-vga', 'none']));
    expect([...m.functions()].map((f) => f.dev.typeName)).toEqual([...none.functions()].map((f) => f.dev.typeName));
    expect([...qemuInitMachine(parseQemuArgs(['-M', 'microvm,pcie=on', '-device', 'ramfb'])).functions()].length).toBeGreaterThan(0);
    expect(() => qemuInitMachine(parseQemuArgs(['-M', 'q35', '-device', 'ramfb,foo=1']))).toThrow(new QemuError('UNKNOWN_PROPERTY', "-device ramfb,foo=1: Property 'ramfb.foo' not found"));
  });
});

describe("SeaBIOS and SeaVGABIOS on the display recordings, access for access (the firmware phase)", () => {
  // the VGA ROMs' own conf1 reads: vendor and device to claim the function, then the BARs bochsvga_setup(),
  // clext_setup() or bochs_display_setup() read; none when the DISPI ports do not reach the card (behind a port)
  const SCENARIOS = [
    'q35-vga-virtio', 'q35-virtio-vga', 'q35-virtio-gpu-pci', 'q35-virtio-gpu-rootport', 'q35-qxl', 'q35-vga-qxl',
    'pc-vga-qxl', 'pc-vga-cirrus', 'q35-vga-cirrus', 'pc-virtio-vga', 'q35-bochs-display', 'pc-bochs-display',
    'q35-secondary-vga', 'q35-ivshmem', 'pc-ivshmem-bridge', 'q35-ramfb', 'q35-display-rootports',
  ];
  for (const scenario of SCENARIOS) {
    it(scenario, () => {
      const ref = JSON.parse(readFileSync(new URL(`${scenario}.json`, FIXTURES), 'utf8')) as { qemuArgs: string[] };
      const m = qemuInitMachine(parseQemuArgs(['-m', '512', ...ref.qemuArgs])) as Q35Machine | PcMachine;
      const sim: string[] = [];
      m.host.observer = (mech, write, bus, devfn, reg, size, value) => sim.push(firmwareAccessLine(mech, write, bus, devfn, reg, size, value));
      new Seabios(cpuOn(m), { machine: m instanceof PcMachine ? 'pc' : 'q35', ramBytes: 512 << 20 }).run();
      const real = referenceFirmware(scenario);
      let i = 0;
      while (i < sim.length && i < real.length && sim[i] === real[i]) i++;
      expect({ index: i + 1, sim: sim[i] }).toEqual({ index: i + 1, sim: real[i] });
      expect(sim.length).toBe(real.length);
    });
  }
});
