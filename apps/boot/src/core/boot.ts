/**
 * @module
 * One simulated boot: KVM (a VM, memslots for RAM, one vCPU) ← QEMU (the machine answering exits,
 * SeaBIOS's PCI set-up, the KVM mitigations it asks for) ← Linux 6.1's PCI init on that vCPU.
 *
 * Counting: the firmware phase is counted where the real recorder counts, at QEMU's config handlers. The
 * linux phase is counted by the guest's own account of its config accesses, which also sees the accesses
 * KVM answers without involving QEMU (a test holds both accounts equal when no mitigation is on).
 */
import { Kvm, diffStats, type KvmStatsSnapshot, type CostProfile, type Vm, type Vcpu, type VmOps } from '@sim/kvm';
import {
  type FirmwareKind,
  parseCpu,
  formatBdf,
  KvmPciAccel,
  kvmOptionsFor,
  type KvmPciMitigation,
  kvmInitMachine,
  qemuInitMachine,
  x86BiosRomInit,
  x86RunFirmware,
  getBootDevicesList,
  HOST_CPUS,
  x86BootInfo,
  type FirmwareRun,
  type Machine,
} from '@sim/qemu';
import { Linux, type KernelFlavour, type GuestPatch, type FoundDevice, type Cpu, type ConfigAccessHook } from '@sim/guest';
import { ConfigTallyBuilder, PresentSet, packAccess } from '../record/tally.js';
import type { AccessRecord, BootReport, DeviceEntry, ExitTally, PhaseReport } from './report-types.js';
import type { Scenario } from './scenario.js';
import { MachineCache } from './machine-cache.js';
import { resolveCostProfile } from './cost.js';
import type { TraceCollector, TraceData } from './collector.js';

/** What a boot is asked for (the one entry, {@link bootScenario} in ./boot-scenario.ts, takes these). */
export interface BootOptions {
  /** a profile, a built-in profile's name or a profile file's path (./cost.ts) */
  costProfile?: CostProfile | string;
  /** the 2020 MMCONFIG guest patches */
  guestPatch?: GuestPatch;
  /** KVM-side mitigations QEMU installs after firmware */
  kvm?: readonly KvmPciMitigation[];
  /** the enlightened-guest lower bound: the VMM's device list, no probing */
  pvEnumeration?: boolean;
  /** keep every access (register, size, value) for `validate` and traces; off by default (memory) */
  keepAccesses?: boolean;
  /** phase marks, exits and BAR sizing on the virtual clock (--trace, perf-kvm-stat, milestones, --html); absent: nothing installed */
  trace?: TraceCollector;
  /**
   * Machines realized by earlier boots, restored instead of built again when the QEMU side of the scenario
   * is the same (a sweep's); not used when the hot-plug drivers run, whose hot-plug changes the machine after boot.
   */
  machines?: MachineCache;
  /** the guest kernel build (default {@link DEFAULT_FLAVOUR}); what differs is which hot-plug drivers it has */
  flavour?: KernelFlavour;
}

/** The guest kernel every command and function boots unless told otherwise: the recordings' Debian cloud kernel. */
export const DEFAULT_FLAVOUR: KernelFlavour = 'linux-6.1-cloud';

/** {@link BootOptions} and the run-time hooks a hot-plug run installs. */
export interface BootVmOptions extends BootOptions {
  /** run-time hooks (hot-plug, ./hotplug.ts); absent: nothing installed */
  runtime?: BootRuntimeHooks;
}

/**
 * What a run that goes on after boot plugs in: QEMU's hot-plug controllers mapped into the machine, the
 * guest kernel's runtime around the vCPU, drivers attached before boot(). The live objects come back in
 * {@link BootResult.live}.
 */
export interface BootRuntimeHooks {
  /** called before the firmware runs; returns the VmOps the vCPU is created with (the machine, or what hands the rest to it) */
  vmOps?: (machine: Machine, vm: Vm) => VmOps;
  /** the CPU Linux runs on */
  guestCpu?: (cpu: Cpu) => Cpu;
  /** every config access the guest makes, boot and after */
  onConfigAccess?: ConfigAccessHook;
  /** just before boot() */
  beforeLinux?: (linux: Linux, live: BootLive) => void;
}

