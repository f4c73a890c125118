import { describe, expect, it } from 'vitest';
import { readDerChildren, readDerNode } from './der.js';

describe('the DER reader', () => {
  it('reads short and long definite lengths and the children of a constructed node', () => {
    const long = new Uint8Array(200).fill(7);
    // SEQUENCE { INTEGER 5, OCTET STRING (200 bytes, length in the long form 0x81 0xc8) }
    const der = Uint8Array.from([0x30, 0x81, 0xce, 0x02, 0x01, 0x05, 0x04, 0x81, 0xc8, ...long]);
    const sequence = readDerNode(der, 0, der.length);
    expect(sequence).toEqual({ tag: 0x30, at: 0, start: 3, end: der.length });
    const [integer, octets] = readDerChildren(der, sequence);
    expect(integer).toEqual({ tag: 0x02, at: 3, start: 5, end: 6 });
    expect(der[integer!.start]).toBe(5);
    expect(octets).toEqual({ tag: 0x04, at: 6, start: 9, end: 209 });
  });

  it('refuses a node that runs past its limit or has a bad length, never reading beyond it', () => {
    expect(() => readDerNode(Uint8Array.from([0x30]), 0, 1)).toThrow('truncated DER');
    expect(() => readDerNode(Uint8Array.from([0x04, 0x03, 1, 2]), 0, 4)).toThrow('truncated DER');
    expect(() => readDerNode(Uint8Array.from([0x04, 0x80, 1]), 0, 3)).toThrow('bad DER length');
    expect(() => readDerNode(Uint8Array.from([0x04, 0x85, 1, 1, 1, 1, 1]), 0, 7)).toThrow('bad DER length');
    // A child may not run past its parent even when the buffer goes on.
    const der = Uint8Array.from([0x30, 0x02, 0x04, 0x02, 0xaa, 0xbb]);
    expect(() => readDerChildren(der, readDerNode(der, 0, 4))).toThrow('truncated DER');
  });
});
