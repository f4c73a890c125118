/**
 * Reconnecting `LISTEN` connections, kept apart from the pool: `restguard_api_keys` for key changes and
 * `restguard_sessions` for ended sessions. Notifications for this store's schema are pushed to the
 * subscribers at once (well inside the 1 s contract). When the connection drops it reconnects with
 * backoff (0.1 s doubling to 5 s), and after every successful `LISTEN` it reports a (re)connection,
 * because notifications sent while it was away are lost.
 */
import type { ApiKeyStoreChange } from '@restguard/core';
import pg from 'pg';
import { POSTGRES_CHANNEL } from './migrations.js';

/** A running listener. */
export interface ChangeListener {
  stop(): Promise<void>;
}

/** What {@link startNotificationListener} listens to and whom it tells. */
export interface NotificationListenerOptions {
  /** The connection's settings: a connection string, or those of the application's pool. */
  connection: pg.ClientConfig;
  schema: string;
  channel: string;
  /** The connection's `application_name` (cut to 63 characters). */
  applicationName: string;
  /** A notification of this schema (its JSON payload). */
  onPayload(payload: Record<string, unknown>): void;
  /** After each successful `LISTEN` (first connection and every reconnection). */
  onConnected(): void;
  /** When the connection is lost (notifications may be missed until the next `onConnected`). */
  onDisconnected?(): void;
}

/**
 * Listens on one channel with reconnection; payloads of other schemas are ignored.
 * @example
 * const listener = startNotificationListener({ connection: { connectionString }, schema: 'restguard',
 *   channel: 'restguard_sessions', applicationName: 'restguard sessions', onPayload: console.log, onConnected: () => resync() });
 */
export function startNotificationListener(options: NotificationListenerOptions): ChangeListener {
  const { connection, schema, channel } = options;
  let stopped = false;
  let client: pg.Client | undefined;
  let delay = 100;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const retry = () => {
    if (stopped || timer) return;
    options.onDisconnected?.();
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, delay);
    timer.unref();
    delay = Math.min(delay * 2, 5000);
  };
  const connect = async () => {
    const next = new pg.Client({
      ...connection,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
      application_name: options.applicationName.slice(0, 63),
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
      if (message.channel !== channel || !message.payload) return;
      try {
        const payload = JSON.parse(message.payload) as Record<string, unknown>;
        if (payload.schema === schema) options.onPayload(payload);
      } catch {
        // not ours
      }
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${channel}`);
      if (stopped) {
        await next.end();
        return;
      }
      delay = 100;
      options.onConnected();
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

/**
 * Starts listening for key changes; `emit` receives this schema's changes and a `reset` after each
 * (re)connection.
 * @example
 * const listener = startChangeListener({ connectionString: url }, 'restguard', (change) => console.log(change.id));
 */
export function startChangeListener(
  connection: pg.ClientConfig,
  schema: string,
  emit: (change: ApiKeyStoreChange) => void,
): ChangeListener {
  return startNotificationListener({
    connection,
    schema,
    channel: POSTGRES_CHANNEL,
    applicationName: `restguard listener ${schema}`,
    onPayload(payload) {
      if (typeof payload.id !== 'string') return;
      emit({ id: payload.id, ...(typeof payload.hash === 'string' ? { hash: payload.hash } : {}) });
    },
    onConnected: () => emit({ id: '*', reset: true }),
  });
}
