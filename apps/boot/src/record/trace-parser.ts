/**
 * @module
 * Streaming parser of QEMU's `-trace memory_region_ops_read -trace memory_region_ops_write` output
 * (the `log` trace backend of Debian's QEMU 7.2), one line per MMIO/PIO access that reached a device model:
 *
 *     memory_region_ops_write cpu 0 mr 0x55766e014010 addr 0xcf8 value 0x80000000 size 4 name 'pci-conf-idx'
 *     memory_region_ops_read cpu 0 mr 0x55766e014380 addr 0xb0000010 value 0x0 size 4 name 'pcie-mmcfg-mmio'
 *
 * (with `-msg timestamp=on` each line starts with `<pid>@<sec>.<usec>:`). `addr` is absolute in the address
 * space the region sits in: port number for I/O, guest-physical for q35's MMCONFIG window, and the bare
 * offset for microvm's GPEX ECAM, which the machine maps through an alias (QEMU traces the aliased region).
 *
 * The rules (shared/reference/README.md, docs/recording.md):
 * - conf1 access = an access to `pci-conf-data` (0xcfc-0xcff) while the latched 0xcf8 dword has bit 31;
 *   bus/devfn from the latch, `reg = (latch & 0xfc) | (port & 3)`;
 * - mmcfg access = an access to `pcie-mmcfg-mmio`, decoded from its offset in the window;
 * - the phase boundary is the last fw_cfg access (regions `fwcfg`, `fwcfg.data`, `fwcfg.dma`): everything
 *   before it is firmware (SeaBIOS + the linuxboot ROM that loads the kernel through fw_cfg).
 * Only accesses are buffered (the phase is known at the end), never raw lines.
 */

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { AccessRecord, Phase, PortAccesses } from '../core/report-types.js';
import { traceValue } from './accesses-file.js';
import { RecordError } from './errors.js';

/** QEMU 7.2's names for the regions the rules look at (hw/pci/pci_host.c, hw/pci/pcie_host.c, hw/nvram/fw_cfg.c). */
export const REGION = {
  conf1Index: 'pci-conf-idx',
  conf1Data: 'pci-conf-data',
  mmcfg: 'pcie-mmcfg-mmio',
} as const;

export function isFwCfgRegion(name: string): boolean {
  return name === 'fwcfg' || name.startsWith('fwcfg.');
}

/** One `memory_region_ops_read/write` line. */
export interface TraceOp {
  write: boolean;
  /** -1 for accesses not made by a vCPU (e.g. MSI delivery) */
  cpu: number;
  addr: number;
  /** the value's hex digits as traced (it may not fit in a double) */
  valueHex: string;
  size: number;
  name: string;
}

const OPS_RE =
  /^(?:\d+@\d+\.\d+:)?memory_region_ops_(read|write) cpu (-?\d+) mr (?:0x[0-9a-f]+|\(nil\)) addr 0x([0-9a-f]+) value 0x([0-9a-f]+) size (\d+) name '(.*)'$/;
/** A line that claims to be one of ours (so a failure to parse it is an error, not another event). */
const OPS_PREFIX_RE = /^(?:\d+@\d+\.\d+:)?memory_region_ops_/;
/** Any other trace event of the log backend (`name_with_underscores args…`), or QEMU's own messages. */
const OTHER_EVENT_RE = /^(?:\d+@\d+\.\d+:)?[a-z][a-z0-9]*_[a-z0-9_]* /;
const QEMU_MESSAGE_RE = /^qemu(?:-system-[a-z0-9_]+)?: /;

/** `TraceOp` of a `memory_region_ops_*` line; `undefined` if the line is not a well-formed one. */
export function parseTraceLine(line: string): TraceOp | undefined {
  const m = OPS_RE.exec(line);
  if (!m) return undefined;
  return {
    write: m[1] === 'write',
    cpu: Number(m[2]),
    addr: Number.parseInt(m[3] ?? '', 16),
    valueHex: m[4] ?? '',
    size: Number(m[5]),
    name: m[6] ?? '',
  };
}

export function emptyPortAccesses(): PortAccesses {
  return {
    cf8_write_dword: 0,
    cf8_write_other: 0,
    cf8_read: 0,
    cfc_read: 0,
    cfc_write: 0,
    data_with_enable_clear: 0,
    data_without_new_address: 0,
  };
}

