/**
 * @module
 * `pcisim topology`: what a topology leaves for later (free slots per controller, IOMMU groups, bus numbers, windows).
 */
import { analyzeTopology } from '../core/topology.js';
import { formatTopology } from '../formats/topology.js';
import type { ParsedArgs } from './options.js';
import { flavourOf, scenarioOf } from './common.js';
import type { CliIo } from './io.js';
import { formatJson } from '../formats/json.js';

export function topologyCommand(args: ParsedArgs, io: CliIo): number {
  const flavour = flavourOf(args);
  const t = analyzeTopology(scenarioOf(args), flavour !== undefined ? { flavour } : {});
  io.stdout(args.flag('--json') ? formatJson(t) : formatTopology(t));
  return 0;
}
