/**
 * Fuzzing every file pcisim reads, through the command that reads it (`runCli`, in process): reference JSON
 * and its accesses file (`validate`), scenario JSON (`boot --scenario`), sweep matrices (`sweep`), cost
 * profiles (`--cost FILE`, in boot and in a sweep's cost axis), QEMU traces (`import-trace`) and console logs
 * (`import-trace --console`). Real files mutated (a field deleted, nulled, given another type; lines cut,
 * repeated, garbled) and generated ones; each must end in a result or one error line (harness.ts).
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { editList, Findings, fuzzSuite, jsonProblem, problemOf, repoRoot, runs, SEED, tempDir, type Outcome } from './harness.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const dir = tempDir('files');
const refDir = join(repoRoot, 'reference');
const refNames = readdirSync(refDir)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length));
const refJson = new Map(refNames.map((n) => [n, JSON.parse(readFileSync(join(refDir, `${n}.json`), 'utf8')) as Json]));
const refConsole = new Map(refNames.map((n) => [n, readFileSync(join(refDir, `${n}.console.log`), 'latin1')]));

// ------------------------------------------------------------------ mutations

/** small JSON values of every type, and the ones that break code written for another type */
const smallJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(null, true, false, 0, -1, 1.5, 1e308, -0, 4294967296, '', ' ', 'x', '-M', 'q35', '+1s', '1e3', 'NaN', [], {}, [null], [''], [1, 2, 3], { at: '+1s' }),
  fc.integer(),
  fc.double({ noNaN: true }),
  fc.string({ maxLength: 8 }),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.constant(null)), { maxKeys: 3 }),
);

interface JsonOp {
  kind: 'delete' | 'null' | 'replace' | 'retype' | 'duplicate' | 'rename';
  at: number;
  value: Json;
}
const jsonOp: fc.Arbitrary<JsonOp> = fc.record({ kind: fc.constantFrom('delete', 'null', 'replace', 'retype', 'duplicate', 'rename'), at: fc.nat(), value: smallJson });

/** every place in a JSON tree: its parent and key */
function places(v: Json, out: [Json[] | Record<string, Json>, string | number][] = []): typeof out {
  if (Array.isArray(v)) v.forEach((x, i) => (out.push([v, i]), places(x, out)));
  else if (v !== null && typeof v === 'object') for (const k of Object.keys(v)) out.push([v, k]), places(v[k]!, out);
  return out;
}

function mutateJson(base: Json, ops: readonly JsonOp[]): Json {
  let root = structuredClone(base);
  for (const o of ops) {
    const ps = places(root);
    if (ps.length === 0 || o.at % (ps.length + 1) === ps.length) {
      root = o.kind === 'replace' ? o.value : root; // now and then, the whole document
      continue;
    }
    const [parent, key] = ps[o.at % ps.length]!;
    const p = parent as Record<string | number, Json>;
    const cur = p[key]!;
    switch (o.kind) {
      case 'delete':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete p[key];
        break;
      case 'null':
        p[key] = null;
        break;
      case 'replace':
        p[key] = o.value;
        break;
      case 'retype':
        // the same value as another type: "12" for 12, 12 for "12", [x] for x, x for [x]
        p[key] = typeof cur === 'number' ? String(cur) : typeof cur === 'string' ? (Number.isNaN(Number(cur)) ? [cur] : Number(cur)) : Array.isArray(cur) ? (cur[0] ?? null) : cur === null ? {} : typeof cur === 'object' ? [cur] : cur ? 1 : 0;
        break;
      case 'duplicate':
        if (Array.isArray(parent)) parent.splice(key as number, 0, structuredClone(cur));
        else p[`${key}2`] = structuredClone(cur);
        break;
      case 'rename':
        if (!Array.isArray(parent)) {
          delete p[key];
          p[`${key}`.toUpperCase() + '_'] = cur;
        }
        break;
    }
  }
  return root;
}

