/**
 * Each package is versioned on its own (RELEASING.md). This runs the real `changeset version` with the
 * repository's own .changeset/config.json and package manifests, in a temporary copy of the workspace that
 * holds one changeset touching only @sim/kvm, and checks which packages it bumps and to what. The versions
 * are pinned in the copy (0.1.0 or 1.0.0) so the outcome does not depend on where the real ones stand:
 * the caret range `workspace:^` becomes on publish decides whether a dependent must follow.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ALL, CHANGESET, ROOT, pnpm, run } from './helpers.js';

const NAMES: Record<(typeof ALL)[number], string> = {
  'packages/kvm': '@sim/kvm',
  'packages/qemu': '@sim/qemu',
  'packages/guest': '@sim/guest',
  'apps/boot': '@sim/boot',
};

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A copy of the workspace's manifests and changesets config, every package at `base`, and one changeset. */
function workspaceCopy(base: string, changeset: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pcisim-changesets-'));
  temps.push(dir);
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  cpSync(join(ROOT, 'pnpm-workspace.yaml'), join(dir, 'pnpm-workspace.yaml'));
  mkdirSync(join(dir, '.changeset'));
  cpSync(join(ROOT, '.changeset', 'config.json'), join(dir, '.changeset', 'config.json'));
  writeFileSync(join(dir, '.changeset', 'kvm-only.md'), changeset);
  for (const pkg of ALL) {
    const manifest = JSON.parse(readFileSync(join(ROOT, pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.name).toBe(NAMES[pkg]);
    manifest.version = base;
    mkdirSync(join(dir, pkg), { recursive: true });
    writeFileSync(join(dir, pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
  return dir;
}

function versionsOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pkg of ALL) out[NAMES[pkg]] = (JSON.parse(readFileSync(join(dir, pkg, 'package.json'), 'utf8')) as { version: string }).version;
  return out;
}

function changelog(dir: string, pkg: string): string | null {
  const f = join(dir, pkg, 'CHANGELOG.md');
  return existsSync(f) ? readFileSync(f, 'utf8') : null;
}

/** `changeset version` in the copy, as `pnpm changeset version` runs it in the repository. */
function changesetVersion(dir: string): void {
  run(process.execPath, [CHANGESET, 'version'], { cwd: dir });
}

const kvmOnly = (bump: 'patch' | 'minor' | 'major') => `---\n"@sim/kvm": ${bump}\n---\n\nA change to @sim/kvm alone.\n`;

describe('changeset version with a changeset that touches only @sim/kvm', () => {
  it('0.x, minor: @sim/kvm 0.2.0 leaves ^0.1.0, so its dependents get a patch; @sim/guest is untouched', () => {
    const dir = workspaceCopy('0.1.0', kvmOnly('minor'));
    changesetVersion(dir);
    expect(versionsOf(dir)).toEqual({ '@sim/kvm': '0.2.0', '@sim/qemu': '0.1.1', '@sim/guest': '0.1.0', '@sim/boot': '0.1.1' });
    expect(changelog(dir, 'packages/kvm')).toBe('# @sim/kvm\n\n## 0.2.0\n\n### Minor Changes\n\n- A change to @sim/kvm alone.\n');
    expect(changelog(dir, 'packages/qemu')).toBe('# @sim/qemu\n\n## 0.1.1\n\n### Patch Changes\n\n- Updated dependencies\n  - @sim/kvm@0.2.0\n');
    expect(changelog(dir, 'apps/boot')).toBe(
      '# @sim/boot\n\n## 0.1.1\n\n### Patch Changes\n\n- Updated dependencies\n  - @sim/kvm@0.2.0\n  - @sim/qemu@0.1.1\n',
    );
    expect(changelog(dir, 'packages/guest')).toBeNull();
    // the manifests keep workspace:^ …
    const qemu = JSON.parse(readFileSync(join(dir, 'packages/qemu/package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(qemu.dependencies['@sim/kvm']).toBe('workspace:^');
    // … which pnpm pack (and so pnpm publish) turns into a caret range on the new version
    for (const pkg of ['packages/qemu']) {
      const link = join(dir, pkg, 'node_modules', '@sim', 'kvm');
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(relative(dirname(link), join(dir, 'packages/kvm')), link);
    }
    pnpm(['pack', '--pack-destination', join(dir, 'packs')], { cwd: join(dir, 'packages/qemu') });
    const packed = JSON.parse(run('tar', ['-xzOf', join(dir, 'packs', 'sim-qemu-0.1.1.tgz'), 'package/package.json'])) as {
      dependencies: Record<string, string>;
    };
    expect(packed.dependencies).toEqual({ '@sim/kvm': '^0.2.0' });
  }, 60_000);

  it('0.x, patch: @sim/kvm 0.1.1 is inside ^0.1.0, so nothing else moves', () => {
    const dir = workspaceCopy('0.1.0', kvmOnly('patch'));
    changesetVersion(dir);
    expect(versionsOf(dir)).toEqual({ '@sim/kvm': '0.1.1', '@sim/qemu': '0.1.0', '@sim/guest': '0.1.0', '@sim/boot': '0.1.0' });
    expect(changelog(dir, 'packages/qemu')).toBeNull();
  }, 60_000);

  it('1.x, minor: @sim/kvm 1.1.0 is inside ^1.0.0, so nothing else moves', () => {
    const dir = workspaceCopy('1.0.0', kvmOnly('minor'));
    changesetVersion(dir);
    expect(versionsOf(dir)).toEqual({ '@sim/kvm': '1.1.0', '@sim/qemu': '1.0.0', '@sim/guest': '1.0.0', '@sim/boot': '1.0.0' });
  }, 60_000);

  it('1.x, major: @sim/kvm 2.0.0 leaves ^1.0.0, so its dependents get a patch', () => {
    const dir = workspaceCopy('1.0.0', kvmOnly('major'));
    changesetVersion(dir);
    expect(versionsOf(dir)).toEqual({ '@sim/kvm': '2.0.0', '@sim/qemu': '1.0.1', '@sim/guest': '1.0.0', '@sim/boot': '1.0.1' });
  }, 60_000);
});

describe('the repository is set up for it', () => {
  it('independent versions, private app versioned but never published, internal ranges patched', () => {
    const config = JSON.parse(readFileSync(join(ROOT, '.changeset', 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      fixed: [],
      linked: [],
      access: 'public',
      updateInternalDependencies: 'patch',
      privatePackages: { version: true, tag: false },
    });
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(root.scripts.changeset).toBe('changeset');
    expect(root.scripts.release).toMatch(/turbo run build.*&& changeset publish$/);
    expect(JSON.parse(readFileSync(join(ROOT, 'apps/boot/package.json'), 'utf8'))).toMatchObject({ private: true });
  }, 60_000);

  it('every pending changeset in .changeset/ names a workspace package and a valid bump', () => {
    // a `changeset version` over a copy: it refuses a changeset for an unknown package or a bad bump type
    const dir = mkdtempSync(join(tmpdir(), 'pcisim-changesets-'));
    temps.push(dir);
    cpSync(join(ROOT, '.changeset'), join(dir, '.changeset'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    cpSync(join(ROOT, 'pnpm-workspace.yaml'), join(dir, 'pnpm-workspace.yaml'));
    for (const pkg of ALL) {
      mkdirSync(join(dir, pkg), { recursive: true });
      cpSync(join(ROOT, pkg, 'package.json'), join(dir, pkg, 'package.json'));
    }
    changesetVersion(dir);
    const after = versionsOf(dir);
    for (const pkg of ALL) expect(after[NAMES[pkg]]).toMatch(/^\d+\.\d+\.\d+$/);
  }, 60_000);
});
