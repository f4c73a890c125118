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
  const steps: Record<KeysCommand, (parsed: ParsedCommand, io: CliIo) => Promise<void>> = {
    create: createKey,
    list: listKeys,
    revoke: revokeKey,
    update: updateKey,
    rotate: rotateKey,
  };
  await steps[command](parsed, io);
  return 0;
}

/** A string option's value, or undefined when it was not given. */
function stringOption(parsed: ParsedCommand, name: string): string | undefined {
  return parsed.values[name] as string | undefined;
}

/** `keys create`: every input checked, then the key issued and shown once. */
async function createKey(parsed: ParsedCommand, io: CliIo): Promise<void> {
  const option = (name: string) => stringOption(parsed, name);
  const name = parseName(option('name')!);
  const permissions = parsePermissions(option('permissions')!);
  const expiresIn = option('expires-in');
  const lifetime = expiresIn === undefined ? undefined : parseDuration(expiresIn, '--expires-in');
  const subject = option('subject') === undefined ? undefined : parseSubject(option('subject')!);
  const metadata = option('metadata') === undefined ? undefined : parseMetadata(option('metadata')!);
  const rateLimit = option('rate') === undefined ? undefined : parseRateOption(option('rate')!, false);
  const prefix = resolvePrefix(option('prefix'), io.env);
  const hasher = resolveHasher(io.env);
  const target = resolveDatabase(option('db'), io.env, io.cwd);
  const { record, key } = await withStore(target, 'create', (store) => {
    const at = new Date();
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
  if (parsed.values.json === true) io.stdout(formatJson(issuedJson(record, key)));
  else io.stdout(issuedText('Created', record, key, target));
}

/** `keys list`: the keys' public view (never a hash), as JSON or a table. */
async function listKeys(parsed: ParsedCommand, io: CliIo): Promise<void> {
  const target = resolveDatabase(stringOption(parsed, 'db'), io.env, io.cwd);
  const includeRevoked = parsed.values.all === true;
  const records = await withStore(target, 'list', (store) => listApiKeys(store, { includeRevoked }));
  const at = new Date();
  const views = records.map((record) => publicView(record, at));
  io.stdout(parsed.values.json === true ? formatJson(views) : formatKeyTable(views));
}

/** `keys revoke ID`: revokes (again is fine) and says when. */
async function revokeKey(parsed: ParsedCommand, io: CliIo): Promise<void> {
  const id = parseKeyId(parsed.positionals[0]!);
  const target = resolveDatabase(stringOption(parsed, 'db'), io.env, io.cwd);
  const at = new Date();
  const record = await withStore(target, 'revoke', (store) => revokeApiKey(store, id, { now: at }));
  const already = record.revokedAt !== null && record.revokedAt.getTime() !== at.getTime();
  const revokedAt = (record.revokedAt ?? at).toISOString();
  if (parsed.values.json === true) {
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
}

/** `keys update ID --rate`: sets or clears the key's own rate limit. */
async function updateKey(parsed: ParsedCommand, io: CliIo): Promise<void> {
  const id = parseKeyId(parsed.positionals[0]!);
  const rateLimit = parseRateOption(stringOption(parsed, 'rate')!, true);
  const target = resolveDatabase(stringOption(parsed, 'db'), io.env, io.cwd);
  const record = await withStore(target, 'update', async (store) => {
    await getApiKey(store, id); // an unknown id or a database restguard never migrated: refused here
    await store.migrate(); // a database from before rate limits gets the column (schema version 4)
    return setApiKeyRateLimit(store, id, rateLimit);
  });
  const rate = record.rateLimit ?? null;
  if (parsed.values.json === true) {
    io.stdout(formatJson({ id: record.id, name: record.name, prefix: record.prefix, rateLimit: rate }));
  } else {
    io.stdout(
      `Updated API key ${record.id} (${record.prefix}…): rate limit ${rate ?? "none (the app's default)"}.\n`,
    );
  }
}

/** `keys rotate ID`: a new key now, the old one kept working for the grace period. */
async function rotateKey(parsed: ParsedCommand, io: CliIo): Promise<void> {
  const id = parseKeyId(parsed.positionals[0]!);
  const grace = stringOption(parsed, 'grace');
  const graceMs = grace === undefined ? 86_400_000 : parseDuration(grace, '--grace', { allowZero: true });
  if (graceMs > MAX_GRACE_MS) throw new UsageError('--grace must be at most 365d.');
  const hasher = resolveHasher(io.env);
  const target = resolveDatabase(stringOption(parsed, 'db'), io.env, io.cwd);
  const { record, key, previous } = await withStore(target, 'rotate', (store) =>
    rotateApiKey(store, id, { graceSeconds: graceMs / 1000, hasher, now: new Date() }),
  );
  const graceUntil = previous.expiresAt ? previous.expiresAt.toISOString() : null;
  if (parsed.values.json === true) {
    io.stdout(formatJson({ ...issuedJson(record, key), rotatedFromId: previous.id, graceUntil }));
  } else {
    const text = issuedText(`Rotated ${previous.id} into`, record, key, target);
    io.stdout(`${text}The old key keeps working until ${graceUntil} (grace ${formatDuration(graceMs)}).\n`);
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
