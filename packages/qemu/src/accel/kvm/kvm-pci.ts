/**
 * @module
 * The 2020 proposals on QEMU's side of KVM (accel/kvm/kvm-all.c is where QEMU registers memslots and
 * ioeventfds): work out which parts of the ECAM window no function answers, and hand them to KVM so the
 * guest's probes of nothing are answered without a trip to userspace.
 *
 * - `pci-hole`: `KVM_MEM_PCI_HOLE` memslots over the absent ranges (Vitaly Kuznetsov's v2 series):
 *   reads emulated in KVM as all-ones, writes still exit.
 * - `mmio-bus`: one all-ones device on KVM's in-kernel MMIO bus per absent range: reads and writes in KVM.
 * - `ro-page`: `KVM_MEM_READONLY` memslots whose every page is one host page of 0xff (`KVM_MEM_SINGLE_HVA`):
 *   reads exit once per page (the EPT violation that maps it), then never; writes exit.
 *   `ro-page-2m` backs them with a 2 MiB page and lets KVM map 2 MiB SPTEs; `ro-page-prefetch` and
 *   `ro-page-prefetch-2m` prefetch 8 neighbouring SPTEs or the whole 2 MiB range on each fault;
 *   `ro-page-full` backs each slot with its own 0xff memory (no single-HVA flag: what it costs in host RAM).
 * - `pio-fast`: an in-kernel device on ports 0xcf8-0xcff that knows the present functions: the address
 *   latch and accesses to absent functions are handled in KVM; present ones still exit.
 *
 * Ranges are per function page (4 KiB) and per bus (1 MiB), merged where contiguous. They follow the bus
 * numbers the firmware programmed; {@link KvmPciAccel.update} re-punches them when the topology changes
 * and KVM counts and charges each memslot change.
 */
import {
  KVM_CAP_NR_MEMSLOTS,
  KVM_MEM_PCI_HOLE,
  KVM_MEM_READONLY,
  KVM_MEM_SINGLE_HVA,
  allOnesDevice,
  PioFastDevice,
  type InKernelDevice,
  type Kvm,
  type KvmOptions,
  type Vm,
  type VmOptions,
} from '@sim/kvm';
import { QemuError } from '../../errors.js';
import type { Machine } from '../../hw/core/machine.js';

export const KVM_PCI_MITIGATIONS = [
  'pci-hole',
  'mmio-bus',
  'ro-page',
  'ro-page-2m',
  'ro-page-prefetch',
  'ro-page-prefetch-2m',
  'ro-page-full',
  'pio-fast',
] as const;
export type KvmPciMitigation = (typeof KVM_PCI_MITIGATIONS)[number];

/** One range of the ECAM window (guest-physical) that no function decodes. */
export interface EcamRange {
  gpa: number;
  size: number;
}

/** Parses `--kvm a,b` with a clear error for an unknown name. */
export function parseKvmMitigations(spec: string): KvmPciMitigation[] {
  const out: KvmPciMitigation[] = [];
  for (const name of spec.split(',').filter(Boolean)) {
    if (!(KVM_PCI_MITIGATIONS as readonly string[]).includes(name)) {
      throw new QemuError('BAD_OPTION', `--kvm: unknown mitigation '${name}' (one of ${KVM_PCI_MITIGATIONS.join(', ')})`);
    }
    out.push(name as KvmPciMitigation);
  }
  const ecam = out.filter((m) => m !== 'pio-fast');
  if (ecam.length > 1) throw new QemuError('BAD_OPTION', `--kvm: ${ecam.join(' and ')} both claim the absent ECAM ranges; pick one`);
  return out;
}

/** What KVM must offer and how its MMU must map for these mitigations (decided before the VM exists). */
export function kvmOptionsFor(mitigations: readonly KvmPciMitigation[]): { kvm: Pick<KvmOptions, 'capabilities'>; vm: VmOptions } {
  const m = new Set(mitigations);
  const prefetch = m.has('ro-page-prefetch') ? 8 : m.has('ro-page-prefetch-2m') ? 512 : 0;
  return {
    kvm: { capabilities: { pciHole: m.has('pci-hole'), singleHva: [...m].some((x) => x.startsWith('ro-page') && x !== 'ro-page-full') } },
    vm: { mmu: { hugepages: m.has('ro-page-2m'), prefetch } },
  };
}

/** The absent parts of the ECAM window under the current topology, merged where contiguous. */
export function absentEcamRanges(machine: Machine): EcamRange[] {
  const host = machine.host;
  const root = machine.rootBus;
  if (!host || !root || host.mmcfgBase < 0) return [];
  const buses = host.mmcfgSize >>> 20;
  const out: EcamRange[] = [];
  let runStart = -1;
  let runEnd = -1;
  const flush = () => {
    if (runStart >= 0) out.push({ gpa: host.mmcfgBase + runStart, size: runEnd - runStart });
    runStart = -1;
  };
  const absent = (off: number, size: number) => {
    if (runStart >= 0 && runEnd === off) runEnd = off + size;
    else {
      flush();
      runStart = off;
      runEnd = off + size;
    }
  };
  for (let b = 0; b < buses; b++) {
    const bus = root.findBus(b);
    if (!bus) {
      absent(b * 0x100000, 0x100000);
      continue;
    }
    for (let devfn = 0; devfn < 256; devfn++) {
      if (bus.devices[devfn]) flush();
      else absent(b * 0x100000 + devfn * 0x1000, 0x1000);
    }
  }
  flush();
  return out;
}

const SZ_2M = 2 << 20;

