/**
 * @module
 * The CPUID a `-cpu` model gives the guest (target/i386/cpu.c `builtin_x86_defs`): what Linux reads to
 * decide AMD-only probes, plus KVM's paravirtual leaves with the feature bits QEMU enables.
 */
import { kvmPvCpuidEntries, type CpuidEntry } from '@sim/kvm';
import { QemuError } from '../../errors.js';

export interface CpuModel {
  name: string;
  vendor: 'AuthenticAMD' | 'GenuineIntel';
  family: number;
  model: number;
  stepping: number;
  /** KVM_FEATURE_PCI_GO_MMCONFIG requested with `kvm-pci-go-mmconfig=on` */
  kvmPciGoMmconfig: boolean;
  /** its bit number in CPUID 0x40000001 EAX (the v2 QEMU RFC used 15) */
  kvmPciGoMmconfigBit: number;
}

/** Parses `-cpu qemu64[,vendor=GenuineIntel][,kvm-pci-go-mmconfig=on]` */
export function parseCpu(spec: string | undefined): CpuModel {
  const parts = (spec ?? 'qemu64').split(',');
  const name = parts[0] ?? 'qemu64';
  const base: Record<string, Omit<CpuModel, 'name' | 'kvmPciGoMmconfig' | 'kvmPciGoMmconfigBit'>> = {
    qemu64: { vendor: 'AuthenticAMD', family: 15, model: 107, stepping: 1 },
    host: { vendor: 'GenuineIntel', family: 6, model: 85, stepping: 7 },
    max: { vendor: 'AuthenticAMD', family: 15, model: 107, stepping: 1 },
  };
  const b = base[name];
  if (!b) throw new QemuError('BAD_OPTION', `unable to find CPU model '${name}'`);
  const m: CpuModel = { name, ...b, kvmPciGoMmconfig: false, kvmPciGoMmconfigBit: 15 };
  for (const p of parts.slice(1)) {
    const [k, v = 'on'] = p.split('=');
    if (k === 'vendor') {
      if (v !== 'GenuineIntel' && v !== 'AuthenticAMD') throw new QemuError('BAD_PROPERTY_VALUE', `Property '${name}-x86_64-cpu.vendor' doesn't take value '${v}'`);
      m.vendor = v;
    } else if (k === 'kvm-pci-go-mmconfig') {
      m.kvmPciGoMmconfig = v === 'on' || v === 'true';
    } else if (k === 'kvm-pci-go-mmconfig-bit') {
      m.kvmPciGoMmconfigBit = Number(v);
    } else {
      throw new QemuError('UNKNOWN_PROPERTY', `can't apply global ${name}-x86_64-cpu.${k}=${v}: Property '${name}-x86_64-cpu.${k}' not found`);
    }
  }
  return m;
}

function str4(s: string, o: number): number {
  return (s.charCodeAt(o) | (s.charCodeAt(o + 1) << 8) | (s.charCodeAt(o + 2) << 16) | (s.charCodeAt(o + 3) << 24)) >>> 0;
}

/** The CPUID table QEMU hands KVM_SET_CPUID2 for this model. */
export function cpuidEntries(m: CpuModel): CpuidEntry[] {
  const v = m.vendor;
  const baseFamily = Math.min(m.family, 0xf);
  const extFamily = m.family > 0xf ? m.family - 0xf : 0;
  const eax1 = ((extFamily << 20) | ((m.model >> 4) << 16) | (baseFamily << 8) | ((m.model & 0xf) << 4) | m.stepping) >>> 0;
  // KVM features QEMU enables by default: clocksource, nopiodelay, clocksource2, async pf, steal time, PV EOI, PV unhalt...
  let pv = 0x01 | 0x02 | 0x08 | 0x10 | 0x20 | 0x40 | 0x80 | (1 << 24);
  if (m.kvmPciGoMmconfig) pv |= 1 << m.kvmPciGoMmconfigBit;
  return [
    { function: 0, index: 0, flags: 0, eax: 0xd, ebx: str4(v, 0), edx: str4(v, 4), ecx: str4(v, 8) },
    { function: 1, index: 0, flags: 0, eax: eax1, ebx: 0x00000800, ecx: 0x80002001, edx: 0x078bfbfd },
    ...kvmPvCpuidEntries(pv),
  ];
}
