/**
 * @module
 * The report formats of `pcisim`: `perf kvm stat report` tables, qemu-boot-time milestones, Chrome Trace
 * Event JSON, and the self-contained HTML report, over a boot collected with {@link TraceCollector}.
 */
export {
  TraceCollector,
  TIMED_VMX_REASONS,
  type TraceCollectorOptions,
  type TraceData,
  type TraceSpan,
  type TraceLayer,
  type ExitBin,
  type ExitRecord,
  type ExitScope,
  type ExitTimeStats,
  type TimedVmxReason,
} from '../core/collector.js';
export { formatPerfKvmStat, perfKvmStat, printfFixed, type PerfKvmStat, type PerfKvmStatRow, type PerfKvmStatOptions } from './perf-kvm-stat.js';
export { formatMilestones, milestones, type Milestone } from './milestones.js';
export { buildTraceEvents, PID_GUEST, PID_KVM, PID_QEMU, type TraceEvent, type TraceEventFile, type TraceEventOptions } from './trace-event.js';
export { renderHtmlReport, renderTopology, type HtmlReportInput } from './html-report.js';
