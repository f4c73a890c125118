/**
 * A scripted browser for the OIDC login tests: follows redirects by hand, keeps one cookie jar per
 * origin (what a browser does for these host-only cookies), sends `Origin` on POSTs, and fills in
 * the dev issuer's forms. Real HTTPS over loopback, trusting only the test CA.
 */
import { Agent, fetch } from 'undici';

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

/** The hidden and named fields and the action of the first `<form>` in `html` (or the one with `id`). */
export function readForm(html: string, id?: string): { action: string; fields: URLSearchParams } {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const form = forms.find((m) => (id ? m[1]!.includes(`id="${id}"`) : true));
  if (!form) throw new Error('no form on the page');
  const action = /action="([^"]*)"/.exec(form[1]!)?.[1] ?? '';
  const fields = new URLSearchParams();
  for (const input of form[2]!.matchAll(/<input\b([^>]*)>/g)) {
    const name = /name="([^"]*)"/.exec(input[1]!)?.[1];
    const value = /value="([^"]*)"/.exec(input[1]!)?.[1] ?? '';
    if (name) fields.set(name, value);
  }
  return { action: action.replace(/&amp;/g, '&'), fields };
}

export class ScriptedBrowser {
  readonly jars = new Map<string, Map<string, string>>();
  readonly #dispatcher: Agent;

  constructor(caPem: string) {
    this.#dispatcher = new Agent({ connect: { ca: caPem } });
  }

  jar(origin: string): Map<string, string> {
    const existing = this.jars.get(origin);
    if (existing) return existing;
    const jar = new Map<string, string>();
    this.jars.set(origin, jar);
    return jar;
  }

  /** A copy of this browser's cookies (a stolen or duplicated cookie set). */
  clone(caPem: string): ScriptedBrowser {
    const copy = new ScriptedBrowser(caPem);
    for (const [origin, jar] of this.jars) copy.jars.set(origin, new Map(jar));
    return copy;
  }

  /** One request, no redirect following. `origin` sets the `Origin` header (POST from a page). */
  async request(
    url: string,
    init: { method?: string; form?: URLSearchParams; json?: unknown; origin?: string } = {},
  ): Promise<Page> {
    const target = new URL(url);
    const jar = this.jar(target.origin);
    const headers: Record<string, string> = { accept: 'text/html,application/json;q=0.9' };
    if (jar.size > 0) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.origin) headers.origin = init.origin;
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = init.form.toString();
    } else if (init.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(init.json);
    }
    const res = await fetch(target, {
      method: init.method ?? 'GET',
      headers,
      body,
      redirect: 'manual',
      dispatcher: this.#dispatcher,
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=.*1970/i.test(a));
      if (expired) jar.delete(name);
      else jar.set(name, pair!.slice(eq + 1).trim());
    }
    return {
      url: target.href,
      status: res.status,
      headers: res.headers as unknown as Headers,
      body: await res.text(),
    };
  }

  /** Requests `url` and follows redirects (303/302 turn into GET) until a non-redirect answer. */
  async navigate(
    url: string,
    init: { method?: string; form?: URLSearchParams; origin?: string } = {},
  ): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; hops < 20 && page.status >= 300 && page.status < 400; hops++) {
      const next = new URL(page.headers.get('location')!, page.url).href;
      page = await this.request(next);
    }
    return page;
  }

  /** Submits the form on `page` (optionally the one with `id`) with extra fields, following redirects. */
  submit(page: Page, extra: Record<string, string> = {}, id?: string): Promise<Page> {
    const { action, fields } = readForm(page.body, id);
    for (const [k, v] of Object.entries(extra)) fields.set(k, v);
    const target = new URL(action, page.url);
    return this.navigate(target.href, { method: 'POST', form: fields, origin: new URL(page.url).origin });
  }

  close(): Promise<void> {
    return this.#dispatcher.close();
  }
}
