/**
 * Reads the ALPN protocol names (RFC 7301 §3.1) a client offers in its TLS ClientHello
 * (RFC 8446 §4.1.2, RFC 5246 §7.4.1.2), without consuming the bytes: TLS-ALPN-01 (RFC 8737 §3)
 * needs the challenge certificate chosen before the handshake, and Node's `SNICallback` does not
 * see ALPN.
 */

/** What {@link readClientHelloAlpn} found. */
export type ClientHelloAlpn =
  /** More bytes are needed to read the whole ClientHello. */
  | { readonly state: 'incomplete' }
  /** Not a TLS ClientHello (or malformed): let the TLS server deal with it. */
  | { readonly state: 'not-tls' }
  /** The offered protocol names (empty when the client sent no ALPN extension). */
  | { readonly state: 'done'; readonly protocols: readonly string[] };

const HANDSHAKE = 0x16;
const CLIENT_HELLO = 0x01;
const ALPN_EXTENSION = 0x0010;

/**
 * Reads the ALPN names offered by the ClientHello at the start of `data` (the first TLS record).
 * @example
 * const found = readClientHelloAlpn(firstBytes);
 * if (found.state === 'done' && found.protocols.includes('acme-tls/1')) answerChallenge();
 */
export function readClientHelloAlpn(data: Uint8Array): ClientHelloAlpn {
  if (data.length < 1) return { state: 'incomplete' };
  if (data[0] !== HANDSHAKE) return { state: 'not-tls' };
  if (data.length < 5) return { state: 'incomplete' };
  const recordLength = (data[3]! << 8) | data[4]!;
  if (data.length < 5 + recordLength) return { state: 'incomplete' };
  const body = data.subarray(5, 5 + recordLength);
  // One record holds the ClientHello in every client we know; a fragmented one is treated as no ALPN.
  if (body[0] !== CLIENT_HELLO || body.length < 4) return { state: 'not-tls' };
  const helloLength = (body[1]! << 16) | (body[2]! << 8) | body[3]!;
  if (helloLength + 4 > body.length) return { state: 'done', protocols: [] };
  const hello = body.subarray(4, 4 + helloLength);
  let at = 2 + 32; // legacy_version, random
  const skip = (lengthBytes: number): boolean => {
    if (at + lengthBytes > hello.length) return false;
    let n = 0;
    for (let i = 0; i < lengthBytes; i++) n = (n << 8) | hello[at + i]!;
    at += lengthBytes + n;
    return at <= hello.length;
  };
  // session id, cipher suites, compression methods
  if (!skip(1) || !skip(2) || !skip(1)) return { state: 'not-tls' };
  if (at + 2 > hello.length) return { state: 'done', protocols: [] };
  const end = Math.min(hello.length, at + 2 + ((hello[at]! << 8) | hello[at + 1]!));
  at += 2;
  while (at + 4 <= end) {
    const type = (hello[at]! << 8) | hello[at + 1]!;
    const length = (hello[at + 2]! << 8) | hello[at + 3]!;
    const start = at + 4;
    if (start + length > end) return { state: 'not-tls' };
    if (type === ALPN_EXTENSION)
      return { state: 'done', protocols: alpnNames(hello.subarray(start, start + length)) };
    at = start + length;
  }
  return { state: 'done', protocols: [] };
}

function alpnNames(extension: Uint8Array): string[] {
  const names: string[] = [];
  if (extension.length < 2) return names;
  const end = Math.min(extension.length, 2 + ((extension[0]! << 8) | extension[1]!));
  let at = 2;
  while (at < end) {
    const length = extension[at]!;
    if (at + 1 + length > end) break;
    names.push(new TextDecoder().decode(extension.subarray(at + 1, at + 1 + length)));
    at += 1 + length;
  }
  return names;
}