function addPorts(into: PortAccesses, from: PortAccesses): void {
  for (const k of Object.keys(into) as (keyof PortAccesses)[]) into[k] += from[k];
}

export interface ParsedTrace {
  /** every config access in trace order, phases assigned */
  accesses: AccessRecord[];
  portAccesses: Record<Phase, PortAccesses>;
  /** lines read, memory_region_ops lines among them */
  lines: number;
  opsLines: number;
  /** 1-based line of the last fw_cfg access (the phase boundary); 0 if there was none */
  lastFwCfgLine: number;
  /** things a reader should know (no fw_cfg access, accesses with the latch disabled…) */
  warnings: string[];
}

export interface TraceParseOptions {
  /** name used in errors (a path) */
  file?: string;
  /**
   * Guest-physical base of the MMCONFIG window. Default: offsets are taken modulo 256 MiB, right for a
   * window aligned to 256 MiB (q35's 0xb0000000) and for microvm, whose trace addresses are offsets.
   */
  mmcfgBase?: number;
}

/**
 * The rules as a push parser: `push()` each line in order, `finish()` at the end. Synchronous, so a
 * caller can drive it from any source; `parseTrace()` drives it from a file or an async line stream.
 */
export class TraceDecoder {
  private readonly file: string | undefined;
  private readonly mmcfgBase: number | undefined;
  private lineNo = 0;
  private opsLines = 0;
  private latch = 0;
  private latched = false;
  private newAddress = false;
  /** a memory_region_ops line that did not parse: an error unless it turns out to be the last line */
  private badLine = 0;
  private badText = '';
  private readonly accesses: AccessRecord[] = [];
  /** accesses.length at the last fw_cfg access */
  private firmwareAccesses = 0;
  private lastFwCfgLine = 0;
  /** port counts before the last fw_cfg access seen so far / since it */
  private readonly firmwarePorts = emptyPortAccesses();
  private pendingPorts = emptyPortAccesses();

  constructor(options: TraceParseOptions = {}) {
    this.file = options.file;
    this.mmcfgBase = options.mmcfgBase;
  }

  private fail(code: 'NOT_A_TRACE' | 'TRUNCATED_TRACE' | 'BAD_TRACE_LINE', line: number, message: string): never {
    throw new RecordError(code, message, { line, ...(this.file !== undefined ? { file: this.file } : {}) });
  }

