/**
 * Where the firmware or the bus numbers run out (issue 17): the boot ends in one line saying what the real
 * firmware prints and what the real VM then does, exit 1 — never a stack trace. Each case was run on QEMU 7.2
 * with Debian's SeaBIOS 1.16.2 and its debug console (isa-debugcon at 0x402) to see what the real VM does.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../src/index.js';

const run = async (args: string[]) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
};

const HANG =
  '(SeaBIOS prints this on its debug console, port 0x402, then halts the vCPU with interrupts off: the real VM ' +
  'hangs in the firmware, QEMU keeps running and the guest never boots)';

describe('SeaBIOS panics in pci_bios_map_devices()', () => {
  it('-M pc with nine pci-bridges each holding an e1000: "PCI: out of I/O address space"', async () => {
    const args = ['boot', '-M', 'pc'];
    for (let i = 1; i <= 9; i++) args.push('-device', `pci-bridge,id=b${i},chassis_nr=${i}`, '-device', `e1000,bus=b${i}`);
    const r = await run(args);
    expect(r).toEqual({ code: 1, out: '', err: `pcisim: SeaBIOS panic: PCI: out of I/O address space ${HANG}\n` });
  });

  it('q35 with two root ports reserving 512 MiB of 32-bit memory each: "PCI: out of 32bit address space"', async () => {
    const args = ['boot', '-M', 'q35', '-nodefaults'];
    for (let i = 1; i <= 2; i++) args.push('-device', `pcie-root-port,id=r${i},chassis=${i},mem-reserve=512M`);
    const r = await run([...args, '--json']);
    expect(r).toEqual({ code: 1, out: '', err: `pcisim: SeaBIOS panic: PCI: out of 32bit address space ${HANG}\n` });
  });
});

/** 240 pcie-root-ports filling q35's slots 1-1e, a pci-bridge behind each of the first 16: 256 secondary buses */
function busHungryLine(): string[] {
  const args = ['-M', 'q35', '-nodefaults'];
  for (let n = 1, slot = 1; slot <= 0x1e; slot++) {
    for (let fn = 0; fn < 8; fn++, n++) {
      args.push('-device', `pcie-root-port,id=rp${n},chassis=${n},addr=${slot.toString(16)}.${fn}${fn === 0 ? ',multifunction=on' : ''}`);
    }
  }
  for (let i = 1; i <= 16; i++) args.push('-device', `pci-bridge,id=br${i},chassis_nr=${i},bus=rp${i}`);
  return args;
}

describe('more than 255 secondary buses', () => {
  it('SeaBIOS: the bus counter wraps at the 256th bridge (00:1e.7) and it numbers bus 0 again without end', async () => {
    const r = await run(['boot', ...busHungryLine()]);
    expect(r).toEqual({
      code: 1,
      out: '',
      err:
        'pcisim: SeaBIOS ran out of PCI bus numbers (it numbers at most 255 buses behind bridges): bridge 00:1e.7 ' +
        "would need bus 256, SeaBIOS's 8-bit bus counter wraps to 0 and pci_bios_init_bus_rec() numbers bus 0 again, " +
        'without end: the real VM hangs in the firmware until its stack overflows, QEMU keeps running and the guest never boots\n',
    });
  });

  it('a root port reserving 254 buses (bus-reserve) leaves none for the next one: the same endless renumbering', async () => {
    const r = await run(['boot', '-M', 'q35', '-nodefaults', '-device', 'pcie-root-port,id=r1,chassis=1,bus-reserve=254', '-device', 'pcie-root-port,id=r2,chassis=2']);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^pcisim: SeaBIOS ran out of PCI bus numbers \(it numbers at most 255 buses behind bridges\): bridge 00:02\.0 would need bus 256, .* the guest never boots\n$/);
  });

  it('qboot: its max_bus wraps the same way', async () => {
    const r = await run(['boot', ...busHungryLine(), '--firmware', 'qboot']);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toBe(
      'pcisim: qboot ran out of PCI bus numbers (it numbers at most 255 buses behind bridges): bridge ff:00.0 would ' +
        "need bus 256, qboot's 8-bit max_bus wraps to 0 and do_setup_pci_bus() sets up bus 0 again, without end: " +
        'the real VM hangs in the firmware until its stack overflows, QEMU keeps running and the guest never boots\n',
    );
  });
});

describe('more than 255 secondary buses with no firmware: Linux numbers them (pci_scan_bridge_extend, pass 1)', () => {
  it('the 256th bridge gets bus 0x100, outside the bus-number tree: the boot completes and says so', async () => {
    const r = await run(['boot', ...busHungryLine(), '--firmware', 'none']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    expect(r.out).toContain('  00:1e.6 [1b36:000c] class 060400  -> bus ff\n');
    expect(r.out).toContain('  00:1e.7 [1b36:000c] class 060400  -> bus 100\n');
    expect(r.out).toContain('  (pci_bus 0000:100: busn_res: can not insert [bus 100-ff] under [bus 00-ff] (conflicts with (null) [bus 00-ff]))\n');
    expect(r.out).toContain('  (pci_bus 0000:100: busn_res: can not insert [bus 100] under [bus 00-ff] (conflicts with (null) [bus 00-ff]))\n');
  });

  it('below a root port on bus ff, the bridge that gets no bus is named, and the NIC behind it is not found', async () => {
    const args = busHungryLine().slice(0, 3 + 2 * 240);
    for (let i = 225; i <= 240; i++) args.push('-device', `pci-bridge,id=br${i},chassis_nr=${i - 224},bus=rp${i}`);
    args.push('-device', 'e1000,bus=br240,addr=1');
    const r = await run(['boot', ...args, '--firmware', 'none']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('  00:1e.7 [1b36:000c] class 060400  -> bus ff\n    ff:00.0 [1b36:0001] class 060400  -> bus 100\n      (bus 100: empty)\n');
    expect(r.out).toContain('  (pci 0000:ff:00.0: devices behind bridge are unusable because [bus 100] cannot be assigned for them)\n');
    expect(r.out).toContain('  (pci_bus 0000:ff: busn_res: [bus ff] end can not be updated to 100)\n');
    const json = await run(['boot', ...args, '--firmware', 'none', '--json']);
    const devices = (JSON.parse(json.out) as { devices: { bdf: string; bridge?: unknown }[] }).devices;
    expect(devices.find((d) => d.bdf === '0000:00:1e.7')?.bridge).toEqual({ secondary: 0xff, subordinate: 0xff });
    expect(devices.some((d) => d.bdf.startsWith('0000:100:'))).toBe(false);
  });
});
