/**
 * @module
 * The CPUID a `-cpu` model gives the guest (target/i386/cpu.c `builtin_x86_defs`): what Linux reads to
 * decide AMD-only probes, plus KVM's paravirtual leaves with the feature bits QEMU enables.
 */
import { kvmPvCpuidEntries, type CpuidEntry } from '@sim/kvm';
import { QemuError } from '../../errors.js';

/** The host CPU `-cpu host` (and `-cpu max` under KVM) passes through: pcisim's `--host-cpu`. */
export type HostCpu = 'intel' | 'amd';

export interface CpuModel {
  name: string;
  vendor: 'AuthenticAMD' | 'GenuineIntel' | 'HygonGenuine';
  family: number;
  model: number;
  stepping: number;
  /** CPUID.1:EDX.APIC (`-cpu …,-apic` clears it): Linux's early_init_amd() looks at the northbridge only with one */
  apic: boolean;
  /** KVM_FEATURE_PCI_GO_MMCONFIG requested with `kvm-pci-go-mmconfig=on` */
  kvmPciGoMmconfig: boolean;
  /** its bit number in CPUID 0x40000001 EAX (the v2 QEMU RFC used 15) */
  kvmPciGoMmconfigBit: number;
}

type Signature = Pick<CpuModel, 'vendor' | 'family' | 'model' | 'stepping'>;
const AMD = 'AuthenticAMD';
const INTEL = 'GenuineIntel';

/**
 * builtin_x86_defs[] of QEMU 7.2: vendor, family, model and stepping of each named model (what the guest's
 * early code branches on; the feature words are not modelled), with the aliases of its versions
 * (`Skylake-Client-IBRS` is Skylake-Client-v2).
 */
const BUILTIN_X86_DEFS: readonly (readonly [string, Signature['vendor'], number, number, number, readonly string[]])[] = [
  ['qemu64', AMD, 15, 107, 1, []],
  ['phenom', AMD, 16, 2, 3, []],
  ['core2duo', INTEL, 6, 15, 11, []],
  ['kvm64', INTEL, 15, 6, 1, []],
  ['qemu32', INTEL, 6, 6, 3, []],
  ['kvm32', INTEL, 15, 6, 1, []],
  ['coreduo', INTEL, 6, 14, 8, []],
  ['486', INTEL, 4, 8, 0, []],
  ['pentium', INTEL, 5, 4, 3, []],
  ['pentium2', INTEL, 6, 5, 2, []],
  ['pentium3', INTEL, 6, 7, 3, []],
  ['athlon', AMD, 6, 2, 3, []],
  ['n270', INTEL, 6, 28, 2, []],
  ['Conroe', INTEL, 6, 15, 3, []],
  ['Penryn', INTEL, 6, 23, 3, []],
  ['Nehalem', INTEL, 6, 26, 3, ['Nehalem-IBRS']],
  ['Westmere', INTEL, 6, 44, 1, ['Westmere-IBRS']],
  ['SandyBridge', INTEL, 6, 42, 1, ['SandyBridge-IBRS']],
  ['IvyBridge', INTEL, 6, 58, 9, ['IvyBridge-IBRS']],
  ['Haswell', INTEL, 6, 60, 4, ['Haswell-noTSX', 'Haswell-IBRS', 'Haswell-noTSX-IBRS']],
  ['Broadwell', INTEL, 6, 61, 2, ['Broadwell-noTSX', 'Broadwell-IBRS', 'Broadwell-noTSX-IBRS']],
  ['Skylake-Client', INTEL, 6, 94, 3, ['Skylake-Client-IBRS', 'Skylake-Client-noTSX-IBRS']],
  ['Skylake-Server', INTEL, 6, 85, 4, ['Skylake-Server-IBRS', 'Skylake-Server-noTSX-IBRS']],
  ['Cascadelake-Server', INTEL, 6, 85, 6, ['Cascadelake-Server-noTSX']],
  ['Cooperlake', INTEL, 6, 85, 10, []],
  ['Icelake-Server', INTEL, 6, 134, 0, ['Icelake-Server-noTSX']],
  ['Denverton', INTEL, 6, 95, 1, []],
  ['Snowridge', INTEL, 6, 134, 1, []],
  ['KnightsMill', INTEL, 6, 133, 0, []],
  ['Opteron_G1', AMD, 15, 6, 1, []],
  ['Opteron_G2', AMD, 15, 6, 1, []],
  ['Opteron_G3', AMD, 16, 2, 3, []],
  ['Opteron_G4', AMD, 21, 1, 2, []],
  ['Opteron_G5', AMD, 21, 2, 0, []],
  ['EPYC', AMD, 23, 1, 2, ['EPYC-IBPB']],
  ['Dhyana', 'HygonGenuine', 24, 0, 1, []],
  ['EPYC-Rome', AMD, 23, 49, 0, []],
  ['EPYC-Milan', AMD, 25, 1, 1, []],
];

/**
 * The host `-cpu host` stands for under KVM. pcisim has no host to ask: Intel (a Cascade Lake server, family 6
 * model 85) unless `--host-cpu amd` (an EPYC Milan, family 19h). What the guest does differs by vendor and
 * family only: AMD's early northbridge probes (arch/x86/kernel/cpu/amd.c, arch/x86/pci/amd_bus.c).
 */
