// A small HTTPS client for the tests: node:https, trusting only the test CA, with an optional cookie
// jar (path-aware, like a browser's for one host) and no automatic redirects.
import { request } from 'node:https';

export interface TestResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
  location(): string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  form?: Record<string, string>;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

export class HttpsClient {
  readonly #ca: string;
  readonly #cookies = new Map<string, StoredCookie>();
  readonly #useCookies: boolean;

  constructor(ca: string, options: { cookies?: boolean } = {}) {
    this.#ca = ca;
    this.#useCookies = options.cookies ?? false;
  }

  cookieHeader(path: string): string {
    return [...this.#cookies.values()]
      .filter(
        (cookie) =>
          path === cookie.path ||
          path.startsWith(cookie.path.endsWith('/') ? cookie.path : `${cookie.path}/`),
      )
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }

  #store(setCookie: string[] | undefined, requestPath: string): void {
    for (const line of setCookie ?? []) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const index = pair.indexOf('=');
      const name = pair.slice(0, index);
      const value = pair.slice(index + 1);
      let path = requestPath.replace(/\/[^/]*$/, '') || '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', attributeValue = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = attributeValue;
        if (key.toLowerCase() === 'expires' && Date.parse(attributeValue) < Date.now()) expired = true;
        if (key.toLowerCase() === 'max-age' && Number(attributeValue) <= 0) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path });
    }
  }

  fetch(url: string, options: RequestOptions = {}): Promise<TestResponse> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...options.headers };
    const body = options.form ? new URLSearchParams(options.form).toString() : undefined;
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (this.#useCookies) {
      const cookie = this.cookieHeader(target.pathname);
      if (cookie) headers.cookie = cookie;
    }
    return new Promise((resolve, reject) => {
      const outgoing = request(target, {
        method: options.method ?? (body ? 'POST' : 'GET'),
        headers,
        ca: this.#ca,
      });
      outgoing.once('error', reject);
      outgoing.once('response', (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.once('error', reject);
        incoming.once('end', () => {
          if (this.#useCookies) this.#store(incoming.headers['set-cookie'], target.pathname);
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: text,
            json: () => JSON.parse(text),
            location: () => new URL(String(incoming.headers.location), target).href,
          });
        });
      });
      outgoing.end(body);
    });
  }
}
