/**
 * Every config-space read the real QEMU 7.2 answered, replayed against pcisim's models. Each reference
 * boot (reference/<scenario>.accesses.txt.gz: SeaBIOS's and Linux 6.1's accesses, in order,
 * with the value QEMU returned) is built from its own `qemuArgs` through parseQemuCommandLine() and
 * realizeCommandLine(), then driven access by access through the machine's conf1 ports and ECAM window;
 * every read of a present function must return exactly what QEMU returned — IDs, BAR sizing, capability
 * chains, extended capabilities, bridge windows as SeaBIOS programmed them, root-port link status, slot
 * control, SHPC and MSI registers — for the `-device` functions, and for the board's own (default NIC
 * placement and the system reset after machine creation are realizeCommandLine's).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import {
  MicrovmMachine,
  PcMachine,
  Q35Machine,
  parseQemuArgs,
  parseQemuCommandLine,
  realizeCommandLine,
  realizedDevices,
  type Machine,
  type PciDevice,
} from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('../../../reference/', import.meta.url));

interface Access {
  line: number;
  phase: string;
  mech: string;
  rw: string;
  bus: number;
  devfn: number;
  reg: number;
  size: 1 | 2 | 4;
  value: number;
}

function loadTrace(name: string): Access[] {
  const text = gunzipSync(readFileSync(`${FIXTURES}${name}.accesses.txt.gz`)).toString('utf8');
  const out: Access[] = [];
  text.split('\n').forEach((l, i) => {
    const m = /^([FL]) (conf1|mmcfg) ([rw]) ([0-9a-f]{2}):([0-9a-f]{2})\.([0-7]) 0x([0-9a-f]+)\/([124]) 0x([0-9a-f]+)$/.exec(l);
    if (!m) return;
    out.push({
      line: i + 1,
      phase: m[1]!,
      mech: m[2]!,
      rw: m[3]!,
      bus: parseInt(m[4]!, 16),
      devfn: (parseInt(m[5]!, 16) << 3) | parseInt(m[6]!, 10),
      reg: parseInt(m[7]!, 16),
      size: Number(m[8]) as 1 | 2 | 4,
      value: parseInt(m[9]!, 16),
    });
  });
  return out;
}

/** Build the scenario's machine from its command line, replay the trace, list every differing read. */
function replay(scenario: string): { mismatches: string[]; checked: { F: number; L: number }; mine: number } {
  const meta = JSON.parse(readFileSync(`${FIXTURES}${scenario}.json`, 'utf8')) as { qemuArgs: string[] };
  const parsed = parseQemuCommandLine(meta.qemuArgs);
  const usb = parseQemuArgs(meta.qemuArgs).usb;
  const micro = scenario.startsWith('microvm');
  const m: Machine = micro
    ? new MicrovmMachine({ ramBytes: 512 << 20, pcie: 'on' })
    : scenario.startsWith('pc-')
      ? new PcMachine({
          nodefaults: parsed.nodefaults,
          ramBytes: 512 << 20,
          serialPorts: parsed.rest.filter((o) => o.option === '-serial').length || (parsed.nodefaults ? 0 : 1),
          usb,
        })
      : new Q35Machine({ nodefaults: parsed.nodefaults, ramBytes: 512 << 20, acpiPciHotplugWithBridgeSupport: true, usb });
  const ecam = micro ? 0xe0000000 : 0xb0000000;
  realizeCommandLine(m, parsed);
  const mine = new Set<PciDevice>(realizedDevices(m).flatMap((d) => (d.pci ? [d.pci] : [])));
  const mismatches: string[] = [];
  const checked = { F: 0, L: 0 };
  let mineReads = 0;
  for (const a of loadTrace(scenario)) {
    const dev = m.rootBus!.findDevice(a.bus, a.devfn);
    let v = 0;
    if (a.mech === 'conf1') {
      m.pioWrite(0xcf8, 4, (0x80000000 | (a.bus << 16) | (a.devfn << 8) | (a.reg & 0xfc)) >>> 0);
      if (a.rw === 'r') v = m.pioRead(0xcfc + (a.reg & 3), a.size);
      else m.pioWrite(0xcfc + (a.reg & 3), a.size, a.value);
    } else {
      const gpa = ecam + ((a.bus << 20) | (a.devfn << 12) | a.reg);
      if (a.rw === 'r') v = m.mmioRead(gpa, a.size);
      else m.mmioWrite(gpa, a.size, a.value);
    }
    if (a.rw === 'r' && dev) {
      checked[a.phase as 'F' | 'L']++;
      if (mine.has(dev)) mineReads++;
      if (v >>> 0 !== a.value >>> 0) {
        mismatches.push(
          `line ${a.line}: ${a.phase} ${a.mech} ${dev.typeName} 0x${a.reg.toString(16)}/${a.size}: QEMU 0x${a.value.toString(16)}, pcisim 0x${(v >>> 0).toString(16)}`,
        );
      }
    }
  }
  return { mismatches, checked, mine: mineReads };
}

describe('-device models against real QEMU 7.2 + Linux 6.1 boots, read by read', () => {
  // reads of -device functions in each recording (firmware + Linux phases)
  const cases: [string, number][] = [
    ['q35-kata', 800], // pci-bridge (SHPC, slot-ID, MSI) + transitional virtio-serial/scsi/rng/net on pcie.0
    ['q35-libvirt', 2900], // 7 pcie-root-ports + qemu-xhci + modern virtio-serial/blk/net/rng behind them
    ['microvm-pcie', 100], // transitional virtio-rng-pci on microvm's GPEX root bus
    ['q35-nested-bridges', 800], // pcie-root-port → pcie-pci-bridge → pci-bridge → virtio-blk-pci
    ['q35-multifunction', 400], // virtio-net/blk/rng as functions 0-2 of slot 5
    ['q35-many-rootports', 4500], // 16 root ports on two multifunction slots
    ['q35-usb-ich9', 150], // ich9-usb-ehci1 at 1d.7 + uhci1-3 companions at 1d.0-2 (libvirt's shape)
    ['q35-usb-ich9-ehci2', 150], // ich9-usb-ehci2 at 1a.7 + uhci4-6 at 1a.0-2, usb-tablet on its bus
    ['pc-usb-tablet', 40], // piix3-usb-uhci + usb-tablet (no PCI function)
    ['q35-xhci-nec', 60], // nec-usb-xhci (MSI, MSI-X, PCIe endpoint) + usb-kbd + usb-storage
    ['q35-usb-ehci', 40], // usb-ehci (ICH4) + usb-mouse
    ['q35-hda', 40], // ich9-intel-hda + hda-duplex
    ['pc-hda', 40], // intel-hda + hda-output
    ['pc-ac97', 40], // AC97
    // no -device: the board, its default NIC and the reset through realizeCommandLine
    ['q35-default', 0],
    ['q35-nodefaults', 0],
    ['q35-intel', 0],
    ['q35-lastbus0', 0],
    ['q35-nommconf', 0],
    ['pc-default', 0],
    ['pc-nodefaults', 0],
    ['q35-usb-on', 0], // -machine usb=on: the board's EHCI and companions
    ['pc-usb', 0], // -usb: the board's piix3-usb-uhci at 01.2
  ];
  for (const [scenario, atLeast] of cases) {
    it.skipIf(!existsSync(`${FIXTURES}${scenario}.json`))(`${scenario}: every read matches`, () => {
      const r = replay(scenario);
      expect(r.mismatches).toEqual([]);
      expect(r.mine).toBeGreaterThanOrEqual(atLeast);
      expect(r.checked.L).toBeGreaterThan(0);
    });
  }
});
