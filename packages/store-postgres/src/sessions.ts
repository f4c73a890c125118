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
  /** The quoted schema, as it goes into SQL. */
  quotedSchema: string;
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

/** The list's state: the mirror, the one being loaded, the listener and the purge times. */
interface SessionTableState {
  readonly table: SessionTableContext;
  mirror: SessionRevocationList | undefined;
  /** Being loaded: notifications that arrive meanwhile are applied to it too. */
  loading: SessionRevocationList | undefined;
  listener: ChangeListener | undefined;
  generation: number;
  closed: boolean;
  lastPurge: number;
  lastClaimPurge: number;
  /** Entries put in the mirror since it was loaded: past the capacity it is reloaded (never evicted). */
  mirrored: number;
}

type RevocationEntry = Parameters<SessionRevocationList['revoke']>[0];
type RevocableSession = Parameters<SessionRevocationList['isRevoked']>[0];

const nowSeconds = (state: SessionTableState) => Math.floor(state.table.clock() / 1000);

async function loadMirror(state: SessionTableState, current: number, fresh: SessionRevocationList) {
  const { table } = state;
  const { rows } = await table.pool.query<{ kind: Kind; value: string; revoked_at: string; until: string }>(
    `SELECT kind, value, revoked_at, until FROM ${table.quotedSchema}.session_revocations WHERE until > $1 LIMIT $2`,
    [nowSeconds(state), table.capacity + 1],
  );
  if (rows.length > table.capacity || current !== state.generation || state.closed) return;
  for (const row of rows)
    await fresh.revoke(entryOf(row.kind, row.value, Number(row.revoked_at), Number(row.until)));
  state.mirror = fresh;
  state.mirrored = rows.length;
  state.loading = undefined;
}

/** Loads the table into a fresh mirror; meanwhile every check queries. */
function reloadMirror(state: SessionTableState): void {
  const current = ++state.generation;
  state.mirror = undefined;
  state.loading = createMemoryRevocationList(state.table.capacity, state.table.clock);
  const fresh = state.loading;
  void state.table.run(() => loadMirror(state, current, fresh)).catch(() => {});
}

/** Puts an entry in the mirror, or reloads it when it would exceed the capacity. */
async function mirrorEntry(state: SessionTableState, entry: RevocationEntry): Promise<void> {
  if (state.mirror && ++state.mirrored > state.table.capacity) reloadMirror(state);
  else await state.mirror?.revoke(entry);
}

function startListening(state: SessionTableState): void {
  if (state.listener || state.closed) return;
  state.listener = startNotificationListener({
    connection: state.table.connection,
    schema: state.table.schema,
    channel: POSTGRES_SESSION_CHANNEL,
    applicationName: `restguard sessions ${state.table.schema}`,
    onPayload(payload) {
      const { kind, value, at, until } = payload;
      if ((kind !== 'id' && kind !== 'sid' && kind !== 'sub') || typeof value !== 'string') return;
      const entry = entryOf(kind, value, Number(at), Number(until));
      void state.loading?.revoke(entry);
      void mirrorEntry(state, entry);
    },
    onConnected() {
      // Notifications queue up behind this load; the mirror is used once it holds the table.
      reloadMirror(state);
    },
    onDisconnected() {
      state.generation++;
      state.mirror = undefined;
      state.loading = undefined;
    },
  });
}

async function revokeSession(state: SessionTableState, entry: RevocationEntry): Promise<void> {
  const { pool, quotedSchema: schema } = state.table;
  const { id, sid, sub, at, until } = entry;
  const [kind, value] = id ? (['id', id] as const) : sid ? (['sid', sid] as const) : (['sub', sub!] as const);
  await pool.query(
    `INSERT INTO ${schema}.session_revocations (kind, value, revoked_at, until) VALUES ($1, $2, $3, $4)
           ON CONFLICT (kind, value) DO UPDATE SET revoked_at = greatest(${schema}.session_revocations.revoked_at, EXCLUDED.revoked_at),
             until = greatest(${schema}.session_revocations.until, EXCLUDED.until)`,
    [kind, value, at, until],
  );
  await mirrorEntry(state, entry);
  if (nowSeconds(state) - state.lastPurge > 60) {
    state.lastPurge = nowSeconds(state);
    await pool.query(`DELETE FROM ${schema}.session_revocations WHERE until <= $1`, [nowSeconds(state)]);
  }
}

async function queryRevoked(state: SessionTableState, session: RevocableSession): Promise<boolean> {
  const { rows } = await state.table.pool.query(
    `SELECT 1 FROM ${state.table.quotedSchema}.session_revocations WHERE until > $1 AND (
             (kind = 'id' AND value = $2) OR (kind = 'sid' AND value = $3)
             OR (kind = 'sub' AND value = $4 AND revoked_at >= $5)) LIMIT 1`,
    [nowSeconds(state), session.id, session.sid ?? null, session.sub, session.createdAt],
  );
  return rows.length > 0;
}

// Atomic: of instances claiming the same key at once, one inserts (or takes over an expired claim).
async function claimRefresh(state: SessionTableState, key: string, until: number): Promise<boolean> {
  const { pool, quotedSchema: schema } = state.table;
  const { rowCount } = await pool.query(
    `INSERT INTO ${schema}.session_refresh_claims (key, until) VALUES ($1, $2)
           ON CONFLICT (key) DO UPDATE SET until = EXCLUDED.until WHERE ${schema}.session_refresh_claims.until <= $3`,
    [key, until, nowSeconds(state)],
  );
  if (rowCount === 1 && nowSeconds(state) - state.lastClaimPurge > 60) {
    state.lastClaimPurge = nowSeconds(state);
    await pool.query(`DELETE FROM ${schema}.session_refresh_claims WHERE until <= $1 AND key <> $2`, [
      nowSeconds(state),
      key,
    ]);
  }
  return rowCount === 1;
}

/**
 * Creates the list over the store's pool; the listener starts on first use.
 * @example
 * const revocations = createSessionTable({ pool, connection: { connectionString }, schema, quotedSchema, run, clock: Date.now, capacity: 100_000 });
 */
export function createSessionTable(table: SessionTableContext): PostgresSessionRevocationList {
  const state: SessionTableState = {
    table,
    mirror: undefined,
    loading: undefined,
    listener: undefined,
    generation: 0,
    closed: false,
    lastPurge: 0,
    lastClaimPurge: 0,
    mirrored: 0,
  };
  return {
    get pushed() {
      return state.mirror !== undefined;
    },
    revoke: (entry) => table.run(() => revokeSession(state, entry)),
    async isRevoked(session) {
      startListening(state);
      if (state.mirror) return state.mirror.isRevoked(session);
      return table.run(() => queryRevoked(state, session));
    },
    claim: (key, until) => table.run(() => claimRefresh(state, key, until)),
    async close() {
      state.closed = true;
      state.mirror = undefined;
      await state.listener?.stop();
      state.listener = undefined;
    },
  };
}