/** a range cut into its unaligned head, its 2 MiB-aligned middle and its tail */
function splitAt2M(r: EcamRange): EcamRange[] {
  const start = r.gpa;
  const end = r.gpa + r.size;
  const a = Math.ceil(start / SZ_2M) * SZ_2M;
  const b = Math.floor(end / SZ_2M) * SZ_2M;
  if (b <= a) return [r];
  const out: EcamRange[] = [];
  if (a > start) out.push({ gpa: start, size: a - start });
  out.push({ gpa: a, size: b - a });
  if (end > b) out.push({ gpa: b, size: end - b });
  return out;
}

/** The mitigations applied to one VM and one machine. */
export class KvmPciAccel {
  private readonly ecamMode: KvmPciMitigation | null;
  private readonly pioFast: boolean;
  private slots: { slot: number; gpa: number; size: number; hva: number }[] = [];
  private devices: InKernelDevice[] = [];
  private sharedHva = -1;
  private pio: PioFastDevice | null = null;
  /** memslot ids already taken by QEMU's RAM and ROM */
  private readonly firstSlot: number;

  constructor(
    private readonly kvm: Kvm,
    private readonly vm: Vm,
    private readonly machine: Machine,
    mitigations: readonly KvmPciMitigation[],
    firstSlot: number,
  ) {
    this.ecamMode = mitigations.find((m) => m !== 'pio-fast') ?? null;
    this.pioFast = mitigations.includes('pio-fast');
    this.firstSlot = firstSlot;
  }

  /** memslots the mitigations hold now */
  get memslotsUsed(): number {
    return this.slots.length;
  }

  /** in-kernel bus devices the mitigations hold now */
  get ioDevicesUsed(): number {
    return this.devices.length + (this.pio ? 1 : 0);
  }

  /** Install for the current topology (call once firmware has numbered the buses and mapped ECAM). */
  apply(): void {
    this.update();
  }

  /** pio-fast needs conf1 ports to shadow; a machine without them (microvm) has nothing to accelerate */
  private get hasConf1(): boolean {
    return this.machine.host !== null && this.machine.conf1Ports;
  }

  /** Recompute and re-punch: delete what no longer fits, create what is new (each change a memslot update). */
  update(): void {
    if (this.pioFast && this.hasConf1) {
      if (!this.pio) {
        this.pio = new PioFastDevice(this.machine.host!);
        this.vm.registerIoDevice('pio', 0xcf8, 8, this.pio);
      }
      // the functions present now (bus << 8 | devfn)
      this.pio.setPresent([...this.machine.functions()].map(({ bus, dev }) => (bus << 8) | dev.devfn));
    }
    if (!this.ecamMode) return;
    let want = absentEcamRanges(this.machine);
    // ro-page-2m: a 2 MiB SPTE needs gpa and hva congruent modulo 2 MiB, and with one shared 2 MiB host page
    // that means each slot must start on a 2 MiB boundary: split every range at the first and last boundary
    if (this.ecamMode === 'ro-page-2m') want = want.flatMap(splitAt2M);
    const key = (r: { gpa: number; size: number }) => `${r.gpa}:${r.size}`;
    const wanted = new Set(want.map(key));
    if (this.ecamMode === 'mmio-bus') {
      for (const d of this.devices) this.vm.unregisterIoDevice('mmio', d);
      this.devices = [];
      for (const r of want) {
        const dev = allOnesDevice(`pci-absent@${r.gpa.toString(16)}`);
        this.vm.registerIoDevice('mmio', r.gpa, r.size, dev);
        this.devices.push(dev);
      }
      return;
    }
    // memslot-based: delete slots that no longer match, then create the new ones
    const keep: typeof this.slots = [];
    for (const s of this.slots) {
      if (wanted.has(key(s))) keep.push(s);
      else this.vm.setUserMemoryRegion({ slot: s.slot, flags: 0, guestPhysAddr: s.gpa, memorySize: 0, userspaceAddr: s.hva });
    }
    const have = new Set(keep.map(key));
    const limit = this.kvm.checkExtension(KVM_CAP_NR_MEMSLOTS);
    const used = new Set(keep.map((s) => s.slot));
    let next = this.firstSlot;
    for (const r of want) {
      if (have.has(key(r))) continue;
      while (used.has(next)) next++;
      if (next >= limit) throw new QemuError('UNSUPPORTED', `kvm_alloc_slot: no free slot available (the ECAM holes need ${want.length} memslots, KVM has ${limit})`);
      const { flags, hva } = this.backing(r.size);
      this.vm.setUserMemoryRegion({ slot: next, flags, guestPhysAddr: r.gpa, memorySize: r.size, userspaceAddr: hva });
      keep.push({ slot: next, gpa: r.gpa, size: r.size, hva });
      used.add(next);
    }
    this.slots = keep;
  }

  /** the flags and host address a new hole slot gets */
  private backing(size: number): { flags: number; hva: number } {
    switch (this.ecamMode) {
      case 'pci-hole':
        return { flags: KVM_MEM_PCI_HOLE, hva: 0 };
      case 'ro-page-full':
        return { flags: KVM_MEM_READONLY, hva: this.vm.mmap(size, 0xff) };
      default: {
        // one host page (or one 2 MiB page for ro-page-2m) of 0xff shared by every slot
        if (this.sharedHva < 0) this.sharedHva = this.vm.mmap(this.ecamMode === 'ro-page-2m' ? 2 << 20 : 4096, 0xff);
        return { flags: KVM_MEM_READONLY | KVM_MEM_SINGLE_HVA, hva: this.sharedHva };
      }
    }
  }
}
