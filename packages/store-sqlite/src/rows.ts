/** Mapping between `restguard_api_keys` rows and core's {@link ApiKeyRecord}. Dates are epoch ms. */
import { type ApiKeyRecord, apiKeyRecordFromColumns } from '@restguard/core';

/** A row as better-sqlite3 returns it. */
export interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  hash_scheme: string;
  permissions: string;
  subject: string | null;
  metadata: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
  rotated_from_id: string | null;
  rotated_to_id: string | null;
  /** Schema version 4. */
  rate_limit: string | null;
}

const date = (value: number | null): Date | null => (value === null ? null : new Date(value));
const ms = (value: Date | null): number | null => (value === null ? null : value.getTime());

/** Row → record (JSON and epoch-ms columns decoded, then core's row mapping). */
export function fromRow(row: ApiKeyRow): ApiKeyRecord {
  return apiKeyRecordFromColumns({
    ...row,
    permissions: JSON.parse(row.permissions) as string[],
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    created_at: new Date(row.created_at),
    expires_at: date(row.expires_at),
    revoked_at: date(row.revoked_at),
    last_used_at: date(row.last_used_at),
  });
}

/** Record → named parameters for the insert statement. */
export function toParams(record: ApiKeyRecord): ApiKeyRow {
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    hash: record.hash,
    hash_scheme: record.hashScheme,
    permissions: JSON.stringify(record.permissions),
    subject: record.subject,
    metadata: JSON.stringify(record.metadata ?? {}),
    created_at: record.createdAt.getTime(),
    expires_at: ms(record.expiresAt),
    revoked_at: ms(record.revokedAt),
    last_used_at: ms(record.lastUsedAt),
    rotated_from_id: record.rotatedFromId,
    rotated_to_id: record.rotatedToId,
    rate_limit: record.rateLimit ?? null,
  };
}

/** The insert statement matching {@link toParams}. */
export const INSERT_SQL = `INSERT INTO restguard_api_keys (id, name, prefix, hash, hash_scheme, permissions, subject,
  metadata, created_at, expires_at, revoked_at, last_used_at, rotated_from_id, rotated_to_id, rate_limit)
  VALUES (@id, @name, @prefix, @hash, @hash_scheme, @permissions, @subject, @metadata, @created_at, @expires_at,
  @revoked_at, @last_used_at, @rotated_from_id, @rotated_to_id, @rate_limit)`;
