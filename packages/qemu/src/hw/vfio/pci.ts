/**
 * @module
 * `vfio-pci` (hw/vfio/pci.c): a host PCI function passed through. The guest sees the host's configuration space
 * (as the host's vfio-pci driver exposes it, {@link vfioPciConfigRegion}) with QEMU's own registers over it:
 * vfio_realize() copies the config region, marks what QEMU emulates (`emulated_config_bits`: the BARs and ROM
 * BAR, the multifunction bit, the capability list pointers, MSI and MSI-X, the first extended-capability
 * header, the ID overrides), clears the BARs, sizes the ROM BAR from the host's, registers each BAR with the
 * host's size and type (vfio_bars_prepare(), vfio_bars_register()), reads MSI-X's table and PBA
 * (vfio_msix_early_setup(), with `x-msix-relocation`), then rebuilds the standard capability list
 * (vfio_add_std_cap(): MSI and MSI-X emulated by QEMU, the PCI Express capability adjusted to where the
 * function sits, vfio_setup_pcie_cap()) and the extended one (vfio_add_ext_cap(): SR-IOV, ARI and Resizable
 * BAR dropped). vfio_pci_read_config() answers an emulated bit from QEMU's copy and any other from the device;
 * vfio_pci_write_config() writes to the device and to QEMU's copy.
 */
import { QemuError } from '../../errors.js';
import * as R from '../pci/regs.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { pciProps, type PciDeviceBus } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { BuildContext, QdevTypeInfo } from '../core/qdev.js';
import { normaliseBdf, vfioHostWriteMask, vfioPciConfigRegion, getLong, type VfioHostDevice } from './host.js';

const PCI_ANY_ID = 0xffffffff;
const PCI_CAP_ID_PM = 0x01;
const PCI_CAP_ID_MSI = 0x05;
const PCI_CAP_ID_EXP = 0x10;
const PCI_CAP_ID_MSIX = 0x11;
const PCI_CAP_ID_AF = 0x13;
const PCI_EXP_FLAGS_TYPE = 0x00f0;
const PCI_EXP_FLAGS_VERS = 0x000f;
const PCI_EXP_TYPE_ENDPOINT = 0x0;
const PCI_EXP_TYPE_LEG_END = 0x1;
const PCI_EXP_TYPE_RC_END = 0x9;
const PCI_EXP_LNKCAP = 0x0c;
const PCI_EXP_LNKCTL = 0x10;
const PCI_EXP_LNKSTA = 0x12;
const PCI_EXP_LNKCAP2 = 0x2c;
const PCI_EXP_LNKCTL2 = 0x30;
const PCI_EXP_LNKSTA2 = 0x32;
const PCI_EXT_CAP_ID_ARI = 0x0e;
const PCI_EXT_CAP_ID_SRIOV = 0x10;
const PCI_EXT_CAP_ID_REBAR = 0x15;
const PCI_MSIX_ENTRY_SIZE = 16;
const MSIX_CAP_LENGTH = 12;
/** QEMU_PCI_EXP_LNKCAP_MLW(QEMU_PCI_EXP_LNK_X1) | QEMU_PCI_EXP_LNKCAP_MLS(QEMU_PCI_EXP_LNK_2_5GT) */
const LNKCAP_X1_2_5GT = (1 << 4) | 1;
/** rom_denylist[] of hw/vfio/pci-quirks.c: option ROMs known to hang the guest */
const ROM_DENYLIST: readonly [number, number][] = [[0x14e4, 0x168e]];
/** qemu_real_host_page_size() on x86 */
const HOST_PAGE = 4096;

/** The properties vfio_realize() reads. */
export interface VfioPciOptions {
  host: VfioHostDevice;
  vendorId: number;
  deviceId: number;
  subVendorId: number;
  subDeviceId: number;
  /** `x-msix-relocation`: off, auto, or bar0..bar5 */
  msixRelocation: string;
  romfile: boolean;
  romBar: boolean;
  /** `rombar` was given on the command line (it overrides the ROM deny-list) */
  romBarExplicit: boolean;
  xVga: boolean;
}

interface VfioBar {
  size: number;
  ioport: boolean;
  mem64: boolean;
  type: number;
}

