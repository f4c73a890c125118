/**
 * Serving RFC 9728 metadata from the guard (§3: `GET` at the well-known path, `application/json`),
 * so every adapter serves it through the one hook it already calls for the guard's own routes.
 */
import type { HttpAnswer } from '../errors.js';
import { pathOf } from '../events.js';
import type { AuthRequest } from '../request.js';
import {
  buildProtectedResourceMetadata,
  type ProtectedResourceMetadata,
  type ProtectedResourceMetadataInput,
  protectedResourceMetadataPaths,
} from './protected-resource.js';

/**
 * The guard's `protectedResource` option: the builder's input. Left out, `authorizationServers` is
 * the configured token issuers and the DPoP members follow the `dpop` option.
 * @example
 * createGuard({ tokens, dpop: {}, protectedResource: { resource: 'https://api.example', scopesSupported: ['read', 'write'] } });
 */
export type ProtectedResourceOptions = ProtectedResourceMetadataInput;

/** The answers for the metadata paths: a function of the request, null for any other request. */
export interface MetadataRoute {
  readonly document: ProtectedResourceMetadata;
  /** The answer for a metadata path, or null for any other request. */
  answer(request: AuthRequest): HttpAnswer | null;
}

/**
 * Builds the document once and answers `GET`/`HEAD` at its paths (and the §3.1 path-suffixed form).
 * @example
 * const route = createMetadataRoute({ resource: 'https://api.example/notes' });
 * route.answer(request); // 200 JSON at /.well-known/oauth-protected-resource/notes
 */
export function createMetadataRoute(input: ProtectedResourceMetadataInput): MetadataRoute {
  const document = buildProtectedResourceMetadata(input);
  const paths = new Set(protectedResourceMetadataPaths(input.resource));
  const body = JSON.stringify(document);
  return {
    document,
    answer(request) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return null;
      const target = pathOf(request.url);
      const path = target.startsWith('/') ? target : URL.canParse(target) ? new URL(target).pathname : '';
      if (!paths.has(path)) return null;
      return {
        status: 200,
        headers: { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' },
        body: request.method === 'HEAD' ? '' : body,
      };
    },
  };
}
