// oidc-provider configuration of the dev issuer: clients, accounts, resource indicators (RFC 8707
// §2), JWT access tokens (RFC 9068 §2), PKCE with S256 (RFC 7636 §4), introspection (RFC 7662 §2),
// revocation (RFC 7009 §2), refresh-token rotation (RFC 9700 §4.14.2), OpenID Connect RP-Initiated
// Logout 1.0 and Back-Channel Logout 1.0.
import { type Configuration, errors, type KoaContextWithOIDC } from 'oidc-provider';
import { findDevAccount } from './accounts.js';
import type { DevIssuerKeys } from './keys.js';
import { createMemoryAdapter } from './memory-adapter.js';
import { API_SCOPES, DEV_MACHINE_CLIENT, DEV_WEB_CLIENT, type ResolvedDevIssuerOptions } from './options.js';
import { createOutboundFetch } from './outbound-fetch.js';
import { errorPage, loggedOutPage, logoutPage, PAGE_HEADERS } from './pages.js';

function clients(options: ResolvedDevIssuerOptions): NonNullable<Configuration['clients']> {
  const web = options.webClient;
  return [
    {
      client_id: DEV_MACHINE_CLIENT.clientId,
      client_secret: DEV_MACHINE_CLIENT.clientSecret,
      client_name: 'restguard demo machine client',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    {
      client_id: DEV_WEB_CLIENT.clientId,
      client_secret: DEV_WEB_CLIENT.clientSecret,
      client_name: 'restguard demo web app',
      application_type: 'web',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [...(web?.redirectUris ?? [])],
      post_logout_redirect_uris: [...(web?.postLogoutRedirectUris ?? [])],
      ...(web?.backchannelLogoutUri
        ? { backchannel_logout_uri: web.backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ];
}

const requestsApiScope = (ctx: KoaContextWithOIDC): boolean => {
  const scope = ctx.oidc.params?.scope;
  return typeof scope === 'string' && scope.split(' ').some((item) => API_SCOPES.includes(item));
};

function sendPage(ctx: KoaContextWithOIDC, html: string): void {
  ctx.set(PAGE_HEADERS as Record<string, string>);
  ctx.body = html;
}

/**
 * Builds the oidc-provider configuration of a dev issuer.
 *
 * Policy, as documented in the README: access tokens are JWTs (RFC 9068, `typ: at+jwt`) for the
 * audience and opaque for `opaqueAudiences`; a request that names no resource but asks for `read` or
 * `write` (or uses the client-credentials grant) gets the audience; PKCE with S256 is required of every
 * client; refresh tokens go to the web client without `offline_access` and rotate on every use; the
 * machine client may introspect any access token.
 *
 * @example
 * ```ts
 * const provider = new Provider(issuer, createConfiguration(resolveOptions(options), keys, tlsCa));
 * ```
 */
export function createConfiguration(
  options: ResolvedDevIssuerOptions,
  keys: DevIssuerKeys,
  outboundCa?: string,
): Configuration {
  const ttl = options.accessTokenTtlSeconds;
  return {
    adapter: createMemoryAdapter(),
    clients: clients(options),
    jwks: { keys: keys.jwks.keys.map((key) => ({ ...key })) } as Configuration['jwks'],
    cookies: { keys: [...keys.cookieKeys] },
    findAccount: (_ctx, sub) => accountOf(sub),
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    pkce: { required: () => true },
    clientBasedCORS: () => false,
    issueRefreshToken: (_ctx, client, code) =>
      client.grantTypeAllowed('refresh_token') && code.kind === 'AuthorizationCode',
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttl,
      ClientCredentials: ttl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 24 * 3600,
      Interaction: 600,
      Session: 24 * 3600,
      Grant: 24 * 3600,
    },
    features: features(options),
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      sendPage(
        ctx,
        errorPage(String(out.error), out.error_description ? String(out.error_description) : undefined),
      );
    },
    fetch: createOutboundFetch(outboundCa),
  };
}

/** A test account's claims (OIDC Core §5.1), or undefined for an unknown subject. */
function accountOf(sub: string) {
  const account = findDevAccount(sub);
  if (!account) return undefined;
  return {
    accountId: account.username,
    claims: () => ({
      sub: account.username,
      name: account.name,
      preferred_username: account.username,
      email: `${account.username}@restguard.test`,
      email_verified: true,
    }),
  };
}

/** The grants, DPoP, revocation, introspection and logout features the README lists. */
function features(options: ResolvedDevIssuerOptions): NonNullable<Configuration['features']> {
  return {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    // RFC 9449: a token request with a DPoP proof gets a DPoP-bound access token (`cnf.jkt`).
    dPoP: { enabled: true },
    revocation: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId,
    },
    introspection: {
      enabled: true,
      allowedPolicy: async (_ctx, client, token) =>
        token.clientId === client.clientId ||
        (client.clientId === DEV_MACHINE_CLIENT.clientId && token.kind !== 'RefreshToken'),
    },
    backchannelLogout: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: async (ctx, form) => sendPage(ctx, logoutPage(form)),
      postLogoutSuccessSource: async (ctx) => sendPage(ctx, loggedOutPage()),
    },
    resourceIndicators: resourceIndicators(options),
  };
}

/**
 * RFC 8707: JWT access tokens (RFC 9068) for the audience, opaque ones for `opaqueAudiences`; a
 * request naming no resource gets the audience when it asks for an API scope or uses client credentials.
 */
function resourceIndicators(
  options: ResolvedDevIssuerOptions,
): NonNullable<NonNullable<Configuration['features']>['resourceIndicators']> {
  const { audience, opaqueAudiences, accessTokenTtlSeconds: ttl } = options;
  return {
    enabled: true,
    defaultResource: async (ctx, _client, oneOf) => {
      if (oneOf) return oneOf.includes(audience) ? audience : oneOf;
      const clientCredentials = ctx.oidc.params?.grant_type === 'client_credentials';
      return clientCredentials || requestsApiScope(ctx) ? audience : undefined;
    },
    useGrantedResource: async () => true,
    getResourceServerInfo: async (_ctx, resource) => {
      if (resource === audience) {
        return {
          scope: API_SCOPES.join(' '),
          audience,
          accessTokenTTL: ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: options.accessTokenAlgorithm } },
        };
      }
      if (opaqueAudiences.includes(resource)) {
        return {
          scope: API_SCOPES.join(' '),
          audience: resource,
          accessTokenTTL: ttl,
          accessTokenFormat: 'opaque',
        };
      }
      throw new errors.InvalidTarget();
    },
  };
}
