/** Mapping between `<schema>.api_keys` rows (as pg parses them) and core's {@link ApiKeyRecord}. */
import { type ApiKeyColumns, type ApiKeyRecord, apiKeyRecordFromColumns } from '@restguard/core';

/**
 * A row as pg returns it (timestamptz → Date, text[] → string[], jsonb → object): already the decoded
 * columns core maps.
 */
export type ApiKeyRow = ApiKeyColumns;

/** Row → record (core's row mapping: pg has already decoded every column). */
export function fromRow(row: ApiKeyRow): ApiKeyRecord {
  return apiKeyRecordFromColumns(row);
}

/** The insert statement for a quoted schema; parameters from {@link insertParams}. */
export function insertSql(schema: string): string {
  return `INSERT INTO ${schema}.api_keys (id, name, prefix, hash, hash_scheme, permissions, subject, metadata,
    created_at, expires_at, revoked_at, last_used_at, rotated_from_id, rotated_to_id, rate_limit)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`;
}

/** Positional parameters for {@link insertSql}. */
export function insertParams(record: ApiKeyRecord): unknown[] {
  return [
    record.id,
    record.name,
    record.prefix,
    record.hash,
    record.hashScheme,
    record.permissions,
    record.subject,
    JSON.stringify(record.metadata ?? {}),
    record.createdAt,
    record.expiresAt,
    record.revokedAt,
    record.lastUsedAt,
    record.rotatedFromId,
    record.rotatedToId,
    record.rateLimit ?? null,
  ];
}
