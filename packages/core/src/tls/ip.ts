/**
 * IP addresses and CIDR ranges (IPv4 RFC 791 dotted quads, IPv6 RFC 4291 §2.2 text forms,
 * RFC 4632 / RFC 4291 §2.3 prefixes), parsed without Node APIs so core stays Web-API-only.
 * IPv4-mapped IPv6 addresses (`::ffff:10.0.0.1`, RFC 4291 §2.5.5.2) compare as their IPv4 form,
 * because a dual-stack Node socket reports IPv4 peers that way.
 */
import { ConfigInvalidError } from '../errors.js';

/** A parsed address: 4 bytes (IPv4) or 16 bytes (IPv6). */
export interface IpAddress {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    // No leading zeros: `010` is octal to some parsers and decimal to others.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): number[] | null => {
    if (half === '') return [];
    const out: number[] = [];
    const pieces = half.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) out.push(Number.parseInt(piece, 16));
      else return null;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return null;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const all = [...head, ...new Array<number>(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  });
  return bytes;
}

const MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

function isMapped(bytes: Uint8Array): boolean {
  return MAPPED_PREFIX.every((byte, i) => bytes[i] === byte);
}

/**
 * Parses an IPv4 or IPv6 address (brackets and an IPv6 zone id are dropped), or returns null.
 * IPv4-mapped IPv6 addresses come back as IPv4.
 * @example
 * parseIp('::ffff:10.0.0.1'); // { version: 4, bytes: Uint8Array [10, 0, 0, 1] }
 */
export function parseIp(text: string): IpAddress | null {
  let value = text.trim();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  const zone = value.indexOf('%');
  if (zone >= 0 && value.includes(':')) value = value.slice(0, zone);
  if (!value.includes(':')) {
    const v4 = parseIpv4(value);
    return v4 ? { version: 4, bytes: v4 } : null;
  }
  const v6 = parseIpv6(value);
  if (!v6) return null;
  return isMapped(v6) ? { version: 4, bytes: v6.slice(12) } : { version: 6, bytes: v6 };
}

/** An address range: the network's bytes and the prefix length in bits. */
export interface IpRange {
  readonly version: 4 | 6;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

/**
 * Parses `ADDRESS` or `ADDRESS/PREFIX` into a range (host bits are masked off), or returns null.
 * @example
 * parseCidr('10.0.0.0/8'); // { version: 4, bytes: [10, 0, 0, 0], prefix: 8 }
 */
export function parseCidr(text: string): IpRange | null {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  const trimmed = addressText.trim();
  const wasMapped = trimmed.includes(':');
  const address = parseIp(trimmed);
  if (!address) return null;
  const width = address.version === 4 ? 32 : 128;
  let prefix = width;
  if (prefixText !== undefined) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText.trim())) return null;
    prefix = Number(prefixText.trim());
    // `::ffff:10.0.0.0/104` is the IPv4 range 10.0.0.0/8.
    if (address.version === 4 && wasMapped) {
      if (prefix < 96) return null;
      prefix -= 96;
    }
    if (prefix > width) return null;
  }
  const bytes = address.bytes.slice();
  for (let bit = prefix; bit < width; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { version: address.version, bytes, prefix };
}

/**
 * True when the address lies within the range (same IP version, same leading `prefix` bits).
 * @example
 * ipInRange(parseIp('10.1.2.3')!, parseCidr('10.0.0.0/8')!); // true
 */
export function ipInRange(address: IpAddress, range: IpRange): boolean {
  if (address.version !== range.version) return false;
  for (let bit = 0; bit < range.prefix; bit += 8) {
    const bits = Math.min(8, range.prefix - bit);
    const mask = (0xff << (8 - bits)) & 0xff;
    if ((address.bytes[bit >> 3]! & mask) !== range.bytes[bit >> 3]) return false;
  }
  return true;
}

/**
 * Builds a matcher for a list of addresses and CIDR ranges. Throws {@link ConfigInvalidError} at
 * start-up for an entry that does not parse. An unparsable peer address never matches.
 * @example
 * const isTrusted = createAddressMatcher(['10.0.0.0/8', '::1']);
 * isTrusted('::ffff:10.1.2.3'); // true
 */
export function createAddressMatcher(entries: readonly string[]): (address: string | undefined) => boolean {
  const ranges = entries.map((entry) => {
    const range = typeof entry === 'string' ? parseCidr(entry) : null;
    if (!range)
      throw new ConfigInvalidError(
        `tls.trustedProxies: "${String(entry)}" is not an IP address or CIDR range.`,
      );
    return range;
  });
  return (text) => {
    if (ranges.length === 0 || text === undefined) return false;
    const address = parseIp(text);
    return address !== null && ranges.some((range) => ipInRange(address, range));
  };
}

/**
 * The canonical text of an address (IPv4 dotted quad; IPv6 as eight lower-case hex groups), for
 * comparing addresses written differently.
 * @example
 * canonicalIp('0:0::1'); // '0:0:0:0:0:0:0:1'
 */
export function canonicalIp(address: IpAddress): string {
  if (address.version === 4) return Array.from(address.bytes).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2)
    groups.push(((address.bytes[i]! << 8) | address.bytes[i + 1]!).toString(16));
  return groups.join(':');
}
