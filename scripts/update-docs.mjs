#!/usr/bin/env node
// Regenerates the tables in docs/ that come from the tool's own output (run after `pnpm build`):
// docs/fidelity.md between <!-- fidelity-table --> markers. The fidelity test checks the doc is current.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const boot = await import(join(root, 'apps/boot/dist/index.js'));
const fixtures = join(root, 'apps/boot/test/fixtures');

export function fidelityTable() {
  return boot.fidelityMarkdown(
    readdirSync(fixtures)
      .filter((f) => f.endsWith('.json') && f !== 'kvm-exits.json')
      .sort()
      .map((f) => join(fixtures, f)),
  );
}

function replaceBetween(text, tag, body) {
  const start = `<!-- ${tag} -->`;
  const end = `<!-- /${tag} -->`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  if (i < 0 || j < 0) throw new Error(`markers ${start} … ${end} not found`);
  return text.slice(0, i + start.length) + '\n' + body + text.slice(j);
}

const docPath = join(root, 'docs/fidelity.md');
writeFileSync(docPath, replaceBetween(readFileSync(docPath, 'utf8'), 'fidelity-table', fidelityTable()));
console.log('docs/fidelity.md updated');
