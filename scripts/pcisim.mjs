// `pnpm pcisim …`: runs the built command, building it first only when a source is newer than the build.
// The build's output goes to stderr, so `pnpm -s pcisim boot -M q35 --json | jq` sees pcisim's output alone;
// a second run starts without the compiler (`tsc -b` alone spends ~3 s deciding that nothing changed).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'apps/boot/dist/bin.js');

/** the newest modification time under `dir` of the files tsc reads (sources, tsconfig, package.json) */
function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === 'dist') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (/\.(ts|json)$/.test(e.name)) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

function stale() {
  if (!existsSync(bin)) return true;
  const built = statSync(bin).mtimeMs;
  // tsc -b rewrites only what changed: the newest output of each project is its .tsbuildinfo
  for (const pkg of ['packages/kvm', 'packages/qemu', 'packages/guest', 'apps/boot']) {
    const info = join(root, pkg, 'dist/.tsbuildinfo');
    const out = existsSync(info) ? statSync(info).mtimeMs : 0;
    const src = Math.max(newest(join(root, pkg, 'src')), statSync(join(root, pkg, 'tsconfig.json')).mtimeMs);
    if (src > out || out === 0) return true;
  }
  return built === 0;
}

if (stale()) {
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-b', 'apps/boot'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (r.status !== 0) {
    process.stderr.write('pcisim: the build failed (tsc -b apps/boot); see above\n');
    process.exit(r.status ?? 1);
  }
}
await import(pathToFileURL(bin).href);
