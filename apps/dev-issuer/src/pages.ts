// The dev issuer's HTML: the login page and the pages oidc-provider lets us render (logout
// confirmation, logged-out, errors). Self-contained: no scripts, no external fonts or styles, so
// they work offline and in a headless browser.
import { devAccounts } from './accounts.js';

/**
 * Escapes text for HTML element content and double-quoted attribute values.
 *
 * @example
 * ```ts
 * escapeHtml('<b>"x"</b>'); // '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
 * ```
 */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const STYLE = `body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1f2328}
.warn{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .75rem;border-radius:6px;font-size:.9rem}
label{display:block;margin:.75rem 0 .25rem}input{width:100%;padding:.5rem;box-sizing:border-box;font-size:1rem}
button{margin-top:1rem;padding:.6rem 1rem;font-size:1rem;width:100%;cursor:pointer}
.error{color:#cf222e}.hint{color:#59636e;font-size:.85rem}`;

/**
 * Headers sent with every page of the dev issuer's own: no caching, no framing, no scripts.
 *
 * @example
 * ```ts
 * res.writeHead(200, PAGE_HEADERS).end(html);
 * ```
 */
export const PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});

/**
 * Wraps page content in the dev issuer's HTML layout, which always carries the development-only notice.
 *
 * @example
 * ```ts
 * const html = layout('Signed out', '<p>You are signed out.</p>');
 * ```
 */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · restguard dev issuer</title><style>${STYLE}</style></head>
<body><p class="warn">restguard dev issuer: for development and tests only.</p>
<h1>${escapeHtml(title)}</h1>
${body}
</body></html>`;
}

/**
 * What the login page shows.
 *
 * @example
 * ```ts
 * const page: LoginPageOptions = { uid, clientName: 'demo-web', username: 'bob', failed: true };
 * ```
 */
export interface LoginPageOptions {
  /** The interaction id; the form posts to `/interaction/<uid>/login`. */
  readonly uid: string;
  /** The client asking for the sign-in, shown to the user. */
  readonly clientName: string;
  /** The username to prefill (a failed attempt, or `login_hint`). */
  readonly username?: string;
  /** Show the "wrong username or password" message. */
  readonly failed?: boolean;
}

/**
 * The login page: a form with `name="username"`, `name="password"` and one `<button type="submit">`.
 *
 * @example
 * ```ts
 * const html = loginPage({ uid: interaction.uid, clientName: 'demo-web' });
 * ```
 */
export function loginPage(options: LoginPageOptions): string {
  const uid = encodeURIComponent(options.uid);
  const accounts = devAccounts
    .map(
      (account) =>
        `${escapeHtml(account.username)} / ${escapeHtml(account.username)} (${account.scopes.join(', ')})`,
    )
    .join('; ');
  return layout(
    'Sign in',
    `<p>Sign in to continue to <strong>${escapeHtml(options.clientName)}</strong>.</p>
${options.failed ? '<p class="error" role="alert">Wrong username or password.</p>' : ''}
<form method="post" action="/interaction/${uid}/login">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" required autofocus value="${escapeHtml(options.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p class="hint">Development accounts: ${accounts}.</p>
<p class="hint"><a href="/interaction/${uid}/abort">Cancel and return to the application</a></p>`,
  );
}

/**
 * The RP-initiated logout confirmation. `form` is oidc-provider's hidden form (`id="op.logoutForm"`,
 * with its anti-forgery token); the one submit button signs the user out of every client.
 *
 * @example
 * ```ts
 * const html = logoutPage('<form id="op.logoutForm" method="post" action="/session/end/confirm">…</form>');
 * ```
 */
export function logoutPage(form: string): string {
  return layout(
    'Sign out',
    `${form}
<p>Sign out of the restguard dev issuer and the applications you signed in to with it?</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Sign out</button>`,
  );
}

/**
 * The page after a logout without a registered `post_logout_redirect_uri`.
 *
 * @example
 * ```ts
 * const html = loggedOutPage();
 * ```
 */
export function loggedOutPage(): string {
  return layout('Signed out', '<p>You are signed out. You can close this page.</p>');
}

/**
 * An error page. Shows only the OAuth error code and description, which name the problem without
 * revealing secrets.
 *
 * @example
 * ```ts
 * const html = errorPage('invalid_request', 'This sign-in request has expired.');
 * ```
 */
export function errorPage(error: string, description?: string): string {
  return layout(
    'Something went wrong',
    `<p><code>${escapeHtml(error)}</code></p>${description ? `<p>${escapeHtml(description)}</p>` : ''}`,
  );
}
