/**
 * @module
 * `pcisim compare`: one machine booted once per mitigation set, or `--topology a,b` topologies side by side.
 */
import { KERNEL_FLAVOURS, type KernelFlavour } from '@sim/guest';
import { parseQemuArgs } from '../core/scenario.js';
import { compare, DEFAULT_SETS } from '../core/compare.js';
import { compareTopologies } from '../core/topology.js';
import { UsageError, takeOption, takeFlag } from '../core/errors.js';
import { formatCompare, formatCompareChart } from '../formats/compare.js';
import { formatTopologyComparison } from '../formats/topology.js';
import type { CliIo } from './io.js';

export async function compareCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const args = [...argv];
  const cost = takeOption(args, '--cost');
  const json = args.includes('--json');
  const chart = args.includes('--chart');
  let qemu = args.filter((a) => a !== '--json' && a !== '--chart');
  if (qemu[0] === '--') qemu = qemu.slice(1);
  if (qemu[0] && /qemu-system/.test(qemu[0])) qemu = qemu.slice(1);
  const unknown = qemu.find((a) => a.startsWith('--'));
  if (unknown) throw new UsageError(`unknown option '${unknown}'`);
  const r = compare(parseQemuArgs(qemu), DEFAULT_SETS, cost);
  io.stdout(json ? JSON.stringify(r, null, 1) + '\n' : formatCompare(r) + (chart ? '\n' + formatCompareChart(r) : ''));
  return 0;
}

/** `pcisim compare --topology kata,libvirt [--guest …] [--cost …] [--json]` */
export function compareTopologyCli(argv: readonly string[], io: CliIo): number {
  const args = [...argv];
  const json = takeFlag(args, '--json');
  const names = (takeOption(args, '--topology') ?? 'kata,libvirt').split(',').filter(Boolean);
  const g = takeOption(args, '--guest');
  if (g !== undefined && !KERNEL_FLAVOURS.includes(g as KernelFlavour)) throw new UsageError(`--guest takes ${KERNEL_FLAVOURS.join(' or ')}, not '${g}'`);
  const guest = (g as KernelFlavour | undefined) ?? 'linux-6.1-generic';
  const cost = takeOption(args, '--cost');
  const c = compareTopologies(names, { flavour: guest, ...(cost !== undefined ? { costProfile: cost } : {}) });
  io.stdout(json ? JSON.stringify(c.map(({ topology, ...rest }) => ({ ...rest, topology })), null, 1) + '\n' : formatTopologyComparison(c));
  return 0;
}

