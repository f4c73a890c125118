/** Requests the adapter tests send over a real socket with `sendRaw`, written once. */
import { type RawAnswer, sendRaw } from '@restguard/testing';

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
