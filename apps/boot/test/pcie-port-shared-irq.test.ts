import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bootScenario } from '../src/core/boot-scenario.js';
import { parseQemuArgs } from '../src/core/scenario.js';
import { formatAccess } from '../src/record/accesses-file.js';
import type { AccessRecord } from '../src/core/report-types.js';

const REF = new URL('../../../reference/', import.meta.url);

/** the recording's Linux phase, one formatted access a line, values masked to the access size */
function realLinux(name: string): string[] {
  return gunzipSync(readFileSync(new URL(`${name}.accesses.txt.gz`, REF)))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.startsWith('L '))
    .map((l) => {
      const p = l.split(' ');
      const size = Number(p[4]!.split('/')[1]);
      const v = Number(BigInt(p[5]!) & ((1n << BigInt(8 * size)) - 1n));
      return [...p.slice(0, 5), `0x${v.toString(16)}`].join(' ');
    });
}

function simLinux(name: string): string[] {
  const ref = JSON.parse(readFileSync(new URL(`${name}.json`, REF), 'utf8')) as { qemuArgs: string[]; append?: string };
  const args = ['-m', '512', ...ref.qemuArgs, ...(ref.append ? ['-append', ref.append] : [])];
  const acc = bootScenario(parseQemuArgs(args), { keepAccesses: true }).accesses ?? [];
  return acc.filter((a: AccessRecord) => a.phase === 'L').map((a) => formatAccess(a));
}

/** index of pcie_enable_notification()'s SLTCTL write (HPIE | CCIE set) to the root port `port` */
function enableNotification(log: string[], port: string): number {
  return log.findIndex((l) => {
    const m = /^L conf1 w (\S+) 0x06c\/2 (0x[0-9a-f]+)$/.exec(l);
    return m !== null && m[1] === port && (Number(m[2]) & 0x30) === 0x30;
  });
}

describe("a native pciehp port's shared vector at boot (portdrv: PME, AER and pciehp on one MSI-X vector)", () => {
  for (const [name, port] of [
    ['q35-pcie-ports-native', '00:03.0'],
    ['q35-pxb-pcie', '80:00.0'],
  ] as const) {
    it(`${name}: Command Completed is taken after the SLTCTL write; pcie_pme_irq(), aer_irq(), pciehp_isr() in that order`, () => {
      const real = realLinux(name);
      const sim = simLinux(name);
      const r = enableNotification(real, port);
      const s = enableNotification(sim, port);
      expect(r).toBeGreaterThan(0);
      expect(s).toBe(r);
      // the write, RTSTA (PCIe cap + 0x20), the AER Root Error Status (AER cap + 0x30), then pciehp_isr()'s
      // SLTSTA read / clear / re-read, and the irq thread pciehp_check_presence() woke
      const window = real.slice(r, r + 12);
      expect(window[1]).toMatch(new RegExp(`^L conf1 r ${port} 0x074/4 `));
      expect(window[2]).toMatch(new RegExp(`^L mmcfg r ${port} 0x130/4 `));
      expect(window[3]).toMatch(new RegExp(`^L conf1 r ${port} 0x06e/2 `));
      expect(Number(window[3]!.split(' ').at(-1)) & 0x10).toBe(0x10); // PCI_EXP_SLTSTA_CC
      expect(sim.slice(s, s + 12)).toEqual(window);
      expect(sim).toEqual(real);
    }, 60_000);
  }
});
