/**
 * @module
 * The PCI expander bridges (hw/pci-bridge/pci_expander_bridge.c): `pxb` (pc, Red Hat 1b36:0009) and `pxb-pcie`
 * (q35, 1b36:000b). Each is a host-bridge-class function on the main root bus that brings an extra root bus
 * numbered `bus_nr` (pxb_dev_realize_common()), listed among the main root bus's children as QEMU's
 * pxb_register_bus() does, so pci_find_bus_nr() reaches it. A `pxb-pcie`'s root bus is named after its `id`
 * and takes root ports; a `pxb`'s is "pxb-internal", holding at slot 0 a `pci-bridge` (shpc off, chassis_nr =
 * bus_nr) named after the `id`, whose secondary bus takes the devices. The firmware learns of them through
 * fw_cfg "etc/extra-pci-roots", Linux through the DSDT's PC<bus_nr> host bridges (hw/i386/acpi-pci.ts).
 */
import { PciBus } from '../pci/bus.js';
import { QdevPciDevice } from '../pci/qdev-pci.js';
import { QemuError } from '../../errors.js';
import * as R from '../pci/regs.js';
import { NO_RES_RESERVE, PciBridgeDev } from './pci-bridge.js';
import { pciProps } from '../pci/device.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

const PCI_VENDOR_ID_REDHAT = 0x1b36;
const PCI_CLASS_BRIDGE_HOST = 0x0600;
/** NUMA_NODE_UNASSIGNED */
export const NUMA_NODE_UNASSIGNED = 0xffff;

/** A pxb or pxb-pcie. */
export class PxbDevice extends QdevPciDevice {
  /** the extra root bus */
  pxbBus: PciBus | null = null;
  /** pxb: the pci-bridge on the pxb-internal bus whose secondary bus takes the devices */
  internalBridge: PciBridgeDev | null = null;
  /** the name of the bus `bus=` names: the `id`, or QEMU's automatic bus name (set before realize) */
  busName = '';

  constructor(
    typeName: string,
    readonly express: boolean,
    readonly busNr: number,
    readonly numaNode: number,
    /** ms->numa_state->num_nodes */
    readonly numaNodes: number,
  ) {
    super({ typeName, vendorId: PCI_VENDOR_ID_REDHAT, deviceId: express ? 0x000b : 0x0009, classId: PCI_CLASS_BRIDGE_HOST });
  }

  /** pxb_dev_realize() / pxb_pcie_dev_realize(), then pxb_dev_realize_common() */
  protected override realizeDevice(): void {
    const parent = this.bus!;
    if (this.express && !parent.isExpress) throw new QemuError('UNSUPPORTED', 'pxb-pcie devices cannot reside on a PCI bus');
    if (!this.express && parent.isExpress) throw new QemuError('UNSUPPORTED', 'pxb devices cannot reside on a PCIe bus');
    // pxb_dev_realize_common(): a node must be one of the -numa nodes (none given: num_nodes is 0)
    if (this.numaNode !== NUMA_NODE_UNASSIGNED && this.numaNode >= this.numaNodes) throw new QemuError('BAD_PROPERTY_VALUE', `Illegal numa node ${this.numaNode}`);
    const bus = new PciBus(this.express ? this.busName : 'pxb-internal', this.express, null, this.busNr);
    // pxb_register_bus()
    if (parent.parentBridge) throw new QemuError('UNSUPPORTED', 'PXB devices can be attached only to root bus');
    for (const c of parent.children) {
      if (c.number === this.busNr) throw new QemuError('BAD_PROPERTY_VALUE', `Bus ${this.busNr} is already in use`);
    }
    parent.children.push(bus); // QLIST_INSERT_HEAD: the child list is read newest first
    this.pxbBus = bus;
    if (!this.express) {
      const bds = new PciBridgeDev('pci-bridge', 0x0001, { chassisNr: this.busNr, msi: 'auto', shpc: false, reserve: NO_RES_RESERVE });
      bds.id = this.id;
      bds.secBusName = this.busName;
      bus.plug(bds, -1);
      this.internalBridge = bds;
    }
    this.setWord(R.PCI_STATUS, this.getWord(R.PCI_STATUS) | R.PCI_STATUS_66MHZ | R.PCI_STATUS_FAST_BACK);
  }

  /** pxb_dev_exitfn() after a failed realize: the extra root bus goes away */
  removePxbBus(): void {
    const parent = this.bus;
    if (!parent || !this.pxbBus) return;
    const i = parent.children.indexOf(this.pxbBus);
    if (i >= 0) parent.children.splice(i, 1);
    this.pxbBus = null;
  }
}

/** pxb_dev_properties[] */
function pxbType(name: 'pxb' | 'pxb-pcie'): QdevTypeInfo {
  return {
    name,
    ancestors: [name, 'pci-device', 'device'],
    busType: 'PCI',
    kind: 'pci',
    props: [
      ...pciProps(name),
      defineProp(name, 'bus_nr', 'uint8', 0),
      defineProp(name, 'numa_node', 'uint16', NUMA_NODE_UNASSIGNED),
      defineProp(name, 'bypass_iommu', 'bool', false),
    ],
    build: (ctx) => new PxbDevice(name, name === 'pxb-pcie', ctx.props.num('bus_nr'), ctx.props.num('numa_node'), ctx.numaNodes ?? 0),
  };
}

export const PXB_TYPE = pxbType('pxb');
export const PXB_PCIE_TYPE = pxbType('pxb-pcie');
