// A differential fuzz of the whole JWT path against jose: restguard's own JWS parser, its signature step
// and its claim checks versus `jose.jwtVerify` with the same options. Valid tokens are mutated (header
// and payload fields, JSON text, base64url encoding, segment counts) and re-signed with the real key, so
// mutations reach every check, not just the signature. restguard must accept exactly when jose accepts,
// with the same claims, unless one of its deliberate stricter rules (below, each documented in
// docs/tokens.md) refuses the token. RESTGUARD_FUZZ_RUNS sets the number of cases (long mode).
import fc from 'fast-check';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, type TokenVerifier } from '../src/token/index.js';

const RUNS = Number(process.env.RESTGUARD_FUZZ_RUNS ?? 3000);
const ISS = 'https://idp.example';
const AUD = 'https://api.example';
const NOW = 1_800_000_000;
const TOLERANCE = 5;
const DELETE = Symbol('delete');
const KEEP = Symbol('keep');

let privateKey: CryptoKey;
let restguard: TokenVerifier;
let jwks: ReturnType<typeof createLocalJWKSet>;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  privateKey = pair.privateKey as CryptoKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k', alg: 'ES256', use: 'sig' };
  jwks = createLocalJWKSet({ keys: [jwk] });
  restguard = createTokenVerifier({
    issuers: [{ issuer: ISS, audience: AUD, jwks: { keys: [jwk] } }],
    clockToleranceSeconds: TOLERANCE,
    clock: () => NOW * 1000,
    cache: false,
  });
});

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

async function sign(headerText: string, payloadText: string): Promise<string> {
  const input = `${b64(headerText)}.${b64(payloadText)}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    privateKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${Buffer.from(signature).toString('base64url')}`;
}

type Edits = Record<string, unknown>;
const apply = (base: Record<string, unknown>, edits: Edits) => {
  const out: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(edits)) {
    if (value === KEEP) continue;
    if (value === DELETE) delete out[name];
    else out[name] = value;
  }
  return out;
};
/** Most cases keep a field as it is, so that a mutation usually meets an otherwise valid token. */
const maybe = <T>(arb: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(KEEP) }, arb, fc.constant(DELETE));
const time = (base: number) =>
  fc.oneof(
    fc.integer({ min: -2 * TOLERANCE - 2, max: 2 * TOLERANCE + 2 }).map((offset) => base + offset),
    fc.constantFrom(1e308, 2 ** 53 + 1, -1, 0, NOW + 0.5, '1800000100', null, Number.MAX_SAFE_INTEGER),
  );

const headerEdits = fc.record(
  {
    alg: maybe(fc.constantFrom('ES256', 'RS256', 'none', 'HS256', 'ES384', 'es256', '', 1)),
    kid: maybe(fc.constantFrom('k', 'other', '', 1)),
    typ: maybe(fc.constantFrom('at+jwt', 'application/at+jwt', 'AT+JWT', 'JWT', 'jwt', 'dpop+jwt', 5)),
    crit: maybe(fc.constantFrom(['exp'], ['b64'], [], 'b64', ['kid'], [1])),
    b64: maybe(fc.constantFrom(false, true)),
    jku: maybe(fc.constant('https://evil.example/jwks')),
    cty: maybe(fc.constantFrom('JWT', 'json')),
  },
  { requiredKeys: [] },
);
const payloadEdits = fc.record(
  {
    iss: maybe(fc.constantFrom(ISS, `${ISS}/`, 'https://other.example', '', 1)),
    aud: maybe(fc.constantFrom(AUD, [AUD], [AUD, 'x'], ['x'], [], `${AUD}/`, 1, [1, AUD], 'x')),
    exp: maybe(time(NOW)),
    nbf: maybe(time(NOW)),
    iat: maybe(time(NOW)),
    sub: maybe(fc.constantFrom('alice', '', 1)),
    client_id: maybe(fc.constantFrom('app', '', 2)),
    jti: maybe(fc.constantFrom('j1', '', 3)),
    scope: maybe(fc.constantFrom('read write', 'read', '', ['read'], 7)),
    azp: maybe(fc.constantFrom('app', AUD)),
    nonce: maybe(fc.constant('n')),
    events: maybe(fc.constant({})),
    typ: maybe(fc.constantFrom('Bearer', 'ID', 'Refresh')),
  },
  { requiredKeys: [] },
);
/** Changes to the JSON text itself: duplicate keys, non-object JSON, whitespace. */
const jsonEdit = fc.oneof(
  { weight: 6, arbitrary: fc.constant('none') },
  fc.constantFrom(
    'duplicate-exp',
    'duplicate-iss-first',
    'array',
    'string',
    'null',
    'number',
    'spaces',
    'bom',
  ),
);
/** Changes to the compact serialisation after signing. */
const encodingEdit = fc.oneof(
  { weight: 6, arbitrary: fc.constant('none') },
  fc.constantFrom(
    'pad-header',
    'pad-payload',
    'plus-slash',
    'two-segments',
    'four-segments',
    'flip-signature',
    'empty-signature',
    'trailing-bits',
    'space',
  ),
);