/** The objects of a boot that a run-time continuation keeps using. */
export interface BootLive {
  kvm: Kvm;
  vm: Vm;
  vcpu: Vcpu;
  machine: Machine;
  accel: KvmPciAccel;
  linux: Linux;
}

/** What the mitigations held and cost, at the end of the boot. */
export interface MitigationFootprint {
  memslots: number;
  ioDevices: number;
  hostMemoryBytes: number;
  eptFaults: number;
}

/** What was simulated, as the text report's header names it. */
export interface SimulatedSetup {
  /** the machine type as given to -M, with its properties: `q35`, `microvm,pcie=on` */
  machine: string;
  /** the QEMU release whose machine types and defaults apply */
  qemu: string;
  /** the firmware that ran: the machine's default or -bios/--firmware */
  firmware: FirmwareKind;
  /** the guest kernel build */
  kernel: KernelFlavour;
}

export interface BootResult {
  report: BootReport;
  /** the machine, QEMU release, firmware and kernel that were simulated */
  simulated: SimulatedSetup;
  costProfile: CostProfile;
  /** what the linux phase would cost if every userspace exit were handled in KVM instead */
  inKernelTimeNs: number;
  found: FoundDevice[];
  kvmStats: { firmware: KvmStatsSnapshot; linux: KvmStatsSnapshot };
  footprint: MitigationFootprint;
  log: string[];
  /** every config access in order, when `keepAccesses` was set */
  accesses: AccessRecord[] | null;
  /** the linux phase as QEMU saw it (equal to the guest's account unless KVM answered some accesses) */
  qemuSawLinuxAccesses: number;
  /** what `BootOptions.trace` collected, when it was passed */
  trace?: TraceData;
  /** with `BootVmOptions.runtime`: the machine, VM, vCPU and guest, to go on running */
  live?: BootLive;
}

/** Buffers of finished boots' access logs, reused: a boot allocates no 64 KiB array per phase. */
const spareLogBuffers: Uint32Array[] = [];

/** Accesses recorded as packed numbers: no objects on the hot path. */
class AccessLog {
  data = spareLogBuffers.pop() ?? new Uint32Array(1 << 14);
  n = 0;
  /** the log becomes a copy of `packed` */
  load(packed: Uint32Array): void {
    if (this.data.length < packed.length) this.data = new Uint32Array(packed.length);
    this.data.set(packed);
    this.n = packed.length;
  }
  /** hands the buffer back for the next boot (the log is empty afterwards) */
  release(): void {
    if (spareLogBuffers.length < 4) spareLogBuffers.push(this.data);
    this.data = new Uint32Array(0);
    this.n = 0;
  }
  push(mech: number, write: number, bus: number, devfn: number): void {
    if (this.n === this.data.length) this.grow();
    this.data[this.n++] = packAccess(mech, write, bus, devfn);
  }
  /** out of {@link push}, which V8 then inlines into the guest's per-access hook */
  private grow(): void {
    const d = new Uint32Array(this.data.length * 2);
    d.set(this.data);
    this.data = d;
  }
  /** counts the log into `t` (emptied first) */
  tally(t: ConfigTallyBuilder, present: PresentSet): ConfigTallyBuilder {
    t.reset(present);
    t.addPacked(this.data, this.n);
    return t;
  }
}

/** The tally's storage (~150 KiB of typed arrays), reused by the next boot once a boot has reported. */
let spareTally: { present: PresentSet; builder: ConfigTallyBuilder } | null = null;

/** The guest's per-access hook for the linux phase: the log the report tallies, and what else is listening. */
function linuxAccessHook(
  conf1Ports: boolean,
  log: AccessLog,
  accesses: AccessRecord[] | null,
  trace: TraceCollector | null,
  runtime: ConfigAccessHook | null,
): ConfigAccessHook {
  if (accesses === null && trace === null && runtime === null) {
    // the usual boot: only the log, in a closure small enough for V8 to inline into the guest's scan loops
    return (mech, write, bus, devfn) => {
      if (mech !== 0 || conf1Ports) log.push(mech, write, bus, devfn);
    };
  }
  return (mech, write, bus, devfn, reg, size, bits) => {
    // a port access where the machine has no config ports is no config access (nothing decodes it)
    if (mech === 0 && !conf1Ports) return;
    log.push(mech, write, bus, devfn);
    // the guest hands a dword over as the int32 of its bytes; listeners get the unsigned value
    const value = size === 4 ? bits >>> 0 : bits;
    accesses?.push({ phase: 'L', mech: mech ? 'mmcfg' : 'conf1', write: write === 1, bus, devfn, reg, size, value });
    trace?.configAccess(write, bus, devfn, reg, size, value);
    runtime?.(mech, write, bus, devfn, reg, size, value);
  };
}

