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

/** A listener's state between reconnections. */
interface ListenerState {
  readonly options: NotificationListenerOptions;
  stopped: boolean;
  client: pg.Client | undefined;
  /** The next reconnection's backoff, in ms. */
  delay: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/** Reconnects after the backoff (0.1 s doubling to 5 s), once at a time, unless stopped. */
function scheduleReconnect(state: ListenerState): void {
  if (state.stopped || state.timer) return;
  state.options.onDisconnected?.();
  state.timer = setTimeout(() => {
    state.timer = undefined;
    void connect(state);
  }, state.delay);
  state.timer.unref();
  state.delay = Math.min(state.delay * 2, 5000);
}

/** A client whose errors and end schedule a reconnection, and whose notifications of this schema are passed on. */
function createListenClient(state: ListenerState): pg.Client {
  const { connection, schema, channel } = state.options;
  const client = new pg.Client({
    ...connection,
    keepAlive: true,
    connectionTimeoutMillis: 5000,
    application_name: state.options.applicationName.slice(0, 63),
  });
  client.on('error', () => {
    void client.end().catch(() => {});
    if (state.client === client) scheduleReconnect(state);
  });
  client.on('end', () => {
    if (state.client === client) scheduleReconnect(state);
  });
  client.on('notification', (message) => {
    if (message.channel !== channel || !message.payload) return;
    try {
      const payload = JSON.parse(message.payload) as Record<string, unknown>;
      if (payload.schema === schema) state.options.onPayload(payload);
    } catch {
      // not ours
    }
  });
  return client;
}

async function connect(state: ListenerState): Promise<void> {
  const next = createListenClient(state);
  state.client = next;
  try {
    await next.connect();
    await next.query(`LISTEN ${state.options.channel}`);
    if (state.stopped) {
      await next.end();
      return;
    }
    state.delay = 100;
    state.options.onConnected();
  } catch {
    if (state.client === next) {
      state.client = undefined;
      void next.end().catch(() => {});
      scheduleReconnect(state);
    }
  }
}

/**
 * Listens on one channel with reconnection; payloads of other schemas are ignored.
 * @example
 * const listener = startNotificationListener({ connection: { connectionString }, schema: 'restguard',
 *   channel: 'restguard_sessions', applicationName: 'restguard sessions', onPayload: console.log, onConnected: () => resync() });
 */
export function startNotificationListener(options: NotificationListenerOptions): ChangeListener {
  const state: ListenerState = { options, stopped: false, client: undefined, delay: 100, timer: undefined };
  void connect(state);
  return {
    async stop() {
      state.stopped = true;
      if (state.timer) clearTimeout(state.timer);
      const current = state.client;
      state.client = undefined;
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
