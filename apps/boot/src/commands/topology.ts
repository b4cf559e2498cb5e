/**
 * @module
 * `pcisim topology`: what a topology leaves for later (slots, IOMMU groups, bus numbers).
 */
import { KERNEL_FLAVOURS, type KernelFlavour } from '@sim/guest';
import { parseQemuArgs, stubMissingBackends } from '../core/scenario.js';
import { analyzeTopology } from '../core/topology.js';
import { UsageError, takeOption, takeFlag } from '../core/errors.js';
import { formatTopology } from '../formats/topology.js';
import type { CliIo } from './io.js';

/** `pcisim topology [qemu options] [--guest linux-6.1-cloud|linux-6.1-generic] [--json]` */
export function topologyCli(argv: readonly string[], io: CliIo): number {
  const args = [...argv];
  const json = takeFlag(args, '--json');
  const stub = takeFlag(args, '--stub-backends');
  const guest = takeOption(args, '--guest');
  if (guest !== undefined && !KERNEL_FLAVOURS.includes(guest as KernelFlavour)) throw new UsageError(`--guest takes ${KERNEL_FLAVOURS.join(' or ')}, not '${guest}'`);
  let qemu = args;
  if (qemu[0] === '--') qemu = qemu.slice(1);
  if (qemu[0] && /qemu-system/.test(qemu[0])) qemu = qemu.slice(1);
  const unknown = qemu.find((a) => a.startsWith('--'));
  if (unknown) throw new UsageError(`unknown option '${unknown}'`);
  const t = analyzeTopology(parseQemuArgs(stub ? stubMissingBackends(qemu) : qemu), { flavour: (guest as KernelFlavour | undefined) ?? 'linux-6.1-generic' });
  io.stdout(json ? JSON.stringify(t, null, 1) + '\n' : formatTopology(t));
  return 0;
}