  push(rawLine: string): void {
    this.lineNo++;
    if (this.badLine !== 0) {
      this.fail('BAD_TRACE_LINE', this.badLine, `malformed trace line: ${JSON.stringify(this.badText.slice(0, 120))}`);
    }
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    const op = parseTraceLine(line);
    if (op === undefined) {
      if (OPS_PREFIX_RE.test(line) || (this.opsLines > 0 && !OTHER_EVENT_RE.test(line) && !QEMU_MESSAGE_RE.test(line) && line !== '')) {
        // Decided on the next line: the last line of a killed QEMU's trace is cut, not malformed.
        this.badLine = this.lineNo;
        this.badText = line;
        return;
      }
      if (line === '' || OTHER_EVENT_RE.test(line) || QEMU_MESSAGE_RE.test(line)) return;
      this.fail(
        'NOT_A_TRACE',
        this.lineNo,
        `not a QEMU trace (expected "memory_region_ops_read/write …" lines): ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    this.opsLines++;
    this.op(op);
  }

  /** One parsed access; `push()` calls it, a caller with its own event source can too. */
  op(op: TraceOp): void {
    const name = op.name;
    if (name === REGION.conf1Data) {
      const ports = this.pendingPorts;
      if (op.write) ports.cfc_write++;
      else ports.cfc_read++;
      if (!this.newAddress) ports.data_without_new_address++;
      this.newAddress = false;
      if (!this.latched || this.latch >>> 31 === 0) {
        ports.data_with_enable_clear++;
        return;
      }
      const latch = this.latch;
      this.accesses.push({
        phase: 'L',
        mech: 'conf1',
        write: op.write,
        bus: (latch >>> 16) & 0xff,
        devfn: (latch >>> 8) & 0xff,
        reg: (latch & 0xfc) | (op.addr & 3),
        size: op.size,
        ...traceValue(op.valueHex, op.size),
      });
    } else if (name === REGION.conf1Index) {
      const ports = this.pendingPorts;
      if (!op.write) ports.cf8_read++;
      else if ((op.addr & 3) === 0 && op.size === 4) {
        // QEMU latches only dword writes at 0xcf8 (pci_host_config_write ignores the rest).
        ports.cf8_write_dword++;
        this.latch = Number.parseInt(op.valueHex.slice(-8), 16) >>> 0;
        this.latched = true;
        this.newAddress = true;
      } else ports.cf8_write_other++;
    } else if (name === REGION.mmcfg) {
      const offset = this.mmcfgBase === undefined ? op.addr % 0x10000000 : op.addr - this.mmcfgBase;
      this.accesses.push({
        phase: 'L',
        mech: 'mmcfg',
        write: op.write,
        bus: Math.floor(offset / 0x100000) & 0xff,
        devfn: (offset >>> 12) & 0xff,
        reg: offset & 0xfff,
        size: op.size,
        ...traceValue(op.valueHex, op.size),
      });
    } else if (isFwCfgRegion(name)) {
      this.firmwareAccesses = this.accesses.length;
      this.lastFwCfgLine = this.lineNo;
      addPorts(this.firmwarePorts, this.pendingPorts);
      this.pendingPorts = emptyPortAccesses();
    }
  }

  finish(): ParsedTrace {
    if (this.badLine !== 0) {
      // The last line, cut short: a trace copied or read while QEMU was still writing it, or QEMU killed hard.
      this.fail('TRUNCATED_TRACE', this.badLine, `trace ends mid-line: ${JSON.stringify(this.badText.slice(0, 120))}`);
    }
    if (this.opsLines === 0) {
      this.fail(
        'NOT_A_TRACE',
        this.lineNo,
        'no memory_region_ops_read/write lines (run QEMU with -trace memory_region_ops_read -trace memory_region_ops_write)',
      );
    }
    const warnings: string[] = [];
    for (let i = 0; i < this.firmwareAccesses; i++) (this.accesses[i] as AccessRecord).phase = 'F';
    if (this.lastFwCfgLine === 0) {
      warnings.push('no fw_cfg access in the trace: every access counts as the linux phase (no firmware phase boundary)');
    }
    const linuxPorts = this.pendingPorts;
    const disabled = this.firmwarePorts.data_with_enable_clear + linuxPorts.data_with_enable_clear;
    if (disabled > 0) warnings.push(`${disabled} data-port accesses with the 0xcf8 enable bit clear (not counted as conf1)`);
    return {
      accesses: this.accesses,
      portAccesses: { firmware: { ...this.firmwarePorts }, linux: { ...linuxPorts } },
      lines: this.lineNo,
      opsLines: this.opsLines,
      lastFwCfgLine: this.lastFwCfgLine,
      warnings,
    };
  }
}

/** Lines of a trace file (gunzipped if it ends in `.gz`), streamed. */
export async function* readLines(path: string): AsyncGenerator<string> {
  const raw = createReadStream(path);
  const input = path.endsWith('.gz') ? raw.pipe(createGunzip()) : raw;
  raw.on('error', (e) => input.destroy(e));
  const rl = createInterface({ input, crlfDelay: Infinity });
  try {
    yield* rl;
  } catch (e) {
    throw new RecordError('IO_ERROR', `cannot read: ${(e as Error).message}`, { file: path, cause: e });
  } finally {
    rl.close();
    raw.destroy();
    // rl.close() takes readline's error listener off the gunzip stream; a loop that ends early (a bad line)
    // leaves it inflating what it holds, and a cut file's "unexpected end of file" then had no listener: an
    // uncaught exception after the command's own error line. Stop it, and let a late error fall silent.
    if (input !== raw) input.on('error', () => {}).destroy();
  }
}

/**
 * Parses a whole trace: a file path, or lines from any (async) iterable. Memory grows with the number of
 * config accesses (tens of thousands), not with the trace (millions of lines).
 */
export async function parseTrace(
  source: string | AsyncIterable<string> | Iterable<string>,
  options: TraceParseOptions = {},
): Promise<ParsedTrace> {
  const decoder = new TraceDecoder(typeof source === 'string' && options.file === undefined ? { ...options, file: source } : options);
  const lines = typeof source === 'string' ? readLines(source) : source;
  for await (const line of lines) decoder.push(line);
  return decoder.finish();
}
