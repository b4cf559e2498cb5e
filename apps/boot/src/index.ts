/**
 * @module
 * @sim/boot: the `pcisim` command as functions.
 */
export type * from './core/report-types.js';
export { runCli, USAGE, type CliIo } from './cli.js';
export { parseQemuArgs, stubMissingBackends, type Scenario } from './core/scenario.js';
export { bootScenario, bindsPciehpAtBoot } from './core/boot-scenario.js';
export { DEFAULT_FLAVOUR, type BootOptions, type BootResult, type BootLive, type MitigationFootprint, type SimulatedSetup } from './core/boot.js';
export { MachineCache, type MachineCacheStats } from './core/machine-cache.js';
export { formatTextReport } from './formats/text.js';
export { validateReference, type ValidateResult, type FieldDiff } from './core/validate.js';
export { formatValidate, formatValidateMarkdown, fidelityMarkdown } from './formats/validate.js';
export * from './record/index.js';
export { compare, DEFAULT_SETS, type CompareResult, type CompareRow, type MitigationSet } from './core/compare.js';
export { formatCompare, formatCompareChart } from './formats/compare.js';
export * from './formats/index.js';
export {
  runHotplugScenario,
  earliestSafeHotplug,
  loadHotplugScenario,
  hotplugScenarioFromJson,
  parseQmpEventArg,
  type HotplugEvent,
  type HotplugScenarioFile,
  type HotplugOptions,
  type HotplugEventReport,
  type HotplugRunResult,
  type WindowCost,
  type WaitSlice,
  type SafeTimeResult,
} from './core/hotplug.js';
export { formatHotplugReport } from './formats/hotplug.js';
export {
  analyzeTopology,
  compareTopologies,
  iommuGroupsOf,
  type TopologyReport,
  type TopologyComparison,
  type BusSlots,
  type IommuGroup,
  type BridgeRange,
  type SlotController,
} from './core/topology.js';
export { formatTopology, formatTopologyComparison } from './formats/topology.js';
export { runBench, benchCases, BENCH_CASES, topologyArgs, topologyWithBuses, largestTopologyArgs, type BenchOptions, type BenchResult, type BenchCaseResult } from './core/bench/index.js';
export type { BenchCase } from './core/bench/cases.js';
export {
  runSweep,
  checkMatrix,
  expandMatrix,
  matrixSize,
  scenarioAt,
  resolveScenario,
  BENCH_MATRIX,
  SweepMatrixError,
  type SweepMatrix,
  type SweepAxes,
  type SweepScenario,
  type ResolvedScenario,
  type SweepResult,
  type SweepOptions,
  type SweepSummary,
} from './core/sweep/index.js';
export { sweepCommand } from './commands/sweep.js';
export { PcisimError, UsageError } from './core/errors.js';
