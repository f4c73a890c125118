/**
 * `restguard sessions end --sub SUBJECT`: ends every browser session of a user begun until now, on
 * every instance sharing the database (the stores' session revocation list; with PostgreSQL the
 * instances are told at once by LISTEN/NOTIFY). It validates its input first, then writes one entry.
 */
import type { ApiKeyStore, SessionRevocationList } from '@restguard/core';
import type { CommandSpec, ParsedCommand } from './args.js';
import { resolveDatabase } from './database.js';
import { parseDuration } from './duration.js';
import { UsageError } from './errors.js';
import { parseSubject } from './input.js';
import { formatJson } from './output.js';
import type { CliIo } from './run.js';
import { withStore } from './store.js';

/** The session manager's default absolute timeout: 8 hours. */
const DEFAULT_FOR = '8h';

/** `restguard sessions end`. */
export const sessionsEndSpec: CommandSpec = {
  name: 'sessions end',
  summary: 'Ends every browser session of a user (begun until now) on every instance sharing the database.',
  positionals: [],
  options: {
    db: {
      type: 'string',
      value: 'URL',
      description: 'sqlite:PATH, postgres://… or postgresql://… (default: $DATABASE_URL).',
    },
    sub: { type: 'string', required: true, value: 'SUBJECT', description: 'The user (the ID token `sub`).' },
    for: {
      type: 'string',
      value: 'DURATION',
      description: `How long the end is remembered: at least the sessions' absolute timeout (default ${DEFAULT_FOR}).`,
    },
    json: { type: 'boolean', description: 'Print one JSON document instead of text.' },
  },
  notes: [
    'JSON output: {"sub","endedAt","until"} (ISO 8601).',
    'Example: restguard sessions end --db postgres://app@db/notes --sub alice',
  ],
};

/**
 * Runs `sessions end`; returns 0 or throws a one-line UsageError (nothing written).
 * @example
 * await runSessionsEnd(parseCommand(sessionsEndSpec, ['--sub', 'alice']), io);
 */
export async function runSessionsEnd(parsed: ParsedCommand, io: CliIo): Promise<number> {
  const sub = parseSubject(parsed.values.sub as string);
  if (sub === '') throw new UsageError('--sub must name a user.');
  const lifetime = parseDuration((parsed.values.for as string | undefined) ?? DEFAULT_FOR, '--for');
  const target = resolveDatabase(parsed.values.db as string | undefined, io.env, io.cwd);
  const at = new Date();
  const until = new Date(at.getTime() + lifetime);
  await withStore(target, 'revoke', async (store) => {
    const list = (
      store as ApiKeyStore & { sessionRevocations?: () => SessionRevocationList }
    ).sessionRevocations?.();
    if (!list) throw new UsageError('this store keeps no shared session list.');
    await list.revoke({
      sub,
      at: Math.floor(at.getTime() / 1000),
      until: Math.ceil(until.getTime() / 1000),
    });
  });
  if (parsed.values.json === true) {
    io.stdout(formatJson({ sub, endedAt: at.toISOString(), until: until.toISOString() }));
  } else {
    io.stdout(
      `Ended every session of ${sub} begun until ${at.toISOString()} (remembered until ${until.toISOString()}).\n`,
    );
  }
  return 0;
}
