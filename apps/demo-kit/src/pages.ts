/**
 * The small HTML pages: `/` (list and add notes, how to call the API) and `/docs` (the OpenAPI
 * document rendered without any external script, since the demo must work offline).
 */

const escapeHtml = (value: string) =>
  value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

const layout = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#1c2430}
code,pre{background:#f2f4f7;border-radius:4px;padding:.1rem .3rem}pre{padding:.6rem;overflow:auto}
.op{border:1px solid #dde2ea;border-radius:6px;padding:.5rem .8rem;margin:.6rem 0}.m{font-weight:700;margin-right:.5rem}
input,button{font:inherit;padding:.3rem .5rem}li{margin:.2rem 0}</style></head><body>${body}</body></html>`;

/** What the home page shows. */
export interface HomePageContext {
  framework: string;
  baseUrl: string;
  issuer: string;
  caFile: string | undefined;
  /** Whether browser sign-in (`/auth/login`) is available. */
  browserLogin: boolean;
}

/**
 * The home page: how to call the API, and a small client that lists and adds notes with an API key
 * pasted into the page (kept in the page only) or with the browser session after signing in.
 * @example
 * res.type('html').send(homePage({ framework: 'express', baseUrl, issuer, caFile, browserLogin: false }));
 */
export function homePage(context: HomePageContext): string {
  const cacert = context.caFile ? ` --cacert ${escapeHtml(context.caFile)}` : '';
  const login = context.browserLogin
    ? `<p><a href="/auth/login">Sign in</a> (alice/alice: read+write, bob/bob: read) · <a href="/auth/logout">Sign out</a></p>`
    : '';
  return layout(
    `restguard notes (${context.framework})`,
    `<h1>restguard notes <small>on ${escapeHtml(context.framework)}</small></h1>
${login}
<p>An API secured by restguard: OAuth 2.0 access tokens from <code>${escapeHtml(context.issuer)}</code>, or API keys.
See <a href="/docs">the API documentation</a> (<a href="/openapi.json">openapi.json</a>).</p>
<pre>curl${cacert} ${escapeHtml(context.baseUrl)}/api/notes -H "X-API-Key: $KEY"</pre>
<h2>Notes</h2>
<p><label>API key <input id="key" type="password" size="40" autocomplete="off" placeholder="rg_test_… (or sign in)"></label>
<button id="load">Load</button></p>
<form id="add"><input id="text" size="40" placeholder="A new note" required> <button>Add</button></form>
<p id="status" role="status"></p><ul id="notes"></ul>
<script>
const $ = (id) => document.getElementById(id);
const headers = () => $('key').value ? { 'X-API-Key': $('key').value } : {};
const show = async (res) => { if (!res.ok) { const p = await res.json().catch(() => ({})); $('status').textContent = res.status + ' ' + (p.detail || p.title || ''); return false; } $('status').textContent = ''; return true; };
async function load() {
  const res = await fetch('/api/notes', { headers: headers() });
  if (!(await show(res))) return;
  $('notes').replaceChildren(...(await res.json()).map((n) => { const li = document.createElement('li'); li.textContent = n.text + ' — ' + n.author; return li; }));
}
$('load').onclick = load;
$('add').onsubmit = async (e) => { e.preventDefault();
  const res = await fetch('/api/notes', { method: 'POST', headers: { ...headers(), 'content-type': 'application/json' }, body: JSON.stringify({ text: $('text').value }) });
  if (await show(res)) { $('text').value = ''; load(); } };
</script>`,
  );
}

/**
 * Renders an OpenAPI document as a readable page: operations, their security and scopes.
 * @example
 * const html = docsPage(openApiDocument(app, demoOpenApiOptions(routes, context)));
 */
export function docsPage(doc: Record<string, unknown>): string {
  const paths = doc.paths as Record<
    string,
    Record<string, { summary?: string; security?: Record<string, string[]>[] }>
  >;
  const ops = Object.entries(paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const security =
        op.security === undefined || op.security.length === 0
          ? 'public'
          : op.security
              .map((s) =>
                Object.entries(s).map(
                  ([name, scopes]) => `${name}${scopes.length ? ` [${scopes.join(', ')}]` : ''}`,
                ),
              )
              .join(' or ');
      return `<div class="op"><span class="m">${method.toUpperCase()}</span><code>${escapeHtml(path)}</code> — ${escapeHtml(op.summary ?? '')}<br><small>security: ${escapeHtml(security)}</small></div>`;
    }),
  );
  const schemes = JSON.stringify((doc.components as Record<string, unknown>).securitySchemes, null, 2);
  return layout(
    'API documentation',
    `<h1>${escapeHtml(String((doc.info as { title: string }).title))}</h1><p><a href="/openapi.json">openapi.json</a></p>${ops.join('')}<h2>Security schemes</h2><pre>${escapeHtml(schemes)}</pre>`,
  );
}
