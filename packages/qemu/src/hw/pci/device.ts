/**
 * @module
 * A PCI function's configuration space as QEMU keeps it (hw/pci/pci.c): `config` holds the bytes,
 * `wmask` the bits a guest write may change, `w1cmask` the write-one-to-clear bits, `cmask` the bits
 * checked on migration. Reads and writes follow `pci_default_read_config` / `pci_default_write_config`
 * byte for byte, so a guest's BAR sizing, capability walks and read-backs see what they see on QEMU.
 */
import * as R from './regs.js';
import { defineProp, type QdevPropDef } from '../core/qdev-properties.js';

/**
 * The bus a function sits on (QEMU's `PCIDevice::bus`), as far as this file needs it. bus.ts, which holds
 * functions and so imports this file, completes it to the whole {@link PciBus} (a module augmentation): the
 * way QEMU's qemu/typedefs.h declares `PCIBus` for pci.h and pci_bus.h defines it, with no import back.
 */
export interface PciDeviceBus {
  /** a PCI Express bus */
  readonly isExpress: boolean;
  /** the bridge whose secondary side it is; null for a root bus */
  readonly parentBridge: PciDevice | null;
  /** its functions by devfn */
  readonly devices: (PciDevice | null)[];
}

/** A BAR as `pci_register_bar()` records it. */
export interface PciIoRegion {
  size: number;
  /** low type bits: IO, MEM_TYPE_64, MEM_PREFETCH */
  type: number;
}

/** The slab new functions' config spaces are carved from, and how much of it is taken. */
let slab: ArrayBuffer | null = null;
let slabUsed = 0;
const SLAB_BYTES = 256 * 1024;

/**
 * `bytes` of a slab never used before (so still zero), from a new slab when the current one is full. A boot
 * realizes every function anew; a backing store per function (16 KiB for an Express one) was an allocation V8
 * tracks and sweeps on its own. A slab lives as long as any function carved from it.
 */
function configSpaceStorage(bytes: number): Uint8Array {
  if (slab === null || slabUsed + bytes > SLAB_BYTES) {
    slab = new ArrayBuffer(Math.max(SLAB_BYTES, bytes));
    slabUsed = 0;
  }
  const view = new Uint8Array(slab, slabUsed, bytes);
  slabUsed += bytes;
  return view;
}

/**
 * A PCI function: the class every device model in @sim/qemu extends. Its fields are `declare`d and set in
 * the constructor with plain assignments: as class fields, their initializer is one piece of code shared
 * by every device model's hidden class, and its defining stores went megamorphic (~1 µs per function).
 */
export class PciDevice {
  /** QEMU's type name, e.g. `e1000e`, `pcie-root-port` */
  declare readonly typeName: string;
  /** `id=` given on the command line, if any */
  declare id: string | undefined;
  declare devfn: number;
  /** the bus the function sits on; set when plugged */
  declare bus: PciDeviceBus | null;
  declare readonly config: Uint8Array;
  declare readonly wmask: Uint8Array;
  declare readonly w1cmask: Uint8Array;
  declare readonly cmask: Uint8Array;
  declare readonly regions: (PciIoRegion | null)[];
  /** offset of the PCI Express capability, 0 if none (QEMU's `exp.exp_cap`) */
  declare expCap: number;
  declare msiCap: number;
  declare msixCap: number;
  declare pmCap: number;
  /** QEMU_PCI_CAP_MULTIFUNCTION */
  declare multifunction: boolean;
  declare readonly isBridge: boolean;
  declare readonly isExpress: boolean;
  /** cold-plugged devices are present at reset; hot-plugged ones arrive later */
  declare hotplugged: boolean;
  /** `has_power`: false while a PCIe slot's power controller holds it off (pci_set_power()); config space then reads all-ones */
  declare hasPower: boolean;