interface TextOp {
  kind: 'delete' | 'duplicate' | 'swap' | 'insert' | 'garble' | 'cut' | 'number';
  at: number;
  at2: number;
  line: string;
}
const textOp = (lines: fc.Arbitrary<string>): fc.Arbitrary<TextOp> =>
  fc.record({ kind: fc.constantFrom('delete', 'duplicate', 'swap', 'insert', 'garble', 'cut', 'number'), at: fc.nat(), at2: fc.nat(), line: fc.oneof({ weight: 3, arbitrary: lines }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) }) });

function mutateText(text: string, ops: readonly TextOp[]): string {
  const ls = text.split('\n');
  let cut: number | undefined;
  for (const o of ops) {
    if (editList(ls, o.kind, o.at, o.at2, o.line)) continue;
    const i = o.at % Math.max(1, ls.length);
    const l = ls[i] ?? '';
    switch (o.kind) {
      case 'garble': {
        const k = o.at2 % Math.max(1, l.length);
        ls[i] = l.slice(0, k) + o.line.slice(0, 3) + l.slice(k + 1);
        break;
      }
      case 'number':
        // a number in the line grows, shrinks, loses its digits or becomes hex
        ls[i] = l.replace(/\b(0x)?[0-9a-f]+\b/, (m) => ['0', 'ffffffffffffffffffff', '-1', '', '0x', '99999999999', 'zz'][o.at2 % 7]! || m);
        break;
      case 'cut':
        cut = o.at2;
        break;
    }
  }
  const out = ls.join('\n');
  return cut === undefined ? out : out.slice(0, cut % (out.length + 1));
}

// ------------------------------------------------------------------ generated traces and consoles

const hex = (n: number, w = 0) => n.toString(16).padStart(w, '0');
const access = fc.record({
  kind: fc.constantFrom('conf1', 'conf1', 'mmcfg', 'fwcfg', 'other', 'event', 'qemu'),
  bus: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 255 })),
  dev: fc.integer({ min: 0, max: 31 }),
  fn: fc.integer({ min: 0, max: 7 }),
  reg: fc.integer({ min: 0, max: 4095 }),
  size: fc.constantFrom(1, 2, 4, 4, 8, 3),
  write: fc.boolean(),
  value: fc.oneof(fc.constantFrom(0xffffffff, 0x29c08086, 0x10008086, 0), fc.nat()),
  cpu: fc.constantFrom(0, 0, 1, -1),
  stamp: fc.boolean(),
});
type Access = typeof access extends fc.Arbitrary<infer T> ? T : never;

/** what QEMU's log backend writes for one access (trace-parser.ts's format) */
function traceLines(a: Access, i: number): string[] {
  const pre = a.stamp ? `${1000 + (i % 7)}@${1700000000 + i}.${hex(i, 6).slice(0, 6)}:` : '';
  const op = (write: boolean, addr: number, value: number, size: number, name: string) =>
    `${pre}memory_region_ops_${write ? 'write' : 'read'} cpu ${a.cpu} mr 0x55766e0${hex(i % 4096, 5)} addr 0x${hex(addr)} value 0x${hex(value)} size ${size} name '${name}'`;
  switch (a.kind) {
    case 'conf1':
      return [op(true, 0xcf8, (0x80000000 | (a.bus << 16) | (a.dev << 11) | (a.fn << 8) | (a.reg & 0xfc)) >>> 0, 4, 'pci-conf-idx'), op(a.write, 0xcfc + (a.reg & 3), a.value, a.size, 'pci-conf-data')];
    case 'mmcfg':
      return [op(a.write, 0xb0000000 + ((a.bus << 20) | (a.dev << 15) | (a.fn << 12) | a.reg), a.value, a.size, 'pcie-mmcfg-mmio')];
    case 'fwcfg':
      return [op(a.write, 0x510, a.value & 0xffff, 2, a.write ? 'fwcfg' : 'fwcfg.data')];
    case 'other':
      return [op(a.write, 0x3f8 + (a.reg & 7), a.value & 0xff, 1, 'serial')];
    case 'event':
      return [`${pre}kvm_run_exit cpu_index ${a.cpu} reason ${a.reg}`];
    default:
      return [`qemu-system-x86_64: warning: host doesn't support requested feature: CPUID.80000001H:ECX.svm [bit ${a.reg & 31}]`];
  }
}
const traceText = fc.array(access, { minLength: 0, maxLength: 120 }).map((as) => as.flatMap(traceLines).join('\n') + '\n');
const traceLine = access.map((a) => traceLines(a, 3)[0]!);

