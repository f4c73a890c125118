// Property tests (fast-check): any input to parsing and verification yields a principal or a
// restguard error, never another exception.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRestguardError } from '../errors.js';
import { createTokenVerifier } from './index.js';
import { decodeCanonical, decodeCanonicalPortable, parseJws } from './jws.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const key = {
  kty: 'EC',
  crv: 'P-256',
  kid: 'k',
  x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU',
  y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0',
};
const verifier = createTokenVerifier({
  issuers: [{ issuer: 'https://idp.example', audience: 'https://api.example', jwks: { keys: [key] } }],
  cache: false,
});

async function outcome(token: string): Promise<'principal' | 'restguard'> {
  try {
    await verifier.verify(token);
    return 'principal';
  } catch (err) {
    if (isRestguardError(err)) return 'restguard';
    throw err;
  }
}

const headerArb = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'none', 'HS256', 'EdDSA', ''), fc.jsonValue()),
      kid: fc.oneof(fc.constant('k'), fc.jsonValue()),
      typ: fc.oneof(fc.constantFrom('at+jwt', 'JWT', 'application/at+jwt'), fc.jsonValue()),
      crit: fc.oneof(fc.constant(['exp']), fc.jsonValue()),
      jku: fc.webUrl(),
      b64: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);
const payloadArb = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      iss: fc.oneof(fc.constant('https://idp.example'), fc.jsonValue()),
      aud: fc.oneof(fc.constant('https://api.example'), fc.jsonValue()),
      exp: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
      nbf: fc.oneof(fc.integer(), fc.jsonValue()),
      iat: fc.oneof(fc.integer(), fc.jsonValue()),
      sub: fc.jsonValue(),
      scope: fc.jsonValue(),
      scp: fc.jsonValue(),
    },
    { requiredKeys: [] },
  ),
);

describe('token parsing never throws a foreign exception', () => {
  it('arbitrary strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), async (token) => {
        expect(await outcome(token)).toBe('restguard');
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary dotted base64url parts', async () => {
    const part = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_=+/.'.split('')), maxLength: 60 });
    await fc.assert(
      fc.asyncProperty(fc.array(part, { minLength: 1, maxLength: 6 }), async (parts) => {
        expect(await outcome(parts.join('.'))).toBe('restguard');
      }),
      { numRuns: 500 },
    );
  });

  it('arbitrary headers and payloads with arbitrary signatures', async () => {
    await fc.assert(
      fc.asyncProperty(
        headerArb,
        payloadArb,
        fc.uint8Array({ maxLength: 140 }),
        async (header, payload, sig) => {
          const token = `${b64(header)}.${b64(payload)}.${Buffer.from(sig).toString('base64url')}`;
          expect(await outcome(token)).toBe('restguard'); // no valid signature can be guessed
          try {
            parseJws(token, []);
          } catch (err) {
            expect(isRestguardError(err)).toBe(true);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe.each([
  ['native', decodeCanonical],
  ['portable', decodeCanonicalPortable],
])('base64url decoding (RFC 4648 §5, canonical only), %s', (_name, decodeCanonical) => {
  it('decodes exactly what Buffer encodes, for every length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64url');
        expect(Buffer.from(decodeCanonical(text)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a string that is not the canonical encoding of its bytes', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        let canonical = false;
        try {
          canonical =
            /^[A-Za-z0-9_-]*$/.test(text) &&
            Buffer.from(Buffer.from(text, 'base64url').toString('base64url')).toString() === text;
        } catch {
          canonical = false;
        }
        let decoded = true;
        try {
          decodeCanonical(text);
        } catch (err) {
          expect(isRestguardError(err)).toBe(true);
          decoded = false;
        }
        expect(decoded).toBe(canonical);
      }),
      { numRuns: 5000 },
    );
    for (const stray of ['QR', 'QUJ', 'A', 'AAAAA', 'QQ=', 'QQ==', 'Q+', 'Q/', 'é']) {
      expect(() => decodeCanonical(stray)).toThrow();
    }
  });
});
