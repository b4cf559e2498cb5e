import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { Linux, type BootInfo, type Cpu, type CpuidResult } from '../src/index.js';

/**
 * @sim/guest on its own against a real boot: QEMU's hand-off for the scenario (E820, ACPI tables, CPUID, as
 * scripts/guest-fixture.mjs wrote them) and, for every config read, the value the real QEMU 7.2 returned to
 * the real Linux 6.1 (the Linux phase of reference/<scenario>.accesses.txt.gz). No QEMU model is involved: the CPU below decodes conf1 and
 * ECAM and answers from the recording, and stops at the first access the kernel makes differently.
 */
interface RealAccess {
  mmcfg: boolean;
  write: boolean;
  bus: number;
  devfn: number;
  reg: number;
  size: number;
  value: number;
  line: string;
}

const fixture = (file: string) => fileURLToPath(new URL(`./fixtures/${file}`, import.meta.url));
/** the repository's reference recordings (reference/ at the root) */
const recording = (file: string) => fileURLToPath(new URL(`../../../reference/${file}`, import.meta.url));

function loadRecording(name: string): RealAccess[] {
  const text = gunzipSync(readFileSync(recording(`${name}.accesses.txt.gz`))).toString();
  return text
    .split('\n')
    .filter((l) => l.startsWith('L '))
    .map((line) => {
      // "L conf1 r 00:1f.0 0x060/1 0xa"
      const [, mech, rw, bdf, regSize, value] = line.split(/\s+/) as [string, string, string, string, string, string];
      const [bus, slotFn] = bdf.split(':') as [string, string];
      const [slot, fn] = slotFn.split('.') as [string, string];
      const [reg, size] = regSize.split('/') as [string, string];
      const sz = Number(size);
      const v = BigInt(value) & (sz === 4 ? 0xffffffffn : sz === 2 ? 0xffffn : 0xffn);
      return { mmcfg: mech === 'mmcfg', write: rw === 'w', bus: parseInt(bus, 16), devfn: (parseInt(slot, 16) << 3) | Number(fn), reg: Number(reg), size: sz, value: Number(v), line };
    });
}

class Divergence extends Error {}

/** the device list of apps/boot's reference for the scenario, as the handoff fixture carries it */
function recordedDevices(name: string): string[] {
  return (JSON.parse(readFileSync(fixture(`${name}.handoff.json`), 'utf8')) as { devices: string[] }).devices;
}

