/**
 * Validation of every value the CLI writes: permissions, names, subjects, metadata and key ids.
 * All of it runs before the database is opened, so refused input changes nothing.
 *
 * The rules themselves are core's (`validatePermissions`, `validateName`, …), so the CLI accepts
 * exactly what the management API accepts: a permission starts with a lowercase letter and uses
 * only a-z, 0-9, `:`, `.`, `_`, `-` (at most 64 characters). Permissions become the principal's
 * scopes (RFC 6749 §3.3 scope-token, compared exactly), so wildcards, spaces and quotes are refused.
 */
import {
  ApiKeyManagementError,
  parseApiKey,
  validateMetadata,
  validateName,
  validatePermissions,
  validateSubject,
} from '@restguard/core';
import { UsageError } from './errors.js';

/** Runs a core validator, turning its refusal into a one-line {@link UsageError} naming the flag. */
function check<T>(flag: string, validate: () => T): T {
  try {
    return validate();
  } catch (err) {
    if (err instanceof ApiKeyManagementError) throw new UsageError(`${flag}: ${err.message}`);
    throw err;
  }
}

/**
 * Parses `--permissions read,write` into a list: comma-separated, no empty pieces, duplicates
 * dropped, order kept; each piece checked by core's `validatePermissions`.
 * @example
 * parsePermissions('read,write'); // ['read', 'write']
 * parsePermissions('read write'); // throws UsageError
 */
export function parsePermissions(value: string): string[] {
  const pieces = value.split(',');
  if (pieces.some((piece) => piece === '')) {
    throw new UsageError(
      '--permissions has an empty entry; write a comma-separated list such as read,write.',
    );
  }
  return check('--permissions', () => validatePermissions(pieces));
}

/**
 * Checks `--name`: 1 to 200 printable characters, trimmed (core's `validateName`).
 * @example
 * parseName(' billing job '); // 'billing job'
 */
export function parseName(value: string): string {
  return check('--name', () => validateName(value));
}

/**
 * Checks `--subject`, the owner behind the key (core's `validateSubject`).
 * @example
 * parseSubject('user:42'); // 'user:42'
 */
export function parseSubject(value: string): string {
  return check('--subject', () => validateSubject(value)) ?? '';
}

/**
 * Parses `--metadata '{"team":"billing"}'`: a JSON object of at most 8 KiB (core's `validateMetadata`).
 * @example
 * parseMetadata('{"team":"billing"}'); // { team: 'billing' }
 */
export function parseMetadata(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new UsageError('--metadata must be a JSON object, e.g. {"team":"billing"}.');
  }
  return check('--metadata', () => validateMetadata(parsed as Record<string, unknown>));
}

/** A value shaped like a restguard key (`…_` and 49 base62 characters), valid checksum or not. */
const KEY_SHAPE = /_[0-9A-Za-z]{49}$/;

/**
 * Checks a key id given as an argument (`keys revoke ID`). A value that looks like an API key is
 * refused without being echoed: it is the secret itself, pasted by mistake, and must not be
 * printed back into a terminal log.
 * @example
 * parseKeyId('key_01JD2B3C4D5E6F'); // 'key_01JD2B3C4D5E6F'
 */
export function parseKeyId(value: string): string {
  if (KEY_SHAPE.test(value) || parseApiKey(value) !== null) {
    throw new UsageError('ID: that is an API key, not a key id; `restguard keys list` shows the ids.');
  }
  if (!/^[A-Za-z0-9_-]{1,128}$/.test(value)) {
    throw new UsageError(
      'ID must be a key id as printed by `restguard keys create` or `restguard keys list`.',
    );
  }
  return value;
}