  constructor(opts: {
    typeName: string;
    vendorId: number;
    deviceId: number;
    revision?: number;
    classId: number;
    progIf?: number;
    isBridge?: boolean;
    isExpress?: boolean;
    subsystemVendorId?: number;
    subsystemId?: number;
  }) {
    this.typeName = opts.typeName;
    this.id = undefined;
    this.devfn = -1;
    this.bus = null;
    const isExpress = opts.isExpress ?? false;
    const size = isExpress ? R.PCIE_CONFIG_SPACE_SIZE : R.PCI_CONFIG_SPACE_SIZE;
    // the four arrays are views of one zeroed run of a shared slab (configSpaceStorage)
    const all = configSpaceStorage(size * 4);
    this.config = all.subarray(0, size);
    this.wmask = all.subarray(size, size * 2);
    this.w1cmask = all.subarray(size * 2, size * 3);
    this.cmask = all.subarray(size * 3);
    this.regions = new Array<PciIoRegion | null>(R.PCI_NUM_REGIONS).fill(null);
    this.expCap = 0;
    this.msiCap = 0;
    this.msixCap = 0;
    this.pmCap = 0;
    this.multifunction = false;
    this.isBridge = opts.isBridge ?? false;
    this.isExpress = isExpress;
    this.hotplugged = false;
    this.hasPower = true;
    // do_pci_register_device()
    this.setWord(R.PCI_VENDOR_ID, opts.vendorId);
    this.setWord(R.PCI_DEVICE_ID, opts.deviceId);
    this.config[R.PCI_REVISION_ID] = opts.revision ?? 0;
    this.setWord(R.PCI_CLASS_DEVICE, opts.classId);
    this.config[R.PCI_CLASS_PROG] = opts.progIf ?? 0;
    if (this.isBridge) this.config[R.PCI_HEADER_TYPE] = R.PCI_HEADER_TYPE_BRIDGE;
    if (!this.isBridge) {
      // pci_set_default_subsystem_id(): Red Hat / QEMU unless the class says otherwise
      this.setWord(R.PCI_SUBSYSTEM_VENDOR_ID, opts.subsystemVendorId ?? 0x1af4);
      this.setWord(R.PCI_SUBSYSTEM_ID, opts.subsystemId ?? 0x1100);
    }
    this.initCmask();
    this.initWmask();
    this.initW1cmask();
    if (this.isBridge) this.initMaskBridge();
  }

  get configSize(): number {
    return this.config.length;
  }

  // --- little-endian accessors (pci_get_*/pci_set_*) ---
  getByte(a: number): number {
    return this.config[a] ?? 0;
  }
  getWord(a: number): number {
    return (this.config[a] ?? 0) | ((this.config[a + 1] ?? 0) << 8);
  }
  getLong(a: number): number {
    return ((this.getWord(a) | (this.getWord(a + 2) << 16)) >>> 0);
  }
  setByte(a: number, v: number): void {
    this.config[a] = v & 0xff;
  }
  setWord(a: number, v: number, arr: Uint8Array = this.config): void {
    arr[a] = v & 0xff;
    arr[a + 1] = (v >>> 8) & 0xff;
  }
  setLong(a: number, v: number, arr: Uint8Array = this.config): void {
    arr[a] = v & 0xff;
    arr[a + 1] = (v >>> 8) & 0xff;
    arr[a + 2] = (v >>> 16) & 0xff;
    arr[a + 3] = (v >>> 24) & 0xff;
  }

  private initCmask(): void {
    this.setWord(R.PCI_VENDOR_ID, 0xffff, this.cmask);
    this.setWord(R.PCI_DEVICE_ID, 0xffff, this.cmask);
    this.cmask[R.PCI_STATUS] = R.PCI_STATUS_CAP_LIST;
    this.cmask[R.PCI_REVISION_ID] = 0xff;
    this.cmask[R.PCI_CLASS_PROG] = 0xff;
    this.setWord(R.PCI_CLASS_DEVICE, 0xffff, this.cmask);
    this.cmask[R.PCI_HEADER_TYPE] = 0xff;
    this.cmask[R.PCI_CAPABILITY_LIST] = 0xff;
  }

