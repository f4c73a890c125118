/**
 * RFC 5280 §4.2.1.10 name constraints for the development CA. A developer trusts that CA on their
 * machine; if its private key ever leaked, an unconstrained CA could sign a certificate for any web
 * site. This one can only vouch for local names (`localhost`, the special-use `.test`, `.localhost`,
 * `.internal`, `.home.arpa`, …), loopback and private addresses, and the hosts it was created for.
 */
import { createAddressMatcher, type IpRange, ipInRange, parseCidr, parseIp } from '../tls/ip.js';

/**
 * Local DNS names (RFC 6761, RFC 6762, RFC 8375, ICANN's `.internal`) and their subdomains.
 * @example
 * LOCAL_DNS_SUFFIXES.includes('test'); // true: `notes.test` needs no extra permission
 */
export const LOCAL_DNS_SUFFIXES: readonly string[] = [
  'localhost',
  'test',
  'example',
  'invalid',
  'local',
  'internal',
  'home.arpa',
];

/**
 * Loopback, private (RFC 1918, RFC 4193) and link-local ranges.
 * @example
 * createAddressMatcher(LOCAL_IP_RANGES)('192.168.1.20'); // true
 */
export const LOCAL_IP_RANGES: readonly string[] = [
  '127.0.0.0/8',
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '169.254.0.0/16',
  '::1/128',
  'fc00::/7',
  'fe80::/10',
];

/** DER length octets (X.690 §8.1.3). */
function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

function tlv(tag: number, content: number[]): number[] {
  return [tag, ...length(content.length), ...content];
}

const isLocalAddress = createAddressMatcher(LOCAL_IP_RANGES);

function unbracket(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}

/**
 * True when `host` is a local name or a loopback, private or link-local address.
 * @example
 * isLocalHost('notes.localhost'); // true
 */
export function isLocalHost(host: string): boolean {
  if (parseIp(host)) return isLocalAddress(unbracket(host));
  const name = host.toLowerCase().replace(/^\*\./, '');
  return LOCAL_DNS_SUFFIXES.some((suffix) => name === suffix || name.endsWith(`.${suffix}`));
}

/** The permitted names of a NameConstraints value written by {@link nameConstraintsDer}. */
export interface PermittedNames {
  readonly dns: readonly string[];
  readonly ranges: readonly IpRange[];
}

/** Reads one TLV at `offset`: its tag, content start and end. */
function readTlv(der: Uint8Array, offset: number): { tag: number; start: number; end: number } {
  const tag = der[offset]!;
  let len = der[offset + 1]!;
  let start = offset + 2;
  if (len & 0x80) {
    const count = len & 0x7f;
    len = 0;
    for (let i = 0; i < count; i++) len = len * 256 + der[start + i]!;
    start += count;
  }
  if (start + len > der.length) throw new RangeError('truncated DER');
  return { tag, start, end: start + len };
}

/**
 * Parses the permitted dNSName and iPAddress subtrees of a NameConstraints extension value.
 * @example
 * const permitted = readNameConstraints(nameConstraintsDer(['api.example.com']));
 */
export function readNameConstraints(der: Uint8Array): PermittedNames {
  const dns: string[] = [];
  const ranges: IpRange[] = [];
  const outer = readTlv(der, 0);
  const permitted = readTlv(der, outer.start);
  if (outer.tag !== 0x30 || permitted.tag !== 0xa0) return { dns, ranges };
  for (let at = permitted.start; at < permitted.end; ) {
    const subtree = readTlv(der, at);
    const base = readTlv(der, subtree.start);
    const value = der.subarray(base.start, base.end);
    if (base.tag === 0x82) dns.push(new TextDecoder().decode(value).toLowerCase());
    if (base.tag === 0x87 && (value.length === 8 || value.length === 32)) {
      const half = value.length / 2;
      let prefix = 0;
      for (const byte of value.subarray(half)) prefix += byte.toString(2).replace(/0/g, '').length;
      ranges.push({ version: half === 4 ? 4 : 6, bytes: value.slice(0, half), prefix });
    }
    at = subtree.end;
  }
  return { dns, ranges };
}

/**
 * True when `host` falls within the permitted names (a DNS name also covers its subdomains).
 * @example
 * isPermitted('api.dev.example.com', readNameConstraints(nameConstraintsDer(['dev.example.com']))); // true
 */
export function isPermitted(host: string, permitted: PermittedNames): boolean {
  const ip = parseIp(host);
  if (ip) {
    return permitted.ranges.some((range) => ipInRange(ip, range));
  }
  const name = host.toLowerCase().replace(/^\*\./, '');
  return permitted.dns.some((base) => name === base || name.endsWith(`.${base}`));
}

/**
 * The DER value of a NameConstraints extension permitting the local defaults plus `hosts`
 * (a DNS name also permits its subdomains; an address permits itself only).
 * @example
 * new x509.Extension('2.5.29.30', true, nameConstraintsDer(['api.dev.example.com']));
 */
export function nameConstraintsDer(hosts: readonly string[]): Uint8Array {
  const dns = new Set(LOCAL_DNS_SUFFIXES);
  const ranges = new Set(LOCAL_IP_RANGES);
  for (const host of hosts) {
    if (isLocalHost(host)) continue;
    const ip = parseIp(host);
    if (ip) ranges.add(`${unbracket(host)}/${ip.version === 4 ? 32 : 128}`);
    else dns.add(host.toLowerCase().replace(/^\*\./, ''));
  }
  const subtrees: number[] = [];
  for (const name of dns) {
    // GeneralSubtree { base: dNSName [2] IMPLICIT IA5String }
    subtrees.push(...tlv(0x30, tlv(0x82, [...new TextEncoder().encode(name)])));
  }
  for (const text of ranges) {
    const range = parseCidr(text)!;
    const mask = range.bytes.map((_, i) => {
      const bits = Math.max(0, Math.min(8, range.prefix - i * 8));
      return (0xff << (8 - bits)) & 0xff;
    });
    // GeneralSubtree { base: iPAddress [7] IMPLICIT OCTET STRING (address ‖ mask) }
    subtrees.push(...tlv(0x30, tlv(0x87, [...range.bytes, ...mask])));
  }
  // NameConstraints { permittedSubtrees [0] IMPLICIT GeneralSubtrees }
  return new Uint8Array(tlv(0x30, tlv(0xa0, subtrees)));
}
