/**
 * Cross-process change feed for the SQLite store. Triggers append every insert, revocation, expiry
 * change, re-hash or deletion to `restguard_api_key_changes` (whatever process or tool made it: the
 * CLI, another instance, a manual `UPDATE`). While someone subscribes, a timer checks
 * `PRAGMA data_version` (a counter SQLite bumps when another connection commits; it costs no I/O) and,
 * when it moved, reads the new log rows and pushes them to the listeners. With the default 1 s
 * interval a revocation reaches every running process within about a second (the contract is 5 s).
 */
import type { ApiKeyStoreChange } from '@restguard/core';
import type Database from 'better-sqlite3';

/** Change-log rows older than this are pruned (a poller asleep for longer gets a `reset`). */
export const CHANGE_LOG_RETENTION_MS = 3_600_000;

/** A running change poller. */
export interface ChangePoller {
  stop(): void;
}

/**
 * Starts polling `db`'s change log; `emit` receives each change (and `reset` after a gap).
 * @example
 * const poller = startChangePoller(db, 1000, (change) => cache.drop(change.id));
 */
export function startChangePoller(
  db: Database.Database,
  intervalMs: number,
  emit: (change: ApiKeyStoreChange) => void,
): ChangePoller {
  const highest = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'restguard_api_key_changes'");
  const since = db.prepare(
    'SELECT seq, key_id, hash FROM restguard_api_key_changes WHERE seq > ? ORDER BY seq LIMIT 1000',
  );
  const version = db.prepare('PRAGMA data_version').pluck();
  const top = () => (highest.get() as { seq: number } | undefined)?.seq ?? 0;
  let last = top();
  let seen = version.get() as number;
  let failing = false;

  const tick = () => {
    try {
      const now = version.get() as number;
      if (now === seen && !failing) return;
      seen = now;
      let gap = failing;
      failing = false;
      const changes: ApiKeyStoreChange[] = [];
      for (;;) {
        const rows = since.all(last) as { seq: number; key_id: string; hash: string | null }[];
        if (rows.length === 0) {
          const max = top();
          if (max > last) gap = true;
          last = Math.max(last, max);
          break;
        }
        if (rows[0]!.seq > last + 1) gap = true;
        for (const row of rows) changes.push({ id: row.key_id, ...(row.hash ? { hash: row.hash } : {}) });
        last = rows[rows.length - 1]!.seq;
        if (rows.length < 1000) break;
        if (changes.length >= 10_000) {
          gap = true;
          last = Math.max(last, top());
          break;
        }
      }
      if (gap) emit({ id: '*', reset: true });
      else for (const change of changes) emit(change);
    } catch {
      // Database busy or gone: try again next tick, and tell listeners to start afresh then.
      failing = true;
    }
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