/** A passed-through function. */
export class VfioPciDevice extends QdevPciDevice {
  /** the device behind vfio: the config region, as writes change it */
  phys: Uint8Array = new Uint8Array(0);
  private physWmask: Uint8Array = new Uint8Array(0);
  /** vdev->emulated_config_bits */
  readonly emulated = new Uint8Array(R.PCIE_CONFIG_SPACE_SIZE);
  /** vdev->msi_cap_size */
  msiCapSize = 0;
  readonly warnings: string[] = [];

  constructor(
    typeName: string,
    readonly opts: VfioPciOptions,
  ) {
    // vfio_instance_init(): QEMU_PCI_CAP_EXPRESS, so 4 KiB of config space whatever the bus
    super({ typeName, vendorId: 0, deviceId: 0, classId: 0, isExpress: true });
  }

  private fail(msg: string): never {
    throw new QemuError('BAD_PROPERTY_VALUE', `vfio ${this.opts.host.bdf}: ${msg}`);
  }

  protected override realizeDevice(): void {
    const o = this.opts;
    const region = vfioPciConfigRegion(o.host);
    // the class of the device, for vfio_populate_device()'s VGA region
    if (o.xVga && (region[0x0b] !== 0x03 || region[0x0a] !== 0x00)) {
      this.fail('Device does not support requested feature x-vga: Invalid argument');
    }
    this.phys = region;
    const barIo = o.host.barSizes.some((s, i) => s > 0 && (region[0x10 + i * 4]! & 1) === 1);
    const barMem = o.host.barSizes.some((s, i) => s > 0 && (region[0x10 + i * 4]! & 1) === 0);
    this.physWmask = vfioHostWriteMask(region, barIo, barMem);
    // "Get a copy of config space"
    this.config.set(region.subarray(0, Math.min(this.config.length, region.length)));
    const emu = this.emulated;
    emu.fill(0xff, R.PCI_ROM_ADDRESS, R.PCI_ROM_ADDRESS + 4);
    emu.fill(0xff, R.PCI_BASE_ADDRESS_0, R.PCI_BASE_ADDRESS_0 + 24);
    const override = (pos: number, v: number, name: string) => {
      if (v === PCI_ANY_ID) return;
      if (v > 0xffff || (pos === R.PCI_VENDOR_ID && v === 0xffff)) this.fail(`invalid PCI ${name} provided`);
      this.emulatedWord(pos, v, 0xffff);
    };
    override(R.PCI_VENDOR_ID, o.vendorId, 'vendor ID');
    override(R.PCI_DEVICE_ID, o.deviceId, 'device ID');
    override(R.PCI_SUBSYSTEM_VENDOR_ID, o.subVendorId, 'subsystem vendor ID');
    override(R.PCI_SUBSYSTEM_ID, o.subDeviceId, 'subsystem device ID');
    // multi-function is QEMU's to say
    emu[R.PCI_HEADER_TYPE] = 0x80;
    if (this.multifunction) this.config[R.PCI_HEADER_TYPE]! |= 0x80;
    else this.config[R.PCI_HEADER_TYPE]! &= ~0x80;
    this.config.fill(0, R.PCI_BASE_ADDRESS_0, R.PCI_BASE_ADDRESS_0 + 24);
    this.config.fill(0, R.PCI_ROM_ADDRESS, R.PCI_ROM_ADDRESS + 4);

    // vfio_pci_size_rom(): the host ROM BAR's size, unless a romfile or rombar=0 (pci.c handles those)
    if (!o.romfile && o.romBar && o.host.romSize > 0) {
      const [v, d] = [this.getWord(R.PCI_VENDOR_ID), this.getWord(R.PCI_DEVICE_ID)];
      if (ROM_DENYLIST.some(([dv, dd]) => dv === v && dd === d) && !o.romBarExplicit) {
        this.warnings.push(`Rom loading for device at ${o.host.bdf} has been disabled due to system instability issues`);
      } else this.romSize = o.host.romSize;
    }

    // vfio_bars_prepare()
    const bars: VfioBar[] = [];
    for (let nr = 0; nr < 6; nr++) {
      const size = o.host.barSizes[nr] ?? 0;
      const pciBar = getLong(region, R.PCI_BASE_ADDRESS_0 + nr * 4);
      const ioport = size > 0 && (pciBar & 1) === 1;
      bars.push({ size, ioport, mem64: size > 0 && !ioport && (pciBar & 4) !== 0, type: size > 0 ? (ioport ? pciBar & 0x3 : pciBar & 0xf) : 0 });
    }

    // vfio_msix_early_setup()
    const msix = this.msixEarlySetup(bars);

    // vfio_bars_register()
    for (let nr = 0; nr < 6; nr++) if (bars[nr]!.size) this.registerBar(nr, bars[nr]!.type, bars[nr]!.size);

    // vfio_add_capabilities()
    if (this.config[R.PCI_STATUS]! & R.PCI_STATUS_CAP_LIST && this.config[R.PCI_CAPABILITY_LIST]) {
      this.addStdCap(this.config[R.PCI_CAPABILITY_LIST]!, bars, msix);
      this.addExtCap();
    }
    // QEMU emulates all of MSI and MSI-X
    if (this.msixCap) emu.fill(0xff, this.msixCap, this.msixCap + MSIX_CAP_LENGTH);
    if (this.msiCap) emu.fill(0xff, this.msiCap, this.msiCap + this.msiCapSize);
  }

