/**
 * @module
 * arch/x86/kernel/smpboot.c: the secondary CPUs coming up (kernel_init_freeable() -> smp_init() ->
 * bringup_nonboot_cpus(), before do_basic_setup()'s initcalls). Each one runs start_secondary() ->
 * smp_store_cpu_info() -> identify_secondary_cpu() -> identify_cpu(), whose c_init on an AMD CPU is init_amd()
 * -> early_init_amd(): the K8 extended-APIC look at 00:18.0 once per CPU.
 */
import { acpiNumProcessors } from './acpi/boot.js';
import { earlyInitAmd } from './cpu/amd.js';
import type { KernelState } from '../../../init/state.js';

/** smp_init(): every CPU the MADT lists after the boot CPU, in order, identifies itself */
export function smpInit(k: KernelState): void {
  const n = acpiNumProcessors(k);
  for (let cpu = 1; cpu < n; cpu++) identifySecondaryCpu(k);
}

/** identify_secondary_cpu() -> identify_cpu() -> this_cpu->c_init(): init_amd() -> early_init_amd() */
function identifySecondaryCpu(k: KernelState): void {
  earlyInitAmd(k);
}
