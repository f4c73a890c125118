/** Requests the adapter tests send over a real socket with `sendRaw`, written once. */
import { type RawAnswer, sendRaw } from '@restguard/testing';
import { expect } from 'vitest';

/**
 * `GET url` with `x-api-key: key`.
 * @example
 * expect((await sendWithKey(`${base}/api/me`, readKey)).status).toBe(200);
 */
export function sendWithKey(url: string, key: string): Promise<RawAnswer> {
  return sendRaw(url, { headers: [['x-api-key', key]] });
}

/**
 * `POST url` with `x-api-key: key` and a JSON body.
 * @example
 * const res = await postJsonWithKey(`${base}/api/notes`, writeKey, '{"text":"x"}');
 */
export function postJsonWithKey(url: string, key: string, body: string): Promise<RawAnswer> {
  return sendRaw(url, {
    method: 'POST',
    headers: [
      ['x-api-key', key],
      ['content-type', 'application/json'],
    ],
    body,
  });
}

/**
 * `GET url` with two `Authorization: Bearer` headers (a request the guard must refuse, never merge).
 * @example
 * expect((await sendTwoBearers(`${base}/api/me`, readKey, writeKey)).status).toBe(400);
 */
export function sendTwoBearers(url: string, first: string, second: string): Promise<RawAnswer> {
  return sendRaw(url, {
    headers: [
      ['authorization', `Bearer ${first}`],
      ['authorization', `Bearer ${second}`],
    ],
  });
}

/**
 * The answer to a request with the `read` key on `/api/me` (which answers the principal): 200, an
 * API-key principal with scope `read`.
 * @example
 * expectReadKeyPrincipal(await sendWithKey(`${base}/api/me`, readKey));
 */
export function expectReadKeyPrincipal(res: RawAnswer): void {
  expect(res.status).toBe(200);
  expect(JSON.parse(res.body)).toMatchObject({ kind: 'apiKey', scopes: ['read'] });
}

/**
 * The answer to a request without a credential on a guarded route: 401, a bare RFC 6750 §3
 * challenge, RFC 9457 problem+json (exactly, no charset added).
 * @example
 * expectBareChallenge(await sendRaw(`${base}/api/notes`));
 */
export function expectBareChallenge(res: RawAnswer): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toBe('Bearer realm="restguard"');
  expect(res.headers['content-type']).toBe('application/problem+json');
}