  /** pci_init_wmask(): everything past the 64-byte header is writable until a capability claims it. */
  private initWmask(): void {
    this.wmask[R.PCI_CACHE_LINE_SIZE] = 0xff;
    this.wmask[R.PCI_INTERRUPT_LINE] = 0xff;
    this.setWord(
      R.PCI_COMMAND,
      R.PCI_COMMAND_IO | R.PCI_COMMAND_MEMORY | R.PCI_COMMAND_MASTER | R.PCI_COMMAND_INTX_DISABLE | R.PCI_COMMAND_SERR,
      this.wmask,
    );
    this.wmask.fill(0xff, R.PCI_CONFIG_HEADER_SIZE);
  }

  private initW1cmask(): void {
    // PARITY | SIG_TARGET_ABORT | REC_TARGET_ABORT | REC_MASTER_ABORT | SIG_SYSTEM_ERROR | DETECTED_PARITY
    this.setWord(R.PCI_STATUS, 0x0100 | 0x0800 | 0x1000 | 0x2000 | 0x4000 | 0x8000, this.w1cmask);
  }

  /** pci_init_mask_bridge() */
  private initMaskBridge(): void {
    this.wmask.fill(0xff, R.PCI_PRIMARY_BUS, R.PCI_PRIMARY_BUS + 4);
    this.wmask[R.PCI_IO_BASE] = R.PCI_IO_RANGE_MASK & 0xff;
    this.wmask[R.PCI_IO_LIMIT] = R.PCI_IO_RANGE_MASK & 0xff;
    this.setWord(R.PCI_MEMORY_BASE, R.PCI_MEMORY_RANGE_MASK, this.wmask);
    this.setWord(R.PCI_MEMORY_LIMIT, R.PCI_MEMORY_RANGE_MASK, this.wmask);
    this.setWord(R.PCI_PREF_MEMORY_BASE, R.PCI_PREF_RANGE_MASK, this.wmask);
    this.setWord(R.PCI_PREF_MEMORY_LIMIT, R.PCI_PREF_RANGE_MASK, this.wmask);
    this.wmask.fill(0xff, R.PCI_PREF_BASE_UPPER32, R.PCI_PREF_BASE_UPPER32 + 8);
    this.config[R.PCI_IO_BASE]! |= R.PCI_IO_RANGE_TYPE_16;
    this.config[R.PCI_IO_LIMIT]! |= R.PCI_IO_RANGE_TYPE_16;
    this.setWord(R.PCI_PREF_MEMORY_BASE, this.getWord(R.PCI_PREF_MEMORY_BASE) | R.PCI_PREF_RANGE_TYPE_64);
    this.setWord(R.PCI_PREF_MEMORY_LIMIT, this.getWord(R.PCI_PREF_MEMORY_LIMIT) | R.PCI_PREF_RANGE_TYPE_64);
    this.setWord(
      R.PCI_BRIDGE_CONTROL,
      R.PCI_BRIDGE_CTL_PARITY |
        R.PCI_BRIDGE_CTL_SERR |
        R.PCI_BRIDGE_CTL_ISA |
        R.PCI_BRIDGE_CTL_VGA |
        R.PCI_BRIDGE_CTL_MASTER_ABORT |
        R.PCI_BRIDGE_CTL_BUS_RESET |
        R.PCI_BRIDGE_CTL_FAST_BACK |
        R.PCI_BRIDGE_CTL_DISCARD_TIMER |
        R.PCI_BRIDGE_CTL_SEC_DISCARD_TIMER |
        R.PCI_BRIDGE_CTL_DISCARD_TIMER_SERR,
      this.wmask,
    );
    // Below does not do anything as we never set this bit, put here for completeness.
    this.setWord(R.PCI_BRIDGE_CONTROL, R.PCI_BRIDGE_CTL_DISCARD_TIMER_STATUS, this.w1cmask);
    this.cmask[R.PCI_IO_BASE]! |= 0x0f;
    this.cmask[R.PCI_IO_LIMIT]! |= 0x0f;
    this.setWord(R.PCI_PREF_MEMORY_BASE, 0x0f, this.cmask);
    this.setWord(R.PCI_PREF_MEMORY_LIMIT, 0x0f, this.cmask);
  }

