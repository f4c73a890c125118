/**
 * `restguard keys create|list|revoke|rotate|update`. Each command validates ALL of its input first, then
 * opens the database, does one management call from `@restguard/core`, prints, and closes. So a
 * refused command has changed nothing: not a row, not even a new SQLite file.
 */
import {
  type ApiKeySummary,
  createApiKey,
  formatRate,
  getApiKey,
  isRestguardError,
  listApiKeys,
  parseRate,
  revokeApiKey,
  rotateApiKey,
  setApiKeyRateLimit,
} from '@restguard/core';
import type { ParsedCommand } from './args.js';
import { type DatabaseTarget, resolveDatabase } from './database.js';
import { formatDuration, parseDuration } from './duration.js';
import { oneLine, UsageError } from './errors.js';
import { parseKeyId, parseMetadata, parseName, parsePermissions, parseSubject } from './input.js';
import { formatJson, formatKeyTable, publicView } from './output.js';
import type { CliIo } from './run.js';
import { resolveHasher, resolvePrefix } from './secrets.js';
import { withStore } from './store.js';

/** The `keys` commands. */
export type KeysCommand = 'create' | 'list' | 'revoke' | 'rotate' | 'update';

/** Longest grace period, as core's `rotateApiKey` accepts it: 365 days. */
const MAX_GRACE_MS = 365 * 86_400_000;

/**
 * Runs one parsed `keys` command; returns the exit code (0) or throws a one-line UsageError.
 * @example
 * await runKeysCommand('list', parseCommand(listSpec, ['--db', 'sqlite:keys.db']), io);
 */