export const HOST_CPUS: Readonly<Record<HostCpu, Signature & { what: string }>> = {
  intel: { vendor: INTEL, family: 6, model: 85, stepping: 7, what: 'Intel Cascade Lake, family 6 model 85' },
  amd: { vendor: AMD, family: 25, model: 1, stepping: 1, what: 'AMD EPYC Milan, family 19h' },
};

function builtinModel(name: string): Signature | undefined {
  const base = name.replace(/-v\d+$/, '');
  for (const [n, vendor, family, model, stepping, aliases] of BUILTIN_X86_DEFS) {
    if (n === base || aliases.includes(name)) return { vendor, family, model, stepping };
  }
  return undefined;
}

/** Where `-cpu host`/`max` come from: the accelerator (`max` under TCG is qemu64's signature) and `--host-cpu`. */
export interface CpuContext {
  accel?: string;
  host?: HostCpu;
}

const ON = ['on', 'true', 'yes', 'y'];
const OFF = ['off', 'false', 'no', 'n'];

/**
 * `-cpu model[,+feat|-feat|feat=on|off|prop=value]…` (x86_cpu_parse_featurestr()): a named model of QEMU 7.2
 * (`EPYC`, `Skylake-Client-v4`, `qemu64,+x2apic`), `host` (KVM only: the host's CPU, {@link HOST_CPUS}) or `max`
 * (the host's under KVM, qemu64's signature under TCG), with `vendor=` and pcisim's `kvm-pci-go-mmconfig`.
 * Feature flags are accepted; `apic` is the one whose absence changes a config access.
 */
export function parseCpu(spec: string | undefined, ctx: CpuContext = {}): CpuModel {
  const parts = (spec ?? 'qemu64').split(',');
  const name = parts[0] ?? 'qemu64';
  const accel = ctx.accel ?? 'kvm';
  let sig: Signature | undefined;
  if (name === 'host') {
    if (accel !== 'kvm') throw new QemuError('BAD_OPTION', `CPU model 'host' requires KVM or HVF`);
    sig = HOST_CPUS[ctx.host ?? 'intel'];
  } else if (name === 'max') {
    // max_x86_cpu_initfn(): qemu64's signature for TCG; KVM overwrites it with the host's
    sig = accel === 'kvm' ? HOST_CPUS[ctx.host ?? 'intel'] : builtinModel('qemu64');
  } else if (name === 'base') {
    sig = { vendor: INTEL, family: 0, model: 0, stepping: 0 };
  } else sig = builtinModel(name);
  if (!sig) throw new QemuError('BAD_OPTION', `unable to find CPU model '${name}'`);
  const m: CpuModel = { name, vendor: sig.vendor, family: sig.family, model: sig.model, stepping: sig.stepping, apic: true, kvmPciGoMmconfig: false, kvmPciGoMmconfigBit: 15 };
  for (const p of parts.slice(1)) {
    if (p === '') continue;
    // "+feature" / "-feature": the legacy syntax, same as feature=on|off
    const legacy = /^([+-])(.+)$/.exec(p);
    const eq = p.indexOf('=');
    const k = legacy ? legacy[2]! : eq < 0 ? p : p.slice(0, eq);
    const v = legacy ? (legacy[1] === '+' ? 'on' : 'off') : eq < 0 ? 'on' : p.slice(eq + 1);
    if (k === 'vendor') {
      if (v !== INTEL && v !== AMD && v !== 'HygonGenuine') throw new QemuError('BAD_PROPERTY_VALUE', `Property '${name}-x86_64-cpu.vendor' doesn't take value '${v}'`);
      m.vendor = v;
    } else if (k === 'family' || k === 'model' || k === 'stepping') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) throw new QemuError('BAD_PROPERTY_VALUE', `Property '${name}-x86_64-cpu.${k}' doesn't take value '${v}'`);
      m[k] = n;
    } else if (k === 'kvm-pci-go-mmconfig') {
      m.kvmPciGoMmconfig = ON.includes(v);
    } else if (k === 'kvm-pci-go-mmconfig-bit') {
      m.kvmPciGoMmconfigBit = Number(v);
    } else if (k === 'apic') {
      m.apic = !OFF.includes(v);
    } else if (!/^[a-z0-9][a-z0-9_.-]*$/i.test(k)) {
      throw new QemuError('UNKNOWN_PROPERTY', `can't apply global ${name}-x86_64-cpu.${k}=${v}: Property '${name}-x86_64-cpu.${k}' not found`);
    }
    // other features (x2apic, pmu, migratable, hv-*, kvm-*, …) change CPUID words Linux's PCI code does not read
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
  const edx1 = m.apic ? 0x078bfbfd : 0x078bfbfd & ~(1 << 9);
  return [
    { function: 0, index: 0, flags: 0, eax: 0xd, ebx: str4(v, 0), edx: str4(v, 4), ecx: str4(v, 8) },
    { function: 1, index: 0, flags: 0, eax: eax1, ebx: 0x00000800, ecx: 0x80002001, edx: edx1 },
    ...kvmPvCpuidEntries(pv),
  ];
}
