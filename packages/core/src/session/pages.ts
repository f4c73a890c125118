/**
 * The answers of the login routes: redirects, and problem pages for a browser (HTML) or a program
 * (RFC 9457 problem+json, chosen by `Accept`). Every text is restguard's own; nothing from the
 * provider or openid-client is echoed but a known OAuth error code.
 */
import { type HttpAnswer, problemAnswer } from '../errors.js';
import type { AuthRequest } from '../request.js';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };

/**
 * A `303 See Other` to `location`, with cookies to set.
 * @example
 * redirectAnswer('https://idp.example/authorize?…', [txCookie]);
 */
export function redirectAnswer(location: string, setCookies: string[] = []): HttpAnswer {
  const headers: Record<string, string | string[]> = { location, ...NO_STORE };
  if (setCookies.length > 0) headers['set-cookie'] = setCookies;
  return { status: 303, headers, body: '' };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function wantsHtml(request: AuthRequest): boolean {
  const accept = request.headers('accept').join(',').toLowerCase();
  return accept.includes('text/html') && !accept.includes('application/problem+json');
}

/** What went wrong on a login route. */
export interface LoginProblem {
  status: number;
  title: string;
  detail: string;
  /** A known OAuth error code (`access_denied`), shown as is. */
  error?: string;
}

/**
 * A problem answer: an HTML page when the client accepts `text/html`, else problem+json.
 * @example
 * problemPage(request, { status: 400, title: 'Sign-in failed', detail: 'The sign-in response could not be verified.' });
 */
export function problemPage(
  request: AuthRequest,
  problem: LoginProblem,
  setCookies: string[] = [],
  home = '/',
): HttpAnswer {
  const cookies: Record<string, string | string[]> =
    setCookies.length > 0 ? { 'set-cookie': setCookies } : {};
  const extra = {
    type: `urn:restguard:problem:${problem.error ?? 'login_failed'}`,
    ...(problem.error ? { error: problem.error } : {}),
  };
  if (!wantsHtml(request))
    return problemAnswer(problem.status, problem.title, problem.detail, extra, cookies);
  const code = problem.error ? `<p><code>${escapeHtml(problem.error)}</code></p>` : '';
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(problem.title)}</title></head>
<body><main><h1>${escapeHtml(problem.title)}</h1><p>${escapeHtml(problem.detail)}</p>${code}<p><a href="${escapeHtml(home)}">Back to the start page</a></p></main></body></html>\n`;
  return {
    status: problem.status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      ...NO_STORE,
      ...cookies,
    },
    body,
  };
}

/**
 * A page with a single button that POSTs to `action` (a logout confirmation for cross-site GETs).
 * @example
 * confirmPage('/auth/logout', 'Sign out');
 */
export function confirmPage(action: string, label: string): HttpAnswer {
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(label)}</title></head>
<body><main><form method="post" action="${escapeHtml(action)}"><button type="submit">${escapeHtml(label)}</button></form></main></body></html>\n`;
  return {
    status: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
      'x-content-type-options': 'nosniff',
      ...NO_STORE,
    },
    body,
  };
}
