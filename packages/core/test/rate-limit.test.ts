/**
 * Per-credential rate limits through the guard, on real stores: memory, Redis (`TEST_REDIS_URL`) and
 * PostgreSQL (`TEST_DATABASE_URL`). Two guards on one Redis or one PostgreSQL are two instances: they
 * must spend one budget. Without those variables these tests fail; they never skip.
 */
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AuthEvent,
  type AuthRequest,
  createApiKey,
  createGuard,
  createMemoryApiKeyStore,
  formatRate,
  type Guard,
  headersFromRaw,
  parseRate,
  type RateLimitBackend,
  setApiKeyRateLimit,
} from '../src/index.js';
import { createRateLimitBackend } from '../src/node/index.js';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through \`npm test\`.`);
  return value;
};
const request = (key: string): AuthRequest => ({
  method: 'GET',
  url: '/api/notes',
  headers: headersFromRaw(['X-API-Key', key]),
  tls: true,
});
const closers: (() => unknown)[] = [];
afterAll(async () => {
  for (const close of closers.reverse()) await close();
});

describe('parseRate / formatRate', () => {
  it('reads the usual forms and writes them back canonically', () => {
    expect(parseRate('100/min')).toEqual({ points: 100, windowSeconds: 60 });
    expect(parseRate('10/s')).toEqual({ points: 10, windowSeconds: 1 });
    expect(parseRate('5000 / day')).toEqual({ points: 5000, windowSeconds: 86400 });
    expect(parseRate('20/10s')).toEqual({ points: 20, windowSeconds: 10 });
    expect(parseRate('3/hours')).toEqual({ points: 3, windowSeconds: 3600 });
    expect(formatRate(parseRate('100/minute'))).toBe('100/min');
    expect(formatRate({ points: 20, windowSeconds: 120 })).toBe('20/2min');
    for (const bad of ['', '100', '0/min', '10/fortnight', '-1/s', '1/0s', 'ten/min']) {
      expect(() => parseRate(bad), bad).toThrow(/N\/unit/);
    }
  });
});

/** A memory store with one key limited to `rate`, a guard on `backend`, and the events it emits. */
async function setup(
  backend: RateLimitBackend,
  rate = '3/min',
  extra: { onStoreError?: 'allow' | 'deny' } = {},
) {
  const store = createMemoryApiKeyStore();
  const { key, record } = await createApiKey(store, {
    name: 'limited',
    permissions: ['read'],
    rateLimit: rate,
  });
  const events: AuthEvent[] = [];
  const guard = createGuard({
    apiKeys: { store },
    rateLimit: { backend, ...extra },
    onEvent: (event) => events.push(event),
  });
  closers.push(() => guard.close());
  return { store, key, id: record.id, guard, events };
}

/** Counts the calls that reach a backend. */
function counting(backend: RateLimitBackend): RateLimitBackend & { calls: number } {
  const counted = {
    calls: 0,
    consume(key: string, limit: Parameters<RateLimitBackend['consume']>[1]) {
      counted.calls += 1;
      return backend.consume(key, limit);
    },
  };
  return counted;
}

