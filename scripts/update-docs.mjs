#!/usr/bin/env node
// Regenerates what docs/ quote from the tool (run after `pnpm build`):
//  - docs/fidelity.md between <!-- fidelity-table --> markers (the fidelity test checks it is current);
//  - README.md's option list between <!-- pcisim-options --> markers, from the option table (apps/boot's
//    options test checks it is current), and apps/boot/README.md's usage between <!-- pcisim-usage --> markers;
//  - every block `<!-- pcisim: <args> -->` … `<!-- /pcisim -->` in docs/*.md and README.md: the output of
//    `pcisim <args>`, in a code block.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const boot = await import(join(root, 'apps/boot/dist/index.js'));
const { optionsMarkdown, usageText } = await import(join(root, 'apps/boot/dist/commands/options.js'));
const fixtures = join(root, 'reference');

function fidelityTable() {
  return boot.fidelityMarkdown(
    readdirSync(fixtures)
      .filter((f) => f.endsWith('.json') && f !== 'kvm-exits.json')
      .sort()
      .map((f) => join(fixtures, f)),
  );
}

/** one row per fixture: the topology's boot-time cost in the simulation */
function topologyTable() {
  const rows = [
    '| scenario | functions | bridges/ports | config accesses | to absent functions | userspace exits | handled in KVM | PCI time (ms) |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const f of readdirSync(fixtures).filter((x) => x.endsWith('.json') && x !== 'kvm-exits.json').sort()) {
    const ref = JSON.parse(readFileSync(join(fixtures, f), 'utf8'));
    const args = ref.qemuArgs.includes('-m') ? [...ref.qemuArgs] : ['-m', '512', ...ref.qemuArgs];
    if (ref.append) args.push('-append', ref.append);
    let r;
    try {
      r = boot.bootScenario(boot.parseQemuArgs(args));
    } catch (e) {
      // a recording pcisim cannot simulate yet (docs/fidelity.md lists it as "not simulated")
      if (!(e && typeof e === 'object' && 'code' in e)) throw e;
      continue;
    }
    const l = r.report.phases.linux;
    const n = (x) => x.toLocaleString('en-US');
    rows.push(
      `| ${f.replace(/\.json$/, '')} | ${r.report.devices.length} | ${r.report.devices.filter((d) => d.bridge).length} | ${n(l.config.accesses.total)} | ${n(l.config.absent)} | ${n(l.exits.KVM_EXIT_IO + l.exits.KVM_EXIT_MMIO)} | ${n(l.exits.inKernel)} | ${(l.timeNs / 1e6).toFixed(2)} |`,
    );
  }
  return rows.join('\n') + '\n';
}

function replaceBetween(text, tag, body) {
  const start = `<!-- ${tag} -->`;
  const end = `<!-- /${tag} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) return text;
  return text.slice(0, i + start.length) + '\n' + body + text.slice(j);
}

/** split a command line the way a shell would for simple quoting */
function argv(line) {
  const out = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

async function runPcisim(args) {
  let out = '';
  await boot.runCli(argv(args), { stdout: (s) => (out += s), stderr: (s) => (out += s) });
  return out;
}

async function fillCommandBlocks(text) {
  const re = /<!-- pcisim: (.*?) -->\n[\s\S]*?<!-- \/pcisim -->/g;
  const blocks = [...text.matchAll(re)];
  let result = text;
  for (const b of blocks) {
    const output = await runPcisim(b[1]);
    result = result.replace(b[0], `<!-- pcisim: ${b[1]} -->\n\`\`\`\n$ pcisim ${b[1]}\n${output.trimEnd()}\n\`\`\`\n<!-- /pcisim -->`);
  }
  return result;
}

const files = [join(root, 'README.md'), join(root, 'apps/boot/README.md'), ...readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(root, 'docs', f))];
for (const f of files) {
  let text = readFileSync(f, 'utf8');
  const before = text;
  if (f.endsWith('fidelity.md')) text = replaceBetween(text, 'fidelity-table', fidelityTable());
  if (f.endsWith('topologies.md')) text = replaceBetween(text, 'topology-table', topologyTable());
  if (f.endsWith('README.md')) text = replaceBetween(text, 'pcisim-options', optionsMarkdown());
  if (f.endsWith('README.md')) text = replaceBetween(text, 'pcisim-usage', '```\n' + usageText() + '\n```\n');
  text = await fillCommandBlocks(text);
  if (text !== before) {
    writeFileSync(f, text);
    console.log(`updated ${f.slice(root.length + 1)}`);
  }
}
