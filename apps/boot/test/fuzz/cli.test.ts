/**
 * Fuzzing pcisim's command lines: real ones (README's and docs' commands, every recording's QEMU line under
 * each booting command, every option of the option table) mutated a few tokens at a time, and generated ones.
 * Each must end in a result or one error line with exit 1 or 2 (harness.ts says exactly what is checked).
 * Output paths always point into a temporary folder (or at a path that cannot be written), never elsewhere.
 */
import { describe, it } from 'vitest';
import fc from 'fast-check';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { editList, Findings, fuzzSuite, jsonProblem, problemOf, repoRoot, runs, SEED, tempDir } from './harness.js';
import { COMMANDS, OPTIONS, type OptionSpec } from '../../src/commands/options.js';

const dir = tempDir('cli');
const ref = (name: string) => join(repoRoot, 'reference', name);
const references = readdirSync(join(repoRoot, 'reference')).filter((f) => f.endsWith('.json'));
mkdirSync(join(dir, 'a-directory'));
const matrix = join(dir, 'matrix.json');
writeFileSync(matrix, JSON.stringify({ base: { qemuArgs: ['-M', 'q35'] }, axes: { kvm: ['', 'pci-hole'], nodefaults: [false, true] } }));
const scenario = join(dir, 'scenario.json');
writeFileSync(scenario, JSON.stringify({ qemuArgs: ['-M', 'q35', '-device', 'pcie-root-port,id=rp1,chassis=1'], events: [{ at: '+1s', qmp: 'device_add virtio-rng-pci,id=r1,bus=rp1' }] }));
const cost = join(dir, 'cost.json');
writeFileSync(cost, JSON.stringify({ name: 'mine', description: 'fuzz', source: 'fuzz', ns: { userspaceExitIo: 5000, userspaceExitMmio: 5000, inKernelMmio: 900, inKernelPio: 900, eptViolationMap: 900, noExitAccess: 0, memslotUpdate: 20000 } }));
const trace = join(dir, 'trace.log');
writeFileSync(
  trace,
  [
    "memory_region_ops_read cpu 0 mr 0x55766e014010 addr 0x510 value 0x0 size 2 name 'fwcfg'",
    "memory_region_ops_write cpu 0 mr 0x55766e014010 addr 0xcf8 value 0x80000000 size 4 name 'pci-conf-idx'",
    "memory_region_ops_read cpu 0 mr 0x55766e014380 addr 0xcfc value 0x29c08086 size 4 name 'pci-conf-data'",
    '',
  ].join('\n'),
);

/** where output options may write: the temp folder, a folder, a path whose folder does not exist, /dev/null */
const OUT_PATHS = [join(dir, 'out.json'), join(dir, 'out.html'), join(dir, 'a-directory'), '/nonexistent/dir/x.json', '/dev/null', join(dir, 'sub')];
const OUTPUT_OPTIONS = new Set(['--trace', '--html', '--out']);
/** files a command may read: real ones, ones it cannot read, a folder, one that is not what it expects */
const FILES = [ref('q35-default.json'), ref('pc-default.json'), ref('q35-libvirt.console.log'), ref('q35-default.accesses.txt.gz'), matrix, scenario, cost, trace, join(dir, 'a-directory'), '/nonexistent/x.json', '/dev/null', join(repoRoot, 'README.md'), '', 'kata'];