  /** vfio_add_emulated_word() */
  private emulatedWord(pos: number, val: number, mask: number): void {
    this.setWord(pos, (this.getWord(pos) & ~mask) | val);
    this.setWord(pos, (this.wmask[pos]! | (this.wmask[pos + 1]! << 8)) & ~mask, this.wmask);
    this.setWord(pos, (this.emulated[pos]! | (this.emulated[pos + 1]! << 8)) | mask, this.emulated);
  }

  /** vfio_add_emulated_long() */
  private emulatedLong(pos: number, val: number, mask: number): void {
    this.emulatedWord(pos, val & 0xffff, mask & 0xffff);
    this.emulatedWord(pos + 2, val >>> 16, mask >>> 16);
  }

  private msixEarlySetup(bars: VfioBar[]): { tableBar: number; tableOffset: number; pbaBar: number; pbaOffset: number; entries: number } | null {
    let pos = 0;
    for (let p = this.config[R.PCI_CAPABILITY_LIST]!, ttl = 48; p >= 0x40 && ttl--; p = this.config[p + 1]!) {
      if (this.config[p] === PCI_CAP_ID_MSIX) {
        pos = p;
        break;
      }
    }
    if (!pos || !(this.config[R.PCI_STATUS]! & R.PCI_STATUS_CAP_LIST)) return null;
    const ctrl = this.phys[pos + 2]! | (this.phys[pos + 3]! << 8);
    const table = getLong(this.phys, pos + 4);
    const pba = getLong(this.phys, pos + 8);
    const m = { tableBar: table & 7, tableOffset: (table & ~7) >>> 0, pbaBar: pba & 7, pbaOffset: (pba & ~7) >>> 0, entries: (ctrl & 0x7ff) + 1 };
    const relo = this.opts.msixRelocation;
    if (m.pbaOffset >= (bars[m.pbaBar]?.size ?? 0)) {
      const [v, d] = [this.getWord(R.PCI_VENDOR_ID), this.getWord(R.PCI_DEVICE_ID)];
      if (v === 0x1425 && (d & 0xff00) === 0x5800) m.pbaOffset = 0x1000; // Chelsio T5 VF
      else if (v === 0x1d22 && d === 0x3685) m.pbaOffset = 0xb400; // Baidu Kunlun VF
      else if (relo === 'off') this.fail('hardware reports invalid configuration, MSIX PBA outside of specified BAR');
    }
    // vfio_pci_relocate_msix()
    if (relo !== 'off') {
      if (relo === 'auto') {
        this.fail(`No automatic MSI-X relocation available for device ${this.getWord(0).toString(16).padStart(4, '0')}:${this.getWord(2).toString(16).padStart(4, '0')}`);
      }
      const target = Number(relo.slice(3));
      const bar = bars[target]!;
      let sz = m.entries * PCI_MSIX_ENTRY_SIZE + Math.ceil(m.entries / 64) * 8;
      sz = Math.ceil(sz / HOST_PAGE) * HOST_PAGE;
      sz = 2 ** Math.ceil(Math.log2(sz));
      if (bar.ioport) this.fail(`Invalid MSI-X relocation BAR ${target}, I/O port BAR`);
      if (!bar.size && target > 0 && bars[target - 1]!.mem64) this.fail(`Invalid MSI-X relocation BAR ${target}, consumed by 64-bit BAR ${target - 1}`);
      if (bar.size > 2 ** 30 && !bar.mem64) this.fail(`Invalid MSI-X relocation BAR ${target}, no space to extend 32-bit BAR`);
      if (!bar.size) {
        if (target < 5 && !bars[target + 1]!.size) {
          bar.mem64 = true;
          bar.type = R.PCI_BASE_ADDRESS_MEM_TYPE_64;
        }
        bar.type |= R.PCI_BASE_ADDRESS_MEM_PREFETCH;
        bar.size = sz;
        m.tableOffset = 0;
      } else {
        bar.size = Math.max(bar.size * 2, sz * 2);
        m.tableOffset = bar.size / 2;
      }
      m.tableBar = m.pbaBar = target;
      m.pbaOffset = m.tableOffset + m.entries * PCI_MSIX_ENTRY_SIZE;
    }
    return m;
  }

