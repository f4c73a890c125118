/**
 * Fetching JSON documents (discovery metadata, JWK Sets) with a hard timeout, a size cap and no
 * redirects. Web APIs only (fetch, AbortSignal, TextDecoder).
 */
import type { FetchLike } from './options.js';

/** How to fetch. */
export interface FetchJsonOptions {
  readonly fetch: FetchLike;
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

async function readCapped(res: Response, maxBytes: number): Promise<string> {
  const length = Number(res.headers.get('content-length') ?? '0');
  if (length > maxBytes) throw new Error('response too large');
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
      throw new Error('response too large');
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
      reject(new Error('timed out'));
    }, options.timeoutMs);
  });
  try {
    const work = (async () => {
      const res = await options.fetch(url, {
        method: 'GET',
        headers: { accept: 'application/json, application/jwk-set+json' },
        redirect: 'manual',
        signal: controller.signal,
      });
      if (res.status !== 200) {
        await res.body?.cancel().catch(() => undefined);
        throw new Error(`status ${res.status}`);
      }
      const parsed: unknown = JSON.parse(await readCapped(res, options.maxBytes));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
        throw new Error('not a JSON object');
      return parsed as Record<string, unknown>;
    })();
    work.catch(() => undefined);
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
