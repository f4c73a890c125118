/**
 * Cookies of the browser session (RFC 6265 §4.1; `__Host-` prefix per RFC 6265bis §4.1.3.2):
 * always `Secure; HttpOnly; SameSite=Lax; Path=/`, no `Domain`. A sealed value longer than one cookie
 * can hold is split into numbered chunks (`name.0`, `name.1`, …); stale chunks are cleared.
 */
import type { AuthRequest } from '../request.js';

/** Longest value put in one cookie: with name and attributes it stays under the 4096-byte limit. */
export const COOKIE_CHUNK_SIZE = 3800;
/** At most this many chunks are read or written (≈ 30 KB); more is refused. */
const MAX_CHUNKS = 8;

/**
 * Every cookie of the request, by name (the first value wins, as browsers send the most specific first).
 * @example
 * parseCookies(request).get('__Host-restguard-session');
 */
export function parseCookies(request: AuthRequest): Map<string, string> {
  const out = new Map<string, string>();
  for (const header of request.headers('cookie')) {
    for (const part of header.split(';')) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim();
      if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
    }
  }
  return out;
}

/**
 * A `Set-Cookie` value with restguard's fixed attributes. `maxAge` 0 deletes the cookie.
 * @example
 * serializeCookie('__Host-restguard-session', 'v', 1800);
 * // '__Host-restguard-session=v; Path=/; Max-Age=1800; Secure; HttpOnly; SameSite=Lax'
 */
export function serializeCookie(name: string, value: string, maxAge: number): string {
  return `${name}=${value}; Path=/; Max-Age=${Math.max(0, Math.floor(maxAge))}; Secure; HttpOnly; SameSite=Lax`;
}

/** The names a chunked cookie may occupy: `name` and `name.0` … `name.7`. */
function chunkNames(name: string): string[] {
  return [name, ...Array.from({ length: MAX_CHUNKS }, (_, i) => `${name}.${i}`)];
}

/**
 * Reads a possibly chunked cookie: `name`, else `name.0` + `name.1` + … in order. Undefined if absent.
 * @example
 * const sealed = readChunkedCookie(parseCookies(request), '__Host-restguard-session');
 */
export function readChunkedCookie(cookies: Map<string, string>, name: string): string | undefined {
  const whole = cookies.get(name);
  if (whole !== undefined) return whole;
  let out = '';
  for (let i = 0; i < MAX_CHUNKS; i++) {
    const chunk = cookies.get(`${name}.${i}`);
    if (chunk === undefined) break;
    out += chunk;
  }
  return out === '' ? undefined : out;
}

/**
 * The `Set-Cookie` values that store `value` under `name` (one cookie, or chunks when it is too
 * long) and delete any other chunk the request carried. Throws when the value exceeds 8 chunks.
 * @example
 * const setCookies = writeChunkedCookie(parseCookies(request), name, sealed, 1800);
 */
export function writeChunkedCookie(
  cookies: Map<string, string>,
  name: string,
  value: string,
  maxAge: number,
): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < value.length; i += COOKIE_CHUNK_SIZE)
    pieces.push(value.slice(i, i + COOKIE_CHUNK_SIZE));
  if (pieces.length > MAX_CHUNKS) throw new RangeError('session too large for cookies');
  const written = pieces.length === 1 ? [name] : pieces.map((_, i) => `${name}.${i}`);
  const out = written.map((cookie, i) => serializeCookie(cookie, pieces[i]!, maxAge));
  for (const stale of chunkNames(name)) {
    if (cookies.has(stale) && !written.includes(stale)) out.push(serializeCookie(stale, '', 0));
  }
  return out;
}

/**
 * `Set-Cookie` values that delete `name` and every chunk of it the request carried (at least `name`).
 * @example
 * const setCookies = clearChunkedCookie(parseCookies(request), '__Host-restguard-session');
 */
export function clearChunkedCookie(cookies: Map<string, string>, name: string): string[] {
  const present = chunkNames(name).filter((cookie) => cookies.has(cookie));
  return (present.length > 0 ? present : [name]).map((cookie) => serializeCookie(cookie, '', 0));
}
