/**
 * OpenTelemetry, through `@opentelemetry/api` only: every call is a no-op until the application
 * installs an SDK (register its meter and tracer providers before `createGuard`). Instruments, all
 * under the meter `@restguard/core`; attributes never carry a credential or a subject:
 *
 * - `restguard.auth.decisions` (counter) and `restguard.auth.decision.duration` (histogram, s), by
 *   `restguard.outcome` (`allow` | `deny`), `restguard.credential.kind` (a principal kind: `token`,
 *   `apiKey`, `session`, …; or `none`) and `restguard.error.code` (a `RestguardErrorCode`, on a denial);
 * - `restguard.idp.fetches` (counter) and `restguard.idp.fetch.duration` (histogram, s), by
 *   `restguard.fetch.target` (`discovery` | `jwks` | `introspection`) and `restguard.outcome`
 *   (`ok` | `error`);
 * - `restguard.store.duration` (histogram, s) and `restguard.store.errors` (counter), by
 *   `restguard.store.operation` (`findByHash`, `touch`, `isRevoked`, …) and `restguard.outcome`;
 * - `restguard.session.refreshes` (counter), by `restguard.outcome` (`ok` | `refused` | `unavailable`).
 *
 * And a span `restguard.decide` per decision, a child of the active span (the framework's request
 * span when its instrumentation is installed), with the same attributes plus the method and path.
 */
import { type Attributes, metrics, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { PrincipalKind } from './principal.js';

const SCOPE = '@restguard/core';
const seconds = (start: number) => (performance.now() - start) / 1000;

/** What a decision's telemetry records. */
export interface DecisionNote {
  outcome: 'allow' | 'deny';
  credentialKind: PrincipalKind | 'none';
  errorCode?: string;
}

/**
 * The guard's decision instruments, created once per guard (from the providers registered then).
 * @example
 * const telemetry = createDecisionTelemetry();
 * const decision = await telemetry.record('GET', '/api/notes', (note) => decide(request, note));
 */
export function createDecisionTelemetry() {
  const meter = metrics.getMeter(SCOPE);
  const tracer = trace.getTracer(SCOPE);
  const decisions = meter.createCounter('restguard.auth.decisions', {
    description: 'Authentication and authorization decisions, by outcome, credential kind and error code.',
  });
  const duration = meter.createHistogram('restguard.auth.decision.duration', {
    description: 'How long a decision took.',
    unit: 's',
  });
  return {
    /** Runs `decide` inside a `restguard.decide` span and records its outcome. */
    record<T>(method: string, path: string, decide: (note: DecisionNote) => Promise<T>): Promise<T> {
      return tracer.startActiveSpan(
        'restguard.decide',
        { kind: SpanKind.INTERNAL, attributes: { 'http.request.method': method, 'url.path': path } },
        async (span) => {
          const start = performance.now();
          const note: DecisionNote = { outcome: 'deny', credentialKind: 'none' };
          try {
            return await decide(note);
          } finally {
            const attributes: Attributes = {
              'restguard.outcome': note.outcome,
              'restguard.credential.kind': note.credentialKind,
              ...(note.errorCode ? { 'restguard.error.code': note.errorCode } : {}),
            };
            decisions.add(1, attributes);
            duration.record(seconds(start), attributes);
            span.setAttributes(attributes);
            if (note.outcome === 'deny' && note.errorCode === 'ERR_UNAVAILABLE') {
              span.setStatus({ code: SpanStatusCode.ERROR, message: 'verification unavailable' });
            }
            span.end();
          }
        },
      );
    },
  };
}

/**
 * Records one fetch from the identity provider (count and duration, by target and outcome).
 * @example
 * const jwks = await recordFetch('jwks', () => fetchJson(jwksUri, options));
 */
export async function recordFetch<T>(
  target: 'discovery' | 'jwks' | 'introspection',
  work: () => Promise<T>,
): Promise<T> {
  const start = performance.now();
  let outcome = 'error';
  try {
    const result = await work();
    outcome = 'ok';
    return result;
  } finally {
    const meter = metrics.getMeter(SCOPE);
    const attributes = { 'restguard.fetch.target': target, 'restguard.outcome': outcome };
    meter
      .createCounter('restguard.idp.fetches', { description: 'Fetches from the identity provider.' })
      .add(1, attributes);
    meter
      .createHistogram('restguard.idp.fetch.duration', { description: 'How long a fetch took.', unit: 's' })
      .record(seconds(start), attributes);
  }
}

/**
 * Wraps a store's asynchronous methods so each call records its latency and failures.
 * @example
 * const store = instrumentStore(createSqliteApiKeyStore({ path }), ['findByHash', 'touch']);
 */
export function instrumentStore<S extends object>(store: S, operations: readonly (keyof S & string)[]): S {
  const meter = metrics.getMeter(SCOPE);
  const duration = meter.createHistogram('restguard.store.duration', {
    description: 'How long a store call took.',
    unit: 's',
  });
  const errors = meter.createCounter('restguard.store.errors', { description: 'Store calls that failed.' });
  const wrappers = new Map<PropertyKey, (...args: unknown[]) => Promise<unknown>>();
  for (const operation of operations) {
    const original = store[operation];
    if (typeof original !== 'function') continue;
    wrappers.set(operation, async (...args: unknown[]) => {
      const start = performance.now();
      try {
        const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(store, args);
        duration.record(seconds(start), {
          'restguard.store.operation': operation,
          'restguard.outcome': 'ok',
        });
        return result;
      } catch (err) {
        const attributes = { 'restguard.store.operation': operation, 'restguard.outcome': 'error' };
        duration.record(seconds(start), attributes);
        errors.add(1, attributes);
        throw err;
      }
    });
  }
  // Everything else is the store's own (methods bound to it, so private state keeps working).
  return new Proxy(store, {
    get(target, property) {
      const wrapper = wrappers.get(property);
      if (wrapper) return wrapper;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Counts one session refresh by outcome.
 * @example
 * recordRefresh('ok');
 */
export function recordRefresh(outcome: 'ok' | 'refused' | 'unavailable'): void {
  metrics
    .getMeter(SCOPE)
    .createCounter('restguard.session.refreshes', { description: 'Session refreshes at the provider.' })
    .add(1, { 'restguard.outcome': outcome });
}
