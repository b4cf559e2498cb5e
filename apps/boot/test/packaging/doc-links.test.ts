/**
 * Every relative link in the repository's Markdown resolves to a file in the repository: a user who clones
 * pcisim has no `shared/` folder, no research notes and no other machine's paths.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers.js';

/** the Markdown a user reads: the READMEs, docs/, reference/ and the top-level pages (not the changesets) */
function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) markdownFiles(p, out);
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

/** `[text](target)` links outside code blocks and code spans */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  const links: string[] = [];
  for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
    const target = m[1]!;
    if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue;
    links.push(target);
  }
  return links;
}

describe('links in the documentation', () => {
  const files = markdownFiles(ROOT);

  it('finds the pages (README, docs/, reference/, each package)', () => {
    const names = files.map((f) => relative(ROOT, f));
    expect(names).toEqual(expect.arrayContaining(['README.md', 'BENCHMARKS.md', 'docs/fidelity.md', 'reference/README.md', 'packages/kvm/README.md']));
  });

  it('every relative link names a file or folder that exists', () => {
    const broken: string[] = [];
    for (const f of files) {
      for (const target of relativeLinks(readFileSync(f, 'utf8'))) {
        const path = decodeURIComponent(target.replace(/#.*$/, ''));
        if (path && !existsSync(join(dirname(f), path))) broken.push(`${relative(ROOT, f)}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('no page for users sends the reader to a folder outside the repository', () => {
    const outside: string[] = [];
    // docs/notes/ is the contributors' notebook: it may name the shared research folder beside a checkout
    for (const f of files.filter((x) => !relative(ROOT, x).startsWith('docs/notes/'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/(?<![\w./-])(shared\/(?:DESIGN\.md|reference|research|seeds)|research\/[\w-]+\.md)/g)) outside.push(`${relative(ROOT, f)}: ${m[1]}`);
    }
    expect(outside).toEqual([]);
  });
});