/** A new machine for the scenario with its command line realized (@sim/qemu); kept by `cache` when there is one. */
function realizeMachine(s: Scenario, cache: MachineCache | null): Machine {
  const machine = qemuInitMachine(s);
  cache?.keep(s, machine);
  return machine;
}

/** The VM at the kernel's entry: machine realized, firmware run, KVM mitigations installed. */
interface PoweredOn {
  kvm: Kvm;
  vm: Vm;
  vcpu: Vcpu;
  machine: Machine;
  accel: KvmPciAccel;
  /** what the firmware run left for the hand-off (which firmware, qboot's MMCONFIG, SeaBIOS's own ACPI tables) */
  fwRun: FirmwareRun;
  /** the firmware phase's config accesses as QEMU's handlers saw them */
  fwLog: AccessLog;
  fwStats: KvmStatsSnapshot;
}

/** A powered-on VM as a {@link MachineCache} keeps it: its firmware log as a packed copy. */
type SavedVm = Omit<PoweredOn, 'fwLog'> & { fwPacked: Uint32Array };

/** KVM's VM and vCPU, QEMU's machine on them, its firmware's POST, then the KVM mitigations QEMU installs. */
function powerOn(s: Scenario, opts: BootVmOptions, cache: MachineCache | null, accesses: AccessRecord[] | null, trace: TraceCollector | null): PoweredOn {
  const mitigations = opts.kvm ?? [];
  const kvmOpts = kvmOptionsFor(mitigations);
  const kvm = new Kvm({ ...kvmOpts.kvm, ...(opts.costProfile !== undefined ? { costProfile: resolveCostProfile(opts.costProfile) } : {}) });
  const vm = kvm.createVm(kvmOpts.vm);
  trace?.attach(vm);
  trace?.mark('qemu', 'qemu init', 'begin');
  const machine = cache?.restore(s) ?? realizeMachine(s, cache);
  // QEMU's side of KVM: memslots, CPUID, the vCPU, coalesced PIO (pio-fast takes the config ports over instead)
  const vcpu = kvmInitMachine(vm, machine, {
    cpu: s.cpu,
    cpuContext: { accel: s.accel, host: s.hostCpu },
    ...(opts.runtime?.vmOps ? { vmOps: opts.runtime.vmOps } : {}),
    coalescedPio: !mitigations.includes('pio-fast'),
  });

  const fwLog = new AccessLog();
  if (machine.host) {
    // the firmware phase as QEMU's config handlers see it; the linux phase is the guest's account
    machine.host.observer = (mech, write, bus, devfn, reg, size, value) => {
      fwLog.push(mech, write, bus, devfn);
      accesses?.push({ phase: 'F', mech: mech ? 'mmcfg' : 'conf1', write: write === 1, bus, devfn, reg, size, value: value >>> 0 });
    };
  }

  // the machine's firmware: SeaBIOS on q35 and pc; qboot on microvm makes no PCI config access there
  trace?.mark('qemu', 'qemu init', 'end');
  trace?.mark('guest', 'firmware', 'begin', { firmware: s.firmware ?? machine.defaultFirmware });
  const fwRun = x86RunFirmware(vcpu, machine, x86BiosRomInit(machine, s.firmware), { bootorder: getBootDevicesList(machine, s.bootStrict) });
  trace?.mark('guest', 'firmware', 'end');
  const fwStats = vm.stats.snapshot();

  // QEMU installs the KVM mitigations once the firmware has numbered the buses and mapped ECAM
  const accel = new KvmPciAccel(kvm, vm, machine, mitigations, 3);
  trace?.mark('qemu', 'kvm-pci-accel', 'begin');
  accel.apply();
  trace?.mark('qemu', 'kvm-pci-accel', 'end');
  if (machine.host) machine.host.observer = null;
  return { kvm, vm, vcpu, machine, accel, fwRun, fwLog, fwStats };
}

