/**
 * Type augmentation of Fastify: `request.auth`, `app.restguard` and the `restguard` route config.
 */
import type { Guard, Principal, ScopeRequirement } from '@restguard/core';
import type { onRequestHookHandler } from 'fastify';

/**
 * Per-route options, given as `config: { restguard: { … } }` on a route.
 * @example
 * app.get('/api/notes', { config: { restguard: { scopes: ['read'] } } }, listNotes);
 */
export interface RestguardRouteConfig {
  /** The scopes/permissions the route needs: an array (all of them) or `{ all, any }`. */
  readonly scopes?: ScopeRequirement;
}

/**
 * `app.restguard`: the guard and a hook factory for route-level requirements.
 * @example
 * app.delete('/api/notes/:id', { onRequest: app.restguard.require({ any: ['write', 'admin'] }) }, deleteNote);
 */
export interface RestguardDecorator {
  /** The guard deciding the requests of this scope (close it if you built it yourself). */
  readonly guard: Guard;
  /**
   * An `onRequest` hook that lets a request through only with the scopes it needs: else 403
   * `insufficient_scope` (401 when anonymous).
   * @example
   * app.post('/api/notes', { onRequest: app.restguard.require(['write']) }, createNote);
   */
  require(requirement: ScopeRequirement): onRequestHookHandler;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request; `null` when anonymous (optional auth) or outside the plugin's scope. */
    auth: Principal | null;
  }
  interface FastifyInstance {
    restguard: RestguardDecorator;
  }
  interface FastifyContextConfig {
    restguard?: RestguardRouteConfig;
  }
}
