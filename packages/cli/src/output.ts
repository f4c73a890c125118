/**
 * What the CLI prints. Records are copied field by field through an allow-list ({@link publicView}),
 * so a hash, a hash scheme or a key can never reach the output, whatever the store returns.
 */
import { type ApiKeySummary, toApiKeyInfo } from '@restguard/core';
import { oneLine } from './errors.js';

/** A key's state at a given moment, most severe first. */
export type KeyStatus = 'revoked' | 'expired' | 'rotating' | 'active';

/** The printable view of a key record: never its hash or the key. */
export interface PublicKeyView {
  id: string;
  name: string;
  prefix: string;
  permissions: string[];
  subject: string | null;
  metadata: Record<string, unknown>;
  status: KeyStatus;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
  rotatedFromId: string | null;
  rotatedToId: string | null;
  /** The key's own rate limit (`100/min`), or null: the app's default. */
  rateLimit: string | null;
}

/**
 * The status of a record at `now`: revoked, else expired, else rotating (superseded by a rotation,
 * still inside its grace period), else active.
 * @example
 * keyStatus(record, new Date()); // 'active'
 */
export function keyStatus(record: ApiKeySummary, now: Date): KeyStatus {
  if (record.revokedAt) return 'revoked';
  if (record.expiresAt && record.expiresAt.getTime() <= now.getTime()) return 'expired';
  if (record.rotatedToId) return 'rotating';
  return 'active';
}

const iso = (date: Date | null): string | null => (date ? date.toISOString() : null);

/**
 * Copies the printable fields of a record (allow-list; `hash` and `hashScheme` are never read).
 * @example
 * JSON.stringify(records.map((r) => publicView(r, new Date())));
 */
export function publicView(record: ApiKeySummary, now: Date): PublicKeyView {
  // core's allow-list of a key's public fields (the principal's view), then the CLI's own ones.
  const { id, name, prefix, permissions, subject, metadata } = toApiKeyInfo(record);
  return {
    id,
    name,
    prefix,
    permissions: [...permissions],
    subject,
    metadata: { ...metadata },
    status: keyStatus(record, now),
    createdAt: record.createdAt.toISOString(),
    expiresAt: iso(record.expiresAt),
    revokedAt: iso(record.revokedAt),
    lastUsedAt: iso(record.lastUsedAt),
    rotatedFromId: record.rotatedFromId,
    rotatedToId: record.rotatedToId,
    rateLimit: record.rateLimit ?? null,
  };
}

/** An ISO timestamp to the second, for tables. */
function shortDate(value: string | null, none: string): string {
  return value ? `${value.slice(0, 19)}Z` : none;
}

/**
 * Renders the `keys list` table (one header row, one row per key, columns padded with spaces).
 * Every cell goes through {@link oneLine}, so a name cannot inject terminal control sequences.
 * @example
 * process.stdout.write(formatKeyTable(views));
 */
export function formatKeyTable(views: readonly PublicKeyView[]): string {
  if (views.length === 0) return 'No API keys.\n';
  const rows: string[][] = [
    ['ID', 'NAME', 'PREFIX', 'PERMISSIONS', 'RATE', 'STATUS', 'CREATED', 'EXPIRES', 'LAST USED'],
  ];
  for (const view of views) {
    rows.push(
      [
        view.id,
        view.name,
        view.prefix,
        view.permissions.join(','),
        view.rateLimit ?? 'default',
        view.status === 'rotating' ? `rotating → ${view.rotatedToId}` : view.status,
        shortDate(view.createdAt, '-'),
        shortDate(view.expiresAt, 'never'),
        shortDate(view.lastUsedAt, 'never'),
      ].map((cell) => oneLine(cell, 60)),
    );
  }
  return formatTable(rows);
}

/**
 * Pads rows into aligned columns separated by two spaces; the last column is not padded.
 * @example
 * formatTable([['ID', 'NAME'], ['key_1', 'ci']]); // 'ID     NAME\nkey_1  ci\n'
 */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i]! - [...cell].length)))
        .join('  ')
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/**
 * One JSON document on one line, newline-terminated (easy for `jq` and for scripts).
 * @example
 * formatJson({ id: 'key_1' }); // '{"id":"key_1"}\n'
 */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