  /** vfio_std_cap_max_size() on QEMU's copy as it stands */
  private stdCapMaxSize(pos: number): number {
    let next = R.PCI_CONFIG_SPACE_SIZE;
    for (let tmp = this.config[R.PCI_CAPABILITY_LIST]!, ttl = 48; tmp && ttl--; tmp = this.config[tmp + 1]!) if (tmp > pos && tmp < next) next = tmp;
    return next - pos;
  }

  /** vfio_add_std_cap(): from the end of the chain back, so that pci_add_capability() rebuilds it in order */
  private addStdCap(pos: number, bars: VfioBar[], msix: ReturnType<VfioPciDevice['msixEarlySetup']>): void {
    const capId = this.config[pos]!;
    const next = this.config[pos + 1]!;
    let size = this.stdCapMaxSize(pos);
    if (next) this.addStdCap(next, bars, msix);
    else {
      this.config[R.PCI_CAPABILITY_LIST] = 0;
      this.emulated[R.PCI_CAPABILITY_LIST] = 0xff;
      this.emulated[R.PCI_STATUS]! |= R.PCI_STATUS_CAP_LIST;
      // vfio_add_virt_caps(): the NVIDIA GPUDirect clique and VMD shadow capabilities are not modelled
    }
    size = Math.min(size, this.stdCapMaxSize(pos));
    this.emulated[pos + 1] = 0xff;
    const add = () => {
      try {
        this.addCapability(capId, pos, size);
      } catch (e) {
        if (e instanceof QemuError) this.fail(`failed to add PCI capability 0x${capId.toString(16)}[0x${size.toString(16)}]@0x${pos.toString(16)}: ${e.message}`);
        throw e;
      }
    };
    switch (capId) {
      case PCI_CAP_ID_MSI: {
        // vfio_msi_setup()
        const ctrl = this.phys[pos + 2]! | (this.phys[pos + 3]! << 8);
        const is64 = (ctrl & 0x80) !== 0;
        const mask = (ctrl & 0x100) !== 0;
        this.msiInit(pos, 1 << ((ctrl & 0x0e) >> 1), is64, mask);
        this.msiCapSize = 0xa + (mask ? 0xa : 0) + (is64 ? 0x4 : 0);
        break;
      }
      case PCI_CAP_ID_EXP:
        this.setupPcieCap(pos, size);
        break;
      case PCI_CAP_ID_MSIX: {
        // vfio_msix_setup() → msix_init()
        const m = msix!;
        const tableSize = m.entries * PCI_MSIX_ENTRY_SIZE;
        const pbaSize = Math.ceil(m.entries / 64) * 8;
        const tbar = bars[m.tableBar]?.size ?? 0;
        const pbar = bars[m.pbaBar]?.size ?? 0;
        const overlap = m.tableBar === m.pbaBar && m.tableOffset < m.pbaOffset + pbaSize && m.pbaOffset < m.tableOffset + tableSize;
        if (m.entries > 2048 || overlap || m.tableOffset + tableSize > tbar || m.pbaOffset + pbaSize > pbar || (m.tableOffset | m.pbaOffset) & 7) {
          this.fail(`failed to add PCI capability 0x11[0x${size.toString(16)}]@0x${pos.toString(16)}: table & pba overlap, or they don't fit in BARs, or don't align`);
        }
        this.msixInit(m.entries, m.tableBar, m.tableOffset, m.pbaBar, m.pbaOffset, pos);
        break;
      }
      case PCI_CAP_ID_PM:
        this.pmCap = pos;
        add();
        break;
      case PCI_CAP_ID_AF:
      default:
        add();
    }
  }