  /** pci_register_bar(): the BAR's size is encoded in its wmask, which is what sizing reads back. */
  registerBar(regionNum: number, type: number, size: number): void {
    if (size <= 0 || (size & (size - 1)) !== 0 && size < 2 ** 31) {
      throw new RangeError(`BAR ${regionNum} size ${size} is not a power of two`);
    }
    this.regions[regionNum] = { size, type };
    const addr = this.barOffset(regionNum);
    this.setLong(addr, type);
    const is64 = (type & R.PCI_BASE_ADDRESS_SPACE_IO) === 0 && (type & R.PCI_BASE_ADDRESS_MEM_TYPE_64) !== 0;
    // wmask = ~(size - 1), as a 64-bit quantity split into two dwords
    const lo = size >= 2 ** 32 ? 0 : (~(size - 1) >>> 0);
    const hi = size > 2 ** 32 ? (~(size / 2 ** 32 - 1) >>> 0) : 0xffffffff;
    this.setLong(addr, regionNum === R.PCI_ROM_SLOT ? (lo | R.PCI_ROM_ADDRESS_ENABLE) >>> 0 : lo, this.wmask);
    this.setLong(addr, 0xffffffff, this.cmask);
    if (is64) {
      this.setLong(addr + 4, hi, this.wmask);
      this.setLong(addr + 4, 0xffffffff, this.cmask);
    }
  }

  /** pci_bar(): where a region's BAR lives in this header type */
  barOffset(regionNum: number): number {
    if (regionNum !== R.PCI_ROM_SLOT) return R.PCI_BASE_ADDRESS_0 + regionNum * 4;
    return (this.config[R.PCI_HEADER_TYPE]! & 0x7f) === R.PCI_HEADER_TYPE_BRIDGE ? R.PCI_ROM_ADDRESS1 : R.PCI_ROM_ADDRESS;
  }

  /** pci_add_capability(): links the new capability at the head of the list, read-only by default. */
  addCapability(capId: number, offset: number, size: number): number {
    this.config[offset] = capId;
    this.config[offset + 1] = this.config[R.PCI_CAPABILITY_LIST]!;
    this.config[R.PCI_CAPABILITY_LIST] = offset;
    this.config[R.PCI_STATUS]! |= R.PCI_STATUS_CAP_LIST;
    this.wmask.fill(0, offset, offset + size);
    this.cmask.fill(0xff, offset, offset + size);
    return offset;
  }

  /** pcie_add_capability(): appends to the extended list that starts at 0x100. */
  addExtCapability(capId: number, version: number, offset: number, size: number): number {
    if (offset === R.PCI_CONFIG_SPACE_SIZE) {
      // the first one: nothing to link
    } else {
      let pos = R.PCI_CONFIG_SPACE_SIZE;
      for (;;) {
        const header = this.getLong(pos);
        const next = header >>> 20;
        if (next === 0) {
          this.setLong(pos, (header & 0x000fffff) | (offset << 20));
          break;
        }
        pos = next;
      }
    }
    this.setLong(offset, (capId | (version << 16)) >>> 0);
    this.wmask.fill(0, offset, offset + size);
    this.w1cmask.fill(0, offset, offset + size);
    this.cmask.fill(0xff, offset, offset + size);
    return offset;
  }

