/**
 * @module
 * @sim/boot: the `pcisim` command as functions.
 */
export type * from './report/types.js';
export { runCli, USAGE, type CliIo } from './cli.js';
export { parseQemuArgs, stubMissingBackends, type Scenario } from './scenario.js';
export { bootScenario, type BootOptions, type BootResult } from './boot.js';
export { formatTextReport } from './report/text.js';
export { validateReference, formatValidate, formatValidateMarkdown, fidelityMarkdown, type ValidateResult, type FieldDiff } from './validate.js';
export * from './record/index.js';
export { compare, formatCompare, formatCompareChart, DEFAULT_SETS, type CompareResult, type CompareRow, type MitigationSet } from './compare.js';
export * from './formats/index.js';
