/**
 * @module
 * KVM_SET_CPUID2 and the guest's CPUID. KVM answers CPUID from the table the VMM set
 * (kvm_cpuid() → cpuid_entry2_find(); https://elixir.bootlin.com/linux/v6.1/A/ident/kvm_cpuid).
 * The KVM paravirt leaves (0x40000000 "KVMKVMKVM\0\0\0", 0x40000001 feature bits in EAX) are answered by
 * default when the VMM's table has no entry for them, as a QEMU `-accel kvm` guest sees them.
 */

import { KvmError } from './errors.js';
import type { CpuidEntry, CpuidResult } from './types.js';
import {
  KVM_CPUID_FEATURES,
  KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
  KVM_CPUID_SIGNATURE,
  KVM_MAX_CPUID_ENTRIES,
  KVM_SIGNATURE_EBX,
  KVM_SIGNATURE_ECX,
  KVM_SIGNATURE_EDX,
} from './uapi.js';

const OP = 'KVM_SET_CPUID2';

/**
 * The two KVM paravirt CPUID entries a VMM puts in its table: the signature leaf (EAX = highest PV leaf)
 * and the features leaf with `features` (KVM_FEATURE_* bits) in EAX.
 */
export function kvmPvCpuidEntries(features: number): CpuidEntry[] {
  return [
    { function: KVM_CPUID_SIGNATURE, index: 0, flags: 0, eax: KVM_CPUID_FEATURES, ebx: KVM_SIGNATURE_EBX, ecx: KVM_SIGNATURE_ECX, edx: KVM_SIGNATURE_EDX },
    { function: KVM_CPUID_FEATURES, index: 0, flags: 0, eax: features >>> 0, ebx: 0, ecx: 0, edx: 0 },
  ];
}

const u32 = (i: number, field: string, v: unknown): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw new KvmError('EINVAL', OP, `entry ${i}: ${field} ${String(v)} is not a u32`);
  }
  return v;
};

export class CpuidTable {
  private entries: CpuidEntry[] = [];

  /** Validated copy of `entries`; E2BIG past KVM_MAX_CPUID_ENTRIES. */
  static check(entries: readonly CpuidEntry[]): CpuidEntry[] {
    if (!Array.isArray(entries)) throw new KvmError('EINVAL', OP, 'entries must be an array');
    if (entries.length > KVM_MAX_CPUID_ENTRIES) {
      throw new KvmError('E2BIG', OP, `${entries.length} entries is more than KVM_MAX_CPUID_ENTRIES (${KVM_MAX_CPUID_ENTRIES})`);
    }
    return entries.map((e, i) => ({
      function: u32(i, 'function', e.function),
      index: u32(i, 'index', e.index),
      flags: e.flags === undefined ? 0 : u32(i, 'flags', e.flags),
      eax: u32(i, 'eax', e.eax),
      ebx: u32(i, 'ebx', e.ebx),
      ecx: u32(i, 'ecx', e.ecx),
      edx: u32(i, 'edx', e.edx),
    }));
  }

  set(entries: CpuidEntry[]): void {
    this.entries = entries;
  }

  equals(entries: readonly CpuidEntry[]): boolean {
    if (entries.length !== this.entries.length) return false;
    return entries.every((e, i) => {
      const o = this.entries[i]!;
      return e.function === o.function && e.index === o.index && (e.flags ?? 0) === (o.flags ?? 0) &&
        e.eax === o.eax && e.ebx === o.ebx && e.ecx === o.ecx && e.edx === o.edx;
    });
  }

  list(): CpuidEntry[] {
    return this.entries.map((e) => ({ ...e }));
  }

  /** What CPUID(leaf, subleaf) returns in the guest. */
  lookup(leaf: number, subleaf: number): CpuidResult {
    // cpuid_entry2_find(): first entry of the function whose index matches or does not matter
    for (const e of this.entries) {
      if (e.function === leaf && (((e.flags ?? 0) & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) === 0 || e.index === subleaf)) {
        return { eax: e.eax, ebx: e.ebx, ecx: e.ecx, edx: e.edx };
      }
    }
    if (leaf === KVM_CPUID_SIGNATURE) {
      return { eax: KVM_CPUID_FEATURES, ebx: KVM_SIGNATURE_EBX, ecx: KVM_SIGNATURE_ECX, edx: KVM_SIGNATURE_EDX };
    }
    return { eax: 0, ebx: 0, ecx: 0, edx: 0 };
  }
}