  /** msi_init() */
  msiInit(offset: number, nrVectors: number, msi64bit: boolean, perVectorMask: boolean): void {
    let flags = (31 - Math.clz32(nrVectors)) << 1;
    if (msi64bit) flags |= 0x80;
    if (perVectorMask) flags |= 0x100;
    const capSize = msi64bit ? (perVectorMask ? 0x18 : 0x0e) : perVectorMask ? 0x14 : 0x0a;
    const pos = this.addCapability(R.PCI_CAP_ID_MSI, offset, capSize);
    this.msiCap = pos;
    this.setWord(pos + 2, flags);
    this.setWord(pos + 2, 0x0070 | 0x0001, this.wmask); // QSIZE | ENABLE
    this.setLong(pos + 4, 0xfffffffc, this.wmask);
    if (msi64bit) this.setLong(pos + 8, 0xffffffff, this.wmask);
    const dataOff = pos + (msi64bit ? 0x0c : 0x08);
    this.setWord(dataOff, 0xffff, this.wmask);
    if (perVectorMask) this.setLong(pos + (msi64bit ? 0x10 : 0x0c), (0xffffffff >>> (32 - nrVectors)) >>> 0, this.wmask);
  }

  /** msix_init(): the capability only; the table and PBA live in a BAR */
  msixInit(nentries: number, tableBar: number, tableOffset: number, pbaBar: number, pbaOffset: number, capPos: number): void {
    const pos = this.addCapability(R.PCI_CAP_ID_MSIX, capPos, 12);
    this.msixCap = pos;
    this.setWord(pos + 2, nentries - 1);
    this.setLong(pos + 4, (tableOffset | tableBar) >>> 0);
    this.setLong(pos + 8, (pbaOffset | pbaBar) >>> 0);
    this.wmask[pos + 3]! |= 0xc0; // MSIX_ENABLE_MASK | MSIX_MASKALL_MASK
  }

  /** pcie_cap_init() / pcie_cap_v1_fill(): a v2 PCI Express capability of the given port type. */
  pcieCapInit(offset: number, type: number, port: number): number {
    const pos = this.addCapability(R.PCI_CAP_ID_EXP, offset, R.PCI_EXP_VER2_SIZEOF);
    this.expCap = pos;
    this.setWord(pos + R.PCI_EXP_FLAGS, ((type << 4) & 0xf0) | 2);
    this.setLong(pos + R.PCI_EXP_DEVCAP, 0x8000); // RBER
    // port number | ASPM L0s | x1 | 2.5GT/s
    this.setLong(pos + R.PCI_EXP_LNKCAP, ((port << 24) | 0x400 | (1 << 4) | 1) >>> 0);
    this.setWord(pos + R.PCI_EXP_LNKSTA, (1 << 4) | 1);
    this.setWord(pos + R.PCI_EXP_LNKSTA, 0, this.cmask);
    this.setLong(pos + R.PCI_EXP_DEVCAP2, 0x100000 | 0x200000); // EFF | EETLPP
    this.setWord(pos + R.PCI_EXP_DEVCTL2, 0x8000, this.wmask); // EETLPPB
    return pos;
  }

  /** pcie_endpoint_cap_init(): an endpoint on the root complex is a Root Complex Integrated Endpoint */
  pcieEndpointCapInit(offset: number): number {
    const onRoot = this.bus !== null && this.bus.isExpress && this.bus.parentBridge === null;
    return this.pcieCapInit(offset, onRoot ? R.PCI_EXP_TYPE_RC_END : R.PCI_EXP_TYPE_ENDPOINT, 0);
  }

  /**
   * The class's `realize()`: BARs and capabilities. Called by {@link PciBus.plug} once the function has a
   * bus and devfn, as QEMU realizes after `do_pci_register_device()` (some capabilities depend on the bus).
   */
  realize(): void {}

  /** The device model's own `DeviceClass::reset`; models with reset state override it. */
  deviceReset(): void {}

  /**
   * One function's share of `qemu_system_reset()`: the device's own reset, then the PCI core's. The order
   * is visible in reference/pc-default: `piix3_reset()` stores COMMAND = 0x07, yet SeaBIOS reads
   * `00:01.0 0x004/2 0x0`, because pci_do_device_reset() runs after it and clears every writable COMMAND bit.
   */
  reset(): void {
    this.deviceReset();
    this.pciDoDeviceReset();
  }

