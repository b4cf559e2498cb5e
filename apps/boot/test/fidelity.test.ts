import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fidelityMarkdown, validateReference } from '../src/index.js';

const fixtures = fileURLToPath(new URL('../../../reference/', import.meta.url));
const names = readdirSync(fixtures)
  .filter((f) => f.endsWith('.json') && f !== 'kvm-exits.json')
  .sort();
const doc = readFileSync(fileURLToPath(new URL('../../../docs/fidelity.md', import.meta.url)), 'utf8');
const docTable = doc.slice(doc.indexOf('<!-- fidelity-table -->') + '<!-- fidelity-table -->\n'.length, doc.indexOf('<!-- /fidelity-table -->'));

describe('every fixture against the simulation', () => {
  it('docs/fidelity.md states exactly what the simulation does today (run scripts/update-docs.mjs after a change)', () => {
    expect(fidelityMarkdown(names.map((n) => fixtures + n))).toBe(docTable);
  });

  // the scenarios the model matches access for access, values included, in both phases
  const exact = docTable
    .split('\n')
    .filter((l) => l.includes('| exact |'))
    .map((l) => l.split('|')[1]!.trim());
  for (const name of [...new Set(exact)]) {
    it(`${name}: exact`, () => {
      const r = validateReference(`${fixtures}${name}.json`);
      const phases = docTable.split('\n').filter((l) => l.startsWith(`| ${name} |`));
      for (const l of phases) {
        const ph = l.split('|')[2]!.trim() as 'firmware' | 'linux';
        if (l.includes('| exact |')) {
          expect(r.phases[ph]).toBe(true);
          expect(r.firstDivergence[ph]).toBeNull();
        }
      }
    });
  }
});
