/**
 * Ended browser sessions shared by every instance on one PostgreSQL (OIDC Back-Channel Logout 1.0
 * §2.7: a sealed cookie cannot be recalled, so its end is remembered server-side). Each instance keeps
 * a mirror of the live entries, loaded after every `LISTEN restguard_sessions` and kept current by the
 * notifications a trigger sends, so a check costs no query and another instance's logout applies at
 * once. While the listener is down (or the mirror would exceed its bound) each check queries the table
 * instead; if that fails too the check rejects (503), never passes. Entries expire with the session's
 * absolute timeout and are deleted after it, so the table and the mirror stay bounded.
 */
import { createMemoryRevocationList, type SessionRevocationList } from '@restguard/core';
import type pg from 'pg';
import { type ChangeListener, startNotificationListener } from './listener.js';
import { POSTGRES_SESSION_CHANNEL } from './migrations.js';

/** What the session list shares with its key store. */
export interface SessionTableContext {
  pool: pg.Pool;
  /** The LISTEN connection's settings (a connection string, or those of the application's pool). */
  connection: pg.ClientConfig;
  schema: string;
  /** The quoted schema. */
  s: string;
  /** Runs a store call: migrations first, failures as `UnavailableError`. */
  run<T>(work: () => Promise<T>): Promise<T>;
  clock: () => number;
  /** At most this many live entries are mirrored; beyond it every check queries. */
  capacity: number;
}

/** A `SessionRevocationList` (from `@restguard/core`) on PostgreSQL, with its listener to stop. */
export interface PostgresSessionRevocationList extends SessionRevocationList {
  /** True while the mirror is current (listening, loaded): checks cost no query. */
  readonly pushed: boolean;
  /** Stops the LISTEN client and drops the in-memory mirror. */
  close(): Promise<void>;
}

type Kind = 'id' | 'sid' | 'sub';
const entryOf = (kind: Kind, value: string, at: number, until: number) =>
  kind === 'id'
    ? { id: value, at, until }
    : kind === 'sid'
      ? { sid: value, at, until }
      : { sub: value, at, until };

/**
 * Creates the list over the store's pool; the listener starts on first use.
 * @example
 * const revocations = createSessionTable({ pool, connection: { connectionString }, schema, s, run, clock: Date.now, capacity: 100_000 });
 */
export function createSessionTable(ctx: SessionTableContext): PostgresSessionRevocationList {
  const { pool, s } = ctx;
  const now = () => Math.floor(ctx.clock() / 1000);
  let mirror: SessionRevocationList | undefined;
  // Being loaded: notifications that arrive meanwhile are applied to it too.
  let loading: SessionRevocationList | undefined;
  let listener: ChangeListener | undefined;
  let generation = 0;
  let closed = false;
  let lastPurge = 0;
  let lastClaimPurge = 0;
  // Entries put in the mirror since it was loaded: past the capacity it is reloaded (never evicted).
  let mirrored = 0;

  const load = async (current: number, fresh: SessionRevocationList) => {
    const { rows } = await pool.query<{ kind: Kind; value: string; revoked_at: string; until: string }>(
      `SELECT kind, value, revoked_at, until FROM ${s}.session_revocations WHERE until > $1 LIMIT $2`,
      [now(), ctx.capacity + 1],
    );
    if (rows.length > ctx.capacity || current !== generation || closed) return;
    for (const row of rows)
      await fresh.revoke(entryOf(row.kind, row.value, Number(row.revoked_at), Number(row.until)));
    mirror = fresh;
    mirrored = rows.length;
    loading = undefined;
  };
  // Loads the table into a fresh mirror; meanwhile every check queries.
  const reload = () => {
    const current = ++generation;
    mirror = undefined;
    loading = createMemoryRevocationList(ctx.capacity, ctx.clock);
    const fresh = loading;
    void ctx.run(() => load(current, fresh)).catch(() => {});
  };
  const start = () => {
    if (listener || closed) return;
    listener = startNotificationListener({
      connection: ctx.connection,
      schema: ctx.schema,
      channel: POSTGRES_SESSION_CHANNEL,
      applicationName: `restguard sessions ${ctx.schema}`,
      onPayload(payload) {
        const { kind, value, at, until } = payload;
        if ((kind !== 'id' && kind !== 'sid' && kind !== 'sub') || typeof value !== 'string') return;
        const entry = entryOf(kind, value, Number(at), Number(until));
        void loading?.revoke(entry);
        if (mirror && ++mirrored > ctx.capacity) reload();
        else void mirror?.revoke(entry);
      },
      onConnected() {
        // Notifications queue up behind this load; the mirror is used once it holds the table.
        reload();
      },
      onDisconnected() {
        generation++;
        mirror = undefined;
        loading = undefined;
      },
    });
  };

  return {
    get pushed() {
      return mirror !== undefined;
    },
    revoke: (entry) =>
      ctx.run(async () => {
        const { id, sid, sub, at, until } = entry;
        const [kind, value] = id
          ? (['id', id] as const)
          : sid
            ? (['sid', sid] as const)
            : (['sub', sub!] as const);
        await pool.query(
          `INSERT INTO ${s}.session_revocations (kind, value, revoked_at, until) VALUES ($1, $2, $3, $4)
           ON CONFLICT (kind, value) DO UPDATE SET revoked_at = greatest(${s}.session_revocations.revoked_at, EXCLUDED.revoked_at),
             until = greatest(${s}.session_revocations.until, EXCLUDED.until)`,
          [kind, value, at, until],
        );
        if (mirror && ++mirrored > ctx.capacity) reload();
        else await mirror?.revoke(entry);
        if (now() - lastPurge > 60) {
          lastPurge = now();
          await pool.query(`DELETE FROM ${s}.session_revocations WHERE until <= $1`, [now()]);
        }
      }),
    async isRevoked(session) {
      start();
      if (mirror) return mirror.isRevoked(session);
      return ctx.run(async () => {
        const { rows } = await pool.query(
          `SELECT 1 FROM ${s}.session_revocations WHERE until > $1 AND (
             (kind = 'id' AND value = $2) OR (kind = 'sid' AND value = $3)
             OR (kind = 'sub' AND value = $4 AND revoked_at >= $5)) LIMIT 1`,
          [now(), session.id, session.sid ?? null, session.sub, session.createdAt],
        );
        return rows.length > 0;
      });
    },
    // Atomic: of instances claiming the same key at once, one inserts (or takes over an expired claim).
    claim: (key, until) =>
      ctx.run(async () => {
        const { rowCount } = await pool.query(
          `INSERT INTO ${s}.session_refresh_claims (key, until) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until WHERE ${s}.session_refresh_claims.until <= $3`,
          [key, until, now()],
        );
        if (rowCount === 1 && now() - lastClaimPurge > 60) {
          lastClaimPurge = now();
          await pool.query(`DELETE FROM ${s}.session_refresh_claims WHERE until <= $1 AND key <> $2`, [
            now(),
            key,
          ]);
        }
        return rowCount === 1;
      }),
    async close() {
      closed = true;
      mirror = undefined;
      await listener?.stop();
      listener = undefined;
    },
  };
}