const QEMU_TOKENS = [
  '-M', 'q35', 'pc', 'microvm,pcie=on', 'microvm', 'pc-q35-7.2', 'q35,kernel-irqchip=split', '-machine', 'type=q35,accel=kvm', '-nodefaults', '-m', '512', '2G', '0', '-smp', '4', '-cpu', 'host', 'qemu64,+kvm-pci-go-mmconfig',
  '-device', 'pcie-root-port,id=rp1,chassis=1', 'pcie-root-port,id=rp2,chassis=2,bus=pcie.0,addr=0x3', 'virtio-net-pci,bus=rp1', 'virtio-net-pci,netdev=n0', 'e1000', 'e1000e,bus=pcie.0,addr=0x1f.7', 'pci-bridge,id=b1,chassis_nr=1',
  'e1000,bus=b1,addr=0x3', 'pcie-pci-bridge,id=pb1', 'pxb-pcie,id=pxb1,bus_nr=10', 'virtio-blk-pci,drive=d0', 'virtio-rng-pci,multifunction=on,addr=0x4.0', 'VGA', 'virtio-scsi-pci,id=s,bus=pcie.0,addr=0x20', 'ich9-ahci',
  '-netdev', 'user,id=n0', '-drive', 'if=none,id=d0,file=disk.img', 'if=pflash,format=raw,file=OVMF_CODE.fd', '-bios', 'OVMF.fd', '-global', 'ICH9-LPC.disable_s3=1', 'PIIX4_PM.acpi-pci-hotplug-with-bridge-support=off',
  '-append', 'console=ttyS0 pci=lastbus=0', 'pci=nommconf', 'pci=noacpi', '-accel', 'kvm', 'tcg', '-kernel', 'vmlinuz', '-serial', 'stdio', '-chardev', 'stdio,id=c0', '-nographic', '-vga', 'none', '-object', 'memory-backend-ram,id=m,size=1G',
  '-readconfig', '/nonexistent.cfg', 'qemu-system-x86_64', '/usr/bin/qemu-system-x86_64', '-', '--', '', ' ', ',', '=', 'id=', '0x', '-1', '65536', '1e9', 'NaN', '999999999999999999999',
];
const PCISIM_TOKENS = [
  ...(OPTIONS as readonly OptionSpec[]).flatMap((o) => [o.name, ...(o.aliases ?? []), ...(o.choices ?? [])]),
  'lkml-2020', 'measured-here', 'tcg-reference', 'no-such-profile', cost, 'pci-hole,mmio-bus', 'ro-page-2m', 'none', 'pio-fast,nonsense', 'accurate', 'accurate=8', 'accurate=-1', 'kata,libvirt', 'kata,', ',', 'nested-bridges', 'q35-default',
  'device_add virtio-net-pci,id=x,bus=rp1@+1s', 'device_del x@+2s', '{"execute":"device_add","arguments":{"driver":"e1000","id":"e"}}@3.1s', 'device_add e1000@soon', '@', 'device_add@', '{"execute":1}@1s', 'device_add virtio-rng-pci,id=r,bus=pb1,addr=1@+1ms',
  '--json=1', '--format=json', '--cost=', '--jobs=0', '-j', '1', '2', '0', 'x', '1.5', '--help', '-h', '--version', 'help', 'no-such-case', 'show',
];
const TOKENS = [...QEMU_TOKENS, ...PCISIM_TOKENS, ...FILES, ...COMMANDS];

/** splits a shell line as sh would (quotes, no expansion) */
function shellWords(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (let m = re.exec(line); m; m = re.exec(line)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

/** the commands README.md and docs/ show, as argv */
function documentedCommands(): string[][] {
  const files = [join(repoRoot, 'README.md'), ...readdirSync(join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(repoRoot, 'docs', f))];
  const out: string[][] = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(new RegExp(`(?:pnpm )?pcisim ((?:${COMMANDS.join('|')})(?: [^\`#|\\n]*)?)`, 'g'))) {
      const words = shellWords(m[1]!.trim()).map((w) => (w === 'matrix.json' ? matrix : w.endsWith('*.json') ? ref('q35-default.json') : w));
      if (words.some((w) => /[<>…]|\.\.\./.test(w))) continue;
      out.push(words);
    }
  }
  return out;
}

const BOOTING = ['boot', 'compare', 'topology', 'report', 'record'];
function seedLines(): string[][] {
  const lines = documentedCommands();
  for (const f of references) {
    const r = JSON.parse(readFileSync(ref(f), 'utf8')) as { qemuArgs?: string[]; append?: string };
    const q = [...(r.qemuArgs ?? []), ...(r.append ? ['-append', r.append] : [])];
    for (const c of BOOTING) lines.push([c, ...q]);
    lines.push(['validate', ref(f)], ['validate', '--json', ref(f), ref('q35-default.json')]);
  }
  // every option of the table, under each command that takes it
  for (const o of OPTIONS as readonly OptionSpec[]) {
    for (const c of o.commands) {
      const v = o.value === undefined ? [] : [o.choices?.[0] ?? (o.name === '--jobs' ? '2' : o.name === '--cost' ? cost : o.name === '--scenario' ? scenario : o.name === '--console' ? ref('q35-default.console.log') : 'x')];
      const rest = c === 'validate' ? [ref('q35-default.json')] : c === 'import-trace' ? [trace] : c === 'sweep' ? [matrix] : c === 'bench' ? ['no-such-case'] : ['-M', 'q35'];
      lines.push([c, ...rest, o.name, ...v]);
    }
  }
  lines.push(['report', '-M', 'q35', '--html', OUT_PATHS[1]!], ['sweep', matrix, '--jobs', '2'], ['import-trace', trace, '--json'], ['boot', '--scenario', scenario, '--json'], ['--version'], ['help', 'boot'], [], ['cost', 'show', 'lkml-2020'], ['cost', 'show', cost, '--json']);
  return lines;
}

type Op = { kind: 'delete' | 'duplicate' | 'swap' | 'insert' | 'replace' | 'chars' | 'random' | 'commas'; at: number; at2: number; token: string; n: number };
const op: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom('delete', 'duplicate', 'swap', 'insert', 'replace', 'chars', 'random', 'commas'),
  at: fc.nat(),
  at2: fc.nat(),
  token: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TOKENS) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) }),
  n: fc.nat(),
});

