/**
 * restguard inside a server child: guards built from the fixture (memory store + tokens on
 * `/api/notes`, SQLite on `/sqlite/notes`, PostgreSQL on `/postgres/notes`), mounted through the
 * adapters exactly as their READMEs show. TLS policy is off: the bench speaks plain HTTP on loopback
 * and measures authentication, not TLS (which costs every row the same).
 */
import type { ApiKeyStore, Guard } from '@restguard/core';
import type { Express, RequestHandler } from 'express';
import type { FastifyInstance } from 'fastify';
import type { Hono } from 'hono';
import type { Fixture, Framework } from '../http/fixture.js';
import { apiKeyOptions, openStore, reviveRecord, type StoreKind } from './api-keys.js';
import { reasonOf, tokenOptions } from './options.js';

/** Mounts restguard-guarded `GET` routes that answer with `handler`. */
export interface RestguardServerKit {
  mountExpress(app: Express, handler: RequestHandler): Promise<void>;
  mountFastify(app: FastifyInstance, handler: () => Promise<unknown>): Promise<void>;
  mountHono(app: Hono, handler: (c: never) => Response): Promise<void>;
  close(): Promise<void>;
}

interface Mounted {
  readonly path: string;
  readonly guard: Guard;
  readonly store: ApiKeyStore;
}

async function buildGuards(fixture: Fixture): Promise<Mounted[]> {
  const core = await import('@restguard/core');
  const memory = await openStore('memory', null);
  for (const record of fixture.memoryRecords) await memory.insert(reviveRecord(record));
  const tokens = await tokenOptions(fixture);
  const out: Mounted[] = [
    {
      path: '/api/notes',
      store: memory,
      guard: core.createGuard({
        tls: false,
        tokens,
        apiKeys: await apiKeyOptions(memory, fixture.pepper, fixture.cacheSize, false),
      }),
    },
  ];
  const extra: Array<[StoreKind, string | null, string]> = [
    ['sqlite', fixture.sqlitePath, '/sqlite/notes'],
    ['postgres', fixture.postgresUrl, '/postgres/notes'],
  ];
  for (const [kind, location, path] of extra) {
    if (!location) continue;
    const store = await openStore(kind, location, fixture.postgresSchema);
    out.push({
      path,
      store,
      guard: core.createGuard({
        tls: false,
        apiKeys: await apiKeyOptions(store, fixture.pepper, fixture.cacheSize, false),
      }),
    });
  }
  return out;
}

/**
 * Builds the kit for one child. Failures surface when a route is mounted, so the orchestrator
 * records why the restguard rows did not run.
 * @example
 * const kit = await createServerKit(fixture, 'express');
 */
export async function createServerKit(fixture: Fixture, framework: Framework): Promise<RestguardServerKit> {
  let mounted: Mounted[] | undefined;
  const guards = async () => {
    mounted ??= await buildGuards(fixture).catch((err: unknown) => {
      throw new Error(`restguard (${framework}) not available: ${reasonOf(err)}`);
    });
    return mounted;
  };
  return {
    async mountExpress(app, handler) {
      const { restguard, requireScopes } = await import('@restguard/express');
      for (const { path, guard } of await guards())
        app.get(path, restguard(guard), requireScopes(['read']), handler);
    },
    async mountFastify(app, handler) {
      const { restguard } = await import('@restguard/fastify');
      let first = true;
      for (const { path, guard } of await guards()) {
        const errorHandlers = first;
        first = false;
        await app.register(async (scope) => {
          await scope.register(restguard, { guard, errorHandlers });
          scope.get(path, { config: { restguard: { scopes: ['read'] } } }, handler);
        });
      }
    },
    async mountHono(app, handler) {
      const { onError, restguard, requireScopes } = await import('@restguard/hono');
      for (const { path, guard } of await guards())
        app.get(path, restguard(guard), requireScopes(['read']), handler as never);
      app.onError(onError()); // as the README shows: refusals and errors as problem+json
    },
    async close() {
      for (const { guard, store } of mounted ?? []) {
        await guard.close().catch(() => {});
        await store.close().catch(() => {});
      }
    },
  };
}
