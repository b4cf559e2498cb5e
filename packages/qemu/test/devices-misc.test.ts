/**
 * The devices of issue 18 that pcisim models, as QEMU 7.2 builds them: config space checked against what the
 * recordings read (reference/q35-nvme, pc-rtl8139, pc-i6300esb, q35-e1000-variants, q35-misc-devices,
 * pc-isa-serial, q35-nvdimm, microvm-virtio-mmio), and QEMU's errors for the ones that refuse a line.
 */
import { describe, expect, it } from 'vitest';
import { parseQemuArgs, PciDevice, qemuInitMachine, QemuError, type Machine } from '../src/index.js';
import { nvmeBarSize } from '../src/hw/nvme/ctrl.js';

function boot(args: string[]): Machine {
  return qemuInitMachine(parseQemuArgs(args));
}

function fn(m: Machine, slot: number): PciDevice {
  const d = m.rootBus!.devices[slot << 3];
  if (!d) throw new Error(`no function at ${slot}.0`);
  return d;
}

/** what writing all-ones to a BAR reads back (the sizing Linux and SeaBIOS do) */
function barMask(d: PciDevice, bar: number): number {
  const off = 0x10 + bar * 4;
  const old = d.configRead(off, 4);
  d.configWrite(off, 0xffffffff, 4);
  const v = d.configRead(off, 4);
  d.configWrite(off, old, 4);
  return v >>> 0;
}

/** PIIX4 PM (01.3) byte 0x67: the serial ports piix4_pm_machine_ready() found */
function piix4SerialByte(m: Machine): number {
  return m.rootBus!.devices[(1 << 3) | 3]!.configRead(0x67, 1);
}

function err(args: string[]): string {
  try {
    boot(args);
  } catch (e) {
    if (e instanceof QemuError) return e.message;
    throw e;
  }
  return '';
}

describe('nvme (hw/nvme/ctrl.c)', () => {
  it('1b36:0010 rev 2 class 010802; MSI-X at 0x40 -> PCIe at 0x80 -> PM at 0x60 (reference/q35-nvme)', () => {
    const d = fn(boot(['-M', 'q35', '-device', 'nvme,serial=deadbeef']), 3);
    expect(d.configRead(0, 4)).toBe(0x00101b36);
    expect(d.configRead(8, 4)).toBe(0x01080202);
    expect(d.configRead(0x34, 1)).toBe(0x40);
    expect(d.configRead(0x40, 2)).toBe(0x8011); // MSI-X, next 0x80
    expect(d.configRead(0x42, 2)).toBe(0x40); // 65 vectors
    expect(d.configRead(0x44, 4)).toBe(0x2000); // table in BAR 0 at 8 KiB
    expect(d.configRead(0x80, 2)).toBe(0x6010); // PCIe, next 0x60
    expect(d.configRead(0x60, 2)).toBe(0x0001); // PM, last
    expect(d.configRead(0x64, 2)).toBe(0x8); // No_Soft_Reset, D0
    expect(barMask(d, 0)).toBe(0xffffc004); // 16 KiB, 64-bit
  });

  it('nvme_bar_size(): doorbells for max_ioqpairs + 1 queues, then the MSI-X table and PBA', () => {
    expect(nvmeBarSize(65, 65)).toEqual({ size: 0x4000, tableOffset: 0x2000, pbaOffset: 0x3000 });
    expect(nvmeBarSize(1025, 2048)).toEqual({ size: 0x10000, tableOffset: 0x4000, pbaOffset: 0xc000 });
  });

  it("QEMU's refusals", () => {
    expect(err(['-M', 'q35', '-device', 'nvme'])).toBe('-device nvme: serial property not set');
    expect(err(['-M', 'q35', '-device', 'nvme,serial=a,max_ioqpairs=0'])).toBe('-device nvme,serial=a,max_ioqpairs=0: max_ioqpairs must be between 1 and 65535');
    expect(err(['-M', 'q35', '-device', 'nvme,serial=a,msix_qsize=2049'])).toBe('-device nvme,serial=a,msix_qsize=2049: msix_qsize must be between 1 and 2048');
  });
});

