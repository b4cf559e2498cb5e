/**
 * @module
 * The real-QEMU recorder (docs/recording.md): boot QEMU + Linux under a trace, count config accesses by the
 * reference rules, write reference-format reports. `ConfigTallyBuilder` is shared with the simulator.
 */

export {
  formatRamSize,
  kernelName,
  kernelRelease,
  MICROVM_TSC_KHZ,
  planRecording,
  ramSize,
  REFERENCE_KERNEL,
  type RecordingPlan,
  resolveInputPaths,
} from './command-line.js';
export { ACCESSES_HEADER, formatAccess, parseAccessLine, readAccessesFile, traceValue, writeAccessesFile } from './accesses-file.js';
export { type ConsoleInfo, ConsoleParser, parseConsole, stripAnsi } from './console.js';
export { RecordError, type RecordErrorCode } from './errors.js';
export { inferDevices } from './infer.js';
export { expandBusOrder, toReferenceJson } from './json.js';
export {
  BASE_QEMU_ARGS,
  buildReport,
  findKernel,
  findQemu,
  type ImportOptions,
  importTrace,
  type RecordOptions,
  type RecordResult,
  recordBoot,
  recordingCommand,
  type ReportMeta,
  scenarioArgs,
  writeRecording,
} from './record.js';
export {
  ConfigTallyBuilder,
  type DeviceRef,
  formatBdf,
  formatBusOrder,
  parseBdf,
  PhaseTallyBuilder,
  PresentSet,
  type TallyInput,
  tallyPhases,
} from './tally.js';
export {
  emptyPortAccesses,
  isFwCfgRegion,
  type ParsedTrace,
  parseTrace,
  parseTraceLine,
  readLines,
  REGION,
  TraceDecoder,
  type TraceOp,
  type TraceParseOptions,
} from './trace-parser.js';