function mutate(argv: readonly string[], ops: readonly Op[]): string[] {
  const a = [...argv];
  for (const o of ops) {
    if (editList(a, o.kind, o.at, o.at2, o.token)) continue;
    const i = a.length ? o.at % a.length : 0;
    const t = a[i] ?? '';
    switch (o.kind) {
      case 'replace':
      case 'random':
        a[i] = o.token;
        break;
      case 'chars': {
        // cut the token short, or change one character of it
        const k = t.length ? o.n % t.length : 0;
        a[i] = o.n % 2 ? t.slice(0, k) : t.slice(0, k) + String.fromCharCode(33 + (o.at2 % 94)) + t.slice(k + 1);
        break;
      }
      case 'commas': {
        // a QEMU option's key=value list: drop, repeat or empty one of them
        const parts = t.split(',');
        const k = o.n % parts.length;
        if (o.at2 % 3 === 0) parts.splice(k, 1);
        else if (o.at2 % 3 === 1) parts.splice(k, 0, parts[k]!);
        else parts[k] = parts[k]!.replace(/=.*/, '=');
        a[i] = parts.join(',');
        break;
      }
    }
  }
  return sanitise(a);
}

/**
 * Keeps a generated line from doing harm or waiting on something that never comes: outputs into the temp
 * folder, no stdin (`sweep -`), few threads, no real benchmark (a case name that does not exist).
 */
function sanitise(a: string[]): string[] {
  for (let i = 0; i < a.length; i++) {
    const t = a[i]!;
    const eq = t.indexOf('=');
    const name = t.startsWith('--') && eq > 0 ? t.slice(0, eq) : t;
    if (OUTPUT_OPTIONS.has(name)) {
      const safe = OUT_PATHS[(i + t.length) % OUT_PATHS.length]!;
      if (eq > 0 && name !== t) a[i] = `${name}=${safe}`;
      else if (i + 1 < a.length) a[i + 1] = safe;
    }
    if ((name === '--jobs' || name === '-j') && i + 1 < a.length && eq < 0 && /^\d+$/.test(a[i + 1]!) && Number(a[i + 1]) > 2) a[i + 1] = '2';
    if (name === '--jobs' && eq > 0 && /^\d+$/.test(t.slice(eq + 1)) && Number(t.slice(eq + 1)) > 2) a[i] = '--jobs=2';
  }
  if (a[0] === 'sweep') for (let i = 1; i < a.length; i++) if (a[i] === '-') a[i] = '/dev/null';
  // bench runs real benchmarks (processes, minutes): only its argument checks are fuzzed
  if (a[0] === 'bench' && !a.slice(1).some((t) => t === 'no-such-case' || t === '--help' || t === '-h')) a.push('no-such-case');
  // calibrate measures the real /dev/kvm (seconds): only its argument checks are fuzzed
  if (a[0] === 'calibrate' && !a.slice(1).some((t) => t === '--help' || t === '-h')) a.push('no-such-argument');
  return a;
}

/** a line with a command and tokens drawn from everything pcisim or QEMU reads */
const generated = fc.tuple(fc.constantFrom(...COMMANDS), fc.array(fc.constantFrom(...TOKENS), { maxLength: 10 })).map(([c, t]) => sanitise([c, ...t]));

describe('fuzz: command lines', () => {
  const { runner, finish } = fuzzSuite(dir);

  it('ends every mutated or generated command line in a result or one error line, exit 0/1/2', async () => {
    const seeds = seedLines();
    const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(op, { minLength: 1, maxLength: 4 })).map(([s, ops]) => mutate(s, ops));
    const inputs = [...seeds.map(sanitise), ...fc.sample(fc.oneof({ weight: 4, arbitrary: mutated }, { weight: 1, arbitrary: generated }), { seed: SEED, numRuns: runs(700) })];
    const findings = new Findings();
    for (const argv of inputs) {
      const o = await runner.run(argv);
      const cmd = argv[0];
      const json = argv.some((t) => t === '--json' || t === '--format=json') || (argv.includes('--format') && argv[argv.indexOf('--format') + 1] === 'json');
      const problem =
        problemOf(o, cmd === 'validate' ? argv.length : 1) ??
        // a number that is no number, a value that is not there: a silently wrong answer (unless the input said so)
        (o.rc === 0 && /\b(NaN|undefined)\b/.test(o.stdout) && !argv.some((t) => /NaN|undefined/.test(t)) ? `output says ${/\b(NaN|undefined)\b/.exec(o.stdout)![1]}` : undefined) ??
        // --json is a command's option (`pcisim --version --json` prints the version)
        (json && cmd !== undefined && (COMMANDS as readonly string[]).includes(cmd) && !argv.includes('--help') && !argv.includes('-h') && cmd !== 'bench' ? jsonProblem(o, cmd === 'validate' || cmd === 'sweep') : undefined);
      findings.add(`argv ${cmd !== undefined && (COMMANDS as readonly string[]).includes(cmd) ? cmd : '(other)'}`, o, problem, () => `${JSON.stringify(argv)} → exit ${o.rc}: ${(o.threw ?? o.stderr).slice(0, 600)}`);
    }
    finish(findings);
  }, 15 * 60_000);
});
