/**
 * @module
 * `pcisim compare`: one machine booted once per mitigation set, side by side; with `--topology a,b`, named
 * topologies side by side (boot cost, slots, IOMMU groups, hot-plug latency per controller).
 */
import { compare, DEFAULT_SETS } from '../core/compare.js';
import { compareTopologies } from '../core/topology.js';
import { formatCompare, formatCompareChart } from '../formats/compare.js';
import { formatTopologyComparison } from '../formats/topology.js';
import { UsageError } from '../core/errors.js';
import type { ParsedArgs } from './options.js';
import { costOf, flavourOf, scenarioOf } from './common.js';
import type { CliIo } from './io.js';
import { formatJson } from '../formats/json.js';

export function compareCommand(args: ParsedArgs, io: CliIo): number {
  const json = args.flag('--json');
  const topologies = args.value('--topology');
  if (topologies !== undefined) {
    if (args.positionals.length > 0) throw new UsageError(`--topology compares named topologies: no QEMU options, not '${args.positionals[0]!}'`);
    const flavour = flavourOf(args);
    const c = compareTopologies(topologies.split(',').filter(Boolean), { ...costOf(args), ...(flavour !== undefined ? { flavour } : {}) });
    io.stdout(json ? formatJson(c) : formatTopologyComparison(c));
    return 0;
  }
  const r = compare(scenarioOf(args), DEFAULT_SETS, args.value('--cost'));
  io.stdout(json ? formatJson(r) : formatCompare(r) + (args.flag('--chart') ? '\n' + formatCompareChart(r) : ''));
  return 0;
}