/** What a VM at the kernel's entry depends on: the machine, the KVM mitigations and the cost profile. */
function vmKey(s: Scenario, opts: BootVmOptions): string {
  return JSON.stringify([MachineCache.machineKey(s), opts.kvm ?? [], opts.costProfile ?? null]);
}

/**
 * One boot as told, with the run-time hooks when a hot-plug run passes them: what {@link bootScenario} and
 * runHotplugScenario() build on.
 */
export function bootVm(s: Scenario, opts: BootVmOptions = {}): BootResult {
  const trace = opts.trace ?? null;
  const accesses: AccessRecord[] | null = opts.keepAccesses ? [] : null;
  const cache = opts.runtime ? null : opts.machines ?? null;
  // a saved VM brings no trace and no access list of its firmware phase: those boots only reuse the machine
  const whole = cache !== null && trace === null && accesses === null ? cache : null;
  const key = whole ? vmKey(s, opts) : '';
  const saved = whole?.restoreVm<SavedVm>(key) ?? null;
  let on: PoweredOn;
  if (saved === null) {
    on = powerOn(s, opts, cache, accesses, trace);
    if (whole) {
      const { fwLog, ...rest } = on;
      whole.keepVm(key, { ...rest, fwPacked: fwLog.data.slice(0, fwLog.n) } satisfies SavedVm);
    }
  } else {
    // the saved snapshot object is the cache's: the report gets its own
    const { fwPacked, ...rest } = saved;
    on = { ...rest, fwLog: new AccessLog(), fwStats: structuredClone(saved.fwStats) };
    on.fwLog.load(fwPacked);
  }
  const { kvm, vm, vcpu, machine, accel, fwRun, fwLog, fwStats } = on;
  const { firmware } = fwRun;
  const linuxLog = new AccessLog();
  const cpuModel = parseCpu(s.cpu, { accel: s.accel, host: s.hostCpu });

  const qemuBeforeLinux = machine.host?.configAccesses ?? 0;
  const pvList = opts.pvEnumeration ? new Set([...machine.functions()].map((f) => (f.bus << 8) | f.dev.devfn)) : undefined;
  // the hand-off: QEMU's ACPI tables through whichever firmware; qboot passes its own E820 and SMBIOS date
  const info = x86BootInfo(machine, s.append, fwRun, s.smpCpus);
  const linux = new Linux(opts.runtime?.guestCpu ? opts.runtime.guestCpu(vcpu) : vcpu, info, {
    patch: opts.guestPatch ?? 'none',
    pvFeatureBit: cpuModel.kvmPciGoMmconfigBit,
    onConfigAccess: linuxAccessHook(machine.conf1Ports, linuxLog, accesses, trace, opts.runtime?.onConfigAccess ?? null),
    ...(pvList ? { pvEnumeration: pvList } : {}),
    ...(trace ? { onPhase: (name: string, edge: 'begin' | 'end') => trace.mark('guest', name, edge) } : {}),
  });
  trace?.mark('guest', 'linux', 'begin');
  const live: BootLive | undefined = opts.runtime ? { kvm, vm, vcpu, machine, accel, linux } : undefined;
  if (live) opts.runtime?.beforeLinux?.(linux, live);
  const found = linux.boot();
  trace?.mark('guest', 'linux', 'end');
  const linuxStats = diffStats(fwStats, vm.stats.snapshot());

  const tallyStore = spareTally ?? { present: new PresentSet(), builder: new ConfigTallyBuilder([]) };
  spareTally = null;
  const present = tallyStore.present;
  present.reset();
  for (const f of found) present.addDevice(f.bus, f.devfn);
  const phaseReport = (log: AccessLog, st: KvmStatsSnapshot): PhaseReport => {
    const config = log.tally(tallyStore.builder, present).counts();
    // integer nanoseconds, rounded once here: a profile's fractional costs (measured-here) sum to 3783098.9000000004
    return { config, exits: exitsOf(st), timeNs: Math.round(configTimeNs(st)) };
  };
  const devices: DeviceEntry[] = found.map((f) => {
    const e: DeviceEntry = {
      bdf: `0000:${formatBdf(f.bus, f.devfn)}`,
      vendor: hex(f.vendor, 4),
      device: hex(f.device, 4),
      class: hex(f.classCode, 6),
      header_type: hex(f.hdrType, 2),
    };
    if (f.secondary !== undefined) e.bridge = { secondary: f.secondary, subordinate: f.subordinate ?? f.secondary };
    return e;
  });
  const profile = vm.costProfile;
  const linuxExits = exitsOf(linuxStats);
  const userExits = linuxExits.KVM_EXIT_IO + linuxExits.KVM_EXIT_MMIO;
  const inKernelTimeNs = Math.round(
    configTimeNs(linuxStats) - linuxStats.timeNs.userspaceExitIo - linuxStats.timeNs.userspaceExitMmio + userExits * profile.ns.inKernelMmio,
  );
  const phases = { firmware: phaseReport(fwLog, fwStats), linux: phaseReport(linuxLog, linuxStats) };
  spareTally = tallyStore;
  // a live runtime's guest keeps logging after the boot; otherwise the buffers serve the next boot
  if (!live) {
    fwLog.release();
    linuxLog.release();
  }
  return {
    report: {
      schema: 'pcisim.boot/1',
      qemuArgs: s.qemuArgs,
      append: s.append,
      phases,
      devices,
      // the kernel parameters the guest model does not act on (@sim/guest's KERNEL_PARAMS), after QEMU's options
      notModelled: [...s.notModelled, ...linux.opts.ignored.map((w) => `kernel parameter ${w}`)],
      ...(s.noPciEffect.length > 0 ? { noPciEffect: [...s.noPciEffect] } : {}),
      ...(hostCpuNote(s) !== undefined ? { hostCpu: hostCpuNote(s)! } : {}),
    },
    simulated: {
      machine: [s.machine, ...s.machineProps.map(([k, v]) => `${k}=${v}`)].join(','),
      qemu: s.release,
      firmware,
      kernel: opts.flavour ?? DEFAULT_FLAVOUR,
    },
    costProfile: profile,
    inKernelTimeNs,
    found,
    kvmStats: { firmware: fwStats, linux: linuxStats },
    footprint: {
      memslots: accel.memslotsUsed,
      ioDevices: accel.ioDevicesUsed,
      // zero-filled RAM is committed only when written, which PCI enumeration never does
      hostMemoryBytes: vm.hostMemoryBytes,
      eptFaults: linuxStats.eptFaults,
    },
    log: linux.log,
    accesses,
    qemuSawLinuxAccesses: (machine.host?.configAccesses ?? 0) - qemuBeforeLinux,
    ...(trace ? { trace: trace.finish() } : {}),
    ...(live ? { live } : {}),
  };
}

