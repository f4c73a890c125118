import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractCredential, queryCarriesCredential, readCookie } from './credentials.js';
import { isRestguardError } from './errors.js';
import { type AuthRequest, headersFromRaw, headersFromWeb } from './request.js';

const request = (raw: string[], url = '/api/notes'): AuthRequest => ({
  method: 'GET',
  url,
  headers: headersFromRaw(raw),
  tls: true,
});
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return isRestguardError(err) ? err.code : 'foreign';
  }
  return 'none';
};

describe('extractCredential', () => {
  it('reads a bearer token with a case-insensitive scheme', () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      expect(extractCredential(request(['Authorization', `${scheme} abc.def.ghi`]))).toEqual({
        source: 'authorization',
        value: 'abc.def.ghi',
      });
    }
  });

  it('reads an API key from X-API-Key', () => {
    expect(extractCredential(request(['X-API-Key', 'rg_live_abc']))).toEqual({
      source: 'x-api-key',
      value: 'rg_live_abc',
    });
  });

  it('returns null without any credential', () => {
    expect(extractCredential(request(['Accept', 'application/json']))).toBeNull();
  });

  it('refuses two Authorization headers, which Node would silently merge', () => {
    const req = request(['Authorization', 'Bearer a', 'Authorization', 'Bearer b']);
    expect(code(() => extractCredential(req))).toBe('ERR_REQUEST_INVALID');
  });

  it('refuses an API key header together with a bearer token, and two key headers', () => {
    expect(code(() => extractCredential(request(['Authorization', 'Bearer a', 'X-API-Key', 'k'])))).toBe(
      'ERR_REQUEST_INVALID',
    );
    expect(code(() => extractCredential(request(['X-API-Key', 'a', 'x-api-key', 'b'])))).toBe(
      'ERR_REQUEST_INVALID',
    );
  });

  it('refuses two bearer values joined by a Web Headers object', () => {
    const headers = new Headers();
    headers.append('authorization', 'Bearer a');
    headers.append('authorization', 'Bearer b');
    const req: AuthRequest = { method: 'GET', url: '/', headers: headersFromWeb(headers), tls: true };
    expect(code(() => extractCredential(req))).toBe('ERR_REQUEST_INVALID');
  });

  it('refuses tokens in the query string (RFC 9700)', () => {
    expect(queryCarriesCredential('/api?access_token=x')).toBe(true);
    expect(queryCarriesCredential('/api?page=2')).toBe(false);
    expect(code(() => extractCredential(request([], '/api/notes?access_token=abc')))).toBe(
      'ERR_REQUEST_INVALID',
    );
    expect(code(() => extractCredential(request([], '/api/notes?api_key=abc')))).toBe('ERR_REQUEST_INVALID');
  });

  it('RFC 6750 §3.1: another scheme is no credential of ours (no error code)', () => {
    for (const value of ['Basic dXNlcjpwYXNz', 'Digest username="a"', 'Negotiate YII=', 'Token abc']) {
      expect(extractCredential(request(['Authorization', value]))).toBeNull();
    }
    // …so an API key beside it is the request's one credential
    expect(extractCredential(request(['Authorization', 'Basic YTpi', 'X-API-Key', 'rg_live_x']))).toEqual({
      source: 'x-api-key',
      value: 'rg_live_x',
    });
  });

  it('RFC 6750 §3.1: a malformed credential value is invalid_token, not invalid_request', () => {
    for (const value of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer ä', 'Bearer ey!.x.y', 'bearer =abc']) {
      expect(code(() => extractCredential(request(['Authorization', value])))).toBe('ERR_TOKEN_INVALID');
    }
    for (const value of ['rg_live_ä', 'a b', '']) {
      expect(code(() => extractCredential(request(['X-API-Key', value])))).toBe('ERR_API_KEY_INVALID');
    }
    // a header that is no `scheme [value]` at all is a malformed request
    expect(code(() => extractCredential(request(['Authorization', '!!'])))).toBe('ERR_REQUEST_INVALID');
  });

  it('refuses an oversized credential before anything else looks at it', () => {
    const big = 'a'.repeat(9000);
    expect(code(() => extractCredential(request(['Authorization', `Bearer ${big}`])))).toBe(
      'ERR_REQUEST_INVALID',
    );
    expect(code(() => extractCredential(request(['X-API-Key', big])))).toBe('ERR_REQUEST_INVALID');
    expect(extractCredential(request(['Authorization', `Bearer ${big}`]), 10_000)?.value).toBe(big);
  });

  it('yields a credential, null or a restguard error for any header input (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('Authorization', 'X-API-Key', 'Cookie', 'Host'),
            fc.string({ maxLength: 200 }),
          ),
          {
            maxLength: 4,
          },
        ),
        fc.string({ maxLength: 50 }),
        (pairs, query) => {
          const result = code(() => extractCredential(request(pairs.flat(), `/x?${query}`)));
          return result !== 'foreign';
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('readCookie', () => {
  it('finds a cookie among several headers and pairs', () => {
    const req = request(['Cookie', 'a=1; __Host-s=v1.x', 'Cookie', 'b=2']);
    expect(readCookie(req, '__Host-s')).toBe('v1.x');
    expect(readCookie(req, 'b')).toBe('2');
    expect(readCookie(req, 'missing')).toBeUndefined();
  });
});
