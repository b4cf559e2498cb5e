/**
 * @module
 * The HDA codecs (hw/audio/hda-codec.c) `hda-output`, `hda-duplex`, `hda-micro`, on an HD Audio controller's
 * codec bus. No PCI function: their properties, and hda_codec_dev_realize()'s codec address (`cad`), taken
 * in turn on each bus, up to 14.
 */
import { QemuError } from '../../errors.js';
import { defineProp } from '../core/qdev-properties.js';
import type { QdevTypeInfo } from '../core/qdev.js';

/** hda_codec_dev_realize(): the next free codec address on the bus, or `cad=` */
export function hdaCodecAddress(cad: number, nextCad: number): number {
  const c = cad === 0xffffffff ? nextCad : cad;
  if (c >= 15) throw new QemuError('BAD_PROPERTY_VALUE', 'HDA audio codec address is full');
  return c;
}

function codecType(name: string): QdevTypeInfo {
  return {
    name,
    ancestors: [name, 'hda-audio', 'hda-codec', 'device'],
    busType: 'HDA',
    kind: 'hda-codec',
    props: [
      // hda_props[] (the bus's), then hda_audio_properties[]
      defineProp(name, 'cad', 'uint32', 0xffffffff),
      defineProp(name, 'audiodev', 'audiodev'),
      defineProp(name, 'debug', 'uint32', 0),
      defineProp(name, 'mixer', 'bool', true),
      defineProp(name, 'use-timer', 'bool', true),
    ],
  };
}

export const HDA_CODEC_TYPES: readonly QdevTypeInfo[] = ['hda-output', 'hda-duplex', 'hda-micro'].map(codecType);