/** A vCPU whose config space is the recording: conf1 at 0xcf8/0xcfc, ECAM at the MCFG base. */
function replayCpu(real: RealAccess[], info: BootInfo, cpuid: Record<string, CpuidResult>) {
  let latch = 0;
  let next = 0;
  let divergence: string | null = null;
  const ecam = info.acpi?.mcfg[0];
  const ones = (size: number) => (size === 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff);
  const access = (mmcfg: boolean, write: boolean, bus: number, devfn: number, reg: number, size: number, value: number): number => {
    const r = real[next];
    const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
    const mine = `L ${mmcfg ? 'mmcfg' : 'conf1'} ${write ? 'w' : 'r'} ${hex(bus, 2)}:${hex(devfn >> 3, 2)}.${devfn & 7} 0x${hex(reg, 3)}/${size}${write ? ` 0x${(value >>> 0).toString(16)}` : ''}`;
    const same = r && r.mmcfg === mmcfg && r.write === write && r.bus === bus && r.devfn === devfn && r.reg === reg && r.size === size && (!write || r.value === (value & ones(size)) >>> 0);
    if (!same) {
      divergence = `access #${next}: the kernel made ${mine}, the real one ${r?.line ?? '(nothing)'}`;
      throw new Divergence(divergence);
    }
    next++;
    return r.value;
  };
  const dataPort = (port: number, size: number, write: boolean, value = 0): number => {
    if (!(latch & 0x80000000)) return ones(size);
    return access(false, write, (latch >>> 16) & 0xff, (latch >>> 8) & 0xff, (latch & 0xfc) | (port & 3), size, value);
  };
  const pio = (port: number, size: number): number => {
    if (port === 0xcf8 && size === 4) return latch;
    if (port >= 0xcfc && port < 0xd00) return dataPort(port, size, false);
    return ones(size);
  };
  const pioOut = (port: number, size: number, value: number): void => {
    if (port === 0xcf8 && size === 4) latch = value >>> 0;
    else if (port >= 0xcfc && port < 0xd00) dataPort(port, size, true, value);
  };
  const inEcam = (gpa: number) => ecam !== undefined && gpa >= ecam.base && gpa < ecam.base + ((ecam.endBus + 1) << 20);
  const mmio = (arg: number, size: number, write: boolean, value = 0): number => {
    const gpa = arg < 0 ? arg + 2 ** 32 : arg; // the guest gives an ECAM gpa below 4 GiB as its int32 (Cpu)
    if (!inEcam(gpa)) return ones(size);
    const off = gpa - ecam!.base;
    return access(true, write, (off >>> 20) & 0xff, (off >>> 12) & 0xff, off & 0xfff, size, value);
  };
  const cpu: Cpu = {
    inb: (p) => pio(p, 1),
    inw: (p) => pio(p, 2),
    inl: (p) => pio(p, 4),
    outb: (p, v) => pioOut(p, 1, v),
    outw: (p, v) => pioOut(p, 2, v),
    outl: (p, v) => pioOut(p, 4, v),
    readb: (a) => mmio(a, 1, false),
    readw: (a) => mmio(a, 2, false),
    readl: (a) => mmio(a, 4, false),
    writeb: (a, v) => void mmio(a, 1, true, v),
    writew: (a, v) => void mmio(a, 2, true, v),
    writel: (a, v) => void mmio(a, 4, true, v),
    cpuid: (leaf, sub = 0) => cpuid[`${leaf}:${sub}`] ?? { eax: 0, ebx: 0, ecx: 0, edx: 0 },
    now: () => 0,
    sleepNs: () => {},
  };
  return { cpu, made: () => next, divergence: () => divergence };
}

const SCENARIOS: [string, number, string[]][] = [
  ['q35-default', 8867, ['00:00.0', '00:01.0', '00:02.0', '00:1f.0', '00:1f.2', '00:1f.3']],
  // libvirt's root port per device: bridges, PCIe capabilities, the port driver
  ['q35-libvirt', 11389, []],
  // qboot programs no bridge: Linux sizes and assigns every window itself
  ['q35-qboot-bridges', 9976, []],
  // nvme behind a root port: pci_enable_bridge() finds the port enabled and bus-mastering (the port driver bound first)
  ['q35-nvme-rootport', 9374, []],
  // nvme behind a PCI-PCI bridge on PIIX: pci_enable_bridge() enables the bridge (latency timer 64), and
  // acpi_pci_irq_enable() programs PIRQD then PIRQA (the links' _SRS)
  ['pc-nvme-pci-bridge', 1003, []],
];

describe.each(SCENARIOS)('Linux 6.1 alone against the real %s boot', (name, accesses, devices) => {
  const handoff = JSON.parse(readFileSync(fixture(`${name}.handoff.json`), 'utf8')) as { bootInfo: BootInfo; cpuid: Record<string, CpuidResult> };
  const real = loadRecording(name);

  it('makes every config access the real kernel made, in order, with the same registers, sizes and written values', () => {
    const r = replayCpu(real, handoff.bootInfo, handoff.cpuid);
    let found: ReturnType<Linux['boot']> = [];
    try {
      found = new Linux(r.cpu, handoff.bootInfo).boot();
    } catch (e) {
      if (!(e instanceof Divergence)) throw e;
    }
    expect(r.divergence()).toBeNull();
    expect(r.made()).toBe(real.length);
    expect(real.length).toBe(accesses);
    // what it found is what answered in the recording (the fixture's device list)
    const bdfs = found.map((d) => `${d.bus.toString(16).padStart(2, '0')}:${(d.devfn >> 3).toString(16).padStart(2, '0')}.${d.devfn & 7}`);
    expect(bdfs).toEqual(devices.length ? devices : recordedDevices(name));
  });
});
