/**
 * Fetching JSON documents (discovery metadata, JWK Sets) with a hard timeout, a size cap and no
 * redirects. Web APIs only (fetch, AbortSignal, TextDecoder).
 */
import { fault, fetchFault } from '../fault.js';
import type { FetchLike } from './options.js';

/** How to fetch. */
export interface FetchJsonOptions {
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

const tooLarge = (url: string, maxBytes: number) =>
  fault('too_large', url, { message: `${url} answered more than ${maxBytes} bytes.` });

/**
 * Reads a response body as text, refusing (a `too_large` fault, the stream cancelled) as soon as
 * the declared `content-length` or the bytes read pass `maxBytes` — never buffering more than that.
 * Shared by every fetch to the identity provider (discovery, JWKS, introspection).
 * @example
 * const text = await readCapped(await fetch(url), 512 * 1024, url);
 */
export async function readCapped(res: Response, maxBytes: number, url: string): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > maxBytes) throw tooLarge(url, maxBytes);
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(url, maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * GETs `url` and parses a JSON object; throws (any error) on a non-200 answer, a redirect, a body
 * that is not a JSON object, a body over `maxBytes`, or after `timeoutMs` — even with a custom
 * `fetch` that ignores the abort signal.
 * @example
 * const metadata = await fetchJson('https://idp.example/.well-known/openid-configuration', options);
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<Record<string, unknown>> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(fault('timeout', url, { message: `${url} did not answer within ${options.timeoutMs} ms.` }));
    }, options.timeoutMs);
  });
  try {
    const work = (async () => {
      let res: Response;
      try {
        res = await options.fetch(url, {
          method: 'GET',
          headers: { accept: 'application/json, application/jwk-set+json' },
          redirect: 'manual',
          signal: controller.signal,
        });
      } catch (err) {
        throw fetchFault(err, url);
      }
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw fault('http_status', url, {
          status: res.status,
          message: `${url} answered HTTP ${res.status}.`,
        });
      }
      const text = await readCapped(res, options.maxBytes, url);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        throw fault('json_shape', url, { message: `${url} did not answer JSON.` }, err);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw fault('json_shape', url, { message: `${url} did not answer a JSON object.` });
      return parsed as Record<string, unknown>;
    })();
    work.catch(() => undefined);
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
