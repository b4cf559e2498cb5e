/**
 * A checker for Chrome Trace Event JSON as pcisim writes it, against the Trace Event Format document
 * (JSON Object Format) and what Perfetto's JSON importer needs: a known `ph`, a string name, integer
 * pid/tid, numeric `ts` (µs) on every non-metadata event, numeric `dur` ≥ 0 on `X`, a scope of g/p/t on
 * instants, numeric args on counters, name/sort_index args on metadata, and complete events on one thread
 * that nest (Perfetto's slice tracker drops a slice that ends after its parent).
 */

/** Every phase the format defines (legacy ones included); pcisim writes X, i, C and M. */
export const KNOWN_PH = new Set(['B', 'E', 'X', 'i', 'I', 'C', 'M', 'b', 'n', 'e', 's', 't', 'f', 'P', 'O', 'N', 'D', 'S', 'T', 'p', 'F', 'R', 'c', '(', ')']);
const METADATA_NAMES = new Set(['process_name', 'process_labels', 'process_sort_index', 'thread_name', 'thread_sort_index']);
const EVENT_KEYS = new Set(['name', 'cat', 'ph', 'ts', 'tts', 'dur', 'tdur', 'pid', 'tid', 'args', 's', 'id', 'id2', 'bp', 'cname', 'sf', 'stack', 'esf', 'estack', 'bind_id', 'flow_in', 'flow_out', 'scope']);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Returns every problem found; an empty list means the file is valid. */
export function validateTraceEventFile(file: unknown): string[] {
  const errors: string[] = [];
  if (!isObject(file)) return ['the file is not a JSON object'];
  if (!Array.isArray(file['traceEvents'])) return ['traceEvents is not an array'];
  const unit = file['displayTimeUnit'];
  if (unit !== undefined && unit !== 'ms' && unit !== 'ns') errors.push(`displayTimeUnit ${String(unit)} is neither "ms" nor "ns"`);
  if (file['otherData'] !== undefined && !isObject(file['otherData'])) errors.push('otherData is not an object');
  for (const k of Object.keys(file)) {
    if (!['traceEvents', 'displayTimeUnit', 'otherData', 'systemTraceEvents', 'stackFrames', 'samples', 'controllerTraceDataKey'].includes(k)) errors.push(`unknown top-level key ${k}`);
  }
  const events = file['traceEvents'] as unknown[];
  const named = new Set<number>();
  const threadNamed = new Set<string>();
  const usedPids = new Set<number>();
  const usedThreads = new Set<string>();
  const slices = new Map<string, { start: number; end: number; name: string }[]>();
  events.forEach((e, i) => {
    const at = `traceEvents[${i}]`;
    if (!isObject(e)) {
      errors.push(`${at} is not an object`);
      return;
    }
    for (const k of Object.keys(e)) if (!EVENT_KEYS.has(k)) errors.push(`${at}: unknown key ${k}`);
    const ph = e['ph'];
    if (typeof ph !== 'string' || !KNOWN_PH.has(ph)) {
      errors.push(`${at}: unknown ph ${JSON.stringify(ph)}`);
      return;
    }
    if (typeof e['name'] !== 'string' || e['name'] === '') errors.push(`${at}: name must be a non-empty string`);
    if (!Number.isInteger(e['pid']) || (e['pid'] as number) < 0) errors.push(`${at}: pid must be a non-negative integer`);
    if (!Number.isInteger(e['tid']) || (e['tid'] as number) < 0) errors.push(`${at}: tid must be a non-negative integer`);
    if (e['cat'] !== undefined && typeof e['cat'] !== 'string') errors.push(`${at}: cat must be a string`);
    if (e['args'] !== undefined && !isObject(e['args'])) errors.push(`${at}: args must be an object`);
    if (ph !== 'M' && (!isNum(e['ts']) || (e['ts'] as number) < 0)) errors.push(`${at}: ts must be a finite number >= 0 (µs)`);
    if (ph === 'M' && e['ts'] !== undefined && !isNum(e['ts'])) errors.push(`${at}: metadata ts must be a number when present`);
    const pid = e['pid'] as number;
    const tid = e['tid'] as number;
    const name = String(e['name']);
    switch (ph) {
      case 'X': {
        if (!isNum(e['dur']) || (e['dur'] as number) < 0) errors.push(`${at}: X needs dur >= 0 (µs)`);
        usedPids.add(pid);
        usedThreads.add(`${pid}/${tid}`);
        const start = Math.round((e['ts'] as number) * 1000);
        const end = start + Math.round((e['dur'] as number) * 1000);
        const key = `${pid}/${tid}`;
        const list = slices.get(key) ?? [];
        list.push({ start, end, name });
        slices.set(key, list);
        break;
      }
      case 'i':
      case 'I': {
        const s = e['s'];
        if (s !== undefined && s !== 'g' && s !== 'p' && s !== 't') errors.push(`${at}: instant scope ${String(s)} is not g, p or t`);
        usedPids.add(pid);
        if (s === undefined || s === 't') usedThreads.add(`${pid}/${tid}`);
        break;
      }
      case 'C': {
        const args = e['args'];
        if (!isObject(args) || Object.keys(args).length === 0) errors.push(`${at}: a counter needs args`);
        else for (const [k, v] of Object.entries(args)) if (!isNum(v)) errors.push(`${at}: counter series ${k} is not a finite number`);
        usedPids.add(pid);
        break;
      }
      case 'M': {
        if (!METADATA_NAMES.has(name)) errors.push(`${at}: unknown metadata ${name}`);
        const args = e['args'];
        if (!isObject(args)) errors.push(`${at}: metadata needs args`);
        else if (name.endsWith('_name') && typeof args['name'] !== 'string') errors.push(`${at}: ${name} needs args.name`);
        else if (name.endsWith('_sort_index') && !Number.isInteger(args['sort_index'])) errors.push(`${at}: ${name} needs an integer args.sort_index`);
        if (name === 'process_name') named.add(pid);
        if (name === 'thread_name') threadNamed.add(`${pid}/${tid}`);
        break;
      }
      default:
        break;
    }
  });
  for (const pid of usedPids) if (!named.has(pid)) errors.push(`pid ${pid} has no process_name metadata`);
  for (const t of usedThreads) if (!threadNamed.has(t)) errors.push(`thread ${t} has no thread_name metadata`);
  for (const [key, list] of slices) {
    list.sort((a, b) => a.start - b.start || b.end - a.end);
    const stack: { start: number; end: number; name: string }[] = [];
    for (const s of list) {
      while (stack.length && stack[stack.length - 1]!.end <= s.start) stack.pop();
      const top = stack[stack.length - 1];
      if (top && s.end > top.end) errors.push(`thread ${key}: ${s.name} [${s.start}, ${s.end}) overlaps ${top.name} [${top.start}, ${top.end}) without nesting`);
      stack.push(s);
    }
  }
  return errors;
}
