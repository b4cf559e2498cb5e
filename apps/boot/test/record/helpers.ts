import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import type { BootReport } from '../../src/core/report-types.js';

export const FIXTURES = fileURLToPath(new URL('../../../../reference/', import.meta.url));

/** The shared/reference recordings copied into the repo: the contract the recorder must reproduce. */
export const REFERENCE_SCENARIOS = [
  'microvm-pcie',
  'pc-default',
  'q35-default',
  'q35-kata',
  'q35-lastbus0',
  'q35-libvirt',
  'q35-nodefaults',
  'q35-nommconf',
] as const;

/** Every reference-format recording in the fixtures (the 8 references and the ones recorded since). */
export function recordedScenarios(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.accesses.txt.gz'))
    .map((f) => f.slice(0, -'.accesses.txt.gz'.length))
    .filter((s) => existsSync(join(FIXTURES, `${s}.json`)))
    .sort();
}

export function loadReport(scenario: string): BootReport {
  return JSON.parse(readFileSync(join(FIXTURES, `${scenario}.json`), 'utf8')) as BootReport;
}

/** A memory_region_ops line as QEMU 7.2's log backend prints it. */
export function op(rw: 'read' | 'write', addr: number, value: number | string, size: number, name: string): string {
  const v = typeof value === 'string' ? value : `0x${value.toString(16)}`;
  return `memory_region_ops_${rw} cpu 0 mr 0x55766e014010 addr 0x${addr.toString(16)} value ${v} size ${size} name '${name}'`;
}

/** conf1: latch write + data access, as Linux and SeaBIOS do it. */
export function conf1(rw: 'read' | 'write', bus: number, dev: number, fn: number, reg: number, size: number, value: number): string[] {
  const latch = (0x80000000 | (bus << 16) | (dev << 11) | (fn << 8) | (reg & 0xfc)) >>> 0;
  return [op('write', 0xcf8, latch, 4, 'pci-conf-idx'), op(rw, 0xcfc + (reg & 3), value, size, 'pci-conf-data')];
}

export function mmcfg(rw: 'read' | 'write', base: number, bus: number, dev: number, fn: number, reg: number, size: number, value: number | string): string {
  return op(rw, base + ((bus << 20) | (dev << 15) | (fn << 12) | reg), value, size, 'pcie-mmcfg-mmio');
}

export const FWCFG = op('write', 0x518, 0x6efc, 4, 'fwcfg.dma');

/** Call at a test file's top level: a maker of temporary directories, all removed after the file's tests. */
export function tempDirs(prefix = 'pcisim-test-'): () => string {
  const made: string[] = [];
  afterAll(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    made.push(d);
    return d;
  };
}

/** The first bytes of a bzImage: the setup header's magic and its kernel_version pointer (Documentation/x86/boot.rst). */
export function fakeBzImage(release: string): Buffer {
  const b = Buffer.alloc(0x1000);
  b.write('HdrS', 0x202, 'latin1');
  b.writeUInt16LE(0x400 - 0x200, 0x20e);
  b.write(`${release} (debian-kernel@lists.debian.org) #1 SMP PREEMPT_DYNAMIC Debian 6.1.158-1\0`, 0x400, 'latin1');
  return b;
}
