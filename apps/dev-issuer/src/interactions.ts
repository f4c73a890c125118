// The dev issuer's interaction routes (oidc-provider "interactions"): the login page and form, an
// automatic consent step that grants each requested API scope the account holds (and rejects the
// rest), and abort. Bound to the interaction through oidc-provider's interaction cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type InteractionResults, type Provider } from 'oidc-provider';
import { checkDevPassword, findDevAccount } from './accounts.js';
import { errorPage, loginPage, PAGE_HEADERS } from './pages.js';

type Interaction = Awaited<ReturnType<Provider['interactionDetails']>>;

const MAX_FORM_BYTES = 16 * 1024;
const ROUTE = /^\/interaction\/([A-Za-z0-9_-]{1,64})(\/login|\/abort)?$/;

function send(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, PAGE_HEADERS).end(html);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { location, 'cache-control': 'no-store', 'content-length': '0' }).end();
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function consent(provider: Provider, interaction: Interaction): Promise<InteractionResults> {
  const { details } = interaction.prompt;
  const accountId = interaction.session?.accountId;
  const account = accountId === undefined ? undefined : findDevAccount(accountId);
  if (!account) throw new errors.SessionNotFound('no signed-in development account');
  const grant = interaction.grantId
    ? await provider.Grant.find(interaction.grantId)
    : new provider.Grant({ accountId: account.username, clientId: String(interaction.params.client_id) });
  if (!grant) throw new errors.SessionNotFound('grant not found');
  const missingScope = details.missingOIDCScope as string[] | undefined;
  if (missingScope) grant.addOIDCScope(missingScope.join(' '));
  const missingClaims = details.missingOIDCClaims as string[] | undefined;
  if (missingClaims) grant.addOIDCClaims(missingClaims);
  const resources = (details.missingResourceScopes ?? {}) as Record<string, string[]>;
  for (const [resource, scopes] of Object.entries(resources)) {
    const allowed = scopes.filter((scope) => account.scopes.includes(scope));
    const refused = scopes.filter((scope) => !account.scopes.includes(scope));
    if (allowed.length > 0) grant.addResourceScope(resource, allowed.join(' '));
    if (refused.length > 0) grant.rejectResourceScope(resource, refused.join(' '));
  }
  return { consent: { grantId: await grant.save() } };
}

async function route(
  provider: Provider,
  req: IncomingMessage,
  res: ServerResponse,
  log: (line: string) => void,
) {
  const url = new URL(req.url ?? '/', 'https://dev-issuer.invalid');
  const match = ROUTE.exec(url.pathname);
  if (!match) return send(res, 404, errorPage('not_found'));
  const [, uid, action] = match;
  const method = req.method ?? 'GET';
  const expected = action === '/login' ? 'POST' : 'GET';
  if (method !== expected) {
    res.setHeader('allow', expected);
    return send(res, 405, errorPage('method_not_allowed'));
  }
  const interaction = await provider.interactionDetails(req, res);
  if (interaction.uid !== uid) throw new errors.SessionNotFound('interaction mismatch');
  const clientName = String(interaction.params.client_id ?? 'the application');
  const prompt = interaction.prompt.name;

  if (action === '/abort') {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' };
    return redirect(
      res,
      await provider.interactionResult(req, res, result, { mergeWithLastSubmission: false }),
    );
  }
  if (action === '/login') {
    if (prompt !== 'login')
      return send(res, 400, errorPage('invalid_request', 'No sign-in is pending here.'));
    const form = await readForm(req);
    if (!form) return send(res, 400, errorPage('invalid_request', 'Expected a sign-in form.'));
    const username = form.get('username') ?? '';
    const account = checkDevPassword(username, form.get('password') ?? '');
    if (!account)
      return send(res, 200, loginPage({ uid: interaction.uid, clientName, username, failed: true }));
    log(`dev issuer: ${account.username} signed in for ${clientName}`);
    const result = { login: { accountId: account.username, amr: ['pwd'] } };
    return redirect(
      res,
      await provider.interactionResult(req, res, result, { mergeWithLastSubmission: false }),
    );
  }
  if (prompt === 'login') {
    const hint = interaction.params.login_hint;
    const username = typeof hint === 'string' ? hint : undefined;
    return send(res, 200, loginPage({ uid: interaction.uid, clientName, ...(username ? { username } : {}) }));
  }
  if (prompt === 'consent') {
    const result = await consent(provider, interaction);
    return redirect(
      res,
      await provider.interactionResult(req, res, result, { mergeWithLastSubmission: true }),
    );
  }
  return send(res, 400, errorPage('invalid_request', 'This sign-in step is not supported.'));
}

/**
 * Creates the handler of `/interaction/*`: `GET /interaction/:uid` (login page, or automatic consent),
 * `POST /interaction/:uid/login`, `GET /interaction/:uid/abort`. Answers itself; never throws.
 *
 * @example
 * ```ts
 * const interactions = createInteractionHandler(provider, console.log);
 * const server = https.createServer(tls, (req, res) =>
 *   req.url?.startsWith('/interaction/') ? interactions(req, res) : provider.callback()(req, res));
 * ```
 */
export function createInteractionHandler(
  provider: Provider,
  log: (line: string) => void,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      await route(provider, req, res, log);
    } catch (error) {
      if (res.headersSent) return void res.destroy();
      if (error instanceof errors.SessionNotFound) {
        const text = 'This sign-in request has expired or is not valid. Start again from the application.';
        return send(res, 400, errorPage('invalid_request', text));
      }
      log(`dev issuer: interaction failed: ${(error as Error).message}`);
      send(res, 500, errorPage('server_error'));
    }
  };
}