  /** vfio_setup_pcie_cap(): an endpoint's Express capability, as where it sits allows */
  private setupPcieCap(pos: number, size: number): void {
    const flags = this.getWord(pos + 2);
    const type = (flags & PCI_EXP_FLAGS_TYPE) >> 4;
    if (type !== PCI_EXP_TYPE_ENDPOINT && type !== PCI_EXP_TYPE_LEG_END && type !== PCI_EXP_TYPE_RC_END) {
      this.fail(`failed to add PCI capability 0x10[0x${size.toString(16)}]@0x${pos.toString(16)}: assignment of PCIe type 0x${type.toString(16)} devices is not currently supported`);
    }
    const bus = this.bus!;
    if (!bus.isExpress) {
      // on a conventional bus the capability stays as it is, unless the machine's root bus is Express (q35)
      let b: PciDeviceBus = bus;
      while (b.parentBridge?.bus) b = b.parentBridge.bus;
      if (b.isExpress) return;
    } else if (bus.parentBridge === null) {
      // on the root complex an endpoint becomes an integrated endpoint: no link registers
      if (type === PCI_EXP_TYPE_ENDPOINT) {
        this.emulatedWord(pos + 2, PCI_EXP_TYPE_RC_END << 4, PCI_EXP_FLAGS_TYPE);
        if (size > PCI_EXP_LNKCTL) {
          this.emulatedLong(pos + PCI_EXP_LNKCAP, 0, 0xffffffff);
          this.emulatedWord(pos + PCI_EXP_LNKCTL, 0, 0xffff);
          this.emulatedWord(pos + PCI_EXP_LNKSTA, 0, 0xffff);
          if (size > PCI_EXP_LNKCAP2) {
            this.emulatedLong(pos + PCI_EXP_LNKCAP2, 0, 0xffffffff);
            this.emulatedWord(pos + PCI_EXP_LNKCTL2, 0, 0xffff);
            this.emulatedWord(pos + PCI_EXP_LNKSTA2, 0, 0xffff);
          }
        }
      } else if (type === PCI_EXP_TYPE_LEG_END) {
        return;
      }
    } else if (type === PCI_EXP_TYPE_RC_END) {
      // below a port an integrated endpoint becomes an endpoint, with a made-up x1 2.5 GT/s link
      this.emulatedWord(pos + 2, PCI_EXP_TYPE_ENDPOINT << 4, PCI_EXP_FLAGS_TYPE);
      this.emulatedLong(pos + PCI_EXP_LNKCAP, LNKCAP_X1_2_5GT, 0xffffffff);
      this.emulatedWord(pos + PCI_EXP_LNKCTL, 0, 0xffff);
    }
    // Intel 82599 VFs report version 0
    if ((flags & PCI_EXP_FLAGS_VERS) === 0) this.emulatedWord(pos + 2, 1, PCI_EXP_FLAGS_VERS);
    this.addCapability(PCI_CAP_ID_EXP, pos, size);
    this.expCap = pos;
  }

