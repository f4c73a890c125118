/**
 * Input validation for API-key management (the CLI, admin endpoints, demos). Every failure is an
 * {@link ApiKeyManagementError} whose message is one fixed, printable sentence that never contains
 * a key, a hash or the offending value itself beyond what the caller typed as a name.
 */
import { ConfigInvalidError } from '../errors.js';

/**
 * A permission: starts with a lowercase letter, then lowercase letters, digits, `:`, `.`, `_`, `-`
 * (`read`, `write`, `notes:read`, `billing.admin`), at most 64 characters. Case-sensitive, like OAuth
 * scopes, and never containing a space (scopes are space-separated in tokens).
 * @example
 * PERMISSION_PATTERN.test('notes:write'); // true
 */
export const PERMISSION_PATTERN = /^[a-z][a-z0-9:._-]{0,63}$/;

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters on purpose
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a management call was refused. */
export type ApiKeyManagementReason = 'invalid_input' | 'not_found' | 'conflict';

/**
 * A refused management call: bad input, an unknown id, or a state that forbids it (revoking is
 * idempotent, but rotating a revoked, expired or already rotated key is a conflict). A
 * {@link ConfigInvalidError} (code `ERR_CONFIG_INVALID`): never sent to an HTTP client.
 * @example
 * try { await revokeApiKey(store, id) } catch (err) {
 *   if (err instanceof ApiKeyManagementError) { console.error(err.message); process.exitCode = 2 }
 * }
 */
export class ApiKeyManagementError extends ConfigInvalidError {
  readonly reason: ApiKeyManagementReason;
  constructor(reason: ApiKeyManagementReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/**
 * Validates and normalises permissions: each must match {@link PERMISSION_PATTERN}; duplicates are
 * dropped; order is kept. At least one is required.
 * @example
 * validatePermissions(['read', 'write']); // ['read', 'write']
 * validatePermissions(['Read']); // throws ApiKeyManagementError
 */
export function validatePermissions(permissions: readonly string[]): string[] {
  if (!Array.isArray(permissions) || permissions.length === 0) {
    throw new ApiKeyManagementError('invalid_input', 'At least one permission is required.');
  }
  for (const permission of permissions) {
    if (typeof permission !== 'string' || !PERMISSION_PATTERN.test(permission)) {
      throw new ApiKeyManagementError(
        'invalid_input',
        'A permission must start with a lowercase letter and use only a-z, 0-9, ":", ".", "_" or "-" (at most 64 characters).',
      );
    }
  }
  return [...new Set(permissions)];
}

/**
 * Validates a key's name: 1 to 200 characters, no control characters; trimmed.
 * @example
 * validateName(' billing worker '); // 'billing worker'
 */
export function validateName(name: string): string {
  const trimmed = typeof name === 'string' ? name.trim() : '';
  if (trimmed.length === 0 || trimmed.length > 200 || CONTROL.test(trimmed)) {
    throw new ApiKeyManagementError('invalid_input', 'A key name must be 1 to 200 printable characters.');
  }
  return trimmed;
}

/**
 * Validates an optional subject (the owner behind the key): 1 to 256 printable characters, or null.
 * @example
 * validateSubject('user:42'); // 'user:42'
 */
export function validateSubject(subject: string | null | undefined): string | null {
  if (subject === undefined || subject === null) return null;
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 256 || CONTROL.test(subject)) {
    throw new ApiKeyManagementError('invalid_input', 'A key subject must be 1 to 256 printable characters.');
  }
  return subject;
}

/**
 * Validates metadata: a plain JSON object of at most 8 KiB once serialised. Returns a deep copy.
 * @example
 * validateMetadata({ team: 'billing' });
 */
export function validateMetadata(metadata: Record<string, unknown> | undefined): Record<string, unknown> {
  if (metadata === undefined) return {};
  let json: string | undefined;
  try {
    json = JSON.stringify(metadata);
  } catch {
    json = undefined;
  }
  if (
    typeof metadata !== 'object' ||
    metadata === null ||
    Array.isArray(metadata) ||
    !json ||
    json.length > 8192
  ) {
    throw new ApiKeyManagementError('invalid_input', 'Key metadata must be a JSON object of at most 8 KiB.');
  }
  return JSON.parse(json) as Record<string, unknown>;
}

/**
 * Validates an expiry: a valid date strictly after `now`, or null for a key that does not expire.
 * @example
 * validateExpiry(new Date(Date.now() + 86_400_000), new Date());
 */
export function validateExpiry(expiresAt: Date | null | undefined, now: Date): Date | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  if (
    !(expiresAt instanceof Date) ||
    Number.isNaN(expiresAt.getTime()) ||
    expiresAt.getTime() <= now.getTime()
  ) {
    throw new ApiKeyManagementError('invalid_input', 'A key expiry must be a valid date in the future.');
  }
  return new Date(expiresAt.getTime());
}