  /**
   * pci_do_device_reset() (pcibus_reset): writable command, status and interrupt-line bits cleared, cache
   * line size 0, BARs back to their type bits, MSI/MSI-X disabled.
   */
  private pciDoDeviceReset(): void {
    const clearWord = (a: number) => {
      const m = this.getWordOf(this.wmask, a) | this.getWordOf(this.w1cmask, a);
      this.setWord(a, this.getWord(a) & ~m);
    };
    clearWord(R.PCI_COMMAND);
    clearWord(R.PCI_STATUS);
    this.config[R.PCI_INTERRUPT_LINE]! &= ~(this.wmask[R.PCI_INTERRUPT_LINE]! | this.w1cmask[R.PCI_INTERRUPT_LINE]!);
    this.config[R.PCI_CACHE_LINE_SIZE] = 0;
    // pci_reset_regions()
    for (let r = 0; r < R.PCI_NUM_REGIONS; r++) {
      const region = this.regions[r];
      if (!region) continue;
      const addr = this.barOffset(r);
      this.setLong(addr, region.type);
      const is64 = (region.type & R.PCI_BASE_ADDRESS_SPACE_IO) === 0 && (region.type & R.PCI_BASE_ADDRESS_MEM_TYPE_64) !== 0;
      if (is64) this.setLong(addr + 4, 0);
    }
    // msi_reset(): enable and multiple-message-enable cleared, address and data zeroed
    if (this.msiCap) {
      const flags = this.getWord(this.msiCap + 2);
      this.setWord(this.msiCap + 2, flags & ~(0x0001 | 0x0070));
      const is64 = (flags & 0x80) !== 0;
      this.setLong(this.msiCap + 4, 0);
      if (is64) this.setLong(this.msiCap + 8, 0);
      this.setWord(this.msiCap + (is64 ? 0x0c : 0x08), 0);
    }
    // msix_reset(): MSI-X enable and function mask cleared
    if (this.msixCap) this.config[this.msixCap + 3]! &= ~0xc0;
  }

  private getWordOf(arr: Uint8Array, a: number): number {
    return (arr[a] ?? 0) | ((arr[a + 1] ?? 0) << 8);
  }

  /** The device model's `config_read`; QEMU's default is a plain copy. */
  configRead(addr: number, len: number): number {
    const c = this.config;
    if (len === 1) return c[addr]!;
    if (len === 2) return c[addr]! | (c[addr + 1]! << 8);
    return (c[addr]! | (c[addr + 1]! << 8) | (c[addr + 2]! << 16) | (c[addr + 3]! << 24)) >>> 0;
  }

  /** pci_default_write_config(): per byte, wmask decides what changes and w1cmask what clears. */
  configWrite(addr: number, val: number, len: number): void {
    const c = this.config;
    let v = val;
    for (let i = 0; i < len; i++, v >>>= 8) {
      const a = addr + i;
      const wm = this.wmask[a]!;
      const w1c = this.w1cmask[a]!;
      const b = v & 0xff;
      c[a] = ((c[a]! & ~wm) | (b & wm)) & ~(b & w1c);
    }
  }

  /** pci_get_function_0() */
  function0(): PciDevice | null {
    return this.bus?.devices[this.devfn & ~7] ?? null;
  }
}

/** pci_props[] (hw/pci/pci.c) */
export function pciProps(owner: string): QdevPropDef[] {
  return [
    defineProp(owner, 'addr', 'devfn', -1),
    defineProp(owner, 'romfile', 'string'),
    defineProp(owner, 'romsize', 'uint32', 0xffffffff),
    defineProp(owner, 'rombar', 'uint32', 1),
    defineProp(owner, 'multifunction', 'bool', false),
    defineProp(owner, 'x-pcie-lnksta-dllla', 'bool', true),
    defineProp(owner, 'x-pcie-extcap-init', 'bool', true),
    defineProp(owner, 'failover_pair_id', 'string'),
    defineProp(owner, 'acpi-index', 'uint32', 0),
  ];
}
