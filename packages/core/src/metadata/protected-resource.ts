/**
 * OAuth 2.0 Protected Resource Metadata, RFC 9728: §2 the document's fields, §3 where it is served
 * (`/.well-known/oauth-protected-resource`, with the resource's path appended per §3.1), §3.3 the
 * `resource` member equal to the resource identifier, §5.1 the `resource_metadata` challenge parameter.
 * The builder is pure: plain values in, the JSON document out.
 */
import { ConfigInvalidError } from '../errors.js';
import { refuseUnknownNestedOptions } from '../options-check.js';

/** The RFC 9728 §3 well-known URI suffix. */
export const PROTECTED_RESOURCE_WELL_KNOWN = '/.well-known/oauth-protected-resource';

/** What the document is built from: plain values, each optional but `resource`. */
export interface ProtectedResourceMetadataInput {
  /** The resource identifier (§2 `resource`): an https URL without query or fragment. */
  readonly resource: string;
  /** Issuers of the authorization servers whose tokens are accepted (`authorization_servers`). */
  readonly authorizationServers?: readonly string[];
  /** Scopes used in authorization requests for this resource (`scopes_supported`). */
  readonly scopesSupported?: readonly string[];
  /** How tokens may be sent (`bearer_methods_supported`). restguard accepts `header` only. */
  readonly bearerMethodsSupported?: readonly ('header' | 'body' | 'query')[];
  /** The resource's own JWK Set (`jwks_uri`), when it signs responses. */
  readonly jwksUri?: string;
  /** Algorithms the resource signs responses with (`resource_signing_alg_values_supported`). */
  readonly resourceSigningAlgValuesSupported?: readonly string[];
  /** DPoP proof algorithms accepted (`dpop_signing_alg_values_supported`, RFC 9728 §2). */
  readonly dpopSigningAlgValuesSupported?: readonly string[];
  /** Whether every token must be DPoP-bound (`dpop_bound_access_tokens_required`). */
  readonly dpopBoundAccessTokensRequired?: boolean;
  /** Whether certificate-bound tokens (RFC 8705) are supported (`tls_client_certificate_bound_access_tokens`). */
  readonly tlsClientCertificateBoundAccessTokens?: boolean;
  /** Human-readable name (`resource_name`). */
  readonly resourceName?: string;
  /** Developer documentation URL (`resource_documentation`). */
  readonly resourceDocumentation?: string;
  /** Policy URL (`resource_policy_uri`). */
  readonly resourcePolicyUri?: string;
  /** Terms of service URL (`resource_tos_uri`). */
  readonly resourceTosUri?: string;
}

/**
 * Each input's member of the document (RFC 9728 §2), in the document's order. With `resource`, these
 * are every key of {@link ProtectedResourceMetadataInput} (the compiler checks it): anything else is
 * refused at start-up.
 */
const DOCUMENT_MEMBERS: {
  readonly [K in keyof Required<
    Omit<ProtectedResourceMetadataInput, 'resource'>
  >]: keyof ProtectedResourceMetadata;
} = {
  authorizationServers: 'authorization_servers',
  jwksUri: 'jwks_uri',
  scopesSupported: 'scopes_supported',
  bearerMethodsSupported: 'bearer_methods_supported',
  resourceSigningAlgValuesSupported: 'resource_signing_alg_values_supported',
  resourceName: 'resource_name',
  resourceDocumentation: 'resource_documentation',
  resourcePolicyUri: 'resource_policy_uri',
  resourceTosUri: 'resource_tos_uri',
  tlsClientCertificateBoundAccessTokens: 'tls_client_certificate_bound_access_tokens',
  dpopSigningAlgValuesSupported: 'dpop_signing_alg_values_supported',
  dpopBoundAccessTokensRequired: 'dpop_bound_access_tokens_required',
};
const PROTECTED_RESOURCE_OPTION_KEYS: readonly string[] = Object.freeze([
  'resource',
  ...Object.keys(DOCUMENT_MEMBERS),
]);

/** The RFC 9728 §2 document. */
export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers?: readonly string[];
  readonly jwks_uri?: string;
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported?: readonly string[];
  readonly resource_signing_alg_values_supported?: readonly string[];
  readonly resource_name?: string;
  readonly resource_documentation?: string;
  readonly resource_policy_uri?: string;
  readonly resource_tos_uri?: string;
  readonly tls_client_certificate_bound_access_tokens?: boolean;
  readonly dpop_signing_alg_values_supported?: readonly string[];
  readonly dpop_bound_access_tokens_required?: boolean;
}

function resourceUrl(resource: string): URL {
  let url: URL;
  try {
    url = new URL(resource);
  } catch {
    throw new ConfigInvalidError('The protected resource identifier must be an absolute https URL.');
  }
  if (url.protocol !== 'https:' || url.hash || url.search || url.username || url.password) {
    throw new ConfigInvalidError(
      'The protected resource identifier must be an https URL without query or fragment (RFC 9728 §1.2).',
    );
  }
  return url;
}

/**
 * Builds the RFC 9728 document from plain values; absent inputs are left out, `bearer_methods_supported`
 * defaults to `["header"]`. Throws {@link ConfigInvalidError} for a resource that is not an https URL.
 * @example
 * buildProtectedResourceMetadata({
 *   resource: 'https://api.example',
 *   authorizationServers: ['https://idp.example'],
 *   scopesSupported: ['read', 'write'],
 *   dpopSigningAlgValuesSupported: ['ES256'],
 * });
 * // { resource: 'https://api.example', authorization_servers: [...], scopes_supported: [...], … }
 */
export function buildProtectedResourceMetadata(
  input: ProtectedResourceMetadataInput,
): ProtectedResourceMetadata {
  refuseUnknownNestedOptions(input, PROTECTED_RESOURCE_OPTION_KEYS, 'protectedResource');
  resourceUrl(input.resource);
  const document: Record<string, unknown> = { resource: input.resource };
  const withDefaults = { ...input, bearerMethodsSupported: input.bearerMethodsSupported ?? ['header'] };
  for (const [option, member] of Object.entries(DOCUMENT_MEMBERS)) {
    const value = withDefaults[option as keyof typeof DOCUMENT_MEMBERS];
    if (value !== undefined) document[member] = Array.isArray(value) ? [...value] : value;
  }
  return document as unknown as ProtectedResourceMetadata;
}

/**
 * The paths the document is served at: the RFC 9728 §3.1 form (the well-known suffix inserted before
 * the resource's path) and, when the resource has a path, the plain well-known path as well.
 * @example
 * protectedResourceMetadataPaths('https://api.example/notes');
 * // ['/.well-known/oauth-protected-resource/notes', '/.well-known/oauth-protected-resource']
 */
export function protectedResourceMetadataPaths(resource: string): string[] {
  const path = resourceUrl(resource).pathname.replace(/\/$/, '');
  return path
    ? [PROTECTED_RESOURCE_WELL_KNOWN + path, PROTECTED_RESOURCE_WELL_KNOWN]
    : [PROTECTED_RESOURCE_WELL_KNOWN];
}

/**
 * The metadata URL of a resource identifier (RFC 9728 §3.1), as `resource_metadata` carries it.
 * @example
 * protectedResourceMetadataUrl('https://api.example/notes');
 * // 'https://api.example/.well-known/oauth-protected-resource/notes'
 */
export function protectedResourceMetadataUrl(resource: string): string {
  const url = resourceUrl(resource);
  return url.origin + protectedResourceMetadataPaths(resource)[0];
}
