/**
 * Reads the names of a DER X.509 certificate (RFC 5280 §4.1): the subject, as an RFC 4514 string,
 * and the subject alternative names (§4.2.1.6). A small DER walker on Web APIs only, so the main
 * entry needs no X.509 library; anything it cannot read is refused, never guessed.
 */

/**
 * One DER TLV (X.690 §8.1): its tag, where it starts and where its value bytes are.
 * @example
 * const certificate: DerNode = readDerNode(der, 0, der.length); // certificate.tag === 0x30
 */
export interface DerNode {
  /** The identifier octet (e.g. `0x30` SEQUENCE, `0x02` INTEGER, `0xa3` `[3]`). */
  readonly tag: number;
  /** Where the tag byte is. */
  readonly at: number;
  /** The value bytes are `der[start, end)`. */
  readonly start: number;
  readonly end: number;
}

/**
 * Reads the DER TLV at `at` that must end by `limit` (definite lengths of up to 4 bytes, X.690 §8.1.3).
 * Throws on a truncated node or a bad length, never reads past `limit`. Exported (on the main entry:
 * Web APIs only, like {@link readCertificateNames}) so that one DER reader serves the project
 * (`@restguard/acme` reads the ARI certificate identifier with it).
 * @example
 * const certificate = readDerNode(der, 0, der.length);
 * const [tbs] = readDerChildren(der, certificate);
 */
export function readDerNode(der: Uint8Array, at: number, limit: number): DerNode {
  if (at + 2 > limit) throw new Error('truncated DER');
  const tag = der[at]!;
  let length = der[at + 1]!;
  let start = at + 2;
  if (length & 0x80) {
    const bytes = length & 0x7f;
    if (bytes === 0 || bytes > 4 || start + bytes > limit) throw new Error('bad DER length');
    length = 0;
    for (let i = 0; i < bytes; i++) length = length * 256 + der[start + i]!;
    start += bytes;
  }
  if (start + length > limit) throw new Error('truncated DER');
  return { tag, at, start, end: start + length };
}

/**
 * The nodes inside a constructed node (a SEQUENCE, a SET, an explicit tag), in order.
 * @example
 * const fields = readDerChildren(der, tbs); // version, serial, signature, issuer, validity, subject, …
 */
export function readDerChildren(der: Uint8Array, parent: DerNode): DerNode[] {
  const found: DerNode[] = [];
  for (let at = parent.start; at < parent.end; ) {
    const node = readDerNode(der, at, parent.end);
    found.push(node);
    at = node.end;
  }
  return found;
}

function oid(der: Uint8Array, node: DerNode): string {
  const bytes = der.subarray(node.start, node.end);
  if (bytes.length === 0) throw new Error('empty OID');
  const parts: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const first = parts.shift()!;
  const head = first < 80 ? [Math.floor(first / 40), first % 40] : [2, first - 80];
  return [...head, ...parts].join('.');
}

const NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'SERIALNUMBER',
  '1.2.840.113549.1.9.1': 'EMAILADDRESS',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
};
/** UTF8String, PrintableString, IA5String, (Teletex read as Latin-1), BMPString. */
function stringValue(der: Uint8Array, node: DerNode): string | undefined {
  const bytes = der.subarray(node.start, node.end);
  switch (node.tag) {
    case 0x0c:
    case 0x13:
    case 0x16:
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    case 0x14:
      return String.fromCharCode(...bytes);
    case 0x1e: {
      let out = '';
      for (let i = 0; i + 1 < bytes.length; i += 2)
        out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
      return out;
    }
    default:
      return undefined;
  }
}

/** RFC 4514 §2.4 escaping. */
function escapeValue(value: string): string {
  return value
    .replace(/[\\",+;<>=]/g, (c) => `\\${c}`)
    .replace(/^[ #]/, (c) => `\\${c}`)
    .replace(/ $/, '\\ ');
}
const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

function rfc4514(der: Uint8Array, name: DerNode): string {
  const rdns = readDerChildren(der, name).map((rdn) =>
    readDerChildren(der, rdn)
      .map((atv) => {
        const [type, value] = readDerChildren(der, atv);
        if (!type || !value) throw new Error('bad attribute');
        const id = oid(der, type);
        const text = stringValue(der, value);
        const label = NAMES[id] ?? id;
        return text === undefined || !NAMES[id]
          ? `${label}=#${hex(der.subarray(value.at, value.end))}`
          : `${label}=${escapeValue(text)}`;
      })
      .join('+'),
  );
  return rdns.reverse().join(',');
}

function ipText(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(':');
}

/** The names a client certificate carries. */
export interface CertificateNames {
  /** The subject as an RFC 4514 string, most significant RDN last (e.g. `CN=machine-1,O=Example`). */
  readonly subject: string;
  /** Subject alternative names, typed: `dns:`, `email:`, `uri:` or `ip:` followed by the value. */
  readonly subjectAltNames: readonly string[];
}

const SAN = '2.5.29.17';

/**
 * Reads the subject and subject alternative names of a DER certificate. Throws on malformed DER.
 * @example
 * readCertificateNames(der); // { subject: 'CN=machine-1', subjectAltNames: ['dns:machine-1.example.com'] }
 */
export function readCertificateNames(der: Uint8Array): CertificateNames {
  const certificate = readDerNode(der, 0, der.length);
  const [tbs] = readDerChildren(der, certificate);
  if (!tbs || certificate.tag !== 0x30 || tbs.tag !== 0x30) throw new Error('not a certificate');
  const fields = readDerChildren(der, tbs);
  const offset = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const subject = fields[offset + 4];
  if (subject?.tag !== 0x30) throw new Error('no subject');
  const subjectAltNames: string[] = [];
  const extensions = fields.find((field) => field.tag === 0xa3);
  if (extensions) {
    const [list] = readDerChildren(der, extensions);
    for (const extension of list ? readDerChildren(der, list) : []) {
      const parts = readDerChildren(der, extension);
      if (!parts[0] || oid(der, parts[0]) !== SAN) continue;
      const octets = parts[parts.length - 1]!;
      const names = readDerNode(der, octets.start, octets.end);
      for (const name of readDerChildren(der, names)) {
        const bytes = der.subarray(name.start, name.end);
        const text = () => new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        if (name.tag === 0x81) subjectAltNames.push(`email:${text()}`);
        else if (name.tag === 0x82) subjectAltNames.push(`dns:${text().toLowerCase()}`);
        else if (name.tag === 0x86) subjectAltNames.push(`uri:${text()}`);
        else if (name.tag === 0x87) subjectAltNames.push(`ip:${ipText(bytes)}`);
      }
    }
  }
  return { subject: rfc4514(der, subject), subjectAltNames };
}