function exitsOf(st: KvmStatsSnapshot): ExitTally {
  return { KVM_EXIT_IO: st.exits.KVM_EXIT_IO, KVM_EXIT_MMIO: st.exits.KVM_EXIT_MMIO, inKernel: st.exits.inKernel, noExit: st.exits.noExit };
}

/** time in config access and exits: everything but idle, memslot updates and the mapping of RAM */
function configTimeNs(st: KvmStatsSnapshot): number {
  const t = st.timeNs;
  return t.userspaceExitIo + t.userspaceExitMmio + t.inKernelMmio + t.inKernelPio + t.noExitAccess + t.eptViolationMap;
}

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');

/**
 * What `-cpu host` (and `-cpu max` under KVM) stands for in this boot, stated in the report: pcisim has no host
 * to ask, so `--host-cpu` says which (Intel unless told).
 */
function hostCpuNote(s: Scenario): string | undefined {
  const name = s.cpu?.split(',')[0];
  if (name !== 'host' && !(name === 'max' && s.accel === 'kvm')) return undefined;
  return `-cpu ${name} is the host's CPU: ${HOST_CPUS[s.hostCpu].what} (--host-cpu ${s.hostCpu}${s.hostCpu === 'intel' ? ', the default' : ''}; --host-cpu ${s.hostCpu === 'intel' ? 'amd' : 'intel'} for the other)`;
}
