/**
 * A reconnecting `LISTEN restguard_api_keys` connection, kept apart from the pool. Notifications for
 * this store's schema are pushed to the store's subscribers at once (well inside the 1 s contract).
 * When the connection drops it reconnects with backoff (0.1 s doubling to 5 s), and after every
 * successful `LISTEN` it emits a `reset`, because notifications sent while it was away are lost.
 */
import type { ApiKeyStoreChange } from '@restguard/core';
import pg from 'pg';
import { POSTGRES_CHANNEL } from './migrations.js';

/** A running listener. */
export interface ChangeListener {
  stop(): Promise<void>;
}

/**
 * Starts listening; `emit` receives this schema's changes and a `reset` after each (re)connection.
 * @example
 * const listener = startChangeListener({ connectionString: url }, 'restguard', (change) => console.log(change.id));
 */
export function startChangeListener(
  config: pg.ClientConfig,
  schema: string,
  emit: (change: ApiKeyStoreChange) => void,
): ChangeListener {
  let stopped = false;
  let client: pg.Client | undefined;
  let delay = 100;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, 5000);
  };
  const connect = async () => {
    const next = new pg.Client({
      ...config,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      application_name: `restguard listener ${schema}`.slice(0, 63),
    });
    client = next;
    next.on('error', () => {
      void next.end().catch(() => {});
      if (client === next) retry();
    });
    next.on('end', () => {
      if (client === next) retry();
    });
    next.on('notification', (message) => {
      if (message.channel !== POSTGRES_CHANNEL || !message.payload) return;
      try {
        const payload = JSON.parse(message.payload) as { schema?: string; id?: string; hash?: string };
        if (payload.schema !== schema || typeof payload.id !== 'string') return;
        emit({ id: payload.id, ...(typeof payload.hash === 'string' ? { hash: payload.hash } : {}) });
      } catch {
        // not ours
      }
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${POSTGRES_CHANNEL}`);
      if (stopped) {
        await next.end();
        return;
      }
      delay = 100;
      emit({ id: '*', reset: true });
    } catch {
      if (client === next) {
        client = undefined;
        void next.end().catch(() => {});
        retry();
      }
    }
  };
  void connect();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      const current = client;
      client = undefined;
      await current?.end().catch(() => {});
    },
  };
}
