import { X509Certificate } from 'node:crypto';
import { generate } from 'selfsigned';
import { beforeAll, describe, expect, it } from 'vitest';
import { TokenInvalidError, toChallenge } from '../errors.js';
import { type AuthRequest, headersFromRaw } from '../request.js';
import { certificateThumbprint, checkCertificateBinding } from './binding.js';
import { createTlsPolicy } from './policy.js';

let certPem: string;
let der: Uint8Array;
let otherDer: Uint8Array;

async function makeCertificate(cn: string): Promise<string> {
  const pems = await generate([{ name: 'commonName', value: cn }], { keyType: 'ec', algorithm: 'sha256' });
  return pems.cert;
}

/** The thumbprint computed independently, from OpenSSL's SHA-256 fingerprint (hex with colons). */
function opensslThumbprint(pem: string): string {
  const hex = new X509Certificate(pem).fingerprint256.replaceAll(':', '');
  return Buffer.from(hex, 'hex').toString('base64url');
}

beforeAll(async () => {
  certPem = await makeCertificate('client-a');
  der = new Uint8Array(new X509Certificate(certPem).raw);
  otherDer = new Uint8Array(new X509Certificate(await makeCertificate('client-b')).raw);
});

describe('certificateThumbprint (RFC 8705 §3.1)', () => {
  it('is the base64url SHA-256 of the DER certificate, without padding', async () => {
    const thumbprint = await certificateThumbprint(der);
    expect(thumbprint).toBe(opensslThumbprint(certPem));
    expect(thumbprint).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('checkCertificateBinding', () => {
  it('passes tokens without cnf, and a bound token over the matching certificate', async () => {
    await expect(checkCertificateBinding({ sub: 'a' }, undefined)).resolves.toBeUndefined();
    const cnf = { 'x5t#S256': await certificateThumbprint(der) };
    await expect(checkCertificateBinding({ cnf }, der)).resolves.toBeUndefined();
  });

  it('refuses a bound token without a client certificate, or with another one: 401 invalid_token', async () => {
    const cnf = { 'x5t#S256': await certificateThumbprint(der) };
    for (const certificate of [undefined, new Uint8Array(), otherDer]) {
      const err = await checkCertificateBinding({ cnf }, certificate).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenInvalidError);
      const answer = toChallenge(err);
      expect(answer.status).toBe(401);
      expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    }
  });

  it.each([
    ['a DPoP key binding (RFC 9449 §7.2)', { jkt: '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I' }],
    ['a raw key binding', { jwk: { kty: 'EC' } }],
    ['an empty cnf', {}],
    ['a non-object cnf', 'x5t'],
    ['a null cnf', null],
    ['a non-string thumbprint', { 'x5t#S256': 42 }],
  ])('fails closed on %s', async (_name, cnf) => {
    await expect(checkCertificateBinding({ cnf }, der)).rejects.toBeInstanceOf(TokenInvalidError);
  });

  it('fails closed when a second confirmation method sits next to a matching thumbprint', async () => {
    const cnf = { 'x5t#S256': await certificateThumbprint(der), jkt: 'abc' };
    await expect(checkCertificateBinding({ cnf }, der)).rejects.toBeInstanceOf(TokenInvalidError);
  });
});

describe('clientCertificate() from the socket or a trusted proxy', () => {
  const base = (init: {
    remoteAddress: string;
    headers?: string[];
    clientCertificate?: Uint8Array;
  }): AuthRequest => ({
    method: 'GET',
    url: '/',
    tls: true,
    remoteAddress: init.remoteAddress,
    headers: headersFromRaw(init.headers ?? []),
    ...(init.clientCertificate ? { clientCertificate: init.clientCertificate } : {}),
  });
  const escaped = () => encodeURIComponent(certPem);
  const sfBinary = () => `:${Buffer.from(der).toString('base64')}:`;

  it('uses the socket certificate and ignores headers unless configured and from a trusted proxy', () => {
    const noHeader = createTlsPolicy({ trustedProxies: ['10.0.0.1'] });
    const withHeader = createTlsPolicy({
      trustedProxies: ['10.0.0.1'],
      clientCertificateHeader: 'x-client-cert',
    });
    const spoof = ['X-Client-Cert', escaped()];
    expect(noHeader.clientCertificate(base({ remoteAddress: '10.0.0.1', headers: spoof }))).toBeUndefined();
    expect(withHeader.clientCertificate(base({ remoteAddress: '10.0.0.2', headers: spoof }))).toBeUndefined();
    const socket = base({ remoteAddress: '10.0.0.2', headers: spoof, clientCertificate: otherDer });
    expect(withHeader.clientCertificate(socket)).toBe(otherDer);
  });

  it('decodes URL-encoded PEM, RFC 9440 Client-Cert and Envoy XFCC from a trusted proxy', () => {
    const cases: Array<[string, string]> = [
      ['x-client-cert', escaped()],
      ['client-cert', sfBinary()],
      ['x-forwarded-client-cert', `By=spiffe://a;Hash=00, By=spiffe://b;Cert="${escaped()}";Subject="CN=x"`],
      ['x-ssl-client-der', Buffer.from(der).toString('base64')],
    ];
    for (const [header, value] of cases) {
      const policy = createTlsPolicy({ trustedProxies: ['::1'], clientCertificateHeader: header });
      const got = policy.clientCertificate(base({ remoteAddress: '::1', headers: [header, value] }));
      expect(got && Buffer.from(got).equals(Buffer.from(der))).toBe(true);
    }
  });

  it('gives nothing for an ambiguous or malformed header, even from a trusted proxy', () => {
    const policy = createTlsPolicy({ trustedProxies: ['::1'], clientCertificateHeader: 'x-client-cert' });
    const get = (headers: string[]) =>
      policy.clientCertificate(base({ remoteAddress: '::1', headers, clientCertificate: der }));
    expect(get(['X-Client-Cert', escaped(), 'X-Client-Cert', escaped()])).toBeUndefined();
    expect(get(['X-Client-Cert', 'not a certificate'])).toBeUndefined();
    expect(get(['X-Client-Cert', '%E0%A4%A'])).toBeUndefined();
    // The proxy forwarded nothing: the proxy's own socket certificate is not the client's.
    expect(get([])).toBeUndefined();
  });
});