describe('rate limits in the guard (memory store)', () => {
  it('counts down in the RateLimit headers, then answers 429 with Retry-After and problem+json, never 401', async () => {
    const { key, guard, events } = await setup(createRateLimitBackend({ store: 'memory' }));
    for (const remaining of [2, 1, 0]) {
      const decision = await guard.decide(request(key), ['read']);
      expect(decision.allow).toBe(true);
      if (!decision.allow) return;
      expect(decision.headers['ratelimit-policy']).toBe('"api-key";q=3;w=60');
      expect(decision.headers.ratelimit).toMatch(new RegExp(`^"api-key";r=${remaining};t=\\d+$`));
    }
    const refused = await guard.decide(request(key), ['read']);
    expect(refused.allow).toBe(false);
    if (refused.allow) return;
    const { status, headers, body } = refused.answer;
    expect(status).toBe(429);
    expect(Number(headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(headers['retry-after'])).toBeLessThanOrEqual(60);
    expect(headers['ratelimit-policy']).toBe('"api-key";q=3;w=60');
    expect(headers.ratelimit).toMatch(/^"api-key";r=0;t=\d+$/);
    expect(headers['www-authenticate']).toBeUndefined();
    expect(headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(body)).toMatchObject({ status: 429, title: 'Too many requests' });
    expect(body).not.toContain(key);
    expect(events.at(-1)).toMatchObject({ type: 'rejected', code: 'ERR_RATE_LIMITED', status: 429 });
  });

  it('never lets an unknown or malformed key reach the limiter store', async () => {
    const backend = counting(createRateLimitBackend({ store: 'memory' }));
    const { key, guard } = await setup(backend);
    const unknown = `${key.slice(0, -6)}AAAAAA`;
    for (const bad of [unknown, 'rg_live_nope', `${key}x`]) {
      const decision = await guard.decide(request(bad));
      expect(decision.allow ? 200 : decision.answer.status).toBe(401);
    }
    expect(backend.calls).toBe(0);
    await guard.decide(request(key));
    expect(backend.calls).toBe(1);
  });

  it('applies the default to a key without its own rate, and a rate set later on its own budget', async () => {
    const backend = createRateLimitBackend({ store: 'memory' });
    const store = createMemoryApiKeyStore();
    const { key, record } = await createApiKey(store, { name: 'plain', permissions: ['read'] });
    const guard = createGuard({ apiKeys: { store }, rateLimit: { backend, default: '2/min' } });
    closers.push(() => guard.close());
    const statuses = async (n: number) => {
      const out: number[] = [];
      for (let i = 0; i < n; i++) {
        const decision = await guard.decide(request(key));
        out.push(decision.allow ? 200 : decision.answer.status);
      }
      return out;
    };
    expect(await statuses(3)).toEqual([200, 200, 429]);
    await setApiKeyRateLimit(store, record.id, '4/min');
    // the key's own budget is counted apart from the default one
    expect(await statuses(5)).toEqual([200, 200, 200, 200, 429]);
  });

  it('fails open for the limiter only when its store is down (default), or 503 with deny, with an event', async () => {
    const down: RateLimitBackend = {
      consume: async () => {
        throw new Error('store down');
      },
    };
    const open = await setup(down);
    const allowed = await open.guard.decide(request(open.key));
    expect(allowed.allow).toBe(true);
    expect(open.events).toContainEqual(
      expect.objectContaining({ type: 'rate_limit_unavailable', policy: 'allow' }),
    );
    // authentication never fails open
    const bad = await open.guard.decide(request('rg_live_nope'));
    expect(bad.allow ? 200 : bad.answer.status).toBe(401);

    const closed = await setup(down, '3/min', { onStoreError: 'deny' });
    const denied = await closed.guard.decide(request(closed.key));
    expect(denied.allow ? 200 : denied.answer.status).toBe(503);
    if (!denied.allow) expect(denied.answer.headers['retry-after']).toBe('5');
    expect(closed.events).toContainEqual(
      expect.objectContaining({ type: 'rate_limit_unavailable', policy: 'deny' }),
    );
  });
});

/** A port nobody listens on. */
function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sends `total` requests alternating between two guards; returns how many were allowed, in order. */
async function alternate(guards: Guard[], key: string, total: number): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < total; i++) {
    const decision = await guards[i % guards.length]!.decide(request(key));
    statuses.push(decision.allow ? 200 : decision.answer.status);
  }
  return statuses;
}

describe('two instances on one shared store spend one budget', () => {
  it('Redis', async () => {
    const url = env('TEST_REDIS_URL');
    const clients = [0, 1].map(() => new Redis(url, { enableOfflineQueue: false, lazyConnect: true }));
    for (const client of clients) {
      await client.connect();
      closers.push(() => client.quit());
    }
    const store = createMemoryApiKeyStore();
    const rate = `5/${3600 + Math.floor(Math.random() * 1000)}s`; // a fresh limiter key space per run
    const { key } = await createApiKey(store, { name: 'shared', permissions: ['read'], rateLimit: rate });
    const guards = clients.map((client) =>
      createGuard({
        apiKeys: { store },
        rateLimit: { backend: createRateLimitBackend({ store: 'redis', client }) },
      }),
    );
    for (const guard of guards) closers.push(() => guard.close());
    expect(await alternate(guards, key, 8)).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });

  it('Redis down: the limiter fails open and says so', async () => {
    // A port nobody listens on: the client never becomes ready.
    const port = await freePort();
    const client = new Redis({
      port,
      host: '127.0.0.1',
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    closers.push(() => client.disconnect());
    const { key, guard, events } = await setup(createRateLimitBackend({ store: 'redis', client }));
    const decision = await guard.decide(request(key));
    expect(decision.allow).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'rate_limit_unavailable', policy: 'allow' }),
    );
  });

  it('PostgreSQL down: the limiter fails open and says so', async () => {
    const port = await freePort();
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 2000 });
    pool.on('error', () => {});
    closers.push(() => pool.end());
    const { key, guard, events } = await setup(createRateLimitBackend({ store: 'postgres', client: pool }));
    const decision = await guard.decide(request(key));
    expect(decision.allow).toBe(true);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'rate_limit_unavailable', policy: 'allow' }),
    );
  });

  it('PostgreSQL', async () => {
    const url = env('TEST_DATABASE_URL');
    const pools = [0, 1].map(() => new pg.Pool({ connectionString: url, max: 2 }));
    for (const pool of pools) closers.push(() => pool.end());
    const store = createMemoryApiKeyStore();
    const rate = `4/${3600 + Math.floor(Math.random() * 1000)}s`;
    const { key } = await createApiKey(store, { name: 'shared', permissions: ['read'], rateLimit: rate });
    const guards = pools.map((client) =>
      createGuard({
        apiKeys: { store },
        rateLimit: { backend: createRateLimitBackend({ store: 'postgres', client }) },
      }),
    );
    for (const guard of guards) closers.push(() => guard.close());
    expect(await alternate(guards, key, 7)).toEqual([200, 200, 200, 200, 429, 429, 429]);
  });
});
