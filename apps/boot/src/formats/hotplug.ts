/**
 * @module
 * The text report of a run with hot-plug events (`pcisim boot --qmp …`): each event's reply, latencies, waits and cost.
 */
import type { HotplugRunResult } from '../core/hotplug.js';

/** A compact text report of a run. */
export function formatHotplugReport(r: HotplugRunResult): string {
  const lines: string[] = [];
  lines.push(`guest ${r.flavour}, up at ${(r.guestUpNs / 1e6).toFixed(3)} ms (virtual)`);
  for (const e of r.events) {
    const at = `${(e.at / 1e6).toFixed(3)} ms${e.duringBoot ? ' (during boot)' : ''}`;
    lines.push('');
    lines.push(`#${e.index} ${at}: ${e.command}`);
    lines.push(`  reply: ${JSON.stringify(e.reply)}${e.handler ? `  handler: ${e.handler}` : ''}${e.device ? `  device: ${e.device.type} ${e.device.id ?? ''} at ${e.device.bdf}` : ''}`);
    if (e.toFoundNs !== undefined) lines.push(`  found after ${ms(e.toFoundNs)}${e.toUsableNs !== undefined ? `, usable after ${ms(e.toUsableNs)}` : ''}`);
    if (e.toRemovedNs !== undefined) lines.push(`  removed by the guest after ${ms(e.toRemovedNs)}`);
    if (e.toDeletedNs !== undefined) lines.push(`  DEVICE_DELETED after ${ms(e.toDeletedNs)}`);
    if (e.waits.length) lines.push(`  waits: ${e.waits.map((w) => `${w.what} ${ms(w.ns)}`).join('; ')}`);
    const c = e.cost;
    lines.push(
      `  cost: ${c.configAccesses.total} config accesses (conf1 ${c.configAccesses.conf1}, mmcfg ${c.configAccesses.mmcfg}), exits IO ${c.exits.KVM_EXIT_IO} MMIO ${c.exits.KVM_EXIT_MMIO} in-kernel ${c.exits.inKernel}, console PIO ${c.consolePio}, memslot updates ${c.memslotUpdates}, ${ms(c.exitTimeNs)} in exits`,
    );
    if (e.outcome) lines.push(`  outcome: ${e.outcome}`);
    for (const l of e.console) lines.push(`    ${l}`);
  }
  if (r.qmpEvents.length) {
    lines.push('');
    for (const q of r.qmpEvents) lines.push(`QMP event ${q.event} ${JSON.stringify(q.data)} at ${(q.t / 1e6).toFixed(3)} ms`);
  }
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

function ms(ns: number): string {
  return ns >= 1e9 ? `${(ns / 1e9).toFixed(3)} s` : `${(ns / 1e6).toFixed(3)} ms`;
}
