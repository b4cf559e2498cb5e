/**
 * @module
 * arch/x86/kernel/cpu/common.c: identify_cpu(), the vendor and family boot_cpu_data records from CPUID.
 */
import type { KernelState } from '../../../../init/state.js';

/** identify_cpu(): vendor and family from CPUID leaves 0 and 1 */
export function identifyCpu(k: KernelState): void {
  const l0 = k.cpu.cpuid(0);
  const vendor = regsToString(l0.ebx, l0.edx, l0.ecx);
  k.amd = vendor === 'AuthenticAMD' || vendor === 'HygonGenuine';
  const l1 = k.cpu.cpuid(1);
  const base = (l1.eax >>> 8) & 0xf;
  k.amdFamily = base === 0xf ? base + ((l1.eax >>> 20) & 0xff) : base;
  k.hasApic = (l1.edx & (1 << 9)) !== 0;
}

/** the ASCII of CPUID registers, in the order given (a vendor or hypervisor signature) */
export function regsToString(...regs: number[]): string {
  let s = '';
  for (const r of regs) for (let i = 0; i < 4; i++) s += String.fromCharCode((r >>> (8 * i)) & 0xff);
  return s;
}

