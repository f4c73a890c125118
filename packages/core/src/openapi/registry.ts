/**
 * The route-scope registry: every route an adapter guards, with the scope requirement it enforces.
 * Adapters record into it (Express `requireScopes`, Fastify route config and `app.restguard.require`,
 * Hono `requireScopes`); the OpenAPI document and RFC 9728 `scopes_supported` are built from it, so
 * what is documented is what the guard enforces.
 */
import { checkScopeRequirement, requiredScopes, type ScopeRequirement } from '../scope/evaluate.js';

/** The HTTP methods an OpenAPI path item documents (OpenAPI 3.1 §4.8.9), lower-case. */
export const OPENAPI_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One route as an adapter saw it. */
export interface RecordedRoute {
  /** Upper-case HTTP method (`GET`). */
  readonly method: string;
  /** The path in OpenAPI syntax (`/api/notes/{id}`). */
  readonly path: string;
  /** What the guard enforces on it: `null` for a route the guard does not protect. */
  readonly requirement: ScopeRequirement | null;
}

/** Every guarded route of an app, recorded by its adapter. */
export interface RouteRegistry {
  /**
   * Records a route: its method, its path (framework syntax `/:id` or OpenAPI `/{id}`) and what the
   * guard enforces there (`null`: nothing). Recording the same method and path again replaces it.
   */
  record(method: string, path: string, requirement: ScopeRequirement | null): void;
  /** The recorded routes, in recording order. */
  routes(): readonly RecordedRoute[];
  /** Every scope some route requires, sorted: RFC 9728 `scopes_supported`. */
  scopes(): string[];
}

/**
 * A framework path in OpenAPI syntax: `:id` (and Hono's `:id{[0-9]+}`, Express's `:id?`) → `{id}`.
 * @example
 * openApiPath('/api/notes/:id'); // '/api/notes/{id}'
 */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z_$][\w$]*)(\{[^}]*\})?\??/g, '{$1}');
}

/**
 * Creates an empty registry. A guard holds one (`guard.routes`); adapters record into it.
 * @example
 * const registry = createRouteRegistry();
 * registry.record('GET', '/api/notes', ['read']);
 * registry.scopes(); // ['read']
 */
export function createRouteRegistry(): RouteRegistry {
  const recorded = new Map<string, RecordedRoute>();
  return {
    record(method, path, requirement) {
      const route: RecordedRoute = {
        method: method.toUpperCase(),
        path: openApiPath(path),
        requirement: requirement === null ? null : checkScopeRequirement(requirement),
      };
      recorded.set(`${route.method} ${route.path}`, route);
    },
    routes: () => [...recorded.values()],
    scopes() {
      const all = new Set<string>();
      for (const { requirement } of recorded.values()) {
        if (requirement) for (const scope of requiredScopes(requirement)) all.add(scope);
      }
      return [...all].sort();
    },
  };
}