const consoleLine = fc.oneof(
  fc.record({ bus: fc.nat(300), dev: fc.nat(40), fn: fc.nat(9), v: fc.nat(0x1ffff), d: fc.nat(0x1ffff), t: fc.nat(3), c: fc.nat(0x1ffffff) }).map(
    (x) => `[    0.3${hex(x.dev)}] pci 0000:${hex(x.bus, 2)}:${hex(x.dev, 2)}.${x.fn}: [${hex(x.v, 4)}:${hex(x.d, 4)}] type ${hex(x.t, 2)} class 0x${hex(x.c, 6)}`,
  ),
  fc.record({ dev: fc.nat(40), s: fc.nat(300), e: fc.nat(300), two: fc.boolean() }).map((x) => `[    0.4] pci 0000:00:${hex(x.dev, 2)}.0: PCI bridge to [bus ${hex(x.s, 2)}${x.two ? `-${hex(x.e, 2)}` : ''}]`),
  fc.constantFrom(
    '[    1.0] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
    '[    1.0] ---[ end Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0) ]---',
    '[    0.2] PCI: MMCONFIG for domain 0000 [bus 00-ff] at [mem 0xb0000000-0xbfffffff] (base 0xb0000000)',
    '[    0.2] PCI: Using configuration type 1 for base access',
    '\x1bc\x1b[?7l\x1b[2J\x1b[0mSeaBIOS (version 1.16.2-debian-1.16.2-1)',
    '[    0.5] PCI: CLS 0 bytes, default 64',
    '\r\r\r',
  ),
);

// ------------------------------------------------------------------ the base files

const SCENARIOS: Json[] = [
  { qemuArgs: ['-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1'], events: [{ at: '+1s', qmp: 'device_add virtio-rng-pci,id=r1,bus=rp1' }] },
  {
    qemuArgs: ['qemu-system-x86_64', '-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1', '-device', 'pcie-pci-bridge,id=pb1,bus=rp1'],
    append: 'console=ttyS0',
    guest: 'linux-6.1-generic',
    events: [
      { at: '+1s', qmp: 'device_add virtio-rng-pci,id=r1,bus=pb1,addr=1' },
      { at: '+1.1s', guest: 'rescan' },
      { at: '+3s', qmp: 'device_del r1' },
    ],
  },
  { qemuArgs: ['-M', 'pc', '-device', 'pci-bridge,id=b1,chassis_nr=1'], events: [{ at: 3.1, qmp: '{"execute":"device_add","arguments":{"driver":"e1000","id":"e1","bus":"b1","addr":"0x3"}}' }] },
  { qemuArgs: ['-M', 'q35', '-nodefaults'], events: [] },
];

const MATRICES: Json[] = [
  { base: { qemuArgs: ['-M', 'q35'], append: 'console=ttyS0' }, axes: { machine: ['q35', 'pc'], kvm: ['', 'pci-hole'] } },
  { base: { qemuArgs: ['-M', 'q35'] }, axes: { devices: [[], ['pcie-root-port,id=rp1,chassis=1', 'virtio-net-pci,bus=rp1']], mcfg: [null, 8], guestPatch: ['none', 'mmconfig-v2'] } },
  { axes: { machine: ['microvm,pcie=on'], append: ['', 'pci=lastbus=0'], pvBit: [false, true], nodefaults: [true], args: [['-m', '1G']], pvEnumeration: [false], cost: ['lkml-2020', 'measured-here'] } },
];

