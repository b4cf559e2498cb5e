/**
 * @module
 * `pcisim record --accel kvm`: a timing recording. The real QEMU boots the scenario with KVM instead of TCG,
 * untraced (a trace event per access would be timed with it), with `initcall_debug loglevel=8` on the kernel
 * command line, so that Linux prints how long each initcall took; those durations and Linux's device list
 * go into `<scenario>.kvm.json` (schema `pcisim.kvm-time/1`) beside the console log
 * (`<scenario>.kvm.console.log`). `pcisim validate --time` sets them against pcisim's prediction. Config
 * access counts come from the TCG recordings; this one is for time only.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { hostInfo, type HostInfo } from '../core/calibrate.js';
import type { RecordedWith } from '../core/report-types.js';
import { kernelName, planRecording, REFERENCE_KERNEL, resolveInputPaths } from './command-line.js';
import { stripAnsi, type ConsoleInfo } from './console.js';
import { RecordError } from './errors.js';
import { parseInitcalls, type InitcallTime } from './initcalls.js';
import { boot, findKernel, findQemu, lastLine, recordedWith, type RecordOptions } from './record.js';

/** What every KVM timing recording shares (as BASE_QEMU_ARGS for TCG, with KVM). */
export const KVM_BASE_QEMU_ARGS: readonly string[] = ['-accel', 'kvm', '-m', '512', '-nographic'];

/** What `<scenario>.kvm.json` holds. */
export interface KvmTimeRecording {
  schema: 'pcisim.kvm-time/1';
  scenario: string;
  description: string;
  recordedWith: RecordedWith & { host: HostInfo };
  qemuArgs: string[];
  append: string;
  /** every initcall the guest timed, in order */
  initcalls: InitcallTime[];
  devices: ConsoleInfo['devices'];
}

export interface KvmRecordResult {
  recording: KvmTimeRecording;
  notes: string[];
  files: { json: string; console: string };
}

/** `initcall_debug` makes Linux time each initcall; its lines are KERN_DEBUG, which loglevel=8 shows. */
export function timingAppend(append: string, notes: string[]): string {
  const tokens = append.split(/\s+/).filter(Boolean);
  const add: string[] = [];
  if (!tokens.includes('initcall_debug')) add.push('initcall_debug');
  if (!tokens.some((t) => t === 'loglevel=8' || t === 'ignore_loglevel' || t === 'debug')) add.push('loglevel=8');
  if (add.length > 0) notes.push(`added ${add.join(' ')} to the kernel command line (Linux prints each initcall's duration at KERN_DEBUG)`);
  return [...tokens, ...add].join(' ');
}

/** Why this host's KVM may not boot the kernel, in words; undefined for VMX and SVM. */
function kvmCaveat(host: HostInfo): string | undefined {
  if (host.kvmModule === 'kvm_pvm') {
    return "this host's KVM is kvm_pvm, software virtualisation that emulates a stock kernel's CPL0 code instruction by instruction (about 2 µs a turn of a 3-instruction loop, pcisim calibrate's null_loop): the kernel does not get past its decompressor in minutes; a timing recording needs kvm_intel or kvm_amd";
  }
  return undefined;
}

/** Boots the scenario under KVM and writes the timing recording. */
export async function recordKvmBoot(options: RecordOptions): Promise<KvmRecordResult> {
  if (!existsSync('/dev/kvm')) throw new RecordError('QEMU_FAILED', '--accel kvm: no /dev/kvm on this host (the KVM module is not loaded): record under TCG instead');
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
  } catch {
    throw new RecordError('QEMU_FAILED', '--accel kvm: cannot open /dev/kvm for reading and writing (add yourself to its group, usually kvm)');
  }
  const notes: string[] = [];
  const plan = planRecording(options.qemuArgs, options.append);
  notes.push(...plan.notes);
  const append = timingAppend(plan.append, notes);
  const qemu = resolve(findQemu(options.qemuBinary));
  const kernel = resolve(findKernel(options.kernel));
  if (kernelName(kernel) !== REFERENCE_KERNEL) notes.push(`warning: the kernel is ${kernelName(kernel)}, pcisim models ${REFERENCE_KERNEL}`);
  const host = hostInfo();
  const caveat = kvmCaveat(host);
  if (caveat) notes.push(`warning: ${caveat}`);
  for (const n of notes) options.onNote?.(n);
  const scenario = options.scenario ?? 'recording';
  const outDir = resolve(options.outDir ?? '.');
  await mkdir(outDir, { recursive: true });
  // a KVM boot reaches the VFS panic in a second or two; the limit is for a host that cannot run it
  const timeoutMs = options.timeoutMs ?? 120_000;
  const args = [...KVM_BASE_QEMU_ARGS, '-kernel', kernel, '-append', append, ...resolveInputPaths(plan.qemuArgs, process.cwd())];
  const outcome = await boot(qemu, args, outDir, timeoutMs, options.onConsoleLine);
  const consolePath = join(outDir, `${scenario}.kvm.console.log`);
  if (outcome.status !== 'panic' || !outcome.info.vfsPanic) {
    const failed = join(outDir, `${scenario}.kvm.failed.console.log`);
    await writeFile(failed, stripAnsi(outcome.console), 'latin1');
    const why = caveat ? `: ${caveat}` : '';
    if (outcome.status === 'timeout') {
      throw new RecordError('BOOT_TIMEOUT', `--accel kvm: Linux did not reach its panic within ${timeoutMs / 1000} s, last console line ${JSON.stringify(lastLine(outcome.console))}${why} (console in ${failed})`);
    }
    if (outcome.status === 'exited') throw new RecordError('QEMU_FAILED', `--accel kvm: QEMU exited before Linux panicked: ${outcome.exit}${why} (console in ${failed})`);
    throw new RecordError('UNEXPECTED_PANIC', `--accel kvm: Linux panicked, but not on the root file system: ${outcome.info.panic ?? '(no panic line)'} (console in ${failed})`);
  }
  const initcalls = parseInitcalls(outcome.console);
  const recording: KvmTimeRecording = {
    schema: 'pcisim.kvm-time/1',
    scenario,
    description: options.description ?? `timed under KVM: ${plan.qemuArgs.join(' ')}`,
    recordedWith: { ...recordedWith(qemu, kernel, plan.qemuArgs), accel: 'kvm', host },
    qemuArgs: plan.qemuArgs,
    append,
    initcalls,
    devices: outcome.info.devices,
  };
  const json = join(outDir, `${scenario}.kvm.json`);
  await writeFile(json, JSON.stringify(recording, null, 1) + '\n');
  await writeFile(consolePath, stripAnsi(outcome.console), 'latin1');
  return { recording, notes, files: { json, console: consolePath } };
}