  /** vfio_add_ext_cap(): the extended chain rebuilt from a copy, SR-IOV, ARI and Resizable BAR left out */
  private addExtCap(): void {
    const bus = this.bus!;
    if (!bus.isExpress || getLong(this.config, 0x100) === 0) return;
    const copy = this.config.slice();
    this.setLong(0x100, 0x0000ffff);
    this.setLong(0x100, 0, this.wmask);
    this.emulated.fill(0xff, 0x100, 0x104);
    for (let next = 0x100, ttl = 960; next && ttl--; next = getLong(copy, next) >>> 20) {
      const header = getLong(copy, next);
      const capId = header & 0xffff;
      let end = R.PCIE_CONFIG_SPACE_SIZE;
      for (let t = 0x100, n = 960; t && n--; t = getLong(copy, t) >>> 20) if (t > next && t < end) end = t;
      this.emulated[next + 2]! |= 0xf0;
      this.emulated[next + 3] = 0xff;
      if (capId === 0 || capId === PCI_EXT_CAP_ID_SRIOV || capId === PCI_EXT_CAP_ID_ARI || capId === PCI_EXT_CAP_ID_REBAR) continue;
      this.addExtCapability(capId, (header >>> 16) & 0xf, next, end - next);
    }
    if (this.getWord(0x100) === 0xffff) this.setWord(0x100, 0);
  }

  /** vfio_pci_read_config() */
  override configRead(addr: number, len: number): number {
    let emuBits = 0;
    for (let i = len - 1; i >= 0; i--) emuBits = (emuBits << 8) | this.emulated[addr + i]!;
    emuBits >>>= 0;
    const emuVal = emuBits ? super.configRead(addr, len) : 0;
    const all = len === 4 ? 0xffffffff : (1 << (len * 8)) - 1;
    let physVal = 0;
    if ((~emuBits & all) >>> 0) {
      // a read beyond the host's config region fails: QEMU returns -EINVAL as the value
      if (addr + len > this.phys.length) return 0xffffffea;
      for (let i = len - 1; i >= 0; i--) physVal = (physVal << 8) | this.phys[addr + i]!;
      physVal >>>= 0;
    }
    return ((emuVal & emuBits) | (physVal & ~emuBits)) >>> 0;
  }

  /** vfio_pci_write_config(): to the device (what the host's vfio-pci lets through), then QEMU's copy */
  override configWrite(addr: number, val: number, len: number): void {
    for (let i = 0, v = val; i < len; i++, v >>>= 8) {
      const a = addr + i;
      if (a >= this.phys.length) break;
      const m = this.physWmask[a]!;
      this.phys[a] = (this.phys[a]! & ~m) | (v & 0xff & m);
    }
    super.configWrite(addr, val, len);
  }

  /** vfio_pci_reset(): vfio_pci_pre_reset() puts the device in D0 and turns its decoding, mastering and INTx-disable off */
  override deviceReset(): void {
    if (!this.phys.length) return;
    if (this.pmCap) {
      const pmcsr = this.configRead(this.pmCap + 4, 2);
      if (pmcsr & 3) this.configWrite(this.pmCap + 4, pmcsr & ~3, 2);
    }
    const cmd = this.configRead(R.PCI_COMMAND, 2);
    this.configWrite(R.PCI_COMMAND, cmd & ~(0x1 | 0x2 | 0x4 | 0x400), 2);
  }
}

/** vfio_pci_dev_properties[] (those pcisim reads; the rest are accepted and change nothing it models) */
function vfioProps(name: string): ReturnType<typeof defineProp>[] {
  return [
    ...pciProps(name),
    defineProp(name, 'host', 'string'),
    defineProp(name, 'sysfsdev', 'string'),
    defineProp(name, 'x-pre-copy-dirty-page-tracking', 'onoffauto', 'on'),
    defineProp(name, 'display', 'onoffauto', 'off'),
    defineProp(name, 'xres', 'uint32', 0),
    defineProp(name, 'yres', 'uint32', 0),
    defineProp(name, 'x-intx-mmap-timeout-ms', 'uint32', 1100),
    defineProp(name, 'x-vga', 'bool', false),
    defineProp(name, 'x-req', 'bool', true),
    defineProp(name, 'x-igd-opregion', 'bool', false),
    defineProp(name, 'x-enable-migration', 'bool', false),
    defineProp(name, 'x-no-mmap', 'bool', false),
    defineProp(name, 'x-balloon-allowed', 'bool', false),
    defineProp(name, 'x-no-kvm-intx', 'bool', false),
    defineProp(name, 'x-no-kvm-msi', 'bool', false),
    defineProp(name, 'x-no-kvm-msix', 'bool', false),
    defineProp(name, 'x-no-geforce-quirks', 'bool', false),
    defineProp(name, 'x-no-kvm-ioeventfd', 'bool', false),
    defineProp(name, 'x-no-vfio-ioeventfd', 'bool', false),
    defineProp(name, 'x-pci-vendor-id', 'uint32', PCI_ANY_ID),
    defineProp(name, 'x-pci-device-id', 'uint32', PCI_ANY_ID),
    defineProp(name, 'x-pci-sub-vendor-id', 'uint32', PCI_ANY_ID),
    defineProp(name, 'x-pci-sub-device-id', 'uint32', PCI_ANY_ID),
    defineProp(name, 'x-igd-gms', 'uint32', 0),
    defineProp(name, 'x-nv-gpudirect-clique', 'uint8'),
    defineProp(name, 'x-msix-relocation', 'enum', 'off', { values: ['off', 'auto', 'bar0', 'bar1', 'bar2', 'bar3', 'bar4', 'bar5'] }),
    defineProp(name, 'bootindex', 'int32', -1),
  ];
}

