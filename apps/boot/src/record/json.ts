/**
 * @module
 * The reference JSON text: `json.dump(indent=1)`'s layout (what the reference files were written with), with
 * `byBus` / `byBusMechanism` keys in first-access order. A JS object cannot keep that order (integer-like keys
 * always come first, ascending), so the writer takes it from `busOrder`.
 */

import type { BootReport } from '../core/report-types.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json } | Map<string, Json>;

function str(s: string): string {
  // Python's ensure_ascii: every non-ASCII character as \uXXXX.
  return JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function write(v: Json, indent: string, step: string): string {
  if (v === null || typeof v !== 'object') return typeof v === 'string' ? str(v) : JSON.stringify(v);
  const inner = indent + step;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return `[\n${v.map((x) => inner + write(x, inner, step)).join(',\n')}\n${indent}]`;
  }
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${str(k)}: ${write(x, inner, step)}`).join(',\n')}\n${indent}}`;
}

/** Buses of a `busOrder` string ("0,255,1-254"), in order. */
export function expandBusOrder(order: string): number[] {
  const out: number[] = [];
  for (const part of order.split(',')) {
    if (part === '') continue;
    const [a, b] = part.split('-');
    const from = Number(a);
    const to = b === undefined ? from : Number(b);
    for (let i = from; i <= to; i++) out.push(i);
  }
  return out;
}

function ordered<T>(rec: Record<string, T>, keys: readonly string[]): Map<string, T> {
  const m = new Map<string, T>();
  for (const k of keys) if (k in rec) m.set(k, rec[k] as T);
  for (const [k, v] of Object.entries(rec)) if (!m.has(k)) m.set(k, v);
  return m;
}

/** The report as the reference files hold it (1-space indent, trailing newline). */
export function toReferenceJson(report: BootReport): string {
  const phases = new Map<string, Json>();
  for (const [name, phase] of Object.entries(report.phases)) {
    const c = phase.config;
    const keys = c.busOrder !== undefined ? expandBusOrder(c.busOrder).map(String) : [];
    const config = {
      ...c,
      byBus: ordered(c.byBus, keys),
      byBusMechanism: ordered(c.byBusMechanism, keys),
    } as unknown as Json;
    phases.set(name, new Map<string, Json>([['config', config], ...Object.entries(phase).filter(([k]) => k !== 'config')] as [string, Json][]));
  }
  const top = new Map<string, Json>(Object.entries(report) as [string, Json][]);
  top.set('phases', phases);
  return `${write(top, '', ' ')}\n`;
}
