/**
 * @module
 * One simulated boot: KVM (a VM, memslots for RAM, one vCPU) ← QEMU (the q35 machine answering exits,
 * SeaBIOS's PCI set-up) ← Linux 6.1's PCI init on that vCPU. Config accesses are recorded at the VMM,
 * where the real recorder sees them (QEMU's memory-region trace), so the report counts by the same rules.
 */
import { Kvm, KVM_MEM_READONLY, diffStats, type KvmStatsSnapshot, type CostProfile } from '@sim/kvm';
import { Q35Machine, Seabios, parseCpu, cpuidEntries, formatBdf } from '@sim/qemu';
import { Linux61, type GuestPatch, type FoundDevice } from '@sim/guest';
import { ConfigTallyBuilder, PresentSet } from './record/tally.js';
import type { AccessRecord, BootReport, DeviceEntry, ExitTally, PhaseReport } from './report/types.js';
import type { Scenario } from './scenario.js';

export interface BootOptions {
  costProfile?: CostProfile | string;
  guestPatch?: GuestPatch;
  /** keep every access (register, size, value) for `validate` and traces; off by default (memory) */
  keepAccesses?: boolean;
}

export interface BootResult {
  report: BootReport;
  costProfile: CostProfile;
  /** what the linux phase would cost if every userspace exit were handled in KVM instead */
  inKernelTimeNs: number;
  found: FoundDevice[];
  kvmStats: { firmware: KvmStatsSnapshot; linux: KvmStatsSnapshot };
  log: string[];
  /** every config access in order, when `keepAccesses` was set */
  accesses: AccessRecord[] | null;
}

/** Accesses recorded as packed numbers: no objects on the hot path. */
class AccessLog {
  data = new Uint32Array(1 << 16);
  n = 0;
  push(phase: number, mech: number, write: number, bus: number, devfn: number): void {
    if (this.n === this.data.length) {
      const d = new Uint32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.n++] = (phase << 20) | (mech << 18) | (write << 16) | (bus << 8) | devfn;
  }
}

export function bootScenario(s: Scenario, opts: BootOptions = {}): BootResult {
  const kvm = new Kvm(opts.costProfile !== undefined ? { costProfile: opts.costProfile } : {});
  const vm = kvm.createVm();
  const machine = new Q35Machine({
    nodefaults: s.nodefaults,
    ramBytes: s.ramBytes,
    acpiPciHotplugWithBridgeSupport: s.acpiPciHotplugWithBridgeSupport,
  });
  machine.addDefaultNic();
  // pc_memory_init(): RAM below 4 GiB as one slot, the BIOS ROM read-only at the top of 4 GiB
  const lowRam = Math.min(s.ramBytes, 0x80000000);
  vm.setUserMemoryRegion({ slot: 0, flags: 0, guestPhysAddr: 0, memorySize: 0xa0000, userspaceAddr: vm.mmap(0xa0000) });
  vm.setUserMemoryRegion({ slot: 1, flags: 0, guestPhysAddr: 0x100000, memorySize: lowRam - 0x100000, userspaceAddr: vm.mmap(lowRam - 0x100000) });
  vm.setUserMemoryRegion({ slot: 2, flags: KVM_MEM_READONLY, guestPhysAddr: 0xfffc0000, memorySize: 0x40000, userspaceAddr: vm.mmap(0x40000) });
  const cpuModel = parseCpu(s.cpu);
  vm.setCpuid(cpuidEntries(cpuModel));
  const vcpu = vm.createVcpu(0, machine);

  const log = new AccessLog();
  let phase = 0;
  const accesses: AccessRecord[] | null = opts.keepAccesses ? [] : null;
  machine.host.observer = accesses
    ? (mech, write, bus, devfn, reg, size, value) => {
        log.push(phase, mech, write, bus, devfn);
        accesses.push({ phase: phase ? 'L' : 'F', mech: mech ? 'mmcfg' : 'conf1', write: write === 1, bus, devfn, reg, size, value });
      }
    : (mech, write, bus, devfn) => log.push(phase, mech, write, bus, devfn);

  new Seabios(vcpu, { machine: 'q35', ramBytes: s.ramBytes }).run();
  const fwStats = vm.stats.snapshot();
  phase = 1;
  const linux = new Linux61(vcpu, machine.bootInfo(s.append), {
    patch: opts.guestPatch ?? 'none',
    pvFeatureBit: cpuModel.kvmPciGoMmconfigBit,
  });
  const found = linux.boot();
  const endStats = vm.stats.snapshot();
  const linuxStats = diffStats(fwStats, endStats);

  const present = new PresentSet(found.map((f) => formatBdf(f.bus, f.devfn)));
  const tallies = [new ConfigTallyBuilder(present), new ConfigTallyBuilder(present)];
  for (let i = 0; i < log.n; i++) {
    const w = log.data[i]!;
    tallies[(w >>> 20) & 1]!.add({
      mech: (w >>> 18) & 1 ? 'mmcfg' : 'conf1',
      write: ((w >>> 16) & 1) === 1,
      bus: (w >>> 8) & 0xff,
      devfn: w & 0xff,
    });
  }
  const phaseReport = (t: ConfigTallyBuilder, st: KvmStatsSnapshot): PhaseReport => {
    const r = t.result();
    const { busOrder: _busOrder, ...config } = r as typeof r & { busOrder?: string };
    return { config, exits: exitsOf(st), timeNs: configTimeNs(st) };
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
  const inKernelTimeNs =
    configTimeNs(linuxStats) - linuxStats.timeNs.userspaceExitIo - linuxStats.timeNs.userspaceExitMmio + userExits * profile.ns.inKernelMmio;
  return {
    report: {
      schema: 'pcisim.boot/1',
      qemuArgs: s.qemuArgs,
      append: s.append,
      phases: { firmware: phaseReport(tallies[0]!, fwStats), linux: phaseReport(tallies[1]!, linuxStats) },
      devices,
    },
    costProfile: profile,
    inKernelTimeNs,
    found,
    kvmStats: { firmware: fwStats, linux: linuxStats },
    log: linux.log,
    accesses,
  };
}

function exitsOf(st: KvmStatsSnapshot): ExitTally {
  return { KVM_EXIT_IO: st.exits.KVM_EXIT_IO, KVM_EXIT_MMIO: st.exits.KVM_EXIT_MMIO, inKernel: st.exits.inKernel, noExit: st.exits.noExit };
}

/** time in config access and exits: everything but idle, memslot updates and RAM page mapping */
function configTimeNs(st: KvmStatsSnapshot): number {
  const t = st.timeNs;
  return t.userspaceExitIo + t.userspaceExitMmio + t.inKernelMmio + t.inKernelPio + t.noExitAccess;
}

const hex = (n: number, w: number) => n.toString(16).padStart(w, '0');
