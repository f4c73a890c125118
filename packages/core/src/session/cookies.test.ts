import { describe, expect, it } from 'vitest';
import type { AuthRequest } from '../request.js';
import {
  COOKIE_CHUNK_SIZE,
  clearChunkedCookie,
  parseCookies,
  readChunkedCookie,
  writeChunkedCookie,
} from './cookies.js';
import { isSameOrigin } from './csrf.js';

const N = '__Host-s';
function request(headers: Record<string, string>, method = 'POST'): AuthRequest {
  return {
    method,
    url: '/',
    tls: true,
    headers: (name) => (headers[name] === undefined ? [] : [headers[name]!]),
  };
}

describe('chunked cookies', () => {
  it('writes one cookie with the fixed attributes when it fits', () => {
    expect(writeChunkedCookie(new Map(), N, 'v', 60)).toEqual([
      `${N}=v; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax`,
    ]);
  });

  it('splits a long value into chunks that read back whole, each under 4096 bytes', () => {
    const value = 'x'.repeat(COOKIE_CHUNK_SIZE * 2 + 10);
    const written = writeChunkedCookie(new Map(), N, value, 60);
    expect(written).toHaveLength(3);
    for (const line of written) expect(line.length).toBeLessThan(4096);
    const header = written.map((line) => line.split(';')[0]).join('; ');
    expect(readChunkedCookie(parseCookies(request({ cookie: header })), N)).toBe(value);
  });

  it('clears stale chunks when the value shrinks, and every chunk on clear', () => {
    const cookies = parseCookies(request({ cookie: `${N}.0=a; ${N}.1=b; other=1` }));
    const written = writeChunkedCookie(cookies, N, 'small', 60);
    expect(written).toEqual([
      `${N}=small; Path=/; Max-Age=60; Secure; HttpOnly; SameSite=Lax`,
      `${N}.0=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`,
      `${N}.1=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`,
    ]);
    expect(clearChunkedCookie(cookies, N)).toHaveLength(2);
    expect(clearChunkedCookie(new Map(), N)).toEqual([
      `${N}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`,
    ]);
  });
});

describe('isSameOrigin', () => {
  const origin = 'https://app.test';
  it('trusts Origin first, then Sec-Fetch-Site', () => {
    expect(isSameOrigin(request({ origin }), origin)).toBe(true);
    expect(isSameOrigin(request({ origin: 'https://app.test.evil.example' }), origin)).toBe(false);
    expect(isSameOrigin(request({ origin: 'http://app.test' }), origin)).toBe(false);
    expect(
      isSameOrigin(request({ origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' }), origin),
    ).toBe(false);
    expect(isSameOrigin(request({ 'sec-fetch-site': 'same-origin' }), origin)).toBe(true);
    expect(isSameOrigin(request({ 'sec-fetch-site': 'same-site' }), origin)).toBe(false);
    expect(isSameOrigin(request({}), origin)).toBe(false);
  });
});