/** vfio_realize()'s start: which host device, and pcisim's stand-in for it */
function buildVfio(name: string, ctx: BuildContext): VfioPciDevice {
  const pr = ctx.props;
  const host = pr.str('host');
  const sysfsdev = pr.str('sysfsdev');
  let bdf: string | null = null;
  if (sysfsdev !== undefined) bdf = normaliseBdf(sysfsdev.replace(/\/+$/, '').replace(/^.*\//, ''));
  else if (host !== undefined) {
    bdf = normaliseBdf(host);
    if (!bdf) throw new QemuError('BAD_PROPERTY_VALUE', `Property '${name}.host' doesn't take value '${host}'`);
  } else {
    // QEMU adds the hint "Use -device vfio-pci,host=DDDD:BB:DD.F or -device vfio-pci,sysfsdev=PATH_TO_DEVICE"
    throw new QemuError('BAD_PROPERTY_VALUE', 'No provided host device');
  }
  if (bdf === null) throw new QemuError('UNSUPPORTED', `pcisim: vfio-pci sysfsdev=${sysfsdev}: pcisim knows a host device by its sysfs path /sys/bus/pci/devices/DDDD:BB:DD.F`);
  if (pr.has('x-nv-gpudirect-clique') || pr.bool('x-igd-opregion') || pr.values.get('display') === 'on') {
    throw new QemuError('UNSUPPORTED', `pcisim: vfio-pci ${bdf}: x-nv-gpudirect-clique, x-igd-opregion and display=on add capabilities or regions pcisim does not model`);
  }
  const dev = ctx.vfioHost?.(bdf);
  if (!dev) {
    throw new QemuError('UNSUPPORTED', `pcisim: vfio-pci ${bdf}: no host device here to read: give its config space with --vfio-config ${bdf}=PATH (lspci -vvv -xxxx output, or its sysfs config file with resource beside it)`);
  }
  if (dev.attached) throw new QemuError('BAD_PROPERTY_VALUE', `vfio ${bdf}: device is already attached`);
  dev.attached = true;
  return new VfioPciDevice(name, {
    host: dev.host,
    vendorId: pr.num('x-pci-vendor-id') >>> 0,
    deviceId: pr.num('x-pci-device-id') >>> 0,
    subVendorId: pr.num('x-pci-sub-vendor-id') >>> 0,
    subDeviceId: pr.num('x-pci-sub-device-id') >>> 0,
    msixRelocation: pr.str('x-msix-relocation') ?? 'off',
    romfile: (pr.str('romfile') ?? '') !== '',
    romBar: pr.num('rombar') !== 0,
    romBarExplicit: pr.has('rombar'),
    xVga: pr.bool('x-vga'),
  });
}

function vfioType(name: string): QdevTypeInfo {
  return {
    name,
    ancestors: name === 'vfio-pci' ? [name, 'pci-device', 'device'] : [name, 'vfio-pci', 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    props: vfioProps(name),
    build: (ctx) => buildVfio(name, ctx),
  };
}

/** `vfio-pci` and `vfio-pci-nohotplug` (the same device, not hot-pluggable) */
export const VFIO_PCI_TYPES: readonly QdevTypeInfo[] = [vfioType('vfio-pci'), vfioType('vfio-pci-nohotplug')];