const PROFILE: Json = {
  name: 'my-host',
  description: 'measured on my host',
  source: 'perf kvm stat on a Xeon',
  ns: { userspaceExitIo: 5200, userspaceExitMmio: 6100, inKernelMmio: 900, inKernelPio: 850, eptViolationMap: 1100, noExitAccess: 0, memslotUpdate: 21000 },
  sources: { userspaceExitIo: 'perf kvm stat' },
};

// ------------------------------------------------------------------ the runs

let n = 0;
const file = (name: string, content: string | Uint8Array): string => {
  const d = join(dir, String(n++));
  mkdirSync(d);
  writeFileSync(join(d, name), content);
  return join(d, name);
};
const asText = (j: Json): fc.Arbitrary<string> =>
  fc.oneof({ weight: 8, arbitrary: fc.constant(JSON.stringify(j, null, 1)) }, { weight: 1, arbitrary: fc.nat().map((k) => JSON.stringify(j).slice(0, k % (JSON.stringify(j).length + 1))) }, { weight: 1, arbitrary: fc.string({ maxLength: 30 }) });
const jsonInput = (bases: readonly Json[]): fc.Arbitrary<string> =>
  fc.tuple(fc.constantFrom(...bases), fc.array(jsonOp, { minLength: 0, maxLength: 3 })).chain(([b, ops]) => asText(mutateJson(b, ops)));

/** a file kind: how to generate one and the command lines that read it */
interface Kind {
  name: string;
  count: number;
  inputs: fc.Arbitrary<() => string[]>;
  /** validate names each bad file on a line */
  errorLines?: number;
}

const traceFile = file('base.trace.log', traceLines({ kind: 'fwcfg', bus: 0, dev: 0, fn: 0, reg: 0, size: 2, write: false, value: 0, cpu: 0, stamp: false }, 0).join('\n') + '\n');
const accessesOf = (name: string) => readFileSync(join(refDir, `${name}.accesses.txt.gz`));