describe('conventional PCI devices', () => {
  it('rtl8139: 10ec:8139 rev 0x20, 256-byte I/O and MMIO BARs, capability pointer 0xdc without the list bit', () => {
    const d = fn(boot(['-M', 'pc', '-netdev', 'user,id=n0', '-device', 'rtl8139,netdev=n0']), 3);
    expect(d.configRead(0, 4)).toBe(0x813910ec);
    expect(d.configRead(8, 4)).toBe(0x02000020);
    expect(d.configRead(6, 2) & 0x10).toBe(0);
    expect(d.configRead(0x34, 1)).toBe(0xdc);
    expect(barMask(d, 0)).toBe(0xffffff01);
    expect(barMask(d, 1)).toBe(0xffffff00);
  });

  it('i6300esb: 8086:25ab class 0880, a 16-byte memory BAR, no pin (reference/pc-i6300esb)', () => {
    const d = fn(boot(['-M', 'pc', '-device', 'i6300esb']), 4);
    expect(d.configRead(0, 4)).toBe(0x25ab8086);
    expect(d.configRead(8, 4)).toBe(0x08800000);
    expect(barMask(d, 0)).toBe(0xfffffff0);
    expect(d.configRead(0x3d, 1)).toBe(0);
  });

  it('e1000-82544gc is 8086:100c, e1000-82545em 8086:100f (reference/q35-e1000-variants)', () => {
    const m = boot(['-M', 'q35', '-device', 'e1000-82544gc', '-device', 'e1000-82545em']);
    expect(fn(m, 3).configRead(0, 4)).toBe(0x100c8086);
    expect(fn(m, 4).configRead(0, 4)).toBe(0x100f8086);
  });

  it('pvpanic-pci, pci-testdev, edu (reference/q35-misc-devices)', () => {
    const m = boot(['-M', 'q35', '-device', 'pvpanic-pci', '-device', 'pci-testdev', '-device', 'edu']);
    expect(fn(m, 3).configRead(0, 4)).toBe(0x00111b36);
    expect(barMask(fn(m, 3), 0)).toBe(0xfffffffe); // 2 bytes; Linux sizes it as 16
    expect(fn(m, 4).configRead(8, 4)).toBe(0x00ff0000);
    expect([barMask(fn(m, 4), 0), barMask(fn(m, 4), 1)]).toEqual([0xfffff000, 0xffffff01]);
    const edu = fn(m, 5);
    expect(edu.configRead(0, 4)).toBe(0x11e81234);
    expect(edu.configRead(0x40, 2)).toBe(0x0005); // MSI, last
    expect(edu.configRead(0x42, 2)).toBe(0x0080); // 64-bit, one vector
    expect(barMask(edu, 0)).toBe(0xfff00000);
  });
});

describe('devices without a PCI function', () => {
  it("isa-serial takes the next ISA index: COM2 at 0x2f8 shows in PIIX4's byte 0x67 (reference/pc-isa-serial)", () => {
    const args = ['-M', 'pc', '-serial', 'stdio', '-chardev', 'null,id=s1', '-device', 'isa-serial,chardev=s1'];
    expect(piix4SerialByte(boot(['-M', 'pc', '-serial', 'stdio']))).toBe(0x08);
    expect(piix4SerialByte(boot(args))).toBe(0x98); // L conf1 r 00:01.3 0x064/4 0x98000000
    // -device isa-serial turns the default serial port off: the device is COM1
    expect(piix4SerialByte(boot(['-M', 'pc', '-device', 'isa-serial']))).toBe(0x08);
    const five = ['-M', 'pc', '-serial', 'null', ...Array(4).fill(['-device', 'isa-serial']).flat()];
    expect(err(five)).toBe('-device isa-serial: Max. supported number of ISA serial ports is 4.');
  });

  it('nvdimm: accepted in device memory, with QEMU checks', () => {
    const be = ['-object', 'memory-backend-file,id=mem0,mem-path=/tmp/x,size=256M,share=on'];
    const ok = ['-M', 'q35,nvdimm=on', '-m', '2048M,slots=10,maxmem=8G', ...be, '-device', 'nvdimm,memdev=mem0,id=nv0'];
    expect(err(ok)).toBe('');
    expect(err(['-M', 'q35', '-m', '2048M,slots=10,maxmem=8G', ...be, '-device', 'nvdimm,memdev=mem0'])).toBe(
      "-device nvdimm,memdev=mem0: nvdimm is not enabled: missing 'nvdimm' in '-M'",
    );
    expect(err(['-M', 'q35,nvdimm=on', ...be, '-device', 'nvdimm,memdev=mem0'])).toBe(
      "-device nvdimm,memdev=mem0: no slots where allocated, please specify the 'slots' option",
    );
  });

  it('virtio-net-device on microvm takes a virtio-mmio transport, the highest first', () => {
    const m = boot(['-M', 'microvm', '-netdev', 'user,id=n0', '-device', 'virtio-net-device,netdev=n0']) as Machine & {
      transports: { index: number; device: string | null }[];
    };
    expect(m.rootBus).toBeNull();
    expect(m.transports.filter((t) => t.device).map((t) => [t.index, t.device])).toEqual([[23, 'virtio-net-device']]);
    expect(err(['-M', 'q35', '-device', 'virtio-net-device'])).toBe("-device virtio-net-device: No 'virtio-bus' bus found for device 'virtio-net-device'");
  });
});
