/**
 * @module
 * `--cost <profile|file.json>`: a built-in cost profile by name, or a user's profile file in @sim/kvm's format
 * (`parseCostProfile`: `{"name", "ns": {...}, "extends"?, "sources"?}`). Boot, compare, report and the sweep's
 * `cost` axis all resolve through here, so a file works wherever a name does.
 */
import { readFileSync, statSync } from 'node:fs';
import { costProfiles, KvmError, parseCostProfile, type CostProfile } from '@sim/kvm';
import { PcisimError } from './errors.js';

/** Files already read, by path, mtime and size: a sweep's 10,000 scenarios read a profile file once per thread. */
const fromFiles = new Map<string, CostProfile>();

/**
 * The profile `spec` names: a built-in profile's name, else a JSON file's path. A file that cannot be read,
 * is not JSON or is not a profile is a {@link PcisimError} naming the file and the field.
 */
export function resolveCostProfile(spec: CostProfile | string): CostProfile {
  if (typeof spec !== 'string') return spec;
  if (Object.hasOwn(costProfiles, spec)) return costProfiles[spec]!;
  let text: string;
  let key: string;
  try {
    // by path and version: a file edited between two boots of one process is read again
    const st = statSync(spec);
    key = `${spec}\0${st.mtimeMs}\0${st.size}`;
    const known = fromFiles.get(key);
    if (known) return known;
    text = readFileSync(spec, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new PcisimError(
      code === 'ENOENT'
        ? `--cost: '${spec}' is neither a built-in profile (${Object.keys(costProfiles).join(', ')}) nor a file`
        : `--cost: cannot read ${spec}: ${code ?? String(e)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new PcisimError(`--cost: ${spec} is not JSON: ${(e as Error).message}`);
  }
  let p: CostProfile;
  try {
    p = parseCostProfile(json);
  } catch (e) {
    // KvmError's message is "cost profile: <field> <problem>"; say which file
    if (e instanceof KvmError) throw new PcisimError(`--cost: ${spec}: ${e.message.replace(/^[^:]*cost profile: /, '').replace(/: EINVAL$/, '')}`);
    throw e;
  }
  fromFiles.set(key, p);
  return p;
}

/** A profile as a file holds it: what `pcisim cost show <profile> --json` prints, and `--cost` reads back. */
export function costProfileFile(p: CostProfile): Pick<CostProfile, 'name' | 'description' | 'source' | 'ns' | 'sources' | 'spread' | 'host' | 'measurements'> {
  return {
    name: p.name,
    description: p.description,
    source: p.source,
    ns: p.ns,
    ...(p.sources ? { sources: p.sources } : {}),
    // a measured profile's (pcisim calibrate): kept, so that `cost show --json` of it reads back the same
    ...(p.spread ? { spread: p.spread } : {}),
    ...(p.host ? { host: p.host } : {}),
    ...(p.measurements ? { measurements: p.measurements } : {}),
  };
}
