/**
 * @module
 * The USB bus as hw/usb/bus.c keeps it: the root hub's ports a host controller registers (`usb_register_port`),
 * the companion controllers an EHCI takes (`usb_register_companion`), and `usb_claim_port()` placing a device
 * on a free port, chaining a `usb-hub` on when one port is left. USB devices have no PCI function: what is
 * modelled is which command lines QEMU accepts, with its errors; the guest reaches them through the
 * controller's registers, never through config space.
 */
import { QemuError } from '../../errors.js';
import { defineProp, type QdevPropDef } from '../core/qdev-properties.js';

/** USBPort: its path ("1", "2.3") and how deep behind hubs it sits */
export interface UsbPort {
  path: string;
  hubcount: number;
}

/** hcd-ehci.h NB_PORTS: an EHCI's companion slots */
const EHCI_NB_PORTS = 6;

/** A USBBus: free ports in registration order (QTAILQ `free`), and an EHCI's companion map. */
export class UsbBus {
  readonly free: UsbPort[] = [];
  readonly used: UsbPort[] = [];
  /** ehci_register_companion(): the companion assigned to each port, once set */
  private readonly companionPorts = new Array<boolean>(EHCI_NB_PORTS).fill(false);

  constructor(
    /** the qbus name (`usb.0`, `usb-bus.0`) */
    readonly name: string,
    /** the bus ops have register_companion (an EHCI with companion_enable) */
    readonly takesCompanions: boolean,
  ) {}

  /** usb_register_port() for a root hub port: path "index + 1" */
  registerRootPorts(count: number): void {
    for (let i = 0; i < count; i++) this.free.push({ path: String(i + 1), hubcount: 0 });
  }

  /** usb_register_companion() → ehci_register_companion() */
  registerCompanion(portcount: number, firstport: number): void {
    if (!this.takesCompanions) {
      throw new QemuError('BAD_PROPERTY_VALUE', `Can't use USB bus '${this.name}' as masterbus, it doesn't support companion controllers`);
    }
    if (firstport + portcount > EHCI_NB_PORTS) {
      throw new QemuError('BAD_PROPERTY_VALUE', `firstport must be between 0 and ${EHCI_NB_PORTS - portcount}`);
    }
    for (let i = 0; i < portcount; i++) {
      if (this.companionPorts[firstport + i]) {
        throw new QemuError(
          'BAD_PROPERTY_VALUE',
          `firstport ${firstport} asks for ports ${firstport}-${firstport + portcount - 1}, but port ${firstport + i} has a companion assigned already`,
        );
      }
    }
    for (let i = 0; i < portcount; i++) this.companionPorts[firstport + i] = true;
  }

  /**
   * usb_claim_port(): the port named by `port=`, else the first free one; with one port left, a `usb-hub`
   * (8 ports) is chained on first, unless the device is a hub itself.
   */
  claimPort(typeName: string, productDesc: string, portPath: string | undefined): UsbPort {
    let port: UsbPort | undefined;
    if (portPath !== undefined) {
      const i = this.free.findIndex((p) => p.path === portPath);
      if (i < 0) throw new QemuError('BAD_PROPERTY_VALUE', `usb port ${portPath} (bus ${this.name}) not found (in use?)`);
      port = this.free.splice(i, 1)[0]!;
    } else {
      if (this.free.length === 1 && typeName !== 'usb-hub') {
        // usb_try_new("usb-hub") + usb_realize_and_unref(): on the last port, its 8 ports join the bus
        const up = this.free.shift()!;
        this.used.push(up);
        this.registerHubPorts(up, USB_HUB_DEFAULT_PORTS);
      }
      if (this.free.length === 0) {
        throw new QemuError('BAD_PROPERTY_VALUE', `tried to attach usb device ${productDesc} to a bus with no free ports`);
      }
      port = this.free.shift()!;
    }
    this.used.push(port);
    return port;
  }

  /** usb_hub_realize(): the hub's downstream ports, on the same bus (usb_port_location "up.N") */
  registerHubPorts(upstream: UsbPort, count: number): void {
    if (upstream.hubcount === 5) throw new QemuError('BAD_PROPERTY_VALUE', 'usb hub chain too deep');
    for (let i = 0; i < count; i++) this.free.push({ path: `${upstream.path}.${i + 1}`, hubcount: upstream.hubcount + 1 });
  }
}

/** usb_hub_properties[] "ports" default */
export const USB_HUB_DEFAULT_PORTS = 8;

/** usb_props[]: every USB device's */
export function usbDeviceProps(owner: string): QdevPropDef[] {
  return [
    defineProp(owner, 'port', 'string'),
    defineProp(owner, 'serial', 'string'),
    defineProp(owner, 'msos-desc', 'bool', true),
    defineProp(owner, 'pcap', 'string'),
  ];
}