const KINDS: Kind[] = [
  {
    name: 'reference',
    count: 150,
    inputs: fc
      .tuple(
        fc.constantFrom(...refNames),
        fc.array(jsonOp, { minLength: 1, maxLength: 3 }),
        fc.constantFrom('none', 'real', 'mutated', 'garbage'),
        fc.array(textOp(fc.constantFrom('F 00:00.0 r 0x00 4 0x29c08086', 'L 00:01.0 w 0x04 2 0x0007', 'F cf8 w 4 0x80000000', 'X')), { minLength: 1, maxLength: 3 }),
        fc.constantFrom([], ['--json'], ['--markdown']),
        fc.boolean(),
      )
      .chain(([name, ops, acc, aops, flags, truncate]) =>
        (truncate ? asText(mutateJson(refJson.get(name)!, ops)) : fc.constant(JSON.stringify(mutateJson(refJson.get(name)!, ops), null, 1))).map((text) => () => {
          const f = file(`${name}.json`, text);
          const accPath = f.replace(/\.json$/, '.accesses.txt.gz');
          if (acc === 'real') writeFileSync(accPath, accessesOf(name));
          if (acc === 'mutated') writeFileSync(accPath, gzipSync(mutateText(gunzipSync(accessesOf(name)).toString('utf8'), aops)));
          if (acc === 'garbage') writeFileSync(accPath, accessesOf(name).subarray(0, 40));
          return ['validate', ...flags, f];
        }),
      ),
  },
  {
    name: 'scenario',
    count: 250,
    inputs: fc.tuple(jsonInput(SCENARIOS), fc.constantFrom([], ['--json'], ['--guest', 'linux-6.1-generic'])).map(([text, flags]) => () => ['boot', '--scenario', file('scenario.json', text), ...flags]),
  },
  {
    name: 'sweep matrix',
    count: 120,
    inputs: fc.tuple(jsonInput(MATRICES), fc.constantFrom([], [], [], ['--jobs', '2'], ['--fresh-machines'])).map(([text, flags]) => () => ['sweep', file('matrix.json', text), ...flags]),
  },
  {
    name: 'cost profile',
    count: 150,
    inputs: fc.tuple(jsonInput([PROFILE]), fc.constantFrom('boot', 'boot-json', 'sweep', 'show', 'show-json')).map(([text, how]) => () => {
      const f = file('profile.json', text);
      if (how.startsWith('show')) return ['cost', 'show', f, ...(how === 'show-json' ? ['--json'] : [])];
      if (how === 'sweep') return ['sweep', file('matrix.json', JSON.stringify({ base: { qemuArgs: ['-M', 'q35'] }, axes: { cost: [f, 'lkml-2020'] } }))];
      return ['boot', '-M', 'q35', '--cost', f, ...(how === 'boot-json' ? ['--json'] : [])];
    }),
  },
  {
    name: 'qemu trace',
    count: 400,
    inputs: fc
      .tuple(traceText, fc.array(textOp(traceLine), { maxLength: 4 }), fc.constantFrom('plain', 'plain', 'gz', 'bad-gz'), fc.boolean())
      .map(([text, ops, how, json]) => () => {
        const t = mutateText(text, ops);
        const f = how === 'plain' ? file('trace.log', t) : file('trace.log.gz', how === 'gz' ? gzipSync(t) : gzipSync(t).subarray(0, 30));
        return ['import-trace', f, ...(json ? ['--json'] : [])];
      }),
  },
  {
    name: 'console log',
    count: 400,
    inputs: fc.tuple(fc.constantFrom(...refNames), fc.array(textOp(consoleLine), { minLength: 1, maxLength: 5 }), fc.boolean()).map(([name, ops, json]) => () => [
      'import-trace',
      traceFile,
      '--console',
      file('console.log', mutateText(refConsole.get(name)!, ops)),
      ...(json ? ['--json'] : []),
    ]),
  },
];

describe('fuzz: the files pcisim reads', () => {
  const { runner, finish } = fuzzSuite(dir);

  it('ends every mutated or generated file in a result or one error line, exit 0/1/2', async () => {
    const findings = new Findings();
    for (const [k, kind] of KINDS.entries()) {
      for (const make of fc.sample(kind.inputs, { seed: SEED + k, numRuns: runs(kind.count) })) {
        const argv = make();
        const o: Outcome = await runner.run(argv);
        const json = argv.includes('--json');
        const files = argv.filter((a) => a.startsWith(dir) && !a.endsWith('.gz'));
        const breaks = files.some((f) => /\\[nrfv]|\\u20(28|29)|\\u00(0[a-d]|85)/i.test(readFileSync(f, 'latin1')));
        const problem = problemOf(o, kind.errorLines ?? 1, breaks) ?? (json ? jsonProblem(o, argv[0] === 'validate') : undefined);
        // an input that passed is not kept: thousands of folders would slow the end of the run
        if (problem === undefined) for (const f of argv) if (f.startsWith(dir) && f !== traceFile) rmSync(dirname(f), { recursive: true, force: true });
        findings.add(kind.name, o, problem, () => {
          const shown = files.map((f) => `${f}:\n${f.endsWith('.gz') ? '(gzip)' : readFileSync(f, 'latin1').slice(0, 300)}`).join('\n');
          return `${JSON.stringify(argv)} → exit ${o.rc}: ${(o.threw ?? o.stderr).slice(0, 600)}\n${shown}`;
        });
      }
    }
    finish(findings);
  }, 15 * 60_000);
});
