/**
 * @module
 * The RAM layout of QEMU 7.2's PC machines (hw/i386/pc.c `pc_memory_init()`, `pc_get_device_memory_range()`,
 * `pc_pci_hole64_start()`), from the split each board makes (pc_q35_init() / pc_init1()) and `-m`'s
 * size, slots and maxmem: RAM above 4 GiB, the "device-memory" region that memory hot-plug and NVDIMMs
 * live in, the "etc/reserved-memory-end" fw_cfg file SeaBIOS places its 64-bit BARs after, and where the
 * 64-bit PCI hole of the host bridge's `_CRS` starts.
 */

const GiB = 2 ** 30;

/** AMD's HyperTransport hole below 1 TiB (pc.c AMD_HT_START / AMD_ABOVE_1TB_START) */
export const AMD_HT_START = 0xfd00000000;
export const AMD_ABOVE_1TB_START = 0x10000000000;
/** hw/acpi/memory_hotplug.h ACPI_MAX_RAM_SLOTS */
export const ACPI_MAX_RAM_SLOTS = 256;

/** What `-m` asks for (MachineState ram_size, maxram_size, ram_slots). */
export interface MachineMemory {
  ramBytes: number;
  /** maxmem (ram_size when not given) */
  maxramBytes: number;
  /** slots (0 when not given) */
  ramSlots: number;
}

/** Where RAM and the regions after it sit in guest-physical space. */
export interface PcMemoryLayout {
  below4g: number;
  above4g: number;
  /** x86ms->above_4g_mem_start: 4 GiB, or 1 TiB when the used space would reach AMD's HT hole */
  above4gStart: number;
  /** machine->device_memory: the hot-plug (pc-dimm / nvdimm) region, when maxmem > size */
  deviceMemory: { base: number; size: number } | null;
  /** "etc/reserved-memory-end" (0: the file is absent) */
  reservedMemoryEnd: number;
  /** pc_pci_hole64_start() */
  pciHole64Start: number;
}

function roundUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/**
 * pc_memory_init() for a board's below/above-4G split: the AMD 1 TiB relocation, device memory sized for
 * 1 GiB alignment per slot (enforce_aligned_dimm, 7.2's default), reserved-memory-end and the 64-bit hole.
 */
export function pcMemoryLayout(
  mem: MachineMemory,
  split: { below4g: number; above4g: number },
  opts: { amd: boolean; physBits: number; pciHole64Size: number },
): PcMemoryLayout {
  const hasDeviceMemory = mem.ramBytes < mem.maxramBytes;
  const layout = (above4gStart: number): PcMemoryLayout => {
    const above4gEnd = above4gStart + split.above4g;
    let deviceMemory: PcMemoryLayout['deviceMemory'] = null;
    if (hasDeviceMemory) {
      // pc_get_device_memory_range()
      deviceMemory = { base: roundUp(above4gEnd, GiB), size: mem.maxramBytes - mem.ramBytes + GiB * mem.ramSlots };
    }
    const hole64 = deviceMemory ? deviceMemory.base + deviceMemory.size : above4gEnd;
    return {
      below4g: split.below4g,
      above4g: split.above4g,
      above4gStart,
      deviceMemory,
      reservedMemoryEnd: deviceMemory ? roundUp(deviceMemory.base + deviceMemory.size, GiB) : 0,
      pciHole64Start: roundUp(hole64, GiB),
    };
  };
  let l = layout(2 ** 32);
  // enforce_amd_1tb_hole: pc_max_used_gpa() reaching the HT range moves RAM above 4G to 1 TiB
  if (opts.amd && opts.physBits > 32 && l.pciHole64Start + opts.pciHole64Size - 1 >= AMD_HT_START) l = layout(AMD_ABOVE_1TB_START);
  return l;
}

/** pc_memory_init()'s checks on slots and maxmem, with QEMU's words */
export function pcMemoryCheck(mem: MachineMemory, hasReservedMemory: boolean, machineName: string): string | null {
  if (!hasReservedMemory && (mem.ramSlots || mem.maxramBytes > mem.ramBytes)) {
    return `"-memory 'slots|maxmem'" is not supported by: ${machineName}`;
  }
  if (mem.ramBytes < mem.maxramBytes) {
    if (mem.ramSlots > ACPI_MAX_RAM_SLOTS) return `unsupported amount of memory slots: ${mem.ramSlots}`;
    if (mem.maxramBytes % 4096 !== 0) return 'maximum memory size must by aligned to multiple of 4096 bytes';
  }
  return null;
}