export async function runKeysCommand(
  command: KeysCommand,
  parsed: ParsedCommand,
  io: CliIo,
): Promise<number> {
  const values = parsed.values;
  const str = (name: string) => values[name] as string | undefined;
  const json = values.json === true;
  const now = () => new Date();

  switch (command) {
    case 'create': {
      const name = parseName(str('name')!);
      const permissions = parsePermissions(str('permissions')!);
      const lifetime =
        str('expires-in') === undefined ? undefined : parseDuration(str('expires-in')!, '--expires-in');
      const subject = str('subject') === undefined ? undefined : parseSubject(str('subject')!);
      const metadata = str('metadata') === undefined ? undefined : parseMetadata(str('metadata')!);
      const rateLimit = str('rate') === undefined ? undefined : parseRateOption(str('rate')!, false);
      const prefix = resolvePrefix(str('prefix'), io.env);
      const hasher = resolveHasher(io.env);
      const target = resolveDatabase(str('db'), io.env, io.cwd);
      const issued = await withStore(target, 'create', (store) => {
        const at = now();
        return createApiKey(store, {
          name,
          permissions,
          expiresAt: lifetime === undefined ? null : new Date(at.getTime() + lifetime),
          ...(subject !== undefined ? { subject } : {}),
          ...(metadata !== undefined ? { metadata } : {}),
          ...(rateLimit ? { rateLimit } : {}),
          prefix,
          hasher,
          now: at,
        });
      });
      const { record, key } = issued;
      if (json) {
        io.stdout(formatJson(issuedJson(record, key)));
      } else {
        io.stdout(issuedText('Created', record, key, target));
      }
      return 0;
    }
    case 'list': {
      const target = resolveDatabase(str('db'), io.env, io.cwd);
      const includeRevoked = values.all === true;
      const records = await withStore(target, 'list', (store) => listApiKeys(store, { includeRevoked }));
      const at = now();
      const views = records.map((record) => publicView(record, at));
      io.stdout(json ? formatJson(views) : formatKeyTable(views));
      return 0;
    }
    case 'revoke': {
      const id = parseKeyId(parsed.positionals[0]!);
      const target = resolveDatabase(str('db'), io.env, io.cwd);
      const at = now();
      const record = await withStore(target, 'revoke', (store) => revokeApiKey(store, id, { now: at }));
      const already = record.revokedAt !== null && record.revokedAt.getTime() !== at.getTime();
      const revokedAt = (record.revokedAt ?? at).toISOString();
      if (json) {
        io.stdout(
          formatJson({
            id: record.id,
            name: record.name,
            prefix: record.prefix,
            revokedAt,
            alreadyRevoked: already,
          }),
        );
      } else if (already) {
        io.stdout(`API key ${record.id} (${record.prefix}…) was already revoked at ${revokedAt}.\n`);
      } else {
        io.stdout(`Revoked API key ${record.id} (${record.prefix}…) at ${revokedAt}.\n`);
      }
      return 0;
    }
    case 'update': {
      const id = parseKeyId(parsed.positionals[0]!);
      const rateLimit = parseRateOption(str('rate')!, true);
      const target = resolveDatabase(str('db'), io.env, io.cwd);
      const record = await withStore(target, 'update', async (store) => {
        await getApiKey(store, id); // an unknown id or a database restguard never migrated: refused here
        await store.migrate(); // a database from before rate limits gets the column (schema version 4)
        return setApiKeyRateLimit(store, id, rateLimit);
      });
      const rate = record.rateLimit ?? null;
      if (json) {
        io.stdout(formatJson({ id: record.id, name: record.name, prefix: record.prefix, rateLimit: rate }));
      } else {
        io.stdout(
          `Updated API key ${record.id} (${record.prefix}…): rate limit ${rate ?? "none (the app's default)"}.\n`,
        );
      }
      return 0;
    }
    case 'rotate': {
      const id = parseKeyId(parsed.positionals[0]!);
      const graceMs =
        str('grace') === undefined
          ? 86_400_000
          : parseDuration(str('grace')!, '--grace', { allowZero: true });
      if (graceMs > MAX_GRACE_MS) throw new UsageError('--grace must be at most 365d.');
      const hasher = resolveHasher(io.env);
      const target = resolveDatabase(str('db'), io.env, io.cwd);
      const rotated = await withStore(target, 'rotate', (store) =>
        rotateApiKey(store, id, { graceSeconds: graceMs / 1000, hasher, now: now() }),
      );
      const { record, key, previous } = rotated;
      const graceUntil = previous.expiresAt ? previous.expiresAt.toISOString() : null;
      if (json) {
        io.stdout(
          formatJson({
            ...issuedJson(record, key),
            rotatedFromId: previous.id,
            graceUntil,
          }),
        );
      } else {
        const text = issuedText(`Rotated ${previous.id} into`, record, key, target);
        io.stdout(
          `${text}The old key keeps working until ${graceUntil} (grace ${formatDuration(graceMs)}).\n`,
        );
      }
      return 0;
    }
  }
}

/** `--rate`: N/unit in canonical form, or (for update) `none` to clear. A bad rate is a UsageError. */
function parseRateOption(text: string, allowNone: boolean): string | null {
  if (allowNone && text.trim().toLowerCase() === 'none') return null;
  try {
    return formatRate(parseRate(text));
  } catch (err) {
    if (!isRestguardError(err)) throw err;
    throw new UsageError(`--rate: ${err.message}${allowNone ? ' Or none.' : ''}`);
  }
}

/** The text shown once for a new key: what it is, then the key alone on its line. */
function issuedText(verb: string, record: ApiKeySummary, key: string, target: DatabaseTarget): string {
  const expires = record.expiresAt ? `expires ${record.expiresAt.toISOString()}` : 'does not expire';
  return [
    `${verb} API key ${record.id} "${oneLine(record.name, 200)}" in ${target.display}`,
    `permissions: ${record.permissions.join(', ')}; ${expires}${record.rateLimit ? `; rate limit ${record.rateLimit}` : ''}.`,
    '',
    key,
    '',
    'Copy the key now: only its hash is stored, and it cannot be shown again.',
    '',
  ].join('\n');
}

/** The contract's JSON for a newly issued key: `{"id","key","prefix","permissions","expiresAt"}`. */
function issuedJson(record: ApiKeySummary, key: string): Record<string, unknown> {
  return {
    id: record.id,
    key,
    prefix: record.prefix,
    permissions: record.permissions,
    expiresAt: record.expiresAt ? record.expiresAt.toISOString() : null,
  };
}