function editJson(text: string, edit: string, exp: unknown): string {
  switch (edit) {
    case 'duplicate-exp':
      return `${text.slice(0, -1)},"exp":${JSON.stringify(typeof exp === 'number' ? exp + 1000 : NOW + 1000)}}`;
    case 'duplicate-iss-first':
      return `{"iss":"https://other.example",${text.slice(1)}`;
    case 'array':
      return `[${text}]`;
    case 'string':
      return JSON.stringify(text);
    case 'null':
      return 'null';
    case 'number':
      return '1e400';
    case 'spaces':
      return ` ${text.replace(/,/g, ', ')} `;
    case 'bom':
      return `\ufeff${text}`;
    default:
      return text;
  }
}

function editEncoding(token: string, edit: string): string {
  const [h, p, s] = token.split('.') as [string, string, string];
  switch (edit) {
    case 'pad-header':
      return `${h}=.${p}.${s}`;
    case 'pad-payload':
      return `${h}.${p}==.${s}`;
    case 'plus-slash':
      return token.replace(/-/g, '+').replace(/_/g, '/');
    case 'two-segments':
      return `${h}.${p}`;
    case 'four-segments':
      return `${token}.${s}`;
    case 'flip-signature':
      return `${h}.${p}.${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    case 'empty-signature':
      return `${h}.${p}.`;
    case 'trailing-bits': {
      // a non-canonical spelling of the same signature bytes (stray bits in the last character)
      const last = s.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const index = alphabet.indexOf(last);
      return `${h}.${p}.${s.slice(0, -1)}${alphabet[index ^ 1]}`;
    }
    case 'space':
      return ` ${token}`;
    default:
      return token;
  }
}

const isText = (value: unknown) => typeof value === 'string' && value.length > 0;

/**
 * restguard's deliberate stricter rules (docs/tokens.md), as a predicate on what jose accepted: the
 * reason restguard refuses, or null when it must accept too.
 */
function stricterRule(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  encoding: string,
): string | null {
  // One token, one spelling: base64url must be canonical (no stray bits in the last character).
  if (encoding === 'trailing-bits') return 'non-canonical base64url';
  // RFC 7797 unencoded payloads are refused even where jose ignores `b64` (outside `crit`).
  if (header.b64 === false) return 'b64: false';
  // `crit` may list only parameters named in `criticalHeaders` (none here), `b64` included.
  if (header.crit !== undefined) return 'crit not understood';
  // RFC 9068 §2.2: these claims are required (jose was told exp, iat, sub, client_id, jti) and
  // text claims are non-empty strings; `scope` is a string.
  for (const name of ['sub', 'client_id', 'jti', 'azp']) {
    if (payload[name] !== undefined && !isText(payload[name])) return `${name} not a non-empty string`;
  }
  if (payload.scope !== undefined && typeof payload.scope !== 'string') return 'scope not a string';
  // RFC 7519 §4.1.3: `aud` is a StringOrURI or an array of them; an array with anything else is malformed.
  if (Array.isArray(payload.aud) && !payload.aud.every((a) => typeof a === 'string')) return 'aud malformed';
  // RFC 8725 §2.8/§3.11: ID tokens, logout tokens, SETs and Keycloak's other kinds are not access tokens.
  if (payload.nonce !== undefined || payload.events !== undefined) return 'another JWT kind';
  if (typeof payload.typ === 'string' && ['id', 'refresh'].includes(payload.typ.toLowerCase()))
    return 'another JWT kind (typ claim)';
  if (isText(payload.azp)) {
    const { aud, azp } = payload;
    if (aud === azp || (Array.isArray(aud) && aud.includes(azp))) return 'aud is its own azp (ID token)';
  }
  // nbf / iat in the future (beyond the tolerance) are refused; a non-number one too.
  for (const name of ['nbf', 'iat']) {
    const value = payload[name];
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value)))
      return `${name} malformed`;
    if (typeof value === 'number' && value > NOW + TOLERANCE) return `${name} in the future`;
  }
  // exp exactly at now - tolerance is expired for restguard (exp <= now - tolerance).
  if (typeof payload.exp === 'number' && payload.exp <= NOW - TOLERANCE) return 'exp at the edge';
  // `cty` (nested JWTs) and kid-less tokens follow jose.
  return null;
}

interface Outcome {
  ok: boolean;
  claims?: unknown;
}

async function both(token: string): Promise<[Outcome, Outcome]> {
  const ours = await restguard.verify(token).then(
    (principal) => ({ ok: true, claims: principal.claims }),
    () => ({ ok: false }),
  );
  const theirs = await jwtVerify(token, jwks, {
    issuer: ISS,
    audience: AUD,
    algorithms: ['ES256'],
    typ: 'at+jwt',
    clockTolerance: TOLERANCE,
    currentDate: new Date(NOW * 1000),
    requiredClaims: ['exp', 'iat', 'sub', 'client_id', 'jti'],
  }).then(
    (result) => ({ ok: true, claims: result.payload }),
    () => ({ ok: false }),
  );
  return [ours, theirs];
}

const baseHeader = { alg: 'ES256', kid: 'k', typ: 'at+jwt' };
const basePayload = {
  iss: ISS,
  aud: AUD,
  sub: 'alice',
  client_id: 'app',
  iat: NOW - 10,
  exp: NOW + 300,
  jti: 'j1',
  scope: 'read write',
};

describe('differential: restguard accepts exactly what jose.jwtVerify accepts (or a stricter rule says why not)', () => {
  it('the untouched token is accepted by both, with the same claims', async () => {
    const [ours, theirs] = await both(await sign(JSON.stringify(baseHeader), JSON.stringify(basePayload)));
    expect(ours).toEqual({ ok: true, claims: basePayload });
    expect(theirs).toEqual(ours);
  });

  it(`mutated tokens (${RUNS} cases)`, async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(
        headerEdits,
        payloadEdits,
        jsonEdit,
        jsonEdit,
        encodingEdit,
        async (hEdits, pEdits, headerJson, payloadJson, encoding) => {
          const header = apply(baseHeader, hEdits);
          const payload = apply(basePayload, pEdits);
          const headerText = editJson(JSON.stringify(header), headerJson, undefined);
          const payloadText = editJson(JSON.stringify(payload), payloadJson, payload.exp);
          const token = editEncoding(await sign(headerText, payloadText), encoding);
          const [ours, theirs] = await both(token);
          if (ours.ok) {
            accepted++;
            // never more permissive than jose, and the same claims
            expect(theirs.ok, 'restguard accepted what jose refused').toBe(true);
            expect(ours.claims).toEqual(theirs.claims);
            // …and its stricter rules hold: none of them applies to a token it accepted
            expect(stricterRule(header, ours.claims as Record<string, unknown>, encoding)).toBeNull();
          } else if (theirs.ok) {
            // refused by restguard alone: only for a deliberate, documented stricter rule
            const claims = theirs.claims as Record<string, unknown>;
            expect(
              stricterRule(header, claims, encoding),
              'restguard refused what jose accepted, with no rule',
            ).not.toBeNull();
          }
        },
      ),
      { numRuns: RUNS },
    );
    // the generator reaches acceptance often enough for the comparison to mean something
    expect(accepted).toBeGreaterThan(RUNS / 50);
  }, 600_000);
});
