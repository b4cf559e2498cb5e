/**
 * @module
 * `pcisim record`: a real QEMU boot traced and tallied into a reference (the recorder is ../record/).
 */
import { UsageError } from '../core/errors.js';
import type { ParsedArgs } from './options.js';
import { qemuArgvOf } from './common.js';
import type { CliIo } from './io.js';

export async function recordCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  const qemuArgs = qemuArgvOf(args);
  // -append goes to the recorder on its own: it adds the recording's console options to it. As in QEMU,
  // the last one wins.
  let append = '';
  for (let i = qemuArgs.indexOf('-append'); i >= 0; i = qemuArgs.indexOf('-append')) {
    const v = qemuArgs[i + 1];
    if (v === undefined) throw new UsageError('-append needs a value');
    append = v;
    qemuArgs.splice(i, 2);
  }
  const scenario = args.value('--scenario') ?? 'recording';
  if (args.value('--accel') === 'kvm') {
    const { recordKvmBoot } = await import('../record/kvm-time.js');
    const r = await recordKvmBoot({ qemuArgs, append, scenario, outDir: args.value('--out') ?? '.', onNote: (note) => io.stderr(`pcisim record: ${note}\n`) });
    const pci = r.recording.initcalls.filter((c) => /^(pci|acpi_init|pcibios|pcie|vga_arb|pnpacpi)/.test(c.fn));
    io.stdout(`${scenario}: ${r.recording.initcalls.length} initcalls timed under KVM (${pci.map((c) => `${c.fn} ${c.usecs} µs`).join(', ')}); wrote ${r.files.json}, ${r.files.console}\n`);
    return 0;
  }
  const { recordBoot } = await import('../record/record.js');
  const r = await recordBoot({
    qemuArgs,
    append,
    scenario,
    outDir: args.value('--out') ?? '.',
    hostCpu: (args.value('--host-cpu') ?? 'intel') as 'intel' | 'amd',
    onConsoleLine: () => {},
    // said before the boot, which takes a while: what the recorder adds to the line, and a kernel mismatch
    onNote: (note) => io.stderr(`pcisim record: ${note}\n`),
  });
  for (const w of r.warnings) io.stderr(`pcisim record: warning: ${w}\n`);
  const l = r.report.phases.linux.config;
  io.stdout(`${scenario}: linux conf1 ${l.accesses.conf1}, mmcfg ${l.accesses.mmcfg}, absent ${l.absent}; wrote ${Object.values(r.files).join(', ')}\n`);
  return 0;
}
