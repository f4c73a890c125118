/**
 * Ended browser sessions and refresh claims in the SQLite file (core's `SessionRevocationList`), shared
 * by every process using the file: each check is one index probe. Expired rows are purged at most once
 * a minute, by the process that writes.
 */
import type { SessionRevocationList } from '@restguard/core';
import type Database from 'better-sqlite3';
import { run, type SqliteStoreContext, statement } from './connection.js';

/** When this store last purged expired revocations and claims, in epoch seconds. */
interface PurgeClock {
  revocations: number;
  claims: number;
}

const REVOKE_SQL = `INSERT INTO restguard_session_revocations (kind, value, revoked_at, until) VALUES (?, ?, ?, ?)
           ON CONFLICT (kind, value) DO UPDATE SET revoked_at = max(revoked_at, excluded.revoked_at),
             until = max(until, excluded.until)`;
const IS_REVOKED_SQL = `SELECT 1 FROM restguard_session_revocations WHERE until > @now AND (
               (kind = 'id' AND value = @id) OR (kind = 'sid' AND value = @sid)
               OR (kind = 'sub' AND value = @sub AND revoked_at >= @createdAt)) LIMIT 1`;
// Atomic: of processes claiming the same key at once, one inserts (or takes over an expired claim).
const CLAIM_SQL = `INSERT INTO restguard_session_refresh_claims (key, until) VALUES (?, ?)
           ON CONFLICT (key) DO UPDATE SET until = excluded.until WHERE restguard_session_refresh_claims.until <= ?`;

type RevocationEntry = Parameters<SessionRevocationList['revoke']>[0];
type RevocationSession = Parameters<SessionRevocationList['isRevoked']>[0];

const nowSeconds = () => Math.floor(Date.now() / 1000);

function revokeSession(
  context: SqliteStoreContext,
  purged: PurgeClock,
  db: Database.Database,
  entry: RevocationEntry,
): void {
  const { id, sid, sub, at, until } = entry;
  const [kind, value] = id ? ['id', id] : sid ? ['sid', sid] : ['sub', sub!];
  statement(context, db, REVOKE_SQL).run(kind, value, at, until);
  const now = nowSeconds();
  if (now - purged.revocations > 60) {
    purged.revocations = now;
    statement(context, db, 'DELETE FROM restguard_session_revocations WHERE until <= ?').run(now);
  }
}

function isSessionRevoked(
  context: SqliteStoreContext,
  db: Database.Database,
  session: RevocationSession,
): boolean {
  return (
    statement(context, db, IS_REVOKED_SQL).get({
      now: nowSeconds(),
      id: session.id,
      sid: session.sid ?? null,
      sub: session.sub,
      createdAt: session.createdAt,
    }) !== undefined
  );
}

function claimRefresh(
  context: SqliteStoreContext,
  purged: PurgeClock,
  db: Database.Database,
  key: string,
  until: number,
): boolean {
  const now = nowSeconds();
  const { changes } = statement(context, db, CLAIM_SQL).run(key, until, now);
  if (changes === 1 && now - purged.claims > 60) {
    purged.claims = now;
    statement(context, db, 'DELETE FROM restguard_session_refresh_claims WHERE until <= ? AND key <> ?').run(
      now,
      key,
    );
  }
  return changes === 1;
}

/** The store's session revocation list (one per store). */
export function createSqliteSessionRevocations(context: SqliteStoreContext): SessionRevocationList {
  const purged: PurgeClock = { revocations: 0, claims: 0 };
  return {
    revoke: (entry) => run(context, (db) => revokeSession(context, purged, db, entry)),
    isRevoked: (session) => run(context, (db) => isSessionRevoked(context, db, session)),
    claim: (key, until) => run(context, (db) => claimRefresh(context, purged, db, key, until)),
  };
}
