/**
 * @module
 * @sim/boot: the `pcisim` command as functions.
 */
export type * from './report/types.js';
export { runCli, USAGE, type CliIo } from './cli.js';
export { parseQemuArgs, stubMissingBackends, type Scenario } from './scenario.js';
export { bootScenario, type BootOptions, type BootResult } from './boot.js';
export { MachineCache, type MachineCacheStats } from './machine-cache.js';
export { formatTextReport } from './report/text.js';
export { validateReference, formatValidate, formatValidateMarkdown, fidelityMarkdown, type ValidateResult, type FieldDiff } from './validate.js';
export * from './record/index.js';
export { compare, formatCompare, formatCompareChart, DEFAULT_SETS, type CompareResult, type CompareRow, type MitigationSet } from './compare.js';
export * from './formats/index.js';
export {
  runHotplugScenario,
  earliestSafeHotplug,
  bootWithDrivers,
  loadHotplugScenario,
  hotplugScenarioFromJson,
  parseQmpEventArg,
  formatHotplugReport,
  type HotplugEvent,
  type HotplugScenarioFile,
  type HotplugOptions,
  type HotplugEventReport,
  type HotplugRunResult,
  type WindowCost,
  type WaitSlice,
  type SafeTimeResult,
} from './hotplug.js';
export {
  analyzeTopology,
  compareTopologies,
  iommuGroupsOf,
  formatTopology,
  formatTopologyComparison,
  type TopologyReport,
  type TopologyComparison,
  type BusSlots,
  type IommuGroup,
  type BridgeRange,
  type SlotController,
} from './topology.js';
export { runBench, benchCases, BENCH_CASES, topologyArgs, topologyWithBuses, largestTopologyArgs, type BenchOptions, type BenchResult, type BenchCaseResult } from './bench/index.js';
export {
  runSweep,
  sweepCommand,
  checkMatrix,
  expandMatrix,
  matrixSize,
  scenarioAt,
  resolveScenario,
  BENCH_MATRIX,
  SweepMatrixError,
  SweepUsageError,
  type SweepMatrix,
  type SweepAxes,
  type SweepScenario,
  type SweepResult,
  type SweepOptions,
  type SweepSummary,
} from './sweep/index.js';
