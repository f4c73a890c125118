/**
 * Test fixture (Node only, never bundled): a small OpenID Provider on a real loopback socket with
 * real ES256 keys. It speaks discovery, authorize (auto-approving a chosen user), token (code with
 * PKCE S256 and client_secret_basic, refresh with rotation), revocation and JWKS, and can misbehave
 * on request (wrong nonce, no `iss`, a denied login) — which a real provider never does on purpose.
 * The full flow against the real oidc-provider lives in test/e2e.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';

export interface ProviderBehaviour {
  user: string;
  scope: string;
  expiresIn: number;
  deny: boolean;
  wrongNonce: boolean;
  omitIss: boolean;
  issueRefreshToken: boolean;
  refuseRefresh: boolean;
  /** When true, refresh requests are answered 503 `temporarily_unavailable` (the grant is kept). */
  refreshUnavailable?: boolean;
  /** When set, refresh requests wait for this promise (single-flight tests, no timers). */
  refreshGate?: Promise<void>;
  /** Extra claims of the access tokens issued from now on. */
  accessClaims?: Record<string, unknown>;
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  behaviour: ProviderBehaviour;
  /** Counts: refresh grants served, revocations received. */
  counts: { refresh: number; revoke: number; code: number };
  /** Resolves when the next refresh request arrives. */
  nextRefresh(): Promise<void>;
  /** The last authorization request's parameters. */
  lastAuthorize?: URLSearchParams;
  /** Follows a login redirect as the provider would: returns the callback URL. */
  authorize(location: string): Promise<string>;
  sign(claims: JWTPayload, header?: Record<string, unknown>, key?: CryptoKey): Promise<string>;
  close(): Promise<void>;
}

interface Grant {
  sub: string;
  nonce: string;
  challenge: string;
  redirectUri: string;
  scope: string;
  resource: string | null;
}

async function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

/** RFC 6749 §2.3.1: both parts are form-urlencoded before base64. */
function basicCredentials(header: string | undefined): string | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const [id, secret] = Buffer.from(header.slice(6), 'base64').toString().split(':');
  return `${decodeURIComponent(id ?? '')}:${decodeURIComponent(secret ?? '')}`;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Starts the fixture provider on 127.0.0.1 with a random port. */
export async function startTestProvider(): Promise<TestProvider> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const codes = new Map<string, Grant>();
  const refreshTokens = new Map<string, Grant>();
  let refreshWaiters: Array<() => void> = [];
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider: TestProvider = {
    issuer,
    clientId: 'web',
    clientSecret: 'web-secret',
    behaviour: {
      user: 'alice',
      scope: 'read write',
      expiresIn: 300,
      deny: false,
      wrongNonce: false,
      omitIss: false,
      issueRefreshToken: true,
      refuseRefresh: false,
    },
    counts: { refresh: 0, revoke: 0, code: 0 },
    nextRefresh: () => new Promise((resolve) => refreshWaiters.push(resolve)),
    async authorize(location) {
      const res = await fetch(location, { redirect: 'manual' });
      return res.headers.get('location')!;
    },
    sign: (claims, header = {}, key = privateKey) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'k1', ...header }).sign(key),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const b = provider.behaviour;

  async function tokens(grant: Grant, withIdToken: boolean) {
    const now = Math.floor(Date.now() / 1000);
    const access = await provider.sign(
      {
        iss: issuer,
        sub: grant.sub,
        aud: grant.resource ?? provider.clientId,
        client_id: provider.clientId,
        scope: grant.scope,
        iat: now,
        exp: now + b.expiresIn,
        jti: randomUUID(),
        ...b.accessClaims,
      },
      { typ: 'at+jwt' },
    );
    const refresh = b.issueRefreshToken ? randomUUID() : undefined;
    if (refresh) refreshTokens.set(refresh, grant);
    const idToken = withIdToken
      ? await provider.sign({
          iss: issuer,
          sub: grant.sub,
          aud: provider.clientId,
          nonce: b.wrongNonce ? 'other' : grant.nonce,
          sid: `sid-${grant.sub}`,
          iat: now,
          exp: now + 600,
          name: grant.sub,
        })
      : undefined;
    return {
      access_token: access,
      token_type: 'Bearer',
      expires_in: b.expiresIn,
      scope: grant.scope,
      ...(refresh ? { refresh_token: refresh } : {}),
      ...(idToken ? { id_token: idToken } : {}),
    };
  }

  server.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url!, issuer);
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        end_session_endpoint: `${issuer}/session/end`,
        revocation_endpoint: `${issuer}/revoke`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
        id_token_signing_alg_values_supported: ['ES256'],
        authorization_response_iss_parameter_supported: true,
        backchannel_logout_supported: true,
        backchannel_logout_session_supported: true,
      });
    }
    if (url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (url.pathname === '/authorize') {
      const p = url.searchParams;
      provider.lastAuthorize = p;
      const back = new URL(p.get('redirect_uri')!);
      if (b.deny) back.searchParams.set('error', 'access_denied');
      else {
        const code = randomUUID();
        codes.set(code, {
          sub: b.user,
          nonce: p.get('nonce')!,
          challenge: p.get('code_challenge')!,
          redirectUri: p.get('redirect_uri')!,
          scope: b.scope,
          resource: p.get('resource'),
        });
        back.searchParams.set('code', code);
      }
      back.searchParams.set('state', p.get('state')!);
      if (!b.omitIss) back.searchParams.set('iss', issuer);
      res.writeHead(302, { location: back.href });
      return res.end();
    }
    const body = await readBody(req);
    if (url.pathname === '/revoke') {
      provider.counts.revoke++;
      refreshTokens.delete(body.get('token') ?? '');
      res.writeHead(200);
      return res.end();
    }
    if (url.pathname !== '/token') return json(res, 404, { error: 'not_found' });
    if (basicCredentials(req.headers.authorization) !== `${provider.clientId}:${provider.clientSecret}`) {
      return json(res, 401, { error: 'invalid_client' });
    }
    if (body.get('grant_type') === 'authorization_code') {
      const grant = codes.get(body.get('code') ?? '');
      codes.delete(body.get('code') ?? '');
      const verifier = body.get('code_verifier') ?? '';
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      if (!grant || grant.challenge !== challenge || grant.redirectUri !== body.get('redirect_uri')) {
        return json(res, 400, { error: 'invalid_grant' });
      }
      provider.counts.code++;
      return json(res, 200, await tokens(grant, true));
    }
    if (body.get('grant_type') === 'refresh_token') {
      provider.counts.refresh++;
      for (const wake of refreshWaiters) wake();
      refreshWaiters = [];
      if (b.refreshGate) await b.refreshGate;
      if (b.refreshUnavailable) return json(res, 503, { error: 'temporarily_unavailable' });
      const grant = refreshTokens.get(body.get('refresh_token') ?? '');
      refreshTokens.delete(body.get('refresh_token') ?? '');
      if (!grant || b.refuseRefresh) return json(res, 400, { error: 'invalid_grant' });
      return json(res, 200, await tokens({ ...grant, scope: b.scope }, false));
    }
    return json(res, 400, { error: 'unsupported_grant_type' });
  });
  return provider;
}
